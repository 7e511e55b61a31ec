"""Property-based tests: generated input to the forms never gives a 500 or a half-saved row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import (
    FeedbackResponse,
    OutboxMessage,
    PanelMember,
    Registration,
    Speaker,
    User,
    Webinar,
)
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, csrf_token, form_token, login
from tests.surface import one_of_everything, organiser_routes

# Any text, including control characters, surrogates-free unicode, markup and injection tries.
nasty = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "<script>alert(1)</script>",
            "=cmd|' /C calc'!A0",
            "a\r\nBcc: x@y.z",
            "Zoë Ñúñez-O'Brien",
            "名字",
            "\u202eevil",
            "x" * 1001,
            "ann@example.com",
            "ANN@EXAMPLE.COM ",
            "not-an-email",
            "a@b",
            "\x00",
            "BEGIN:VEVENT\r\nEND:VEVENT",
        ]
    ),
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _consistent(webinar_id: int) -> None:
    webinar = db.session.get(Webinar, webinar_id)
    confirmed = db.session.scalar(
        select(func.count()).where(
            Registration.webinar_id == webinar_id, Registration.status == "confirmed"
        )
    )
    assert webinar.seats_taken == confirmed
    for reg in db.session.scalars(select(Registration)):
        assert reg.full_name.strip() and "@" in reg.email and len(reg.question) <= 1000
        assert reg.consent_notice_version and reg.manage_token_hash
    # Every registration has exactly the emails it should have had queued.
    regs = db.session.scalar(select(func.count()).select_from(Registration))
    first_emails = db.session.scalar(
        select(func.count()).where(OutboxMessage.kind.in_(("confirmation", "waitlisted")))
    )
    assert first_emails == regs


@SETTINGS
@given(name=nasty, email=nasty, question=nasty, needs=nasty, audience=nasty, consent=nasty)
def test_registration_form_never_fails_or_half_saves(
    client, ctx, name, email, question, needs, audience, consent
):
    webinar = db.session.scalars(select(Webinar).where(Webinar.slug == "prop")).first()
    webinar = webinar or create_webinar(slug="prop", capacity=3)
    token = csrf_token(client.get("/webinars/prop").get_data(as_text=True))
    response = client.post(
        "/webinars/prop",
        data={
            "csrf_token": token,
            "full_name": name,
            "email": email,
            "question": question,
            "access_needs": needs,
            "audience": audience,
            "consent": consent,
        },
    )
    assert response.status_code in (303, 400, 409, 413), response.status_code
    assert "Traceback" not in response.get_data(as_text=True)
    _consistent(webinar.id)


@SETTINGS
@given(
    title=nasty,
    slug=nasty,
    summary=nasty,
    date=nasty,
    time=nasty,
    duration=nasty,
    capacity=nasty,
    join_url=nasty,
)
def test_webinar_form_never_fails_or_half_saves(
    client, ctx, title, slug, summary, date, time, duration, capacity, join_url
):
    if not db.session.scalars(select(Webinar)).first():
        create_webinar(slug="existing")
        create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    _saves_whole_or_nothing(
        client,
        "/organiser/webinars/new",
        {
            "title": title,
            "slug": slug,
            "summary": summary,
            "start_date": date,
            "start_time": time,
            "duration_minutes": duration,
            "capacity": capacity,
            "hosts": ["1"],
            "join_url": join_url,
        },
        Webinar,
    )
    for webinar in db.session.scalars(select(Webinar)):
        assert webinar.title.strip() and webinar.slug and webinar.hosts


def _signed_in(client, email: str, *, admin: bool = False) -> None:  # type: ignore[no-untyped-def]
    """The first example sets up a webinar and the account; every example signs in."""
    if not db.session.scalars(select(Webinar)).first():
        create_webinar(slug="existing")
    if not db.session.scalars(select(User).where(User.email == email)).first():
        create_user(email, admin=admin)
    login(client, email)


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _saves_whole_or_nothing(client, url: str, data: dict[str, object], model: type) -> None:  # type: ignore[no-untyped-def]
    """Post the form: it is refused with a message (or as too large), or saved as one row."""
    before = _count(model)
    response = client.post(url, data={"csrf_token": form_token(client), **data})
    assert response.status_code in (302, 400, 413), response.status_code
    assert _count(model) == before + (1 if response.status_code == 302 else 0)


@SETTINGS
@given(name=nasty, title=nasty, organisation=nasty, bio=nasty)
def test_speaker_form_never_fails_or_half_saves(client, ctx, name, title, organisation, bio):
    _signed_in(client, "colin@clinic.example")
    _saves_whole_or_nothing(
        client,
        "/organiser/speakers/new",
        {"name": name, "professional_title": title, "organisation": organisation, "bio": bio},
        Speaker,
    )
    for speaker in db.session.scalars(select(Speaker)):
        assert speaker.name.strip() and "\n" not in speaker.name and "\x00" not in speaker.bio


@SETTINGS
@given(speaker=nasty, role=nasty)
def test_panel_form_never_fails_or_half_saves(client, ctx, speaker, role):
    _signed_in(client, "colin@clinic.example")
    webinar = db.session.scalars(select(Webinar)).first()
    _saves_whole_or_nothing(
        client,
        f"/organiser/webinars/{webinar.id}/panel",
        {"speaker": speaker, "role": role},
        PanelMember,
    )


@SETTINGS
@given(name=nasty, email=nasty, role=nasty, organisation=nasty, password=nasty)
def test_account_form_never_fails_or_half_saves(
    client, ctx, name, email, role, organisation, password
):
    _signed_in(client, "ada@charity.example", admin=True)
    _saves_whole_or_nothing(
        client,
        "/organiser/users",
        {
            "name": name,
            "email": email,
            "role": role,
            "organisation": organisation,
            "password": password,
        },
        User,
    )
    for user in db.session.scalars(select(User)):
        assert user.name.strip() and "@" in user.email and user.password_hash


@SETTINGS
@given(email=nasty, password=nasty)
def test_sign_in_and_reset_forms_never_fail(client, ctx, email, password):
    if not db.session.scalars(select(User)).first():
        create_user("colin@clinic.example")
    token = form_token(client)
    login_response = client.post(
        "/organiser/login", data={"csrf_token": token, "email": email, "password": password}
    )
    assert login_response.status_code in (200, 302, 400, 413), login_response.status_code
    reset = client.post("/organiser/forgot-password", data={"csrf_token": token, "email": email})
    assert reset.status_code in (200, 302, 303, 400, 413), reset.status_code


@SETTINGS
@given(overall=nasty, usefulness=nasty, recommend=nasty, comments=nasty)
def test_feedback_form_never_fails_or_half_saves(
    client, ctx, overall, usefulness, recommend, comments
):
    registration = db.session.scalars(select(Registration)).first()
    if registration is None:
        create_webinar(slug="earlier")
        registration = registrations.register(
            db.session.scalars(select(Webinar)).one(),
            registrations.RegistrationInput("Ann Example", "ann@example.com"),
            datetime.now(UTC),
        ).registration
        registration.webinar.starts_at = datetime.now(UTC) - timedelta(days=1)
        db.session.commit()
    url = f"/feedback/{registration.id}/{registrations.feedback_token(registration)}"
    page = client.get(url).get_data(as_text=True)
    assert "Send feedback" in page or "Update my feedback" in page  # the survey is open
    token = csrf_token(page)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "overall": overall,
            "usefulness": usefulness,
            "would_recommend": recommend,
            "comments": comments,
        },
    )
    assert response.status_code in (200, 400, 413), response.status_code
    saved = db.session.scalars(select(FeedbackResponse)).all()
    assert len(saved) <= 1
    for answer in saved:
        assert 1 <= answer.overall <= 5 and 1 <= answer.usefulness <= 5


# Every field name any of our forms reads, and the hidden ones the organiser pages post.
FIELD_NAMES = (
    "access_needs audience bio capacity closes_date closes_time comments confirm consent "
    "current description duration_minutes email full_name join_url message name organisation "
    "overall password professional_title question recording_url remove_photo role slug "
    "speaker start_date start_time summary title usefulness waitlist_enabled website "
    "would_recommend hosts reminders marketing key registration_id status report"
).split()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_post_route_answers_generated_forms_without_a_500(app, client, ctx, data):
    """Any route, any mix of fields and values, as an admin who may use them all."""
    if not db.session.scalars(select(User).where(User.is_admin)).first():
        ids = one_of_everything()
        create_user("ada@charity.example", admin=True)
        app.extensions["fuzz_ids"] = ids
    ids = app.extensions["fuzz_ids"]
    login(client, "ada@charity.example")
    routes = [url for _, method, url in organiser_routes(app, ids) if method == "POST"] + [
        "/webinars/clinic-only",
        f"/feedback/{ids['registration_id']}/{ids['token']}",
    ]
    url = data.draw(st.sampled_from(routes), label="url")
    fields = data.draw(st.dictionaries(st.sampled_from(FIELD_NAMES), nasty, max_size=8))
    fields["csrf_token"] = form_token(client)
    response = client.post(url, data=fields)
    assert response.status_code < 500, (url, response.status_code)
    assert "Traceback" not in response.get_data(as_text=True)
