"""WCAG 2.2 AA in headless Chromium: axe on every page and form state, keyboard, reflow.

axe-core runs with the tags wcag2a, wcag2aa, wcag21aa and wcag22aa. What axe cannot judge
is tested as a person would meet it: the registration path by keyboard alone (with a skip
link and a visible focus), and the pages at 320 CSS pixels wide (WCAG 1.4.10 reflow) and at
200% zoom (a 1280-pixel window at 200% lays out like a 640-pixel one).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Webinar
from eventsapp.services import demo_images, tokens
from tests.support import (
    PASSWORD,
    assert_accessible,
    create_user,
    create_webinar,
    organisation,
    post,
    register_via,
    registration_by_email,
)


def _public_site(client: Any) -> dict[str, str]:
    """An upcoming webinar with one place (taken, so the next person waits) and a past one
    someone attended; the personal links of their registrants."""
    create_webinar(slug="panel", capacity=1)
    register_via(client, "panel", email="ann@example.com", full_name="Ann Example")
    register_via(client, "panel", email="bob@example.com", full_name="Bob Example")
    create_webinar(slug="earlier", title="Pacing and sleep with chronic back pain", capacity=5)
    register_via(client, "earlier", email="cat@example.com", full_name="Cat Example")
    earlier = db.session.scalars(select(Webinar).where(Webinar.slug == "earlier")).one()
    earlier.starts_at = datetime.now(UTC) - timedelta(days=2)
    db.session.commit()
    ann, bob, cat = (registration_by_email(f"{n}@example.com") for n in ("ann", "bob", "cat"))
    return {
        "manage": f"/manage/{tokens.manage_token(ann)}",
        "manage_waiting": f"/manage/{tokens.manage_token(bob)}",
        "join": f"/join/{tokens.join_token(ann)}",
        "stop": f"/reminders/stop/{ann.id}/{tokens.stop_reminders_token(ann)}",
        "feedback": f"/feedback/{cat.id}/{tokens.feedback_token(cat)}",
        "manage_past": f"/manage/{tokens.manage_token(cat)}",
    }


def test_every_public_page_and_form_state_passes_axe(page, live_server, client, ctx):
    links = _public_site(client)
    base = live_server.url

    def check(path: str, heading: str) -> None:
        page.goto(base + path)
        page.get_by_role("heading", name=heading, level=1).wait_for()
        assert_accessible(page, path)

    # Pages anyone can reach, and the success pages of the registration form.
    check("/", "Free webinars on managing back and neck pain")
    check("/past", "Past webinars")
    check("/privacy", "Privacy notice")
    check("/webinars/earlier", "Pacing and sleep with chronic back pain")
    check("/webinars/panel/registered?place=confirmed", "Check your email")
    check("/webinars/panel/registered?place=waitlisted", "Check your email")
    check("/certificates", "Check a certificate of attendance")
    check("/certificates/NOT-A-NUMBER", "We could not find that certificate")
    check("/no-such-page", "Page not found")

    # The registration form: empty, then with errors (the summary and each message).
    check("/webinars/panel", "Cannabis medicines and chronic back pain: a specialist panel")
    page.get_by_role("button", name="Join the waiting list").click()
    page.get_by_role("alert").filter(has_text="There is a problem").wait_for()
    assert_accessible(page, "registration form with errors")

    # Personal links: manage (with a place, waiting, after the webinar), join, stop, feedback.
    check(links["manage"], "Your registration")
    check(links["manage_waiting"], "Your registration")
    check(links["manage_past"], "Your registration")
    check(links["join"], "Cannabis medicines and chronic back pain: a specialist panel")
    check(links["stop"], "Stop emails about this webinar?")
    page.get_by_role("button", name="Stop reminders and follow-ups for this webinar").click()
    page.get_by_role("heading", name="Reminders stopped", level=1).wait_for()
    assert_accessible(page, "reminders stopped")

    check(links["feedback"], "Your feedback")
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_role("alert").filter(has_text="There is a problem").wait_for()
    assert_accessible(page, "feedback with errors")
    page.get_by_role("group", name="Overall, how was the webinar?").get_by_label(
        "5 – very good"
    ).check()
    page.get_by_role("group", name="How useful was it for managing your pain?").get_by_label(
        "4 – useful"
    ).check()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_role("heading", name="Thank you for your feedback", level=1).wait_for()
    assert_accessible(page, "feedback thanks")

    check(links["manage"] + "/cancel", "Are you sure you want to cancel?")
    page.get_by_role("button", name="Yes, cancel my registration").click()
    page.get_by_role("heading", name="Your registration is cancelled", level=1).wait_for()
    assert_accessible(page, "cancelled")

    check(links["manage_waiting"] + "/delete", "Are you sure you want to delete your details?")
    page.get_by_role("button", name="Yes, delete my details").click()
    page.get_by_role("heading", name="Your details have been deleted", level=1).wait_for()
    assert_accessible(page, "details deleted")


def _organiser_pages(page: Any, base: str) -> list[str]:
    """Every organiser page linked from the signed-in admin's pages (HTML only)."""
    # Files, and filters that show the same template with other rows.
    skip = re.compile(r"\.(csv|json|ics|pdf)(\?|$)|/logout|/static/|\?status=")
    seen: set[str] = set()
    queue = ["/organiser/"]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page.goto(base + path)
        hrefs = page.eval_on_selector_all(
            "a[href^='/organiser']", "els => els.map(e => e.getAttribute('href'))"
        )
        for href in hrefs:
            href = href.split("#")[0]
            if href and not skip.search(href) and href not in seen:
                queue.append(href)
    return sorted(seen)


def test_every_organiser_page_passes_axe(page, live_server, client, ctx):
    _public_site(client)
    create_user("ada@charity.example", admin=True)
    base = live_server.url

    page.goto(base + "/organiser/login")
    page.get_by_role("button", name="Sign in").click()  # empty: the error state
    page.get_by_role("alert").filter(has_text="There is a problem").wait_for()
    assert_accessible(page, "sign-in with errors")
    page.get_by_label("Email address").fill("ada@charity.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Webinars", level=1).wait_for()

    pages = _organiser_pages(page, base)
    assert len(pages) > 15, pages  # the crawl reached the webinar's own pages
    # Search results too.
    pages += [
        "/organiser/subject-access?email=ann%40example.com",
        "/organiser/webinars/1/registrants?q=ann",
    ]
    for path in pages:
        page.goto(base + path)
        assert_accessible(page, path)

    # Forms submitted empty show their errors accessibly too.
    for path, button in [
        ("/organiser/webinars/new", "Save as draft"),
        ("/organiser/speakers/new", "Save speaker"),
        ("/organiser/users", "Create account"),
        ("/organiser/password", "Change password"),
    ]:
        page.goto(base + path)
        page.get_by_role("button", name=button).click()
        page.get_by_role("alert").filter(has_text="There is a problem").wait_for()
        assert_accessible(page, f"{path} with errors")


def assert_focus_visible(page: Any) -> None:
    """The focused control looks different from the same control unfocused (WCAG 2.4.7)."""
    box = page.evaluate(
        "() => { const r = document.activeElement.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; }"
    )
    pad = 8  # outlines and shadows are drawn outside the box
    clip = {
        "x": max(box["x"] - pad, 0),
        "y": max(box["y"] - pad, 0),
        "width": box["width"] + 2 * pad,
        "height": box["height"] + 2 * pad,
    }
    focused = page.screenshot(clip=clip)
    page.evaluate("window._focused = document.activeElement; document.activeElement.blur()")
    blurred = page.screenshot(clip=clip)
    page.evaluate("window._focused.focus()")
    if focused == blurred:
        raise AssertionError("the keyboard focus is not visible")


def test_registration_works_by_keyboard_alone(page, live_server, ctx):
    create_webinar(slug="panel", capacity=20)
    page.goto(live_server.url + "/webinars/panel")

    # The first Tab reaches the skip link, which is then visible and moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#main'")

    # Tab to the first field of the form, type into each, tick boxes with Space, Enter sends.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "full_name":
            break
    else:
        raise AssertionError("Tab never reached the Full name field")
    assert_focus_visible(page)
    page.keyboard.type("Keyboard User")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("keys@example.com")

    def tab_to(label: str) -> None:
        for _ in range(20):
            page.keyboard.press("Tab")
            if (
                page.evaluate("document.activeElement.labels?.[0]?.textContent.trim() || ''")
                == label
            ):
                return
        raise AssertionError(f"Tab never reached {label!r}")

    tab_to(
        "I agree that the organisers can use my details, including anything about my "
        "health, to run this webinar and contact me about it."
    )
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Check your email", level=1).wait_for()
    assert registration_by_email("keys@example.com").full_name == "Keyboard User"


PUBLIC_PAGES = [
    "/",
    "/webinars/panel",
    "/privacy",
    "/past",
    "/webinars/panel/registered?place=confirmed",
]


def _no_horizontal_scroll(page: Any, width: int, where: str) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{where}: {scroll_width}px wide in a {width}px window"


def test_pages_reflow_at_320_pixels_and_200_percent_zoom(browser, live_server, ctx):
    create_webinar(slug="panel", capacity=20)
    for width, scale in ((320, 1), (640, 2)):  # 640 CSS px at scale 2 = 1280 px at 200%
        context = browser.new_context(
            viewport={"width": width, "height": 720}, device_scale_factor=scale
        )
        page = context.new_page()
        for path in PUBLIC_PAGES:
            page.goto(live_server.url + path)
            _no_horizontal_scroll(page, width, path)
        # The form is usable there: every field and the button are on screen and work.
        page.goto(live_server.url + "/webinars/panel")
        page.get_by_label("Full name").fill(f"Narrow {width}")
        page.get_by_label("Email address").fill(f"narrow{width}@example.com")
        page.get_by_label("I agree that the organisers can use my details").check()
        button = page.get_by_role("button", name="Register for this webinar")
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        button.click()
        page.get_by_role("heading", name="Check your email", level=1).wait_for()
        _no_horizontal_scroll(page, width, "after registering")
        context.close()
    assert registration_by_email("narrow320@example.com").full_name == "Narrow 320"


WIDTHS = (320, 390, 1280)


def _every_public_state(client: Any) -> tuple[dict[str, str], str]:
    """One webinar in each state a visitor can meet, with photos and logos, and a page for
    each thing a visitor can be shown; the path of the open webinar (for its form)."""
    clinic, charity = organisation("clinic"), organisation("charity")
    clinic.logo_filename = demo_images.logo("MC", "Meadowbank Clinic", "#1d5e54")
    charity.logo_filename = demo_images.logo("BW", "BackWell UK", "#6b2c7a")
    now = datetime.now(UTC)
    for slug, kw in {
        "open": {"capacity": 20},
        "waiting": {"capacity": 1},
        "full": {"capacity": 1, "waitlist_enabled": False},
        "closed": {"registration_open": False},
        "past": {"starts_at": now - timedelta(days=2), "recording_url": "https://v.example/1"},
        "off": {"status": "cancelled"},
    }.items():
        webinar = create_webinar(slug=slug, title=f"Living with back pain: {slug}", **kw)
        webinar.panel[0].speaker.photo_filename = demo_images.portrait("#d5e5e1", "#1d5e54")
    db.session.commit()
    register_via(client, "waiting", email="ann@example.com", full_name="Ann Example")
    register_via(client, "waiting", email="bob@example.com", full_name="Bob Example")
    register_via(client, "full", email="dan@example.com", full_name="Dan Example")
    register_via(client, "open", email="eve@example.com", full_name="Eve Example")
    eve = registration_by_email("eve@example.com")
    post(client, f"/manage/{tokens.manage_token(eve)}/cancel")
    ann, bob = registration_by_email("ann@example.com"), registration_by_email("bob@example.com")
    assert (ann.status, bob.status, registration_by_email("eve@example.com").status) == (
        "confirmed",
        "waitlisted",
        "cancelled",
    )
    manage = f"/manage/{tokens.manage_token(ann)}"
    pages = {
        "home": "/",
        **{
            f"webinar {slug}": f"/webinars/{slug}"
            for slug in ("open", "waiting", "full", "closed", "past", "off")
        },
        "registered": "/webinars/open/registered?place=confirmed",
        "registered, waiting list": "/webinars/waiting/registered?place=waitlist",
        "manage": manage,
        "manage, waiting list": f"/manage/{tokens.manage_token(bob)}",
        "manage, cancelled": f"/manage/{tokens.manage_token(eve)}",
        "cancel": manage + "/cancel",
        "delete details": manage + "/delete",
        "contact": "/contact",
        "privacy": "/privacy",
        "past": "/past",
        "certificate lookup": "/certificates",
        "join, waiting to start": f"/join/{tokens.join_token(ann)}",
        "404": "/no-such-page",
    }
    return pages, "/webinars/open"


def test_every_public_page_in_every_state_passes_axe_at_every_width(
    browser, live_server, client, ctx
):
    """axe finds nothing at 320, 390 and 1280 px on every public page in every state, the
    registration form refused (with JavaScript, and without: site.js blocked, so the page is
    what a browser without scripts shows, landing on #error-summary); nor does any page
    scroll sideways."""
    pages, form = _every_public_state(client)
    base = live_server.url
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        for name, path in pages.items():
            page.goto(base + path)
            page.locator("h1").first.wait_for()
            where = f"{name} at {width}px"
            assert_accessible(page, where)
            _no_horizontal_scroll(page, width, where)

        for scripts in (True, False):
            if not scripts:
                page.route("**/static/js/site.js", lambda route: route.abort())
            page.goto(base + form)
            page.get_by_role("button", name="Register for this webinar").click()
            page.get_by_role("alert").filter(has_text="There is a problem").wait_for()
            where = f"the refused form at {width}px, {'with' if scripts else 'without'} scripts"
            if scripts:
                page.wait_for_function("document.activeElement.id === 'error-summary'")
            else:
                assert page.url.endswith("#error-summary"), where
            assert_accessible(page, where)
            _no_horizontal_scroll(page, width, where)
        context.close()
