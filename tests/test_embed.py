"""The embeddable widget (/embed/): framing headers, registration without the session, the
organisers' snippet, and a visitor registering inside the frame on another site."""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import itsdangerous.timed
import pytest
from flask import Flask
from sqlalchemy import func, select

from eventsapp.config import ConfigError, load
from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import OutboxMessage, Registration
from tests.support import (
    assert_accessible,
    create_user,
    create_webinar,
    login,
    registration_form,
    wait_until,
)
from tests.test_rate_limits import _limited

SITE = "https://webinars.example.org"  # PUBLIC_BASE_URL in the tests' config
TITLE = "Cannabis medicines and chronic back pain: a specialist panel"


def _registrations() -> int:
    return db.session.scalar(select(func.count()).select_from(Registration)) or 0


def _emails_queued() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def _csp(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[-1] for d in policy.split("; ")}


# --- settings ------------------------------------------------------------------------------


def test_embed_origins_setting_takes_origins_and_refuses_anything_else():
    env = {"APP_ENV": "testing", "SECRET_KEY": "x" * 40}
    assert load(env)["EMBED_ORIGINS"] == []
    given = "https://www.backpain.example, https://BackWell.example:8443/  http://localhost:8000"
    assert load({**env, "EMBED_ORIGINS": given})["EMBED_ORIGINS"] == [
        "https://www.backpain.example",
        "https://backwell.example:8443",
        "http://localhost:8000",
    ]
    for wrong in (
        "https://www.backpain.example/webinars",
        "www.backpain.example",
        "https://*.backpain.example",
        "*",
        "https://www.backpain.example;script-src",
        "ftp://www.backpain.example",
        "https://www.backpain.example?x=1",
    ):
        with pytest.raises(ConfigError, match="EMBED_ORIGINS"):
            load({**env, "EMBED_ORIGINS": wrong})


# --- headers -------------------------------------------------------------------------------


def test_only_the_widget_may_be_framed_and_only_by_the_listed_sites(app, client, ctx):
    create_webinar(slug="panel")
    app.config["EMBED_ORIGINS"] = ["https://www.backpain.example", "https://backwell.example"]
    for path in ("/embed/", "/embed/?host=charity", "/embed/webinars/panel", "/embed/nothing"):
        response = client.get(path)
        policy = _csp(response)
        assert policy["frame-ancestors"] == (
            "'self' https://www.backpain.example https://backwell.example"
        ), path
        assert "X-Frame-Options" not in response.headers, path
        assert "Set-Cookie" not in response.headers, path  # a frame gets no cookie anyway
        # Otherwise as strict as every other page.
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", path
    for path in ("/", "/webinars/panel", "/privacy", "/organiser/login"):
        response = client.get(path)
        assert _csp(response)["frame-ancestors"] == "'none'", path
        assert response.headers["X-Frame-Options"] == "DENY", path

    app.config["EMBED_ORIGINS"] = []  # no other website (the site itself, for the preview)
    assert _csp(client.get("/embed/"))["frame-ancestors"] == "'self'"


# --- registering without the session ------------------------------------------------------


def test_a_form_posted_from_another_site_is_refused_and_saves_nothing(any_app, any_ctx):
    create_webinar(slug="panel")
    client = any_app.test_client()
    for headers in (
        {"Origin": "https://attacker.example"},
        {"Origin": "https://webinars.example.org.attacker.example"},
        {"Origin": "http://webinars.example.org"},  # not the site's scheme
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Sec-Fetch-Site": "cross-site"},
        {},  # no sign of where it came from
    ):
        response = client.post("/embed/webinars/panel", data=registration_form(), headers=headers)
        assert response.status_code == 400, headers
        page = response.get_data(as_text=True)
        assert "We could not accept the form" in page
        assert "Nothing was saved" in page
        assert "Register on our website instead (opens in a new tab)" in page
    assert _registrations() == 0 and _emails_queued() == 0


def test_a_form_posted_from_the_site_registers_without_a_session(any_app, any_ctx, smtp):
    create_webinar(slug="panel", capacity=1)
    client = any_app.test_client()
    response = client.post(
        "/embed/webinars/panel?host=charity",
        data=registration_form(email="ann@example.com"),
        headers={"Origin": SITE},
    )
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers  # nothing rests on a cookie
    location = response.headers["Location"]
    assert location.startswith("/embed/webinars/panel/registered?") and "host=charity" in location
    shown = client.get(location).get_data(as_text=True)
    assert "Check your email" in shown and "confirming your place" in shown
    assert "Back to all upcoming webinars" in shown

    # Browsers that send Sec-Fetch-Site but no Origin are believed too; the place is full,
    # so the second person waits, and the page says so.
    second = client.post(
        "/embed/webinars/panel",
        data=registration_form(email="bob@example.com"),
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert second.status_code == 303
    assert "waiting list" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert _registrations() == 2

    with any_app.app_context():
        worker.run_once()
    (sent,) = smtp.to("ann@example.com")
    assert "Cannabis medicines" in sent.message["Subject"]


def test_the_registered_page_believes_only_a_signed_recent_value(client, ctx, monkeypatch):
    create_webinar(slug="panel")
    create_webinar(slug="other", title="Pacing and sleep")
    response = client.post(
        "/embed/webinars/panel", data=registration_form(), headers={"Origin": SITE}
    )
    signed = re.search(r"r=([^&#]+)", response.headers["Location"]).group(1)
    mine = f"/embed/webinars/panel/registered?r={signed}"
    assert "Check your email" in client.get(mine).get_data(as_text=True)
    for wrong in (
        f"/embed/webinars/other/registered?r={signed}",
        "/embed/webinars/panel/registered?r=x",
        "/embed/webinars/panel/registered",
    ):
        page = client.get(wrong)
        assert page.status_code == 400, wrong
        assert "This page has expired" in page.get_data(as_text=True)
        assert "we have sent you an email" in page.get_data(as_text=True)
    later = time.time() + 2 * 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)  # the clock moves on
    assert "This page has expired" in client.get(mine).get_data(as_text=True)


def test_the_widget_form_has_the_sites_rules_and_error_summary(client, ctx):
    create_webinar(slug="panel")
    response = client.post(
        "/embed/webinars/panel",
        data=registration_form(consent=None, email="not an email"),
        headers={"Origin": SITE},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "Tick the box to agree" in page
    assert "Enter an email address in the correct format" in page
    assert page.count("<h1") == 1
    assert 'name="csrf_token"' not in page  # the widget does not use the session
    assert _registrations() == 0


def test_the_widget_keeps_the_registration_rate_limit(smtp_server, tmp_path):
    app = _limited(tmp_path, smtp_server.port, "memory://")
    with app.app_context():
        db.create_all()
        create_webinar(slug="limits", capacity=100)
        db.session.remove()
    client = app.test_client()

    def post(email: str) -> int:
        return client.post(
            "/embed/webinars/limits",
            data=registration_form(email=email),
            headers={"Origin": SITE},
        ).status_code

    assert [post("same@example.com") for _ in range(6)] == [303] * 5 + [429]
    limited = client.post(
        "/embed/webinars/limits",
        data=registration_form(email="same@example.com"),
        headers={"Origin": SITE},
    )
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert "frame-ancestors 'self'" in limited.headers["Content-Security-Policy"]
    assert post("other@example.com") == 303


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_upcoming_webinars_and_can_show_one_organisations(client, ctx):
    create_webinar(slug="both", title="Both organisations' webinar")
    create_webinar(slug="clinic-only", title="The clinic's webinar", hosts=("clinic",))
    create_webinar(slug="charity-only", title="The charity's webinar", hosts=("charity",))
    everything = client.get("/embed/").get_data(as_text=True)
    for title in (
        "Both organisations&#39; webinar",
        "The clinic&#39;s webinar",
        "The charity&#39;s webinar",
    ):
        assert title in everything
    assert "Hosted by Meadowbank Medical Cannabis Clinic and BackWell UK" in everything
    assert 'href="/embed/webinars/both#register"' in everything

    charity = client.get("/embed/?host=charity").get_data(as_text=True)
    assert "Upcoming webinars with BackWell UK" in charity
    assert "The charity&#39;s webinar" in charity and "Both organisations" in charity
    assert "The clinic&#39;s webinar" not in charity
    assert 'href="/embed/webinars/both?host=charity#register"' in charity

    missing = client.get("/embed/?host=nobody")
    assert missing.status_code == 404
    assert "Page not found" in missing.get_data(as_text=True)


def test_links_leaving_the_widget_open_a_new_tab_and_say_so(client, ctx):
    create_webinar(slug="panel")
    page = client.get("/embed/webinars/panel").get_data(as_text=True)
    leaving = re.findall(
        r'<a href="(/privacy|https://webinars\.example\.org/[^"]*|/)"([^>]*)>([^<]*)<', page
    )
    assert {href for href, _, _ in leaving} >= {"/privacy", f"{SITE}/webinars/panel", "/"}
    for _href, attributes, text in leaving:
        assert 'target="_blank" rel="noopener"' in attributes
        assert "(opens in a new tab)" in text


# --- the organisers' page ------------------------------------------------------------------


def test_an_organiser_sees_their_snippet_and_not_another_organisations(app, client, ctx):
    create_webinar(slug="panel")
    colin = create_user("colin@clinic.example", org="clinic")
    charity_id = create_user("chris@charity.example", org="charity").organisation_id
    app.config["EMBED_ORIGINS"] = ["https://www.meadowbank.example"]
    login(client, "colin@clinic.example")
    settings = client.get(f"/organiser/organisations/{colin.organisation_id}")
    assert "Show our webinars on your website" in settings.get_data(as_text=True)
    response = client.get(f"/organiser/organisations/{colin.organisation_id}/embed")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    own, everything = _snippets(page)
    assert f'src="{SITE}/embed/?host=clinic"' in own
    assert f'src="{SITE}/embed/"' in everything
    assert f'<script src="{SITE}/static/js/embed.js" async></script>' in own
    assert f'<a href="{SITE}/">' in own  # for a browser that shows no frame
    assert 'height="700"' in own  # tall enough to scroll in, without the script
    assert "https://www.meadowbank.example" in page  # which sites may show it now
    assert "EMBED_ORIGINS" in page
    assert client.get(f"/organiser/organisations/{charity_id}/embed").status_code == 404

    app.config["EMBED_ORIGINS"] = []
    page = client.get(f"/organiser/organisations/{colin.organisation_id}/embed").get_data(
        as_text=True
    )
    assert "no website</strong> can show the webinars" in page


def test_an_admin_sees_any_organisations_snippet(client, ctx):
    create_webinar(slug="panel")
    create_user("ada@example.org", admin=True)
    charity_id = create_user("chris@charity.example", org="charity").organisation_id
    login(client, "ada@example.org")
    page = client.get(f"/organiser/organisations/{charity_id}/embed").get_data(as_text=True)
    assert f'src="{SITE}/embed/?host=charity"' in _snippets(page)[0]


def _snippets(page: str) -> tuple[str, str]:
    """The organiser page's two snippets, as a person copying them would get them."""
    found = dict(
        re.findall(r'<textarea[^>]*id="(snippet-[a-z]+)"[^>]*>(.*?)</textarea>', page, re.S)
    )
    return html.unescape(found["snippet-own"]), html.unescape(found["snippet-all"])


# --- in a browser, on another site --------------------------------------------------------


class _HostSite:
    """Another organisation's website: one page with the snippet pasted into it, served
    at http://localhost:<port> (the app is at http://127.0.0.1:<port>, another site)."""

    def __init__(self, body: str) -> None:
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>BackWell UK: webinars</title></head><body>"
            "<main><h1>Our free webinars</h1><p>Join a talk about living with back pain.</p>"
            f"{body}</main></body></html>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _HostSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def widget_on_another_site(app: Flask, live_server: Any, client: Any, ctx: Any) -> Iterator[str]:
    """The organisation's page on its own site, with the snippet the organiser page gives;
    the app knows itself by the live server's address and lets that site frame it."""
    create_webinar(slug="panel", capacity=20)
    create_webinar(slug="later", title="Pacing and sleep with chronic back pain", hosts=("clinic",))
    app.config["PUBLIC_BASE_URL"] = live_server.url
    charity_id = create_user("chris@charity.example", org="charity").organisation_id
    login(client, "chris@charity.example")
    page = client.get(f"/organiser/organisations/{charity_id}/embed").get_data(as_text=True)
    own, _everything = _snippets(page)
    with _HostSite(own) as site:
        app.config["EMBED_ORIGINS"] = [site.origin]
        yield site.origin + "/"


def _frame_height(page: Any) -> int:
    return int(page.locator("iframe[data-backpain-webinars]").get_attribute("height"))


def test_a_visitor_registers_inside_the_frame_on_another_site(
    browser, widget_on_another_site, smtp, app, ctx
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(widget_on_another_site)
    frame_element = page.locator("iframe[data-backpain-webinars]")
    frame = page.frame_locator("iframe[data-backpain-webinars]")
    heading = frame.get_by_role("heading", name="Upcoming webinars with BackWell UK", level=1)
    heading.wait_for()
    # Only the charity's webinars: the clinic's own is not in its list.
    assert frame.get_by_text("Pacing and sleep").count() == 0
    card = frame.locator(".app-card").filter(has_text=TITLE)
    assert card.get_by_text(
        "Hosted by Meadowbank Medical Cannabis Clinic and BackWell UK"
    ).is_visible()
    assert card.get_by_text("20 places left").is_visible()
    assert re.search(r"\d{1,2}(:\d\d)?[ap]m to \d{1,2}(:\d\d)?[ap]m (GMT|BST)", card.inner_text())
    inner = frame_element.element_handle().content_frame()
    assert_accessible(inner, "widget: list")

    card.get_by_role("link", name=f"Register for {TITLE}").click()
    frame.get_by_role("heading", name=TITLE, level=1).wait_for()
    # With the script, the frame grows to fit the form: no box scrolling inside the page.
    wait_until(lambda: _frame_height(page) > 700)
    inner = frame_element.element_handle().content_frame()
    assert_accessible(inner, "widget: form")

    frame.get_by_role("button", name="Register for this webinar").click()
    frame.get_by_role("alert").filter(has_text="There is a problem").wait_for()
    inner = frame_element.element_handle().content_frame()
    assert_accessible(inner, "widget: form with errors")
    assert _registrations() == 0

    frame.get_by_label("Full name").fill("Margaret Example")
    frame.get_by_label("Email address").fill("margaret@example.com")
    frame.get_by_label("Carer or family member").check()
    frame.get_by_label("I agree that the organisers can use my details").check()
    frame.get_by_role("button", name="Register for this webinar").click()
    frame.get_by_role("heading", name="Check your email", level=1).wait_for()
    inner = frame_element.element_handle().content_frame()
    assert_accessible(inner, "widget: registered")
    assert page.url == widget_on_another_site  # the visitor never left the organisation's page

    reg = db.session.scalars(select(Registration)).one()
    assert (reg.full_name, reg.audience) == ("Margaret Example", "carer")
    with app.app_context():
        worker.run_once()
    (sent,) = wait_until(lambda: smtp.to("margaret@example.com"))
    assert TITLE in sent.message["Subject"]
    context.close()


def test_without_javascript_the_frame_still_works_and_scrolls(browser, widget_on_another_site, ctx):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 700})
    page = context.new_page()
    page.goto(widget_on_another_site)
    frame = page.frame_locator("iframe[data-backpain-webinars]")
    frame.get_by_role("heading", name="Upcoming webinars with BackWell UK").wait_for()
    frame.get_by_role("link", name=f"Register for {TITLE}").click()
    frame.get_by_label("Full name").wait_for()
    assert _frame_height(page) == 700  # the height as pasted: the frame scrolls
    assert page.get_by_role(
        "link",
        name="See our free back pain webinars and register on the Back pain webinars website",
    ).is_visible()
    context.close()


def test_the_frame_reflows_at_320_pixels_and_passes_axe(browser, widget_on_another_site, ctx):
    """WCAG 1.4.10: at 320 CSS pixels the form in the frame needs no sideways scrolling."""
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = context.new_page()
    page.goto(widget_on_another_site)
    frame = page.frame_locator("iframe[data-backpain-webinars]")
    frame.get_by_role("link", name=f"Register for {TITLE}").click()
    frame.get_by_role("button", name="Register for this webinar").click()
    summary = frame.get_by_role("alert").filter(has_text="There is a problem")
    summary.wait_for()
    inner = page.locator("iframe[data-backpain-webinars]").element_handle().content_frame()
    # As on the site, the summary takes focus, and the host page shows it: no hunting for it.
    inner.wait_for_function("document.activeElement.id === 'error-summary'")
    wait_until(lambda: 0 <= summary.bounding_box()["y"] < 700)
    assert inner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(inner, "widget at 320px: form with errors")
    context.close()
