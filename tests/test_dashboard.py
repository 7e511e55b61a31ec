"""The dashboards: one webinar's figures and charts, and the series side by side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Attendance, Registration
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, csv_rows, login


def test_a_webinars_figures_charts_and_tables(client, ctx):
    now = datetime.now(UTC)
    webinar = create_webinar(slug="done", starts_at=now - timedelta(hours=3), capacity=3)
    people = [
        ("Ann", "living_with_pain", 40),
        ("Bob", "living_with_pain", 5),
        ("Cat", "healthcare_professional", 70),
        ("Dan", None, None),
        ("Eve", "carer", None),
    ]
    for n, (name, audience, minutes) in enumerate(people):
        reg = registrations.register(
            webinar,
            registrations.RegistrationInput(name, f"{name.lower()}@example.com", audience=audience),
            now - timedelta(days=3 - min(n, 2)),
        ).registration
        if minutes is not None:
            db.session.add(
                Attendance(registration=reg, minutes=minutes, source="zoom", updated_at=now)
            )
    ann = db.session.scalars(
        select(Registration).where(Registration.email == "ann@example.com")
    ).one()
    ann.join_clicks = 2
    db.session.commit()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    html = client.get(f"/organiser/webinars/{webinar.id}/dashboard").get_data(as_text=True)
    for label, value in [
        ("Registered", "5"),
        ("Waiting list", "2"),
        ("Joined (used their link)", "1"),
        ("Attended", "2"),
        ("Attendance rate", "67%"),
        ("Median minutes", "55.0"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html, label
    assert html.count("<svg") == 2 and 'aria-hidden="true"' in html
    assert "<caption>Registrations per day (UK dates)</caption>" in html
    assert "<td>Living with back or neck pain</td><td>1</td><td>2</td>" in html
    assert "<td>Healthcare professional</td><td>1</td><td>1</td>" in html


def test_the_series_side_by_side_and_as_csv(client, ctx):
    now = datetime.now(UTC)
    create_webinar(slug="one", title="First webinar", starts_at=now - timedelta(days=30))
    create_webinar(slug="two", title="=Second webinar", starts_at=now + timedelta(days=3))
    create_webinar(slug="draft", title="Draft webinar", status="draft")
    create_webinar(slug="theirs", title="Charity only", hosts=("charity",))
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    html = client.get("/organiser/series").get_data(as_text=True)
    assert "First webinar" in html and "Draft webinar" not in html and "Charity only" not in html
    rows = csv_rows(client.get("/organiser/series.csv"))
    assert rows[0][:3] == ["Webinar", "Date (UK)", "Registered"]
    assert [r[0] for r in rows[1:]] == ["First webinar", "'=Second webinar"]
