"""Organisers create, publish, change and cancel webinars; registrants' calendars follow."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from icalendar import Calendar
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import AuditEvent, OutboxMessage, Registration, Webinar
from tests.support import create_user, create_webinar, login, post, register_via
from tests.test_mail import calendar_parts, libical_itip_check


def webinar_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Sleep and chronic pain",
        "slug": "",
        "summary": "How pain and sleep affect each other.",
        "description": "## What we cover\n\n- sleep hygiene\n- pacing",
        "start_date": "2027-03-28",
        "start_time": "18:00",
        "duration_minutes": "60",
        "capacity": "100",
        "waitlist_enabled": "y",
        "hosts": ["1"],
        "join_url": "https://zoom.example.com/j/111",
        "recording_url": "",
        "reminders": ["1440", "60"],
    }
    data.update(overrides)
    return data


def _signed_in_clinic(client) -> None:  # type: ignore[no-untyped-def]
    create_webinar(slug="existing")  # makes the clinic (id 1) and the charity (id 2)
    create_user("colin@clinic.example", org="clinic", reviewer=True)
    login(client, "colin@clinic.example")


def test_create_a_draft_then_publish_it(client, ctx):
    _signed_in_clinic(client)
    response = post(client, "/organiser/webinars/new", **webinar_form())
    assert response.status_code == 302
    webinar = db.session.scalars(
        select(Webinar).where(Webinar.slug == "sleep-and-chronic-pain")
    ).one()
    assert webinar.status == "draft"
    assert webinar.starts_at == datetime(2027, 3, 28, 17, 0, tzinfo=UTC)  # 18:00 BST
    assert webinar.reminder_offsets == [1440, 60]
    assert [h.slug for h in webinar.hosts] == ["clinic"]
    assert client.get("/webinars/sleep-and-chronic-pain").status_code == 404  # a draft

    preview = client.get(f"/organiser/webinars/{webinar.id}/preview").get_data(as_text=True)
    assert "Sleep and chronic pain" in preview and "<li>sleep hygiene</li>" in preview
    assert "6:00pm to 7:00pm BST" in preview

    post(client, f"/organiser/webinars/{webinar.id}/approve")
    post(client, f"/organiser/webinars/{webinar.id}/publish")
    public = client.get("/webinars/sleep-and-chronic-pain")
    assert public.status_code == 200 and "Register for this webinar" in public.get_data(
        as_text=True
    )
    assert "zoom.example.com" not in public.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["webinar.created", "webinar.approved", "webinar.published"]


def test_times_that_do_not_exist_or_happen_twice_are_form_errors(client, ctx):
    _signed_in_clinic(client)
    gap = post(
        client,
        "/organiser/webinars/new",
        **webinar_form(start_date="2027-03-28", start_time="01:30"),
    )
    assert gap.status_code == 400 and "does not exist in the UK" in gap.get_data(as_text=True)
    fold = post(
        client,
        "/organiser/webinars/new",
        **webinar_form(start_date="2027-10-31", start_time="01:30"),
    )
    assert fold.status_code == 400 and "happens twice in the UK" in fold.get_data(as_text=True)
    bad = post(
        client, "/organiser/webinars/new", **webinar_form(title="", join_url="http://x", hosts=[])
    )
    html = bad.get_data(as_text=True)
    assert "Enter a title" in html and "starting with https://" in html
    assert db.session.scalar(select(func.count()).select_from(Webinar)) == 1


def test_an_organiser_must_keep_their_own_organisation_as_a_host(client, ctx):
    _signed_in_clinic(client)
    response = post(client, "/organiser/webinars/new", **webinar_form(hosts=["2"]))
    assert response.status_code == 400
    assert "Your own organisation must stay a host" in response.get_data(as_text=True)


def _published_with_registrants(client, app, smtp):  # type: ignore[no-untyped-def]
    """Publishes a webinar through the pages; two confirmed, one waiting; first emails sent."""
    _signed_in_clinic(client)
    post(client, "/organiser/webinars/new", **webinar_form(capacity="2"))
    webinar = db.session.scalars(
        select(Webinar).where(Webinar.slug == "sleep-and-chronic-pain")
    ).one()
    post(client, f"/organiser/webinars/{webinar.id}/approve")
    post(client, f"/organiser/webinars/{webinar.id}/publish")
    visitor = app.test_client()
    for email in ("ann@example.com", "bob@example.com", "wait@example.com"):
        register_via(visitor, webinar.slug, email=email)
    with app.app_context():
        worker.run_once()
    smtp.clear()
    return webinar.id


def test_moving_a_webinar_updates_every_calendar_once(app, client, ctx, smtp):
    webinar_id = _published_with_registrants(client, app, smtp)
    moved = webinar_form(start_time="19:00", capacity="2")
    saved = post(client, f"/organiser/webinars/{webinar_id}/edit", **moved)
    told = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert (
        "Saved. 2 people will be emailed the change, with an updated calendar invitation." in told
    )
    # Saving the same values again changes and sends nothing.
    again = post(client, f"/organiser/webinars/{webinar_id}/edit", **moved)
    assert "Nothing had changed." in client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert worker.run_once().sent == 2
    assert sorted(a for m in smtp.messages for a in m.rcpt_tos) == [
        "ann@example.com",
        "bob@example.com",
    ]  # not the person waiting
    message = smtp.to("ann@example.com")[0].message
    assert message["Subject"].strip() == "Changed: Sleep and chronic pain"
    text = message.get_body(("plain",)).get_content()
    assert "moved from Sunday 28 March 2027, 6:00pm BST to Sunday 28 March 2027, 7:00pm BST" in text
    calendar_part, _ = calendar_parts(message)
    assert calendar_part.get_param("method") == "REQUEST"
    ics = calendar_part.get_content()
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["UID"]) == f"webinar-{webinar_id}@webinars.example.org"
    assert event["SEQUENCE"] == 1
    assert "DTSTART:20270328T180000Z" in ics
    libical_itip_check(ics)
    assert db.session.get(Webinar, webinar_id).sequence == 1


def test_a_start_moved_into_the_past_is_refused_and_changes_nothing(app, client, ctx, smtp):
    """A typo in the year would end the webinar at once and, past the retention period,
    erase its registrants' details: the form says so instead."""
    webinar_id = _published_with_registrants(client, app, smtp)
    typo = post(
        client, f"/organiser/webinars/{webinar_id}/edit", **webinar_form(start_date="2025-03-28")
    )
    assert typo.status_code == 400
    assert "The new start is in the past. Check the date and time" in typo.get_data(as_text=True)
    db.session.expire_all()
    webinar = db.session.get(Webinar, webinar_id)
    assert webinar.starts_at.year == 2027 and webinar.sequence == 0
    with app.app_context():
        worker.run_once()
    assert smtp.messages == []  # nobody told of a change that did not happen
    assert Counter(db.session.scalars(select(Registration.status))) == {
        "confirmed": 2,
        "waitlisted": 1,
    }
    # Other edits of a webinar whose time is unchanged still save.
    fixed = post(
        client, f"/organiser/webinars/{webinar_id}/edit", **webinar_form(title="Sleep and pain")
    )
    assert fixed.status_code == 302


def test_capacity_cannot_drop_below_confirmed_and_raising_it_promotes(app, client, ctx, smtp):
    webinar_id = _published_with_registrants(client, app, smtp)
    lower = post(client, f"/organiser/webinars/{webinar_id}/edit", **webinar_form(capacity="1"))
    assert lower.status_code == 400
    assert "cannot be lower than the 2 people already confirmed" in lower.get_data(as_text=True)
    post(client, f"/organiser/webinars/{webinar_id}/edit", **webinar_form(capacity="3"))
    statuses = Counter(db.session.scalars(select(Registration.status)))
    assert statuses == {"confirmed": 3}
    with app.app_context():
        worker.run_once()
    (promoted,) = smtp.messages
    assert promoted.rcpt_tos == ["wait@example.com"]
    assert promoted.message["Subject"].strip().startswith("A place has come up")


def test_cancelling_a_webinar_removes_it_from_calendars(app, client, ctx, smtp):
    webinar_id = _published_with_registrants(client, app, smtp)
    empty = post(client, f"/organiser/webinars/{webinar_id}/cancel", message="")
    assert empty.status_code == 400 and "Write a short message" in empty.get_data(as_text=True)
    post(
        client,
        f"/organiser/webinars/{webinar_id}/cancel",
        message="Our chair is unwell. We will rearrange it for the spring.",
    )
    post(client, f"/organiser/webinars/{webinar_id}/cancel", message="Again")  # no second email
    with app.app_context():
        assert worker.run_once().sent == 3
    for address in ("ann@example.com", "bob@example.com"):
        (received,) = smtp.to(address)
        assert received.message["Subject"].strip() == "Cancelled: Sleep and chronic pain"
        assert "Our chair is unwell" in received.message.get_body(("plain",)).get_content()
        calendar_part, _ = calendar_parts(received.message)
        cal = Calendar.from_ical(calendar_part.get_content())
        assert cal["METHOD"] == "CANCEL"
        (event,) = cal.walk("VEVENT")
        assert event["SEQUENCE"] == 1 and str(event["STATUS"]) == "CANCELLED"
        libical_itip_check(calendar_part.get_content())
    (waiting,) = smtp.to("wait@example.com")
    assert all(p.get_content_type() != "text/calendar" for p in waiting.message.walk())
    public = client.get("/webinars/sleep-and-chronic-pain").get_data(as_text=True)
    assert "This webinar has been cancelled" in public


def test_close_and_reopen_registration(app, client, ctx, smtp):
    webinar_id = _published_with_registrants(client, app, smtp)
    post(client, f"/organiser/webinars/{webinar_id}/close")
    assert "Registration closed" in client.get("/webinars/sleep-and-chronic-pain").get_data(
        as_text=True
    )
    post(client, f"/organiser/webinars/{webinar_id}/reopen")
    assert "Join the waiting list" in client.get("/webinars/sleep-and-chronic-pain").get_data(
        as_text=True
    )


def test_duplicate_makes_next_weeks_draft_and_only_empty_drafts_delete(app, client, ctx, smtp):
    webinar_id = _published_with_registrants(client, app, smtp)
    original = db.session.get(Webinar, webinar_id)
    original.title_cy, original.description_cy = "Cysgu a phoen cronig", "Am **gwsg**."
    db.session.commit()
    response = post(client, f"/organiser/webinars/{webinar_id}/duplicate")
    copy = db.session.scalars(select(Webinar).order_by(Webinar.id.desc())).first()
    assert response.headers["Location"] == f"/organiser/webinars/{copy.id}/edit"
    original = db.session.get(Webinar, webinar_id)
    assert (copy.status, copy.title, copy.slug) == ("draft", original.title, original.slug + "-2")
    # The Welsh versions come along (the next in a series says the same in both languages).
    assert (copy.title_cy, copy.description_cy) == ("Cysgu a phoen cronig", "Am **gwsg**.")
    assert (copy.starts_at - original.starts_at).days == 7
    assert copy.join_url is None and copy.seats_taken == 0
    post(client, f"/organiser/webinars/{webinar_id}/delete")
    assert db.session.get(Webinar, webinar_id) is not None  # published, with registrations
    refused = client.get(f"/organiser/webinars/{webinar_id}/delete").get_data(as_text=True)
    assert "This webinar cannot be deleted" in refused and "Delete the draft" not in refused
    copy_id = copy.id
    # "Delete this draft…" opens a page that says what goes; nothing is deleted until then.
    page = client.get(f"/organiser/webinars/{copy_id}").get_data(as_text=True)
    assert f'href="/organiser/webinars/{copy_id}/delete"' in page
    confirm = client.get(f"/organiser/webinars/{copy_id}/delete").get_data(as_text=True)
    assert "Delete this draft?" in confirm and "This cannot be undone" in confirm
    assert db.session.get(Webinar, copy_id) is not None
    post(client, f"/organiser/webinars/{copy_id}/delete")
    assert db.session.get(Webinar, copy_id) is None


def test_every_change_email_goes_through_the_outbox_once(app, client, ctx, smtp):
    webinar_id = _published_with_registrants(client, app, smtp)
    for start in ("19:00", "19:00", "20:00"):
        post(
            client,
            f"/organiser/webinars/{webinar_id}/edit",
            **webinar_form(start_time=start, capacity="2"),
        )
    kinds = Counter(
        db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.kind == "webinar_updated")
        )
    )
    assert kinds == {"webinar_updated": 4}  # two changes x two confirmed registrants
    assert db.session.get(Webinar, webinar_id).sequence == 2
