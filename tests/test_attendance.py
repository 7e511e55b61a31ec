"""Attendance: check-in by hand, and the platforms' reports imported and matched."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import Attendance, AttendanceImport, Registration
from eventsapp.services import attendance_reports, certificates
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, csv_rows, form_token, login, post

DATA = Path(__file__).with_name("data")
ZOOM = (DATA / "zoom_attendee_report.csv").read_bytes()
TEAMS = (DATA / "teams_attendance_report.csv").read_bytes()


def _setup(client):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    webinar = create_webinar(slug="done", starts_at=now - timedelta(hours=3), capacity=10)
    for name, email in [
        ("Ann Example", "ann@example.com"),
        ("Bob Brief", "bob@example.com"),
        ("Carol Carer", "carol@example.com"),
        ("Dan Absent", "dan@example.com"),
    ]:
        registrations.register(
            webinar, registrations.RegistrationInput(name, email), now - timedelta(days=5)
        )
    db.session.commit()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    return webinar


def _upload(client, webinar, data: bytes, name: str = "report.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/organiser/webinars/{webinar.id}/attendance/import",
        data={"csrf_token": form_token(client), "report": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _minutes() -> dict[str, tuple[int | None, str]]:
    rows = db.session.execute(
        select(Registration.email, Attendance.minutes, Attendance.source).join(
            Attendance, Attendance.registration_id == Registration.id
        )
    ).all()
    return {email: (minutes, source) for email, minutes, source in rows}


def test_zoom_report_sums_rejoins_matches_by_email_and_lists_the_rest(client, ctx):
    webinar = _setup(client)
    response = _upload(client, webinar, ZOOM)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported the Zoom report: 2 matched, 1 to match by hand." in page
    # Ann joined twice (21 + 45); Bob stayed 6 minutes: under the 10-minute threshold.
    assert _minutes() == {"ann@example.com": (66, "zoom"), "bob@example.com": (6, "zoom")}
    assert "carol.personal@example.net" in page  # unmatched, offered for matching by hand
    assert "host@clinic.example.org" not in page  # hosts and panellists are not attendees
    report = db.session.scalars(select(AttendanceImport)).one()
    assert [row["name"] for row in report.unmatched] == ["Carol Carer"]  # Dan did not attend
    assert "1 of 4 shown attended" in page

    # Importing the same file again changes nothing.
    again = _upload(client, webinar, ZOOM)
    assert "already imported. Nothing has changed" in client.get(
        again.headers["Location"]
    ).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AttendanceImport)) == 1

    # Carol joined from her personal address: match her by hand.
    report = db.session.scalars(select(AttendanceImport)).one()
    carol = db.session.scalars(
        select(Registration).where(Registration.email == "carol@example.com")
    ).one()
    post(
        client,
        f"/organiser/webinars/{webinar.id}/attendance/imports/{report.id}/match",
        key=report.unmatched[0]["key"],
        registration_id=str(carol.id),
    )
    assert _minutes()["carol@example.com"] == (74, "zoom")
    assert db.session.get(AttendanceImport, report.id).unmatched == []
    page = client.get(f"/organiser/webinars/{webinar.id}/attendance").get_data(as_text=True)
    assert "2 of 4 shown attended" in page


def test_teams_report_in_utf16_with_tabs(client, ctx):
    webinar = _setup(client)
    assert TEAMS.startswith(b"\xff\xfe")  # as Teams writes it
    _upload(client, webinar, TEAMS)
    assert _minutes() == {"ann@example.com": (66, "teams"), "bob@example.com": (6, "teams")}
    report = db.session.scalars(select(AttendanceImport)).one()
    assert (report.source, report.matched) == ("teams", 2)
    assert [row["name"] for row in report.unmatched] == ["Guest Caller"]


def test_a_malformed_file_names_the_line_and_changes_nothing(client, ctx):
    webinar = _setup(client)
    broken = ZOOM.replace(b",45,Yes,", b",forty-five,Yes,")
    response = _upload(client, webinar, broken)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Line 14: &#39;Time in Session (minutes)&#39; is &#39;forty-five&#39;" in html
    assert "Nothing was imported" in html
    assert _minutes() == {}
    assert db.session.scalar(select(func.count()).select_from(AttendanceImport)) == 0
    other = _upload(client, webinar, b"name,score\nann,3\n")
    assert "neither a Zoom attendee report nor a Teams attendance report" in other.get_data(
        as_text=True
    )


def test_check_in_by_hand_and_undo(client, ctx):
    webinar = _setup(client)
    page = client.get(f"/organiser/webinars/{webinar.id}/attendance", query_string={"q": "dan"})
    html = page.get_data(as_text=True)
    assert "dan@example.com" in html and "ann@example.com" not in html
    dan = db.session.scalars(
        select(Registration).where(Registration.email == "dan@example.com")
    ).one()
    post(client, f"/organiser/webinars/{webinar.id}/attendance/{dan.id}/checkin")
    assert _minutes() == {"dan@example.com": (60, "manual")}  # the whole session
    html = client.get(f"/organiser/webinars/{webinar.id}/attendance").get_data(as_text=True)
    assert "1 of 4 shown attended" in html
    post(client, f"/organiser/webinars/{webinar.id}/attendance/{dan.id}/undo")
    assert _minutes() == {}


def test_no_attendance_is_recorded_before_the_webinar_has_begun(client, ctx):
    """Attendance counts towards a certificate: a check-in or a report for a webinar next
    month is refused, and nothing is recorded."""
    now = datetime.now(UTC)
    webinar = create_webinar(slug="later", starts_at=now + timedelta(days=30))
    ann = registrations.register(
        webinar, registrations.RegistrationInput("Ann Example", "ann@example.com"), now
    ).registration
    db.session.commit()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    checked = post(client, f"/organiser/webinars/{webinar.id}/attendance/{ann.id}/checkin")
    page = client.get(checked.headers["Location"]).get_data(as_text=True)
    assert "You can record attendance once the webinar has begun" in page
    uploaded = _upload(client, webinar, ZOOM)
    assert uploaded.status_code == 400
    assert "once the webinar has begun" in uploaded.get_data(as_text=True)
    assert _minutes() == {}
    assert db.session.scalar(select(func.count()).select_from(AttendanceImport)) == 0


@pytest.mark.parametrize(
    ("raw", "minutes"), [("1h 6m 11s", 66), ("6m 30s", 6), ("45s", 0), ("2h", 120)]
)
def test_teams_durations(raw, minutes):
    assert attendance_reports._teams_minutes(raw, 1) == minutes


def test_a_report_downloaded_again_changes_nothing_and_each_stranger_is_listed_once(client, ctx):
    webinar = _setup(client)
    _upload(client, webinar, ZOOM)
    again = ZOOM.replace(b"Jun 04, 2030 08:05 PM", b"Jun 05, 2030 09:12 AM")  # "generated"
    assert again != ZOOM
    page = client.get(_upload(client, webinar, again).headers["Location"]).get_data(True)
    assert "This report was already imported. Nothing has changed." in page
    assert db.session.scalar(select(func.count()).select_from(AttendanceImport)) == 1
    # A later report with Carol's row again (more minutes): she is listed once, from it.
    later = ZOOM.replace(b",74,Yes", b",80,Yes").replace(b"Bob Brief (Bobby)", b"Bob Brief")
    _upload(client, webinar, later)
    page = client.get(f"/organiser/webinars/{webinar.id}/attendance").get_data(as_text=True)
    assert page.count("<td>carol.personal@example.net</td>") == 1
    assert "<td>80</td>" in page and "<td>74</td>" not in page
    # The match control starts empty: nobody is matched by pressing Match by mistake.
    assert '<option value="">Choose a registrant…</option>' in page
    record = db.session.scalars(
        select(AttendanceImport).order_by(AttendanceImport.id.desc())
    ).first()
    key = record.unmatched[0]["key"]
    refused = post(
        client,
        f"/organiser/webinars/{webinar.id}/attendance/imports/{record.id}/match",
        key=key,
        registration_id="",
    )
    assert "Choose the registrant who joined as" in client.get(
        refused.headers["Location"]
    ).get_data(True)


def test_the_teams_organiser_is_never_offered_as_a_registrant(client, ctx):
    webinar = _setup(client)
    lines = TEAMS.decode("utf-16").replace(
        "Guest Caller\t",
        "Olive Organiser\t6/4/30, 6:00:00 PM\t6/4/30, 7:55:00 PM\t1h 55m\t"
        "olive@clinic.example.org\tolive@clinic.example.org\tOrganizer\nGuest Caller\t",
        1,
    )
    _upload(client, webinar, lines.encode("utf-16"))
    page = client.get(f"/organiser/webinars/{webinar.id}/attendance").get_data(as_text=True)
    assert "Guest Caller" in page and "Olive Organiser" not in page


def test_a_check_in_by_hand_records_minutes_that_count_for_a_certificate(client, ctx):
    webinar = _setup(client)
    dan = db.session.scalars(select(Registration).where(Registration.email == "dan@example.com"))
    dan = dan.one()
    dan.audience, dan_id = "healthcare_professional", dan.id
    dan.full_name = "Siobhán Ní Bhriain"
    db.session.commit()
    bad = post(client, f"/organiser/webinars/{webinar.id}/attendance/{dan_id}/checkin", minutes="x")
    assert "Enter the minutes as a number" in client.get(bad.headers["Location"]).get_data(True)
    post(client, f"/organiser/webinars/{webinar.id}/attendance/{dan_id}/checkin", minutes="45")
    assert _minutes() == {"dan@example.com": (45, "manual")}
    assert certificates.certified_minutes(db.session.get(Registration, dan_id)) == 45
    # The attendance export and the registrants export say so, and open right in Excel.
    rows = csv_rows(client.get(f"/organiser/webinars/{webinar.id}/attendance.csv"))
    assert rows[0] == ["Name", "Email", "Joined via link", "Minutes", "Attended", "Source"]
    assert ["Siobhán Ní Bhriain", "dan@example.com", "no", "45", "yes", "manual"] in rows
    registrants = csv_rows(client.get(f"/organiser/webinars/{webinar.id}/registrants.csv"))
    header = registrants[0]
    siobhan = next(r for r in registrants if r[0] == "Siobhán Ní Bhriain")
    assert siobhan[header.index("Attended")] == "yes" and siobhan[header.index("Minutes")] == "45"
