"""Organisers of both organisations, in headless Chromium: shared work neither can break alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Webinar
from tests.support import PASSWORD, assert_accessible, create_user, create_webinar


def _sign_in(page: Any, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/organiser/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Webinars").wait_for()


def test_a_shared_draft_needs_both_reviewers_and_neither_can_drop_the_other(page, live_server, ctx):
    webinar = create_webinar(slug="shared-draft", status="draft")
    overview = f"{live_server.url}/organiser/webinars/{webinar.id}"
    create_user("rita@clinic.example", org="clinic", reviewer=True)
    create_user("rob@charity.example", org="charity", reviewer=True)

    # The clinic's reviewer approves, cannot publish alone, and cannot drop the charity.
    _sign_in(page, live_server.url, "rita@clinic.example")
    page.goto(overview)
    assert page.get_by_text("waiting for a reviewer").count() == 2
    page.get_by_role("button", name="Approve for Meadowbank Medical Cannabis Clinic").click()
    page.get_by_text("approved by Rita on").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("It needs approval from a reviewer at BackWell UK").wait_for()
    page.goto(overview + "/edit")
    page.get_by_label("BackWell UK").uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_text(
        "Only an admin, or BackWell UK itself, can remove BackWell UK"
    ).first.wait_for()
    assert_accessible(page)

    # The charity's reviewer approves; now it can be published, and the page says who reviewed it.
    _sign_in(page, live_server.url, "rob@charity.example")
    page.goto(overview)
    page.get_by_role("button", name="Approve for BackWell UK").click()
    page.get_by_text("approved by Rob on").wait_for()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published: the webinar is on the public site.").wait_for()
    page.goto(live_server.url + "/webinars/shared-draft")
    assert page.get_by_text("Reviewed by Rita, Meadowbank Medical Cannabis Clinic").is_visible()
    db.session.expire_all()
    hosts = db.session.scalars(select(Webinar).where(Webinar.slug == "shared-draft")).one().hosts
    assert [h.slug for h in hosts] == ["clinic", "charity"]
