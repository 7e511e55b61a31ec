"""What a visitor sees on the public pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import template_rendered
from icalendar import Calendar
from sqlalchemy import event, inspect
from sqlalchemy.orm.attributes import flag_modified

from eventsapp.extensions import db
from eventsapp.models import Organisation, PanelMember, Registration, Speaker, Webinar
from eventsapp.services import privacy_notices, tokens
from tests.support import (
    create_webinar,
    csrf_token,
    organisation,
    register_via,
    registration_form,
)


def test_home_lists_upcoming_webinars_in_uk_time_with_hosts_and_places(client, ctx):
    create_webinar(slug="winter", starts_at=datetime(2030, 1, 15, 18, 30, tzinfo=UTC), capacity=40)
    create_webinar(
        slug="summer",
        title="Neck pain in summer",
        starts_at=datetime(2030, 7, 2, 17, 0, tzinfo=UTC),
        capacity=0,
    )
    html = client.get("/").get_data(as_text=True)
    assert "Cannabis medicines and chronic back pain" in html
    assert "Tuesday 15 January 2030" in html and "6:30pm to 7:30pm GMT" in html
    assert "6:00pm to 7:00pm BST" in html  # 17:00Z in July is 18:00 in London
    assert "Meadowbank Medical Cannabis Clinic and BackWell UK" in html
    # Both partners are named in the opening lines, before any webinar (alphabetically).
    lead = html[html.index('class="lead"') : html.index("Upcoming webinars</h2>")]
    assert "run together by BackWell UK and Meadowbank Medical Cannabis Clinic" in lead
    welsh = client.get("/cy/").get_data(as_text=True)
    assert "ar y cyd gan BackWell UK a Meadowbank Medical Cannabis Clinic" in welsh
    # Only partners with a published webinar: not one an admin has only just added.
    db.session.add(Organisation(slug="new-partner", name="New Partner Trust"))
    db.session.commit()
    assert "New Partner Trust" not in client.get("/").get_data(as_text=True)
    assert "40 places left" in html
    assert "join the waiting list" in html
    assert 'href="/past"' in html


def test_webinar_page_shows_panel_disclaimer_times_and_calendar_links(client, ctx):
    create_webinar(
        slug="panel",
        starts_at=datetime(2030, 3, 31, 17, 0, tzinfo=UTC),
        duration_minutes=90,
        description=(
            "## Topics\n\n* evidence\n\n<script>alert('x')</script> [bad](javascript:alert(1))"
        ),
    )
    response = client.get("/webinars/panel")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sunday 31 March 2030" in html
    assert "6:00pm to 7:30pm BST" in html and "1 hour 30 minutes" in html  # the zone once
    assert "Dr Helen Marsh" in html and "(Chair)" in html
    assert "Consultant in Pain Medicine" in html
    assert "(Cadeirydd)" in client.get("/cy/webinars/panel").get_data(as_text=True)
    assert "not medical advice" in html and "NHS 111" in html
    assert "<h2>Topics</h2>" in html and "<li>evidence</li>" in html
    assert "<script>alert" not in html and "javascript:" not in html
    assert "calendar.google.com/calendar/render" in html and "dates=20300331T170000Z" in html
    assert "outlook.live.com/calendar" in html
    assert 'href="/webinars/panel/calendar.ics"' in html
    assert 'name="full_name"' in html


def test_join_url_is_never_shown_publicly(client, ctx):
    create_webinar(slug="secret", join_url="https://zoom.example.com/j/123456")
    for path in ("/", "/webinars/secret", "/webinars/secret/calendar.ics", "/calendar.ics"):
        assert "zoom.example.com" not in client.get(path).get_data(as_text=True)


def test_draft_and_unknown_webinars_are_not_found(client, ctx):
    create_webinar(slug="draft", title="Unannounced pacing session", status="draft")
    create_webinar(slug="public", title="Announced webinar")
    assert client.get("/webinars/draft").status_code == 404
    assert client.get("/webinars/no-such-thing").status_code == 404
    assert client.get("/webinars/draft/calendar.ics").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "Announced webinar" in home and "Unannounced pacing session" not in home
    feed = client.get("/calendar.ics").get_data(as_text=True)
    assert "Announced webinar" in feed and "Unannounced" not in feed


def test_past_and_cancelled_webinars_show_their_state_and_no_form(client, ctx):
    now = datetime.now(UTC)
    create_webinar(
        slug="done",
        starts_at=now - timedelta(days=3),
        recording_url="https://video.example.org/rec/1",
    )
    create_webinar(slug="off", status="cancelled")
    past = client.get("/webinars/done").get_data(as_text=True)
    assert "This webinar has finished" in past and "https://video.example.org/rec/1" in past
    # Said once, with the recording first; nothing about registering.
    assert past.count("has finished") == 1
    assert past.index("video.example.org/rec/1") < past.index("About this webinar")
    assert 'name="full_name"' not in past and "Register" not in past.split("</header>")[1]
    cancelled = client.get("/webinars/off").get_data(as_text=True)
    assert "This webinar has been cancelled" in cancelled
    assert 'name="full_name"' not in cancelled and ">Register<" not in cancelled
    listing = client.get("/past").get_data(as_text=True)
    assert "Watch the recording" in listing and "https://video.example.org/rec/1" in listing


def test_calendar_feed_publishes_every_public_webinar_with_stable_uids(client, ctx):
    first = create_webinar(slug="one", starts_at=datetime(2030, 3, 31, 17, 0, tzinfo=UTC))
    create_webinar(slug="two", status="cancelled")
    create_webinar(slug="three", status="draft")
    response = client.get("/calendar.ics")
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    assert cal["METHOD"] == "PUBLISH"
    events = cal.walk("VEVENT")
    assert len(events) == 2
    uids = {str(e["UID"]) for e in events}
    # Not the personal invite's UID (webinar-N@…): a calendar holding both an accepted
    # invite and this feed or a downloaded file shows two events that each update.
    assert f"webinar-{first.id}-public@webinars.example.org" in uids
    assert {str(e["STATUS"]) for e in events} == {"CONFIRMED", "CANCELLED"}  # cancelled stays
    # The same UID again on the next fetch, so subscribed calendars update in place.
    again = Calendar.from_ical(client.get("/calendar.ics").data)
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == uids
    one = Calendar.from_ical(client.get("/webinars/one/calendar.ics").data)
    (event,) = one.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2030, 3, 31, 17, 0, tzinfo=UTC)
    assert str(event["UID"]) == f"webinar-{first.id}-public@webinars.example.org"
    # The home page offers the feed as a subscription, and the address to copy.
    home = client.get("/").get_data(as_text=True)
    assert 'href="webcal://webinars.example.org/calendar.ics"' in home
    assert "https://webinars.example.org/calendar.ics" in home


def test_privacy_notice_names_both_controllers_and_keeps_every_version(client, ctx):
    clinic, charity = organisation("clinic"), organisation("charity")
    clinic.contact_email, clinic.dpo_email = "help@clinic.example", "dpo@clinic.example"
    clinic.ico_number, charity.contact_email = "ZA111111", "hello@charity.example"
    db.session.commit()
    current = privacy_notices.current()
    html = client.get("/privacy").get_data(as_text=True)
    assert "joint controllers" in html
    assert f"Version {current.version}, in force from Monday 30 November 2026" in html
    # Both controllers, their contact details and the clinic's DPO, from their settings.
    for text in (clinic.name, charity.name, "help@clinic.example", "hello@charity.example"):
        assert text in html
    assert 'Data protection officer: <a href="mailto:dpo@clinic.example"' in html
    assert "ICO registration number ZA111111" in html
    # Lawful bases, processors, retention, rights, and the ICO as a link.
    for text in (
        "Article 9(2)(a)",
        "Article 6(1)(f)",
        "Our emails are sent for us by our email delivery service",
        "for 12 months after the webinar",
        "Withdraw your consent",
        'href="https://ico.org.uk/make-a-complaint/"',
    ):
        assert text in html, text
    # Each version anyone agreed to stays readable at its own address, linked from the page.
    assert f'href="/privacy/{current.version}"' in html
    for notice in privacy_notices.NOTICES:
        page = client.get(f"/privacy/{notice.version}")
        assert page.status_code == 200 and "joint controllers" in page.get_data(as_text=True)
    assert "This is version 2026-11, in force from Sunday 1 November 2026" in client.get(
        "/privacy/2026-11"
    ).get_data(as_text=True)
    assert client.get("/privacy/1999-01").status_code == 404


def test_contact_page_shows_each_organisation_from_its_settings(client, ctx):
    create_webinar(slug="contact")
    clinic, charity = organisation("clinic"), organisation("charity")
    clinic.contact_email, clinic.contact_phone = "help@clinic.example", "0161 496 0000"
    clinic.regulator, clinic.regulator_number = "Care Quality Commission", "1-23"
    charity.contact_email, charity.charity_number = "hello@charity.example", "1000001"
    db.session.commit()
    # Every page's footer leads there.
    assert 'href="/contact">Contact us</a>' in client.get("/webinars/contact").get_data(True)
    html = client.get("/contact").get_data(as_text=True)
    assert 'href="mailto:help@clinic.example"' in html and 'href="tel:01614960000"' in html
    assert 'href="mailto:hello@charity.example"' in html
    assert "Registered with the Care Quality Commission, number 1-23" in html
    assert "Registered charity number 1000001" in html
    assert "NHS 111" in html and "999" in html and "GP" in html
    # The webinar page says who runs it, from the same settings.
    page = client.get("/webinars/contact").get_data(as_text=True)
    assert "Who runs these webinars" in page and "Registered charity number 1000001" in page


def test_unknown_page_is_a_calm_404_without_internals(client):
    response = client.get("/nothing/here")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_panel_photos_are_served_from_instance_with_a_safe_type(client, ctx, app):
    webinar = create_webinar(slug="photo")
    speaker = webinar.panel[0].speaker
    photos = Path(app.config["INSTANCE_DIR"]) / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
    )
    (photos / "helen.png").write_bytes(png)
    speaker.photo_filename = "helen.png"
    db.session.commit()
    html = client.get("/webinars/photo").get_data(as_text=True)
    assert f'src="/speakers/{speaker.id}/photo?v=helen.pn"' in html
    response = client.get(f"/speakers/{speaker.id}/photo")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == png
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/speakers/999/photo").status_code == 404


def test_every_page_has_a_strict_content_security_policy(client, ctx):
    create_webinar(slug="csp")
    for path in ("/", "/webinars/csp", "/privacy", "/organiser/login", "/nothing"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp, path
        assert "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        # Nothing from anywhere else: no third-party scripts, styles, fonts or trackers.
        assert csp.startswith("default-src 'self';") and "http" not in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in headers  # plain HTTP here
    secure = client.get("/", base_url="https://webinars.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_hosts_are_refused_when_trusted_hosts_are_set(client, app):
    app.config["TRUSTED_HOSTS"] = ["webinars.example.org"]
    assert client.get("/", base_url="https://webinars.example.org").status_code == 200
    assert client.get("/", base_url="https://evil.example").status_code == 400


def test_the_webinar_page_shows_every_change_at_once(any_app):
    """A place taken, a bio edited, a host's description, registration closed: the next
    visitor sees it, on either database."""
    client = any_app.test_client()
    with any_app.app_context():
        webinar = create_webinar(slug="panel", capacity=5)
        page = client.get("/webinars/panel").get_data(as_text=True)
        assert "5 places left" in page
        response = client.post(
            "/webinars/panel", data={**registration_form(), "csrf_token": csrf_token(page)}
        )
        assert response.status_code == 303
        assert "4 places left" in client.get("/webinars/panel").get_data(as_text=True)
        confirmed = client.get("/webinars/panel/registered?place=confirmed").get_data(True)
        waiting = client.get("/webinars/panel/registered?place=waitlist").get_data(True)
        assert "waiting list" not in confirmed and "confirming your place" in confirmed
        assert "waiting list" in waiting and "confirming your place" not in waiting
        # Waiting is not a success: not shown in the green confirmation panel.
        assert "panel-confirmation" in confirmed and "panel-confirmation" not in waiting
        _changes_show_at_once(client, webinar)


def test_the_webinar_page_is_rendered_once_per_version(app, client, ctx):
    """Two visitors and a registration cost one render; each visitor gets their own
    working form token and the places left as they are now."""
    create_webinar(slug="panel", capacity=5)
    rendered: list[str] = []

    def record(_app, template, **_extra):  # type: ignore[no-untyped-def]
        rendered.append(template.name)

    template_rendered.connect(record, app)
    try:
        first = client.get("/webinars/panel").get_data(as_text=True)
        other_client = app.test_client()
        second = other_client.get("/webinars/panel").get_data(as_text=True)
        first_token, second_token = csrf_token(first), csrf_token(second)
        assert first_token != second_token
        assert first.replace(first_token, "") == second.replace(second_token, "")
        response = other_client.post(
            "/webinars/panel", data={**registration_form(), "csrf_token": second_token}
        )
        assert response.status_code == 303
        assert "4 places left" in client.get("/webinars/panel").get_data(as_text=True)
    finally:
        template_rendered.disconnect(record, app)
    assert rendered.count("public/webinar.html") == 1


def test_a_change_to_anything_the_page_shows_renews_it(app, client, ctx):
    """A change to any column of any object the page loads (but the seat count) raises the
    webinar's content version (models/public_content.py): a
    relation newly shown on the page without a rule there fails here."""
    webinar = create_webinar(slug="panel")
    loaded: set[tuple[type, int]] = set()

    def record(target, _context):  # type: ignore[no-untyped-def]
        loaded.add((type(target), target.id))

    event.listen(db.Model, "load", record, propagate=True)
    try:
        assert client.get("/webinars/panel").status_code == 200
    finally:
        event.remove(db.Model, "load", record)
    assert {kind for kind, _ in loaded} >= {Webinar, Organisation, PanelMember, Speaker}
    checks = [(kind, key, c.key) for kind, key in loaded for c in inspect(kind).column_attrs]
    for kind, key, column in checks:
        if column in ("id", "seats_taken", "content_version", "updated_at"):
            continue
        before = db.session.get(Webinar, webinar.id).content_version
        flag_modified(db.session.get(kind, key), column)
        db.session.commit()
        assert db.session.get(Webinar, webinar.id).content_version == before + 1, (kind, column)
    before = webinar.content_version
    webinar.seats_taken += 1  # shown too, but put into the kept page on every view
    db.session.commit()
    assert webinar.content_version == before


def _changes_show_at_once(client, webinar) -> None:  # type: ignore[no-untyped-def]
    """A change made anywhere (here straight in the database) shows on the next visit."""
    webinar.panel[0].speaker.bio = "Helen has a new biography."
    db.session.commit()
    assert "Helen has a new biography." in client.get("/webinars/panel").get_data(as_text=True)
    webinar.hosts[0].marketing_description = "monthly news about pain research"
    db.session.commit()
    assert "monthly news about pain research" in client.get("/webinars/panel").get_data(True)
    webinar.registration_open = False
    db.session.commit()
    closed = client.get("/webinars/panel").get_data(as_text=True)
    assert "Registration closed" in closed and "Register for this webinar" not in closed


def test_the_page_follows_the_places_left_down_to_the_waiting_list(app, client, ctx):
    """Each registration shows at once in the count; taking the last place changes what
    the page says and offers (the waiting list), not just the number."""
    create_webinar(slug="panel", capacity=2)
    expected = ["2 places left", "1 place left", "Fully booked – join the waiting list"]
    for number, shown in enumerate(expected):
        page = client.get("/webinars/panel").get_data(as_text=True)
        assert shown in page
        form = registration_form(email=f"person{number}@example.com")
        client.post("/webinars/panel", data={**form, "csrf_token": csrf_token(page)})
    assert "waiting list" in page and "places left" not in page and "place left" not in page


def test_a_shared_or_searched_webinar_page_describes_the_event(client, ctx):
    """Link previews and search engines read a description, Open Graph tags and schema.org
    Event data: online, free, the organisers, start and end with the UK offset."""
    create_webinar(slug="panel", starts_at=datetime(2030, 6, 4, 17, 30, tzinfo=UTC))
    html = client.get("/webinars/panel").get_data(as_text=True)
    assert '<meta name="description" content="Specialists answer your questions.">' in html
    assert '<meta property="og:url" content="https://webinars.example.org/webinars/panel">' in html
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found
    event = json.loads(found.group(1))
    assert event["@type"] == "Event"
    assert event["name"] == "Cannabis medicines and chronic back pain: a specialist panel"
    assert event["startDate"] == "2030-06-04T18:30:00+01:00"  # BST
    assert event["endDate"] == "2030-06-04T19:30:00+01:00"
    assert event["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert event["isAccessibleForFree"] is True and event["offers"]["price"] == "0"
    assert [o["name"] for o in event["organizer"]] == [
        "Meadowbank Medical Cannabis Clinic",
        "BackWell UK",
    ]
    assert [p["name"] for p in event["performer"]] == ["Dr Helen Marsh"]


def test_the_manage_page_says_how_long_details_are_kept_as_the_worker_keeps_them(app, client, ctx):
    """The period comes from RETENTION_DAYS, in the page's language."""
    app.config["RETENTION_DAYS"] = 30
    webinar = create_webinar()
    register_via(client, webinar.slug)
    registration = db.session.query(Registration).one()
    token = tokens.manage_token(registration)
    english = client.get(f"/manage/{token}").get_data(as_text=True)
    assert "We keep your details for 1 month after the webinar" in english
    welsh = client.get(f"/cy/manage/{token}").get_data(as_text=True)
    assert "Rydym yn cadw eich manylion am 1 mis ar ôl y weminar" in welsh


def test_before_any_webinar_is_published_the_home_page_names_no_one(client, ctx):
    create_webinar(slug="draft-only", status="draft")
    html = client.get("/").get_data(as_text=True)
    assert "run together by" not in html  # no "run together by ." with nobody to name
    assert "Pain doctors, nurses and the charity" in html
    assert "There are no upcoming webinars at the moment" in html
