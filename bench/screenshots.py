"""Screenshots of the public pages and the emails, at phone and desktop width, for review.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]

Runs the app on a temporary SQLite database with the demo content, registers one visitor
through the form, delivers the emails to files, and photographs each page and each email's
HTML part at 390×844 and 1280×800 in headless Chromium (CHROMIUM_PATH, default
/usr/bin/chromium). Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import email
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


@dataclass
class Site:
    """The app serving demo content, with one visitor registered through the form."""

    base: str  # http://127.0.0.1:<port>
    pages: dict[str, str]  # name -> path of each public page, personal ones included
    emails: list[Path]  # the .eml files the mail worker wrote, in name order
    stop: Callable[[], None]


def launch_chromium(pw: Playwright) -> Browser:
    return pw.chromium.launch(
        executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
    )


def start_site(browser: Browser, prefix: str = "screenshots-") -> Site:
    """Serve the demo content from a temporary instance and register Margaret Example.

    Sets the environment before importing the app (its config is read from it), so call this
    once per process.
    """
    instance = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(APP_ENV="development", INSTANCE_PATH=instance, PUBLIC_BASE_URL="http://x")
    os.environ.pop("MAIL_SERVER", None)
    os.environ.pop("DATABASE_URL", None)

    from werkzeug.serving import make_server

    from eventsapp import create_app
    from eventsapp.extensions import db
    from eventsapp.mail import worker
    from eventsapp.services import demo
    from eventsapp.uktime import utcnow

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        demo.load(utcnow())
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    threading.Thread(target=server.serve_forever, daemon=True).start()

    page = browser.new_page()
    page.goto(base + "/")
    webinar = page.locator("a[href^='/webinars/']").first.get_attribute("href")
    page.goto(base + webinar)
    page.get_by_label("Full name").fill("Margaret Example")
    page.get_by_label("Email address").fill("margaret@example.com")
    # The start of the consent label only: its wording is still being edited.
    page.get_by_label(re.compile(r"^I agree that the organisers")).check()
    page.get_by_role("button", name=re.compile("Register|Join the waiting list")).click()
    page.wait_for_url("**/registered*")
    registered = page.url.removeprefix(base)
    page.close()
    with app.app_context():
        worker.run_once()
    eml = sorted((Path(instance) / "mail").glob("*.eml"))
    message = email.message_from_bytes(eml[0].read_bytes(), policy=policy.default)
    manage = re.search(r"/manage/[\w-]+", message.get_body(("plain",)).get_content())
    pages = {
        "home": "/",
        "webinar": webinar,
        "registered": registered,
        "manage": manage.group(0) if manage else "/",
        "privacy": "/privacy",
        "past": "/past",
        "certificates": "/certificates",
    }
    return Site(base=base, pages=pages, emails=eml, stop=server.shutdown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        site = start_site(browser)
        for size, (width, height) in WIDTHS.items():
            shot = browser.new_page(viewport={"width": width, "height": height})
            for name, path in site.pages.items():
                shot.goto(site.base + path)
                shot.screenshot(path=str(args.out / f"{name}-{size}.png"), full_page=True)
            for number, file in enumerate(site.emails):
                mail = email.message_from_bytes(file.read_bytes(), policy=policy.default)
                shot.set_content(mail.get_body(("html",)).get_content())
                kind = re.sub(r"\W+", "-", str(mail["Subject"]).lower())[:40].strip("-")
                shot.screenshot(
                    path=str(args.out / f"email-{number}-{kind}-{size}.png"), full_page=True
                )
            shot.close()
        browser.close()
    site.stop()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
