"""Demo content for `make run`: the two partner organisations, a panel, three webinars.

Names are invented. Dates are relative to today so the upcoming webinars stay upcoming.
Loading is idempotent: organisations, speakers and webinars are matched by slug/name.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Organisation, PanelMember, PanelRole, Speaker, Webinar, WebinarStatus
from eventsapp.services import accounts, demo_images
from eventsapp.uktime import to_uk, uk_to_utc

CLINIC = {
    "slug": "meadowbank-clinic",
    "name": "Meadowbank Medical Cannabis Clinic",
    "website": "https://clinic.example.org",
    # Written as education, not promotion: a clinic that prescribes cannabis medicines must
    # not appear to advertise them (or its services) to the public.
    "marketing_description": "news of future webinars and patient information events",
    "about": "A specialist pain clinic, regulated by the Care Quality Commission. Its "
    "specialists share what the evidence says in these free webinars.",
    "marketing_description_cy": "newyddion am weminarau a digwyddiadau gwybodaeth i gleifion "
    "yn y dyfodol",
    "about_cy": "Clinig poen arbenigol, a reoleiddir gan y Comisiwn Ansawdd Gofal. Mae ei "
    "arbenigwyr yn rhannu'r hyn y mae'r dystiolaeth yn ei ddweud yn y gweminarau hyn, sydd am "
    "ddim.",
    "contact_email": "webinars@clinic.example.org",
    "contact_phone": "0161 496 0000",
    "regulator": "Care Quality Commission",
    "regulator_number": "1-000000001",
    "ico_number": "ZA000001",
    "dpo_email": "dpo@clinic.example.org",
}
CHARITY = {
    "slug": "backwell-uk",
    "name": "BackWell UK, the national back pain charity",
    "website": "https://charity.example.org",
    "marketing_description": "the charity's newsletter, events and support",
    "about": "The national charity for people living with back and neck pain. It runs a "
    "helpline and free guides.",
    "marketing_description_cy": "cylchlythyr, digwyddiadau a chymorth yr elusen",
    "about_cy": "Yr elusen genedlaethol i bobl sy'n byw gyda phoen cefn a gwddf. Mae'n cynnal "
    "llinell gymorth a chanllawiau am ddim.",
    "contact_email": "hello@charity.example.org",
    "contact_phone": "020 7946 0000",
    "charity_number": "1000001",
    "ico_number": "ZA000002",
}
# Demo pictures: (initials, words, colour) for logos; (background, figure) for portraits.
LOGOS = {
    CLINIC["slug"]: ("MC", "Meadowbank Clinic", "#1d5e54"),
    CHARITY["slug"]: ("BW", "BackWell UK", "#6b2c7a"),
}
PORTRAITS = [
    ("#d8e6e3", "#5b7f79"),
    ("#e6dcef", "#7b5a8a"),
    ("#f0e2d0", "#8a6a45"),
    ("#dde4ee", "#56698a"),
]

SPEAKERS = [
    (
        "Dr Helen Marsh",
        "Consultant in Pain Medicine",
        CLINIC["name"],
        "Helen has led NHS and private pain services for 18 years and chairs the clinic's "
        "multidisciplinary team. She is interested in how people can combine medicines with "
        "movement and pacing.",
        PanelRole.CHAIR,
    ),
    (
        "Dr Rajiv Anand",
        "Consultant in Pain Medicine and Anaesthesia",
        "Northgate Hospital",
        "Rajiv treats people with long-term back and neck pain and teaches pain management "
        "to junior doctors.",
        PanelRole.PANELLIST,
    ),
    (
        "Claire Okafor",
        "Specialist Cannabis Nurse",
        CLINIC["name"],
        "Claire supports patients starting and reviewing prescribed cannabis medicines, "
        "including side effects, driving and work.",
        PanelRole.PANELLIST,
    ),
    (
        "Tom Whitfield",
        "Clinical Adviser",
        CHARITY["name"],
        "Tom is a physiotherapist who runs the charity's helpline training and writes its "
        "self-management guides.",
        PanelRole.PANELLIST,
    ),
]

# The speakers' title and biography in Welsh (Speaker.professional_title_cy, bio_cy).
SPEAKERS_CY = {
    "Dr Helen Marsh": (
        "Ymgynghorydd Meddygaeth Poen",
        "Mae Helen wedi arwain gwasanaethau poen y GIG a gwasanaethau preifat ers 18 mlynedd, "
        "ac mae'n cadeirio tîm amlddisgyblaethol y clinig. Mae ganddi ddiddordeb yn y ffordd y "
        "gall pobl gyfuno meddyginiaethau â symud a rheoli eu gweithgarwch.",
    ),
    "Dr Rajiv Anand": (
        "Ymgynghorydd Meddygaeth Poen ac Anaesthesia",
        "Mae Rajiv yn trin pobl sydd â phoen cefn a gwddf hirdymor, ac mae'n addysgu rheoli "
        "poen i feddygon iau.",
    ),
    "Claire Okafor": (
        "Nyrs Arbenigol Canabis",
        "Mae Claire yn cefnogi cleifion sy'n dechrau ac yn adolygu meddyginiaethau canabis ar "
        "bresgripsiwn, gan gynnwys sgil-effeithiau, gyrru a gwaith.",
    ),
    "Tom Whitfield": (
        "Cynghorydd Clinigol",
        "Mae Tom yn ffisiotherapydd sy'n cynnal hyfforddiant llinell gymorth yr elusen ac yn "
        "ysgrifennu ei chanllawiau hunanreoli.",
    ),
}

MAIN_DESCRIPTION = """\
Many people living with chronic back pain ask whether cannabis-based medicines could help.
In this free webinar a panel of specialists explains, in plain language:

- what the evidence says, and what it does not yet say;
- who can be prescribed cannabis medicines in the UK, and how;
- side effects, interactions with other medicines, driving and work;
- how medicines fit with exercise, pacing and other ways of managing pain.

There is time for your questions. You can send one in advance when you register.
"""

MAIN_DESCRIPTION_CY = """\
Mae llawer o bobl sy'n byw gyda phoen cefn cronig yn gofyn a allai meddyginiaethau sy'n
seiliedig ar ganabis helpu. Yn y weminar hon, sydd am ddim, mae panel o arbenigwyr yn
esbonio, mewn iaith glir:

- beth mae'r dystiolaeth yn ei ddweud, a beth nad yw'n ei ddweud eto;
- pwy all gael meddyginiaethau canabis ar bresgripsiwn yn y DU, a sut;
- sgil-effeithiau, effaith meddyginiaethau eraill, gyrru a gwaith;
- sut mae meddyginiaethau'n cyd-fynd ag ymarfer corff, rheoli gweithgarwch a ffyrdd eraill
  o reoli poen.

Bydd amser ar gyfer eich cwestiynau. Gallwch anfon cwestiwn ymlaen llaw wrth gofrestru.
"""

NECK_DESCRIPTION = """\
A smaller, practical session on neck pain: posture myths, sleep, work set-ups and when
to seek help. Places are limited so that everyone can take part in the discussion.
"""

PAST_DESCRIPTION = """\
Our panel talked through what a pain clinic appointment involves and how to prepare for it.
The recording is available to watch.
"""


def _next_weekday(today: datetime, weekday: int, at_least_days: int) -> datetime:
    day = today + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _organisation(values: dict[str, str]) -> Organisation:
    org = db.session.scalars(
        select(Organisation).where(Organisation.slug == values["slug"])
    ).first()
    if org is None:
        org = Organisation(**values, logo_filename=demo_images.logo(*LOGOS[values["slug"]]))
        db.session.add(org)
    return org


def _speaker(
    name: str, title: str, organisation: str, bio: str, colours: tuple[str, str]
) -> Speaker:
    speaker = db.session.scalars(select(Speaker).where(Speaker.name == name)).first()
    if speaker is None:
        title_cy, bio_cy = SPEAKERS_CY.get(name, ("", ""))
        speaker = Speaker(
            name=name,
            professional_title=title,
            organisation=organisation,
            bio=bio,
            professional_title_cy=title_cy,
            bio_cy=bio_cy,
            photo_filename=demo_images.portrait(*colours),
        )
        db.session.add(speaker)
    return speaker


def load(now: datetime) -> int:
    """Create whatever is missing; returns how many webinars were created."""
    clinic, charity = _organisation(CLINIC), _organisation(CHARITY)
    panel = [
        (_speaker(n, t, o, b, colours), role)
        for (n, t, o, b, role), colours in zip(SPEAKERS, PORTRAITS, strict=True)
    ]
    today = to_uk(now).replace(hour=0, minute=0, second=0, microsecond=0)

    def at(day: datetime, hour: int, minute: int = 0) -> datetime:
        return uk_to_utc(day.date(), time(hour, minute))

    webinars = [
        dict(
            slug="cannabis-medicines-chronic-back-pain",
            title="Cannabis medicines and chronic back pain: a specialist panel",
            summary="A pain consultant, a specialist nurse and the charity's clinical adviser "
            "answer your questions about cannabis-based medicines for chronic back pain.",
            description=MAIN_DESCRIPTION,
            title_cy="Meddyginiaethau canabis a phoen cefn cronig: panel o arbenigwyr",
            summary_cy="Mae ymgynghorydd poen, nyrs arbenigol a chynghorydd clinigol yr elusen "
            "yn ateb eich cwestiynau am feddyginiaethau sy'n seiliedig ar ganabis ar gyfer poen "
            "cefn cronig.",
            description_cy=MAIN_DESCRIPTION_CY,
            starts_at=at(_next_weekday(today, 1, 14), 18, 30),
            duration_minutes=75,
            capacity=300,
            panel=panel,
        ),
        dict(
            slug="living-well-with-neck-pain",
            title="Living well with neck pain: a practical session",
            summary="Practical advice on everyday neck pain from a pain consultant and a "
            "physiotherapist, with plenty of time for questions.",
            description=NECK_DESCRIPTION,
            starts_at=at(_next_weekday(today, 3, 21), 13, 0),
            duration_minutes=60,
            capacity=12,
            panel=[panel[1], panel[3]],
        ),
        dict(
            slug="getting-the-most-from-your-pain-clinic",
            title="Getting the most from your pain clinic appointment",
            summary="What happens at a pain clinic, and how to prepare so that your "
            "appointment helps you most.",
            description=PAST_DESCRIPTION,
            starts_at=at(today - timedelta(days=30), 18, 30),
            duration_minutes=60,
            capacity=200,
            recording_url="https://video.example.org/recordings/pain-clinic-appointment",
            panel=[panel[0], panel[2]],
        ),
    ]
    created = 0
    for spec in webinars:
        if db.session.scalars(select(Webinar.id).where(Webinar.slug == spec["slug"])).first():
            continue
        members = spec.pop("panel")
        webinar = Webinar(
            **spec,
            status=WebinarStatus.PUBLISHED,
            seats_taken=0,
            waitlist_enabled=True,
            registration_open=True,
            sequence=0,
            join_url="https://meet.example.org/j/demo",
            created_at=now,
            updated_at=now,
            hosts=[clinic, charity],
        )
        webinar.panel = [
            PanelMember(speaker=speaker, role=role, position=i)
            for i, (speaker, role) in enumerate(members)
        ]
        db.session.add(webinar)
        created += 1
    db.session.flush()
    return created


DEMO_PASSWORD = "demo-only-password-2026"  # noqa: S105 (development demo accounts only)
DEMO_ACCOUNTS = [
    ("admin@example.org", "Ada Admin", True, None),
    ("organiser@clinic.example.org", "Colin Clinic", False, CLINIC["slug"]),
    ("organiser@charity.example.org", "Chris Charity", False, CHARITY["slug"]),
]


def load_accounts(now: datetime) -> list[str]:
    """Development only: sign-in accounts with a known password. Returns the emails created."""
    created = []
    for email, name, is_admin, org_slug in DEMO_ACCOUNTS:
        if accounts.find_by_email(email) is not None:
            continue
        organisation = (
            db.session.scalars(select(Organisation).where(Organisation.slug == org_slug)).one()
            if org_slug
            else None
        )
        user = accounts.create_user(
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            now=now,
            is_admin=is_admin,
            organisation=organisation,
        )
        # The demo organisers review for their organisations, so one person can try it all.
        user.is_reviewer = organisation is not None
        created.append(email)
    return created
