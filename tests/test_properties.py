"""Property-based tests: generated input to the forms never gives a 500 or a half-saved row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, func, select

from eventsapp.extensions import db
from eventsapp.models import (
    FeedbackResponse,
    Organisation,
    OutboxMessage,
    PanelMember,
    Registration,
    Speaker,
    User,
    Webinar,
)
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from tests.support import (
    create_user,
    create_webinar,
    csrf_token,
    form_token,
    login,
    register_via,
)
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
    max_examples=60,
    deadline=None,
    # `app`, `ctx` and `start` are set up once per test, not per example: safe here, as every
    # example begins with start(...), which puts the database back to the test's start.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

Setup = Callable[[], Any]
Start = Callable[[Setup], tuple[FlaskClient, Any]]


@pytest.fixture
def start(app: Flask, ctx: Flask) -> Start:
    """start(setup) -> (a new browser, what setup returned): every example's first step.

    It empties every table and makes the test's starting state with `setup`, so no example
    sees what an earlier one saved, and a failing example fails again on its own (Hypothesis's
    shrinking and replay rely on it). `setup` runs once per test: later examples get the very
    rows it made put back, ids included, which spares hashing the accounts' passwords for
    every example. `setup` returns ids or tokens, not rows (the session is cleared).
    """
    made: dict[Setup, tuple[dict[Table, list[dict[str, Any]]], Any]] = {}

    def begin(setup: Setup) -> tuple[FlaskClient, Any]:
        tables = db.metadata.sorted_tables
        for table in reversed(tables):
            db.session.execute(table.delete())
        if setup in made:
            rows, result = made[setup]
            for table in tables:
                if rows[table]:
                    db.session.execute(table.insert(), rows[table])
        else:
            result = setup()
            rows = {t: [dict(r) for r in db.session.execute(select(t)).mappings()] for t in tables}
            made[setup] = rows, result
        db.session.commit()
        db.session.expunge_all()
        return app.test_client(), result

    return begin


def _organiser() -> None:
    create_webinar(slug="existing")
    create_user("colin@clinic.example")


def _admin() -> None:
    create_webinar(slug="existing")
    create_user("ada@charity.example", admin=True)


def _signed_in(start: Start, setup: Setup, email: str) -> FlaskClient:
    client, _ = start(setup)
    assert login(client, email).status_code == 302
    return client


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
@given(
    seat_taken=st.booleans(),
    name=nasty,
    email=nasty,
    question=nasty,
    needs=nasty,
    audience=nasty,
    consent=nasty,
)
def test_registration_form_never_fails_or_half_saves(
    start, seat_taken, name, email, question, needs, audience, consent
):
    """A webinar with one place, free or already Ann's (ann@example.com): the generated
    person may then join the waiting list, or be Ann again."""
    client, webinar_id = start(_webinar_with_one_place)
    if seat_taken:
        assert register_via(client, "prop").status_code == 303
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
    expected = _unless_nul((303, 400, 409, 413), name, email, question, needs, audience, consent)
    assert response.status_code in expected, response.status_code
    assert "Traceback" not in response.get_data(as_text=True)
    _consistent(webinar_id)


def _webinar_with_one_place() -> int:
    return create_webinar(slug="prop", capacity=1).id


@SETTINGS
@given(
    title=nasty,
    slug=st.one_of(nasty, st.just("existing")),  # or the slug of the webinar already there
    summary=nasty,
    date=nasty,
    time=nasty,
    duration=nasty,
    capacity=nasty,
    join_url=nasty,
)
def test_webinar_form_never_fails_or_half_saves(
    start, title, slug, summary, date, time, duration, capacity, join_url
):
    client = _signed_in(start, _organiser, "colin@clinic.example")
    clinic = db.session.scalars(select(Organisation).where(Organisation.slug == "clinic")).one()
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
            "hosts": [str(clinic.id)],
            "join_url": join_url,
        },
        Webinar,
    )
    for webinar in db.session.scalars(select(Webinar)):
        assert webinar.title.strip() and webinar.slug and webinar.hosts


def _unless_nul(statuses: tuple[int, ...], *values: object) -> tuple[int, ...]:
    """The statuses a form may answer, or only 404 if a value holds a NUL: odd input is
    refused before anything reads the form (eventsapp/odd_input.py)."""
    return (404,) if any("\x00" in str(v) for v in values) else statuses


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _saves_whole_or_nothing(client, url: str, data: dict[str, object], model: type) -> None:  # type: ignore[no-untyped-def]
    """Post the form: it is refused with a message (or as too large), or saved as one row."""
    before = _count(model)
    response = client.post(url, data={"csrf_token": form_token(client), **data})
    assert response.status_code in _unless_nul((302, 400, 413), *data.values()), (
        response.status_code
    )
    assert _count(model) == before + (1 if response.status_code == 302 else 0)


@SETTINGS
@given(name=nasty, title=nasty, organisation=nasty, bio=nasty)
def test_speaker_form_never_fails_or_half_saves(start, name, title, organisation, bio):
    client = _signed_in(start, _organiser, "colin@clinic.example")
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
def test_panel_form_never_fails_or_half_saves(start, speaker, role):
    client = _signed_in(start, _organiser, "colin@clinic.example")
    webinar = db.session.scalars(select(Webinar)).first()
    _saves_whole_or_nothing(
        client,
        f"/organiser/webinars/{webinar.id}/panel",
        {"speaker": speaker, "role": role},
        PanelMember,
    )


@SETTINGS
@given(
    name=nasty,
    email=st.one_of(nasty, st.just("ADA@charity.example ")),  # or the account already there
    role=nasty,
    organisation=nasty,
    password=nasty,
)
def test_account_form_never_fails_or_half_saves(start, name, email, role, organisation, password):
    client = _signed_in(start, _admin, "ada@charity.example")
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
def test_sign_in_and_reset_forms_never_fail(start, email, password):
    client, _ = start(_organiser)
    token = form_token(client)
    login_response = client.post(
        "/organiser/login", data={"csrf_token": token, "email": email, "password": password}
    )
    expected = _unless_nul((200, 302, 400, 413), email, password)
    assert login_response.status_code in expected, login_response.status_code
    reset = client.post("/organiser/forgot-password", data={"csrf_token": token, "email": email})
    assert reset.status_code in _unless_nul((200, 302, 303, 400, 413), email), reset.status_code


@SETTINGS
@given(answered=st.booleans(), overall=nasty, usefulness=nasty, recommend=nasty, comments=nasty)
def test_feedback_form_never_fails_or_half_saves(
    start, answered, overall, usefulness, recommend, comments
):
    """Ann's survey, new or already answered (the generated answer then changes hers)."""
    client, url = start(_registered_for_yesterdays_webinar)
    if answered:
        first = {"overall": "4", "usefulness": "3", "would_recommend": "yes", "comments": "Good"}
        token = csrf_token(client.get(url).get_data(as_text=True))
        assert client.post(url, data={"csrf_token": token, **first}).status_code == 200
        assert _count(FeedbackResponse) == 1
    page = client.get(url).get_data(as_text=True)
    # The survey is open, for a first answer or to change the one given.
    assert ("Update my feedback" if answered else "Send feedback") in page
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
    expected = _unless_nul((200, 400, 413), overall, usefulness, recommend, comments)
    assert response.status_code in expected, response.status_code
    saved = db.session.scalars(select(FeedbackResponse)).all()
    assert len(saved) <= 1
    for answer in saved:
        assert 1 <= answer.overall <= 5 and 1 <= answer.usefulness <= 5


def _registered_for_yesterdays_webinar() -> str:
    """Ann's feedback link."""
    registration = registrations.register(
        create_webinar(slug="earlier"),
        registrations.RegistrationInput("Ann Example", "ann@example.com"),
        datetime.now(UTC),
    ).registration
    registration.webinar.starts_at = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    return f"/feedback/{registration.id}/{tokens.feedback_token(registration)}"


# Every field name any of our forms reads, and the hidden ones the organiser pages post.
FIELD_NAMES = (
    "access_needs audience bio capacity closes_date closes_time comments confirm consent "
    "current description duration_minutes email full_name join_url message name organisation "
    "overall password professional_title question recording_url remove_photo role slug "
    "speaker start_date start_time summary title usefulness waitlist_enabled website "
    "would_recommend hosts reminders marketing key registration_id status report"
).split()


@settings(SETTINGS, max_examples=150)
@given(data=st.data())
def test_every_post_route_answers_generated_forms_without_a_500(app, start, data):
    """Any route, any mix of fields and values, as an admin who may use them all."""
    client, ids = start(_everything_and_an_admin)
    assert login(client, "ada@charity.example").status_code == 302
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


def _everything_and_an_admin() -> dict[str, int]:
    ids = one_of_everything()
    create_user("ada@charity.example", admin=True)
    return ids
