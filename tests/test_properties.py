"""Property-based tests: generated input to the forms never gives a 500 or a half-saved row."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, Registration, Webinar
from tests.support import create_user, create_webinar, csrf_token, form_token, login

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
    before = db.session.scalar(select(func.count()).select_from(Webinar))
    response = client.post(
        "/organiser/webinars/new",
        data={
            "csrf_token": form_token(client),
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
    )
    assert response.status_code in (302, 400, 413), response.status_code
    after = db.session.scalar(select(func.count()).select_from(Webinar))
    assert after == before + (1 if response.status_code == 302 else 0)
    for webinar in db.session.scalars(select(Webinar)):
        assert webinar.title.strip() and webinar.slug and webinar.hosts
