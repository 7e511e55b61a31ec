"""A new visitor in headless Chromium: find a webinar, register, see what happens."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Registration
from tests.support import create_webinar

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, results.generate_report()


def test_visitor_registers_from_the_home_page(page, live_server, ctx):
    create_webinar(slug="panel", capacity=20)
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_role(
        "link", name="Cannabis medicines and chronic back pain: a specialist panel"
    ).click()
    page.wait_for_url("**/webinars/panel")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Margaret Example")
    page.get_by_label("Email address").fill("margaret@example.com")
    page.get_by_label("Carer or family member").check()
    page.get_by_label("Your question for the panel (optional)").fill("Is it safe with my tablets?")
    page.get_by_label("I agree that the organisers may use the details").check()
    page.get_by_label("Send me news by email from BackWell UK").check()
    page.get_by_role("button", name="Register for this webinar").click()
    page.wait_for_url(re.compile(r"/webinars/panel/registered\?place=confirmed"))
    page.get_by_role("heading", name="Check your email").wait_for(state="visible")
    assert_accessible(page)
    reg = db.session.scalars(select(Registration)).one()
    assert (reg.full_name, reg.audience) == ("Margaret Example", "carer")


def test_invalid_form_shows_an_error_summary_linking_to_fields(page, live_server, ctx):
    create_webinar(slug="panel")
    page.goto(live_server.url + "/webinars/panel")
    page.get_by_label("Email address").fill("not an email")
    page.get_by_role("button", name="Register for this webinar").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    summary.wait_for(state="visible")
    # The summary takes focus, so a screen reader announces it first (polls, then fails).
    page.wait_for_function("document.activeElement.classList.contains('error-summary')")
    summary.get_by_role("link", name="Enter your full name").click()
    assert page.evaluate("document.activeElement.id") == "full_name"
    assert page.get_by_text("Enter an email address in the correct format").first.is_visible()
    assert_accessible(page)
    assert db.session.scalars(select(Registration)).first() is None
