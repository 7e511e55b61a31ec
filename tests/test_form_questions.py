"""Organisers add their own questions to a webinar's registration form."""

from __future__ import annotations

import json

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import FormAnswer, FormQuestion, Registration
from tests.support import (
    create_user,
    create_webinar,
    csrf_token,
    csv_rows,
    login,
    post,
    registration_form,
)


def _add(client, webinar_id: int, **fields: str):  # type: ignore[no-untyped-def]
    return post(client, f"/organiser/webinars/{webinar_id}/form", **fields)


def test_own_questions_are_asked_validated_answered_exported_and_erased(client, ctx):
    webinar = create_webinar(slug="asks")
    webinar_id = webinar.id
    create_user("colin@clinic.example")
    create_user("ada@example.org", admin=True)
    login(client, "colin@clinic.example")
    refused = _add(client, webinar_id, kind="one_choice", label="How did you hear?", choices="Only")
    assert refused.status_code == 400
    assert "Give at least two choices" in refused.get_data(as_text=True)
    _add(
        client, webinar_id, kind="short_text", label="Which GP surgery are you with?", required="y"
    )
    _add(
        client,
        webinar_id,
        kind="many_choices",
        label="Which treatments have you tried?",
        choices="Physiotherapy\nPainkillers\nAcupuncture",
        about_health="y",
    )
    _add(client, webinar_id, kind="yes_no", label="Can we share your question by first name?")

    page = client.get("/webinars/asks").get_data(as_text=True)
    assert "Which GP surgery are you with?" in page
    assert "Which treatments have you tried? (optional)" in page
    assert "This includes your answers to “Which treatments have you tried?”" in page

    # Required means required: a clear message, and nothing is saved.
    token = csrf_token(page)
    missing = client.post("/webinars/asks", data={**registration_form(), "csrf_token": token})
    assert missing.status_code == 400
    assert "Enter an answer to: Which GP surgery are you with?" in missing.get_data(True)
    assert db.session.scalars(select(Registration)).first() is None
    # A choice that was never offered is refused too.
    q_tried = db.session.scalars(
        select(FormQuestion).where(FormQuestion.kind == "many_choices")
    ).one()
    q_gp, q_share = (
        db.session.scalars(select(FormQuestion).where(FormQuestion.kind == k)).one().id
        for k in ("short_text", "yes_no")
    )
    data = {
        **registration_form(),
        "csrf_token": token,
        f"q{q_gp}": "Riverside Surgery",
        f"q{q_tried.id}": ["Physiotherapy", "Acupuncture"],
        f"q{q_share}": "yes",
    }
    bad = client.post("/webinars/asks", data={**data, f"q{q_tried.id}": ["Cannabis oil"]})
    assert bad.status_code == 400 and db.session.scalars(select(Registration)).first() is None
    assert client.post("/webinars/asks", data=data).status_code == 303

    answers = {a.asked: a.answer for a in db.session.scalars(select(FormAnswer))}
    assert answers == {
        "Which GP surgery are you with?": "Riverside Surgery",
        "Which treatments have you tried?": "Physiotherapy\nAcupuncture",
        "Can we share your question by first name?": "Yes",
    }
    # Organisers see them in the list and the CSV.
    listing = client.get(f"/organiser/webinars/{webinar_id}/registrants").get_data(True)
    assert "Which GP surgery are you with?: Riverside Surgery" in listing
    rows = csv_rows(client.get(f"/organiser/webinars/{webinar_id}/registrants.csv"))
    assert rows[1][rows[0].index("Which GP surgery are you with?")] == "Riverside Surgery"

    # Rewording or removing a question keeps the answers given.
    post(
        client,
        f"/organiser/webinars/{webinar_id}/form/{q_gp}",
        kind="short_text",
        label="Your GP practice",
    )
    post(client, f"/organiser/webinars/{webinar_id}/form/{q_tried.id}/remove")
    assert "Which treatments have you tried?" not in client.get("/webinars/asks").get_data(True)
    assert db.session.scalar(select(FormAnswer.answer).where(FormAnswer.question_id == q_gp))
    rows = csv_rows(client.get(f"/organiser/webinars/{webinar_id}/registrants.csv"))
    assert "Which treatments have you tried?" in rows[0] and "Your GP practice" in rows[0]

    # Subject access shows them; erasure removes them.
    login(client, "ada@example.org")
    export = client.get("/organiser/subject-access.json", query_string={"email": "ann@example.com"})
    (held,) = json.loads(export.data)["registrations"]
    assert {"answer": "Riverside Surgery", "asked": "Which GP surgery are you with?"} in held[
        "answers"
    ]
    post(client, "/organiser/subject-access/erase", email="ann@example.com")
    assert db.session.scalars(select(FormAnswer)).first() is None
