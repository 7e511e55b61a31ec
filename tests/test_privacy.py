"""Deleting one's details, the retention sweep in the worker, and subject access; the last
test goes through every column marked personal in the models, naming none of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Boolean, Column, String, func, select, update

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import (
    Attendance,
    AttendanceImport,
    AuditEvent,
    Certificate,
    FeedbackResponse,
    FormAnswer,
    FormQuestion,
    MarketingConsent,
    OutboxMessage,
    Registration,
    TextReminderOptIn,
    Webinar,
)
from eventsapp.models.personal import ListOfPeople, PersonalColumn, personal_columns
from eventsapp.services import registration as registrations
from eventsapp.services import reports, tokens
from tests.support import (
    create_user,
    create_webinar,
    csrf_token,
    login,
    post,
    register_via,
    writing,
)

PERSONAL = ("Ann Example", "ann@example.com", "Can I drive", "Live captions")
NED = "ned@example.com"


def _stored_text() -> str:
    """Everything the database holds about registrants and their emails, as one string."""
    rows = db.session.execute(
        select(
            Registration.full_name,
            Registration.email,
            Registration.question,
            Registration.access_needs,
        )
    ).all()
    mail = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.context)).all()
    return repr(rows) + repr(mail)


def test_a_registrant_deletes_their_details_from_the_manage_page(app, client, ctx, smtp):
    webinar = create_webinar(capacity=1)
    register_via(
        client,
        webinar.slug,
        question="Can I drive on cannabis oil?",
        marketing=[str(webinar.hosts[0].id)],
    )
    register_via(
        client,
        webinar.slug,
        email="next@example.com",
        full_name="Ned Next",
        question="",
        access_needs="",
    )
    ann = db.session.scalars(
        select(Registration).where(Registration.email == "ann@example.com")
    ).one()
    ann_id = ann.id
    manage = f"/manage/{tokens.manage_token(ann)}"
    confirm = client.get(f"{manage}/delete")
    assert "Are you sure you want to delete your details?" in confirm.get_data(as_text=True)
    response = client.post(
        f"{manage}/delete", data={"csrf_token": csrf_token(confirm.get_data(as_text=True))}
    )
    assert "Your details have been deleted" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )

    stored = _stored_text()
    assert [v for v in PERSONAL if v in stored] == []
    ann_consents = (
        select(func.count())
        .select_from(MarketingConsent)
        .where(MarketingConsent.registration_id == ann_id)
    )
    assert db.session.scalar(ann_consents) == 0
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2  # counts stay
    assert client.get(manage).status_code == 404
    # Her place went to the next person; she is sent nothing more.
    assert (
        db.session.scalars(
            select(Registration.status).where(Registration.email == "next@example.com")
        ).one()
        == "confirmed"
    )
    with app.app_context():
        worker.run_once()
    assert smtp.to("ann@example.com") == []
    assert any(m.rcpt_tos == ["next@example.com"] for m in smtp.messages)


def test_the_worker_erases_details_after_the_retention_period(app, ctx, smtp):
    now = datetime.now(UTC)
    old = create_webinar(slug="old", starts_at=now - timedelta(days=400))
    recent = create_webinar(slug="recent", starts_at=now - timedelta(days=30))
    for webinar in (old, recent):
        reg = registrations.register(
            webinar,
            registrations.RegistrationInput(
                "Ann Example",
                "ann@example.com",
                question="Can I drive",
                access_needs="Live captions",
            ),
            webinar.starts_at - timedelta(days=5),
        ).registration
        db.session.add(Attendance(registration=reg, minutes=40, source="zoom", updated_at=now))
    db.session.commit()
    with app.app_context():
        report = worker.run_once()
    assert report.erased == 1
    rows = dict(
        db.session.execute(select(Webinar.slug, Registration.full_name).join(Webinar)).all()
    )
    assert rows == {"old": "(details deleted)", "recent": "Ann Example"}
    # The old webinar's figures survive: one confirmed, one attended for 40 minutes.
    old_reg = db.session.scalars(
        select(Registration).where(Registration.webinar_id == old.id)
    ).one()
    assert old_reg.status == "confirmed"
    assert (
        db.session.scalars(
            select(Attendance.minutes).where(Attendance.registration_id == old_reg.id)
        ).one()
        == 40
    )
    with app.app_context():
        assert worker.run_once().erased == 0  # idempotent


def test_admins_find_export_and_erase_everything_for_an_address(client, ctx):
    one = create_webinar(slug="one")
    two = create_webinar(slug="two", capacity=1)
    for webinar in (one, two):
        registrations.register(
            webinar,
            registrations.RegistrationInput(
                "Ann Example", "Ann@Example.com", question="Can I drive"
            ),
            datetime.now(UTC),
        )
    db.session.commit()
    create_user("ada@example.org", admin=True)
    login(client, "ada@example.org")
    page = client.get("/organiser/subject-access", query_string={"email": "ann@example.com"})
    assert page.get_data(as_text=True).count("Ann Example") == 2
    export = client.get("/organiser/subject-access.json", query_string={"email": "ann@example.com"})
    data = json.loads(export.data)
    assert len(data["registrations"]) == 2
    assert data["registrations"][0]["question"] == "Can I drive"
    assert data["registrations"][0]["consent"]["privacy_notice_version"]
    post(client, "/organiser/subject-access/erase", email="ann@example.com")
    assert "Ann Example" not in _stored_text()
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"subject.searched", "subject.exported", "subject.erased"} <= set(actions)
    assert all("ann@" not in repr(d) for d in db.session.scalars(select(AuditEvent.details)))


# --- every column marked personal in the models, without naming any ---------------------


def _recognisable(column: Column[Any]) -> object:
    """A value of the column's type that nothing else holds, to look for afterwards."""
    if isinstance(column.type, Boolean):
        return True
    if isinstance(column.type, String):  # shaped as an address, so it can serve as one
        return f"ann.{column.key}@{column.table.name}.example"[: column.type.length]
    raise AssertionError(f"{column} is personal: give this test a recognisable value for it")


def _ann_in_every_personal_table(webinar: Webinar) -> dict[Column[Any], tuple[int, Any]]:
    """Ann, with a row about her in every table that has personal columns, each of those
    columns holding a recognisable value (and Ned beside her in lists shared by a webinar).
    Returns, per personal column, the id of Ann's row and what it holds."""
    now = webinar.starts_at - timedelta(days=5)  # registered before it started
    ann = registrations.register(
        webinar,
        registrations.RegistrationInput(
            "Ann Example",
            "ann@example.com",
            marketing_organisation_ids=frozenset({webinar.hosts[0].id}),
            text_reminder_phone="+447400123456",
            communication_needs=frozenset({"live_captions"}),
            carer_name="Carol Carer",
        ),
        now,
    ).registration
    registrations.register(webinar, registrations.RegistrationInput("Ned Next", NED), now)
    report = AttendanceImport(
        webinar_id=webinar.id, sha256="0" * 64, source="zoom", imported_at=now
    )
    db.session.add_all(
        [
            report,
            FeedbackResponse(
                registration=ann,
                overall=5,
                usefulness=4,
                would_recommend=True,
                submitted_at=now,
                updated_at=now,
            ),
            Certificate(registration=ann, number="BPW-TEST-0000-0000", issued_at=now),
        ]
    )
    question = FormQuestion(webinar_id=webinar.id, kind="short_text", label="Your GP surgery")
    db.session.add(question)
    db.session.flush()
    db.session.add(FormAnswer(registration=ann, question_id=question.id, asked="GP", answer="x"))
    db.session.flush()
    row_about_ann = {
        Registration.__table__: ann.id,
        AttendanceImport.__table__: report.id,
        **{
            model.__table__: db.session.scalars(
                select(model.id).where(model.registration_id == ann.id).order_by(model.id)
            ).first()
            for model in (
                MarketingConsent,
                FeedbackResponse,
                Certificate,
                OutboxMessage,
                FormAnswer,
                TextReminderOptIn,
            )
        },
    }
    marked = [m for columns in personal_columns().values() for m in columns]
    missing = {m.column.table.name for m in marked} - {t.name for t in row_about_ann}
    assert missing == set(), "these tables hold personal data: add a row about Ann here"
    values = {m.column: _recognisable(m.column) for m in marked if not _shared(m)}
    address = values[Registration.__table__.c.email_normalised]
    for m in marked:
        if _shared(m):
            values[m.column] = [
                {"key": "ann", "name": f"Ann of {m.column}", m.erased.address: address},
                {"key": "ned", "name": "Ned Next", m.erased.address: NED},
            ]
    for column, value in values.items():
        table = column.table
        db.session.execute(
            update(table).where(table.c.id == row_about_ann[table]).values({column: value})
        )
    db.session.commit()
    return {column: (row_about_ann[column.table], value) for column, value in values.items()}


def _shared(m: PersonalColumn) -> bool:
    """A list shared by a webinar's people (a report's unmatched rows), one entry each."""
    return isinstance(m.erased, ListOfPeople)


def _pairs(data: object) -> list[tuple[str, object]]:
    """Every (key, value) anywhere in a JSON document."""
    if isinstance(data, dict):
        return [pair for k, v in data.items() for pair in [(k, v), *_pairs(v)]]
    if isinstance(data, list):
        return [pair for v in data for pair in _pairs(v)]
    return []


def _ann_only(value: object) -> object:
    """What Ann is shown of a value: of a shared list, only her entries."""
    return [e for e in value if e["key"] == "ann"] if isinstance(value, list) else value


@pytest.mark.parametrize("erasure", ["manage page", "admin", "retention"])
def test_every_personal_column_is_exported_then_erased(any_ctx, smtp, erasure):
    """Whatever is marked personal in the models: the subject-access download shows it, and
    it is gone after Ann deletes her details, an admin erases her address, or the retention
    period ends. Ned's entry in the webinar's report stays."""
    client = any_ctx.test_client()
    webinar_id = create_webinar(starts_at=datetime.now(UTC) - timedelta(days=400)).id
    with writing():
        held = _ann_in_every_personal_table(db.session.get(Webinar, webinar_id))
    ann_id, address = held[Registration.__table__.c.email_normalised]
    manage = f"/manage/{tokens.manage_token(db.session.get(Registration, ann_id))}"
    db.session.rollback()  # the pages write next: hold no transaction open
    create_user("ada@example.org", admin=True)
    login(client, "ada@example.org")

    download = client.get("/organiser/subject-access.json", query_string={"email": address})
    shown = _pairs(json.loads(download.data))
    named = {m.column: m.exported_as for columns in personal_columns().values() for m in columns}
    not_shown = [str(c) for c, (_, v) in held.items() if (named[c], _ann_only(v)) not in shown]
    assert not_shown == []
    assert [s for s in ("Ned Next", NED) if s in download.get_data(as_text=True)] == []

    if erasure == "manage page":
        confirm = client.get(f"{manage}/delete").get_data(as_text=True)
        client.post(f"{manage}/delete", data={"csrf_token": csrf_token(confirm)})
    elif erasure == "admin":
        post(client, "/organiser/subject-access/erase", email=address)
    else:
        with any_ctx.app_context():
            assert worker.run_once().erased == 2  # Ann and Ned
    now_held = {
        column: db.session.scalar(select(column).where(column.table.c.id == row_id))
        for column, (row_id, _) in held.items()
    }
    assert [str(c) for c, (_, value) in held.items() if now_held[c] == value] == []
    if erasure != "retention":  # which erases Ned too
        for column, (_, value) in held.items():
            if isinstance(value, list):
                assert now_held[column] == [e for e in value if e["key"] == "ned"]


def test_erasing_someone_who_attended_keeps_the_past_figures_and_the_export_is_complete(
    client, ctx
):
    """The export holds their attendance and what organisers did about them; after erasure
    the webinar's figures are what they were."""
    now = datetime.now(UTC)
    webinar = create_webinar(slug="past", starts_at=now - timedelta(days=2), capacity=5)
    webinar_id = webinar.id
    people = []
    for name, email, audience in (
        ("Ann Example", "ann@example.com", "carer"),
        ("Bob Brief", "bob@example.com", "living_with_pain"),
        ("Cat Quiet", "cat@example.com", "living_with_pain"),
    ):
        people.append(
            registrations.register(
                webinar,
                registrations.RegistrationInput(name, email, audience=audience),
                now - timedelta(days=9),
            ).registration
        )
    db.session.add(Attendance(registration=people[0], minutes=40, source="zoom", updated_at=now))
    db.session.commit()
    create_user("ada@example.org", admin=True)
    login(client, "ada@example.org")
    post(client, f"/organiser/webinars/{webinar_id}/attendance/{people[1].id}/checkin")

    before = reports.figures(db.session.get(Webinar, webinar_id))
    data = json.loads(
        client.get("/organiser/subject-access.json", query_string={"email": "bob@example.com"}).data
    )
    (bob,) = data["registrations"]
    assert bob["attendance"] == [
        {"source": "manual", "minutes": 60, "updated_at": bob["attendance"][0]["updated_at"]}
    ]
    assert [e["action"] for e in bob["audit"]] == ["attendance.checked_in"]

    post(client, "/organiser/subject-access/erase", email="ann@example.com")
    post(client, "/organiser/subject-access/erase", email="bob@example.com")
    db.session.expire_all()
    after = reports.figures(db.session.get(Webinar, webinar_id))
    for figure in (
        "registered",
        "confirmed",
        "cancelled",
        "joined",
        "attended",
        "median_minutes",
        "attended_by_audience",
    ):
        assert getattr(after, figure) == getattr(before, figure), figure
    assert ("Living with back or neck pain", 1, 2) in after.attended_by_audience
    assert after.attended == 2
    assert "Ann Example" not in _stored_text() and "Bob Brief" not in _stored_text()
