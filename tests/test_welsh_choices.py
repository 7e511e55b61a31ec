"""Welsh registrants' own choices (docs/welsh.md), as the people involved meet them: feedback
given in Welsh reads the same to organisers; the manage page's "Which language should we write to you in?" switches
the language of the next reminder, email and text both ways; an organiser's question with a
Welsh version is Welsh on /cy, English on /, and its answer reads the same either way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import AuditEvent, FeedbackResponse, FormAnswer, FormQuestion
from eventsapp.services import tokens
from eventsapp.texts import render as texts
from tests.support import (
    create_user,
    create_webinar,
    csrf_token,
    csv_rows,
    login,
    post,
    register_via,
    registration_by_email,
)
from tests.test_mail import run_worker

START = datetime(2030, 6, 4, 17, 30, tzinfo=UTC)  # Tuesday, 6:30pm BST
BASE = "https://webinars.example.org"  # PUBLIC_BASE_URL in tests/conftest.py


def _checked(html: str, value: str) -> bool:
    return bool(
        re.search(rf'<input checked [^>]*value="{value}"|value="{value}"[^>]*checked', html)
    )


# --- feedback ---------------------------------------------------------------------------


ANSWERS = {"overall": "5", "usefulness": "4", "would_recommend": "yes", "comments": "Clir iawn"}


def test_a_welsh_registrant_gives_feedback_in_welsh_and_organisers_read_it_the_same(client, ctx):
    webinar = create_webinar(slug="earlier", capacity=5, title_cy="Meddyginiaethau canabis")
    register_via(
        client, "earlier", welsh=True, email="catrin@example.com", full_name="Catrin Jones"
    )
    register_via(client, "earlier", email="ann@example.com", full_name="Ann Example")
    webinar.starts_at = datetime.now(UTC) - timedelta(days=2)
    db.session.commit()
    catrin, ann = (
        registration_by_email("catrin@example.com"),
        registration_by_email("ann@example.com"),
    )
    url = f"/cy/feedback/{catrin.id}/{tokens.feedback_token(catrin)}"

    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="cy">' in html
    assert 'lang="en"' not in html.replace('hreflang="en-GB" lang="en"', "")  # nothing English
    assert '<p class="lead">Meddyginiaethau canabis, dydd' in html  # the organisers' Welsh
    for words in (
        "At ei gilydd, sut oedd y weminar?",
        "5 – da iawn",
        "Pa mor ddefnyddiol oedd hi ar gyfer rheoli eich poen?",
        "4 – defnyddiol",
        "Fyddech chi'n argymell y gweminarau hyn i rywun arall?",
        "Unrhyw beth arall yr hoffech ei ddweud wrthym? (dewisol)",
        "Peidiwch â chynnwys manylion sy'n dangos pwy ydych chi",
    ):
        assert words in html, words
    assert "Overall, how was the webinar?" not in html and "very good" not in html

    # Nothing chosen: Welsh messages, the summary's heading, the hidden "Gwall:"; nothing saved.
    token = csrf_token(html)
    refused = client.post(url, data={"csrf_token": token, "comments": "Clir iawn"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "<title>Gwall: Eich adborth" in html
    assert (
        '<h2 class="govuk-error-summary__title" id="error-summary-title">Mae problem</h2>' in html
    )
    assert '<span class="visually-hidden">Gwall:</span> Dewiswch sut oedd y weminar' in html
    assert "Dewiswch pa mor ddefnyddiol oedd hi, o 1 i 5" in html
    assert "Dewiswch ie neu na" in html
    assert db.session.scalars(select(FeedbackResponse)).all() == []

    thanks = client.post(url, data={"csrf_token": token, **ANSWERS}).get_data(as_text=True)
    assert '<html lang="cy">' in thanks and "Diolch am eich adborth" in thanks
    again = client.get(url).get_data(as_text=True)
    assert _checked(again, "5") and _checked(again, "yes")

    # Ann answers the same on the English form: the organisers cannot tell them apart.
    english = f"/feedback/{ann.id}/{tokens.feedback_token(ann)}"
    client.post(english, data={"csrf_token": token, **ANSWERS})
    stored = [
        (r.overall, r.usefulness, r.would_recommend, r.comments)
        for r in db.session.scalars(select(FeedbackResponse).order_by(FeedbackResponse.id))
    ]
    assert stored == [(5, 4, True, "Clir iawn")] * 2
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    summary = client.get(f"/organiser/webinars/{webinar.id}/feedback").get_data(as_text=True)
    assert "<dt>Responses</dt><dd>2</dd>" in summary
    assert "<dd>5.0</dd>" in summary and "<dd>4.0</dd>" in summary and "<dd>100%</dd>" in summary


# --- the language of their emails and texts ---------------------------------------------


def _choose(client: Any, manage: str, **data: Any) -> Any:
    page = client.get(manage).get_data(as_text=True)
    return client.post(f"{manage}/language", data={"csrf_token": csrf_token(page), **data})


def test_a_welsh_registrant_switches_to_english_and_the_next_reminder_is_english(any_ctx, smtp):
    app, client = any_ctx, any_ctx.test_client()
    webinar = create_webinar(slug="panel", starts_at=START, reminder_offsets=[1440])
    db.session.commit()
    register_via(client, "panel", welsh=True, email="catrin@example.com", full_name="Catrin Jones")
    assert run_worker(app).sent == 1
    (confirmation,) = smtp.to("catrin@example.com")
    assert confirmation.message["Subject"].strip() == f"Mae gennych le: {webinar.title}"
    catrin = registration_by_email("catrin@example.com")
    manage = f"/cy/manage/{tokens.manage_token(catrin)}"
    before = catrin.updated_at

    html = client.get(manage).get_data(as_text=True)
    assert "<h2>Negeseuon e-bost a thestun</h2>" in html
    assert "Ym mha iaith ddylen ni ysgrifennu atoch?" in html and "Newid iaith" in html
    assert '<span lang="en">English</span>' in html and '<span lang="cy">Cymraeg</span>' in html
    assert _checked(html, "cy") and not _checked(html, "en")
    assert "<dd>Yn byw gyda phoen cefn neu wddf</dd>" in html  # "I am", in Welsh

    # Odd or bad input changes nothing: a language not offered, none, no CSRF token.
    assert _choose(client, manage, language="fr").status_code == 404
    missing = _choose(client, manage)
    assert missing.status_code == 400
    assert "Dewiswch Saesneg neu Gymraeg" in missing.get_data(as_text=True)
    # That page's link to itself in English leads to the manage page, not a dead end.
    english_link = re.search(r'href="([^"]+)" hreflang="en-GB"', missing.get_data(as_text=True))
    followed = client.get(english_link.group(1))
    assert followed.status_code == 302 and followed.headers["Location"].endswith(
        manage.removeprefix("/cy")
    )
    forged = client.post(f"{manage}/language", data={"language": "en"})
    assert forged.status_code == 400
    db.session.expire_all()
    assert registration_by_email("catrin@example.com").language == "cy"

    done = _choose(client, manage, language="en")
    assert done.status_code == 303 and done.headers["Location"] == manage
    html = client.get(manage).get_data(as_text=True)
    assert '<html lang="cy">' in html  # the page stays in the language it was opened in
    assert "Byddwn yn ysgrifennu atoch yn Saesneg o hyn ymlaen." in html
    assert _checked(html, "en") and not _checked(html, "cy")
    db.session.expire_all()
    catrin = registration_by_email("catrin@example.com")
    assert catrin.language == "en" and catrin.updated_at > before
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "registration.language_changed")
    )
    assert event.details == {"registration": catrin.id, "language": "en", "by": "registrant"}

    # The reminder a day before, and the text an hour before: English, with English links.
    smtp.clear()
    assert run_worker(app, START - timedelta(days=1) + timedelta(minutes=1)).sent == 1
    (reminder,) = smtp.to("catrin@example.com")
    assert reminder.message["Subject"].strip() == f"Reminder: {webinar.title} tomorrow, 6:30pm BST"
    text = reminder.message.get_body(("plain",)).get_content()
    assert text.startswith("Dear Catrin Jones,") and "/cy/" not in text
    sms = texts.reminder(catrin, catrin.webinar, START - timedelta(hours=1))
    assert sms.startswith(f"Reminder: {texts.short_title(webinar.title)} starts today at 6:30pm.")
    assert f"{BASE}/join/" in sms


def test_an_english_registrant_switches_to_cymraeg_and_the_next_reminder_is_welsh(
    app, client, ctx, smtp
):
    webinar = create_webinar(slug="panel", starts_at=START, reminder_offsets=[1440])
    db.session.commit()
    register_via(client, "panel", email="ann@example.com", full_name="Ann Example")
    run_worker(app)
    ann = registration_by_email("ann@example.com")
    manage = f"/manage/{tokens.manage_token(ann)}"
    html = client.get(manage).get_data(as_text=True)
    assert (
        "<h2>Emails and texts</h2>" in html and "Which language should we write to you in?" in html
    )
    assert _checked(html, "en") and "<dd>Living with back or neck pain</dd>" in html

    assert _choose(client, manage, language="cy").headers["Location"] == manage
    html = client.get(manage).get_data(as_text=True)
    assert '<html lang="en-GB">' in html
    assert "We will write to you in Welsh from now on." in html and _checked(html, "cy")

    smtp.clear()
    run_worker(app, START - timedelta(days=1) + timedelta(minutes=1))
    (reminder,) = smtp.to("ann@example.com")
    assert reminder.message["Subject"].strip() == (
        f"Nodyn atgoffa: {webinar.title} yfory, 6:30pm BST"
    )
    text = reminder.message.get_body(("plain",)).get_content()
    assert text.startswith("Annwyl Ann Example,") and f"{BASE}/cy/manage/" in text
    ann = registration_by_email("ann@example.com")
    sms = texts.reminder(ann, ann.webinar, START - timedelta(hours=1))
    assert sms.startswith("Nodyn atgoffa:") and f"{BASE}/cy/join/" in sms


def test_no_language_to_choose_once_cancelled(client, ctx):
    create_webinar(slug="panel")
    register_via(client, "panel", email="ann@example.com")
    ann = registration_by_email("ann@example.com")
    manage = f"/manage/{tokens.manage_token(ann)}"
    page = client.get(f"{manage}/cancel").get_data(as_text=True)
    client.post(f"{manage}/cancel", data={"csrf_token": csrf_token(page)})
    html = client.get(manage).get_data(as_text=True)
    assert "You cancelled your place" in html and "Which language should we write" not in html
    token = csrf_token(client.get("/webinars/panel").get_data(as_text=True))
    refused = client.post(f"{manage}/language", data={"csrf_token": token, "language": "cy"})
    assert refused.status_code == 404
    db.session.expire_all()
    assert registration_by_email("ann@example.com").language == "en"


# --- organisers' own questions ------------------------------------------------------------


def test_an_organisers_question_in_welsh_on_cy_and_its_answer_reads_the_same(client, ctx):
    webinar = create_webinar(slug="asks")
    webinar_id = webinar.id
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    form = client.get(f"/organiser/webinars/{webinar_id}/form").get_data(as_text=True)
    assert "Question in Welsh (optional)" in form and "Choices in Welsh (optional)" in form
    assert re.search(
        r'<input [^>]*id="label_cy" lang="cy"|<input [^>]*lang="cy"[^>]*id="label_cy"', form
    )
    uneven = post(
        client,
        f"/organiser/webinars/{webinar_id}/form",
        kind="one_choice",
        label="How did you hear about us?",
        choices="From my GP\nOnline",
        choices_cy="Gan fy meddyg teulu",
    )
    assert uneven.status_code == 400
    assert "Give one Welsh choice for each of the 2 choices" in uneven.get_data(as_text=True)
    post(
        client,
        f"/organiser/webinars/{webinar_id}/form",
        kind="one_choice",
        label="How did you hear about us?",
        label_cy="Sut glywsoch chi amdanom ni?",
        hint="Choose the nearest",
        hint_cy="Dewiswch yr agosaf",
        choices="From my GP\nOnline",
        choices_cy="Gan fy meddyg teulu\nAr-lein",
        about_health="y",
    )
    post(
        client,
        f"/organiser/webinars/{webinar_id}/form",
        kind="short_text",
        label="Which GP surgery are you with?",
        required="y",
    )
    heard, surgery = db.session.scalars(select(FormQuestion).order_by(FormQuestion.id)).all()
    assert heard.label_cy == "Sut glywsoch chi amdanom ni?"
    assert heard.choices_cy == ["Gan fy meddyg teulu", "Ar-lein"]
    listing = client.get(f"/organiser/webinars/{webinar_id}/form").get_data(as_text=True)
    assert '<span class="hint" lang="cy">Sut glywsoch chi amdanom ni?</span>' in listing
    edit = client.get(f"/organiser/webinars/{webinar_id}/form/{heard.id}").get_data(as_text=True)
    assert "Gan fy meddyg teulu\nAr-lein</textarea>" in edit

    welsh = client.get("/cy/webinars/asks").get_data(as_text=True)
    assert "Sut glywsoch chi amdanom ni? (dewisol)</legend>" in welsh
    assert 'id="q' in welsh and "Dewiswch yr agosaf</p>" in welsh
    assert 'value="From my GP"' in welsh  # what is recorded is the English
    assert ">Gan fy meddyg teulu</label>" in welsh and ">Ar-lein</label>" in welsh
    assert "How did you hear" not in welsh and "From my GP</label>" not in welsh
    assert "Mae hyn yn cynnwys eich atebion i “Sut glywsoch chi amdanom ni?”" in welsh
    # No Welsh for the second question: the English, marked so for screen readers.
    assert '<span lang="en">Which GP surgery are you with?</span></label>' in welsh

    english = client.get("/webinars/asks").get_data(as_text=True)
    assert "How did you hear about us? (optional)</legend>" in english
    assert ">From my GP</label>" in english and "Choose the nearest</p>" in english
    assert "Sut glywsoch" not in english and "Gan fy meddyg" not in english
    assert 'lang="en"' not in english.replace('<html lang="en-GB">', "")

    # A required English question left empty on /cy: the message is Welsh.
    refused = register_via(client, "asks", welsh=True, email="catrin@example.com")
    assert refused.status_code == 400
    assert "Rhowch ateb i: Which GP surgery are you with?" in refused.get_data(as_text=True)

    # Answered on /cy and on /: the same record, in English, for the organisers.
    register_via(
        client,
        "asks",
        welsh=True,
        email="catrin@example.com",
        **{f"q{heard.id}": "From my GP", f"q{surgery.id}": "Riverside Surgery"},
    )
    register_via(
        client,
        "asks",
        email="ann@example.com",
        **{f"q{heard.id}": "From my GP", f"q{surgery.id}": "Riverside Surgery"},
    )
    by_person = {}
    for answer in db.session.scalars(select(FormAnswer)):
        by_person.setdefault(answer.registration.email, set()).add((answer.asked, answer.answer))
    assert (
        by_person["catrin@example.com"]
        == by_person["ann@example.com"]
        == {
            ("How did you hear about us?", "From my GP"),
            ("Which GP surgery are you with?", "Riverside Surgery"),
        }
    )
    rows = csv_rows(client.get(f"/organiser/webinars/{webinar_id}/registrants.csv"))
    column = rows[0].index("How did you hear about us?")
    assert [row[column] for row in rows[1:]] == ["From my GP", "From my GP"]


def test_organisers_change_or_drop_a_questions_welsh(client, ctx):
    webinar = create_webinar(slug="asks")
    webinar_id = webinar.id
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    asked = {
        "kind": "one_choice",
        "label": "How did you hear about us?",
        "label_cy": "Sut glywsoch chi amdanom ni?",
        "choices": "From my GP\nOnline",
        "choices_cy": "Gan fy meddyg teulu\nAr-lein",
    }
    post(client, f"/organiser/webinars/{webinar_id}/form", **asked)
    question = db.session.scalars(select(FormQuestion)).one()

    def save(**changes: str) -> Any:
        return post(
            client, f"/organiser/webinars/{webinar_id}/form/{question.id}", **(asked | changes)
        )

    def refused(reason: str, **changes: str) -> None:
        response = save(**changes)
        assert response.status_code == 400 and reason in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(FormQuestion, question.id).choices == ["From my GP", "Online"]

    # A third English choice without its Welsh: refused, with the reason; nothing changes.
    refused(
        "Give one Welsh choice for each of the 3 choices", choices="From my GP\nOnline\nA friend"
    )
    # The English choices swapped round, the Welsh left as they were: a Welsh "Ar-lein"
    # would be recorded as "From my GP". Refused, with the reason; nothing changes.
    refused("You changed the English choices", choices="Online\nFrom my GP")

    # The Welsh taken away (the boxes emptied, as a browser sends them): /cy shows the
    # English, marked as English.
    save(
        label_cy="",
        hint="",
        hint_cy="",
        choices="From my GP\nOnline\nA friend",
        choices_cy="",
        about_health="y",
    )
    db.session.expire_all()
    saved = db.session.get(FormQuestion, question.id)
    assert (saved.label_cy, saved.choices_cy) == ("", [])
    welsh = client.get("/cy/webinars/asks").get_data(as_text=True)
    assert '<span lang="en">How did you hear about us?</span> (dewisol)</legend>' in welsh
    assert '><span lang="en">A friend</span></label>' in welsh
    # The consent sentence names it in English too, marked as English (WCAG 3.1.2).
    assert (
        'Mae hyn yn cynnwys eich atebion i “<span lang="en">How did you hear about us?</span>”.'
    ) in welsh
