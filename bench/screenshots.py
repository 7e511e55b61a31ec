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
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="screenshots-")
    os.environ.update(APP_ENV="development", INSTANCE_PATH=instance, PUBLIC_BASE_URL="http://x")
    os.environ.pop("MAIL_SERVER", None)
    os.environ.pop("DATABASE_URL", None)

    from playwright.sync_api import sync_playwright
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
    args.out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page()
        page.goto(base + "/")
        webinar = page.locator("a[href^='/webinars/']").first.get_attribute("href")
        page.goto(base + webinar)
        page.get_by_label("Full name").fill("Margaret Example")
        page.get_by_label("Email address").fill("margaret@example.com")
        page.get_by_label("I agree that the organisers may use the details").check()
        page.get_by_role("button", name=re.compile("Register|Join the waiting list")).click()
        page.wait_for_url("**/registered*")
        registered = page.url.removeprefix(base)
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
        for size, (width, height) in WIDTHS.items():
            shot = browser.new_page(viewport={"width": width, "height": height})
            for name, path in pages.items():
                shot.goto(base + path)
                shot.screenshot(path=str(args.out / f"{name}-{size}.png"), full_page=True)
            for number, file in enumerate(eml):
                mail = email.message_from_bytes(file.read_bytes(), policy=policy.default)
                shot.set_content(mail.get_body(("html",)).get_content())
                kind = re.sub(r"\W+", "-", str(mail["Subject"]).lower())[:40].strip("-")
                shot.screenshot(
                    path=str(args.out / f"email-{number}-{kind}-{size}.png"), full_page=True
                )
            shot.close()
        browser.close()
    server.shutdown()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
