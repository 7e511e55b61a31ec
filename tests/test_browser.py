"""A new visitor in headless Chromium: find a webinar, register, see what happens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Registration
from eventsapp.services import demo_images
from tests.support import PASSWORD, assert_accessible, create_user, create_webinar


def test_visitor_registers_from_the_home_page(page, live_server, ctx):
    create_webinar(slug="panel", capacity=20)
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_role(
        "link", name="Cannabis medicines and chronic back pain: a specialist panel", exact=True
    ).click()
    page.wait_for_url("**/webinars/panel")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Margaret Example")
    page.get_by_label("Email address").fill("margaret@example.com")
    page.get_by_label("Carer or family member").check()
    page.get_by_label("Your question for the panel (optional)").fill("Is it safe with my tablets?")
    page.get_by_label("I agree that the organisers can use my details").check()
    page.get_by_label("Send me news by email from BackWell UK").check()
    page.get_by_role("button", name="Register for this webinar").click()
    page.wait_for_url(re.compile(r"/webinars/panel/registered\?place=confirmed#main$"))
    page.get_by_role("heading", name="Check your email").wait_for(state="visible")
    # A keyboard or screen-reader user goes on from the page's main part, where "Check your
    # email" is, not from the top of the page.
    assert page.evaluate("document.activeElement.id") == "main"
    assert_accessible(page)
    reg = db.session.scalars(select(Registration)).one()
    assert (reg.full_name, reg.audience) == ("Margaret Example", "carer")


def test_public_pages_show_a_favicon_and_log_no_console_errors(page, live_server, ctx):
    create_webinar(slug="panel")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    for path in ("/", "/webinars/panel", "/privacy", "/past"):
        page.goto(live_server.url + path)
        icon = page.locator('link[rel="icon"]').get_attribute("href")
        assert icon and page.request.get(live_server.url + icon).ok, path
    assert problems == []


def test_invalid_form_shows_an_error_summary_linking_to_fields(page, live_server, ctx):
    create_webinar(slug="panel")
    page.goto(live_server.url + "/webinars/panel")
    page.get_by_label("Email address").fill("not an email")
    page.get_by_role("button", name="Register for this webinar").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    summary.wait_for(state="visible")
    # The summary takes focus, so a screen reader announces it first (polls, then fails).
    page.wait_for_function("document.activeElement.id === 'error-summary'")
    summary.get_by_role("link", name="Enter your full name").click()
    page.wait_for_function("document.activeElement.id === 'full_name'")  # polls, then fails
    assert page.get_by_text("Enter an email address in the correct format").first.is_visible()
    assert_accessible(page)
    assert db.session.scalars(select(Registration)).first() is None


def test_organiser_creates_a_webinar_with_a_panel_and_publishes_it(page, live_server, ctx):
    create_webinar(slug="existing")  # the two organisations and a speaker in the library
    create_user("colin@clinic.example", org="clinic", reviewer=True)
    page.goto(live_server.url + "/organiser/")
    page.get_by_label("Email address").fill("colin@clinic.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Webinars").wait_for()
    assert_accessible(page)

    page.get_by_role("link", name="Create a webinar").click()
    page.get_by_label("Title", exact=True).fill("Pacing for people with chronic pain")
    page.get_by_label("Summary", exact=True).fill("Practical pacing, with a physiotherapist.")
    page.get_by_label("Date", exact=True).fill("2027-05-04")
    page.get_by_label("Start time (UK time)").fill("18:30")
    page.get_by_label("Duration in minutes").fill("60")
    page.get_by_label("Places", exact=True).fill("80")
    assert_accessible(page)
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_role("heading", name="Pacing for people with chronic pain").wait_for()

    page.get_by_role("link", name="Panel").click()
    page.get_by_label("Speaker").select_option(label="Dr Helen Marsh, Consultant in Pain Medicine")
    page.get_by_label("Chair").check()
    page.get_by_role("button", name="Add to the panel").click()
    page.get_by_text("Dr Helen Marsh added to the panel.").wait_for()
    assert_accessible(page)

    page.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Approve for Meadowbank Medical Cannabis Clinic").click()
    page.get_by_text("Approved.").first.wait_for()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published: the webinar is on the public site.").wait_for()
    page.get_by_role("link", name="View on the public site").click()
    page.get_by_role("heading", name="Pacing for people with chronic pain").wait_for()
    assert page.get_by_text("6:30pm to 7:30pm BST").is_visible()
    assert page.get_by_role("heading", name="Dr Helen Marsh (Chair)").is_visible()
    assert page.get_by_role("button", name="Register for this webinar").is_visible()

    # The other main organiser pages pass axe too.
    page.go_back()
    for name in ("Dashboard", "Registrants", "Attendance", "Emails"):
        page.get_by_role("link", name=name, exact=True).click()
        page.get_by_role("heading", name=name, level=1).wait_for()
        assert_accessible(page)


def test_the_first_screen_says_what_when_who_and_how_to_register(browser, live_server, ctx):
    """On a phone (390×844) and a desktop (1280×800) the first screen holds the title, the
    date and time, the hosts, the places left, the panel's names and the Register control,
    which leads to the form."""
    create_webinar(slug="panel", capacity=20)
    for width, height in ((390, 844), (1280, 800)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(live_server.url + "/webinars/panel")
        for shown in (
            page.get_by_role("heading", level=1),
            page.get_by_text("Online · Free"),
            page.get_by_text("Meadowbank Medical Cannabis Clinic and BackWell UK"),
            page.get_by_text("20 places left"),
            page.get_by_role("list", name="The panel").get_by_text("Dr Helen Marsh"),
            page.get_by_role("link", name="Register – it's free"),
        ):
            box = shown.first.bounding_box()
            assert box and box["y"] + box["height"] <= height, (width, shown)
        assert_accessible(page, f"{width}px")
        page.get_by_role("link", name="Register – it's free").click()
        page.get_by_label("Full name").wait_for(state="visible")
        assert page.get_by_label("Full name").bounding_box()["y"] < height
        context.close()


def test_without_javascript_a_failed_form_lands_on_its_error_summary(browser, live_server, ctx):
    create_webinar(slug="panel")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server.url + "/webinars/panel")
    page.get_by_role("button", name="Register for this webinar").click()
    summary = page.get_by_text("There is a problem")
    summary.wait_for(state="visible")
    box = summary.bounding_box()
    assert box and 0 <= box["y"] < 844  # in view, not 3,000 px above it
    context.close()


def test_a_refused_form_is_accessible_at_every_width(browser, live_server, ctx):
    """The error summary and each field's error (the consent's too, on its grey panel) pass
    axe at 320, 390 and 1280 px."""
    create_webinar(slug="panel")
    for width in (320, 390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(live_server.url + "/webinars/panel")
        page.get_by_label("Email address").fill("not an email")
        page.get_by_role("button", name="Register for this webinar").click()
        page.get_by_text("Tick the box to agree").first.wait_for(state="visible")
        assert_accessible(page, f"{width}px")
        context.close()


def test_home_shows_each_webinar_as_a_card(browser, live_server, ctx):
    """A date tile, the time, the hosts, the panel's faces, the places left and a Register
    link whose accessible name says which webinar it registers for."""
    webinar = create_webinar(
        slug="panel", capacity=20, starts_at=datetime(2030, 1, 15, 18, 30, tzinfo=UTC)
    )
    webinar.panel[0].speaker.photo_filename = demo_images.portrait("#d5e5e1", "#1d5e54")
    db.session.commit()
    title = "Cannabis medicines and chronic back pain: a specialist panel"
    for width in (390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 844})
        page = context.new_page()
        page.goto(live_server.url + "/")
        card = page.locator(".app-card").filter(has_text=title)
        assert card.locator(".app-date").inner_text().split() == ["TUE", "15", "JAN"]
        assert card.get_by_text("6:30pm to 7:30pm GMT").is_visible()
        assert card.get_by_text(
            "Hosted by Meadowbank Medical Cannabis Clinic and BackWell UK"
        ).is_visible()
        face = card.locator("img.app-face")
        assert face.count() == 1 and face.bounding_box()["width"] == 40
        assert card.get_by_text("20 places left").is_visible()
        register = card.get_by_role("link", name=f"Register for {title}", exact=True)
        assert register.is_visible()  # "Register" on screen, the title for screen readers
        assert register.evaluate("a => a.firstChild.textContent") == "Register"
        assert register.locator(".visually-hidden").count() == 1
        # The tile and the title share the first row on a phone, side by side.
        tile, heading = card.locator(".app-date").bounding_box(), card.locator("h3").bounding_box()
        assert (
            tile["x"] + tile["width"] <= heading["x"] and heading["y"] < tile["y"] + tile["height"]
        )
        register.click()
        page.get_by_label("Full name").wait_for(state="visible")
        context.close()
