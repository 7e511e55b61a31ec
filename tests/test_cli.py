"""The commands `make run` relies on."""

from __future__ import annotations

from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import Organisation, Registration, Webinar
from tests.support import register_via


def test_demo_content_loads_once_and_is_public(app, client):
    runner = app.test_cli_runner()
    assert "3 webinar(s) created" in runner.invoke(args=["demo", "load"]).output
    assert "already loaded" in runner.invoke(args=["demo", "load"]).output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Webinar)) == 3
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 2
        main = db.session.scalars(
            select(Webinar).where(Webinar.slug == "cannabis-medicines-chronic-back-pain")
        ).one()
        assert [m.role for m in main.panel] == ["chair", "panellist", "panellist", "panellist"]
    home = client.get("/").get_data(as_text=True)
    assert "Cannabis medicines and chronic back pain: a specialist panel" in home
    assert "Living well with neck pain" in home and "12 places left" in home
    assert "Watch the recording" in client.get("/past").get_data(as_text=True)
    # Each organisation's opt-in says what its news is.
    form = client.get("/webinars/cannabis-medicines-chronic-back-pain").get_data(as_text=True)
    assert (
        "Send me news by email from Meadowbank Medical Cannabis Clinic: "
        "news of future webinars and patient information events" in form
    )


def test_worker_once_sends_what_is_due(app, client, smtp):
    app.test_cli_runner().invoke(args=["demo", "load"])
    register_via(client, "living-well-with-neck-pain", email="cli@example.com")
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert "sent=1" in result.output
    assert [m.rcpt_tos for m in smtp.messages] == [["cli@example.com"]]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
