"""Test helpers: skipping rules, polling, a recording SMTP server, factories, a live server."""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask
from sqlalchemy import event, select
from werkzeug.serving import make_server

from eventsapp import transactions, uktime
from eventsapp.extensions import db
from eventsapp.models import Organisation, PanelMember, Registration, Speaker, User, Webinar
from eventsapp.services import accounts

REQUIRE_FULL_SUITE = os.environ.get("REQUIRE_FULL_SUITE") == "1"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (CI) when a part the test needs is missing."""
    if condition:
        return
    if REQUIRE_FULL_SUITE:
        pytest.fail(f"REQUIRE_FULL_SUITE=1 but {reason}")
    pytest.skip(reason)


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll until predicate() is truthy, or fail at the deadline (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


# --- a real SMTP server on loopback -------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set to e.g. {"bounce@example.com": "550 5.1.1 No such user"} to refuse recipients.
    refuse: dict[str, str] = field(default_factory=dict)
    # SMTP sessions opened (one EHLO or HELO each), to check connection reuse.
    sessions: int = 0

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPServer:
    def __init__(self, port: int | None = None) -> None:
        self.handler = RecordingHandler()
        # aiosmtpd's Controller cannot start on port 0: it connects to its own port.
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port or free_port())

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.sessions = 0
        self.handler.refuse.clear()


# --- factories ----------------------------------------------------------------------------


def organisation(slug: str) -> Organisation:
    """The clinic or the charity (created on first use)."""
    names = {"clinic": "Meadowbank Medical Cannabis Clinic", "charity": "BackWell UK"}
    org = db.session.query(Organisation).filter_by(slug=slug).one_or_none()
    if org is None:
        org = Organisation(slug=slug, name=names.get(slug, slug.title()))
        db.session.add(org)
    return org


def create_webinar(
    *,
    slug: str = "back-pain-panel",
    title: str = "Cannabis medicines and chronic back pain: a specialist panel",
    starts_at: datetime | None = None,
    capacity: int = 50,
    status: str = "published",
    hosts: tuple[str, ...] = ("clinic", "charity"),
    **extra: Any,
) -> Webinar:
    """A published webinar with the partner organisations as hosts and a chair."""
    now = datetime.now(UTC)
    webinar = Webinar(
        slug=slug,
        title=title,
        summary=extra.pop("summary", "Specialists answer your questions."),
        description=extra.pop("description", "We will talk about **pain**."),
        starts_at=starts_at or now + timedelta(days=10),
        duration_minutes=extra.pop("duration_minutes", 60),
        capacity=capacity,
        seats_taken=0,
        waitlist_enabled=extra.pop("waitlist_enabled", True),
        registration_open=extra.pop("registration_open", True),
        status=status,
        sequence=0,
        created_at=now,
        updated_at=now,
        hosts=[organisation(h) for h in hosts],
        **extra,
    )
    chair = Speaker(
        name="Dr Helen Marsh",
        professional_title="Consultant in Pain Medicine",
        organisation="Meadowbank Medical Cannabis Clinic",
        bio="Helen leads the clinic.",
    )
    webinar.panel = [PanelMember(speaker=chair, role="chair", position=0)]
    db.session.add(webinar)
    db.session.commit()
    return webinar


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def registration_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "full_name": "Ann Example",
        "email": "ann@example.com",
        "audience": "living_with_pain",
        "question": "Can I drive if I am prescribed cannabis oil?",
        "access_needs": "Live captions, please",
        "consent": "y",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def register_via(client: Any, slug: str, *, welsh: bool = False, **overrides: Any) -> Any:
    """Open the webinar page like a browser (the Welsh one under /cy with `welsh`), then post
    the form with its CSRF token."""
    url = f"{'/cy' if welsh else ''}/webinars/{slug}"
    data = registration_form(**overrides)
    data["csrf_token"] = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data=data)


def registration_by_email(email: str) -> Registration:
    return db.session.scalars(select(Registration).where(Registration.email == email)).one()


PASSWORD = "a long test passphrase for organisers"


def create_user(
    email: str, *, admin: bool = False, org: str | None = "clinic", reviewer: bool = False
) -> User:
    user = accounts.create_user(
        email=email,
        name=email.split("@")[0].title(),
        password=PASSWORD,
        now=datetime.now(UTC),
        is_admin=admin,
        organisation=None if admin else organisation(org or "clinic"),
    )
    user.is_reviewer = reviewer
    db.session.commit()
    return user


@contextmanager
def writing() -> Iterator[None]:
    """Set-up that calls services directly, as one write transaction (as a request would).

    The tests' own context reads in Mode.READ (autocommit on PostgreSQL), where a service's
    savepoint has no transaction to live in."""
    db.session.commit()
    db.session.close()
    with transactions.begin_mode(transactions.Mode.WRITE):
        yield
        db.session.commit()
    db.session.close()


def edit_form(webinar: Webinar, **changes: object) -> dict[str, object]:
    """The organisers' edit form as it opens for this webinar (every field as saved), with
    `changes` typed over it."""
    local = uktime.to_uk(webinar.starts_at)
    form: dict[str, object] = {
        "title": webinar.title,
        "slug": webinar.slug,
        "summary": webinar.summary,
        "description": webinar.description,
        "start_date": local.strftime("%Y-%m-%d"),
        "start_time": local.strftime("%H:%M"),
        "duration_minutes": str(webinar.duration_minutes),
        "capacity": str(webinar.capacity),
        "waitlist_enabled": "y" if webinar.waitlist_enabled else "",
        "hosts": [str(h.id) for h in webinar.hosts],
        "reminders": [str(m) for m in webinar.reminder_offsets],
        "join_url": webinar.join_url or "",
        "recording_url": webinar.recording_url or "",
        "email_note": webinar.email_note or "",
        "zoom_webinar_id": webinar.zoom_webinar_id or "",
        "teams_webinar_id": webinar.teams_webinar_id or "",
        "dial_in_numbers": webinar.dial_in_numbers,
        "dial_in_meeting_id": webinar.dial_in_meeting_id,
        "dial_in_passcode": webinar.dial_in_passcode,
        "needs_offered": list(webinar.needs_offered),
        "needs_booking_days": str(webinar.needs_booking_days),
        "title_cy": webinar.title_cy,
        "summary_cy": webinar.summary_cy,
        "description_cy": webinar.description_cy,
        "email_note_cy": webinar.email_note_cy,
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v != ""}


def csv_rows(response: Any) -> list[list[str]]:
    """A CSV download's rows, checking it starts with the byte-order mark Excel needs."""
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "no byte-order mark: Excel would misread UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def form_token(client: Any) -> str:
    """The session's CSRF token (the same on every form of the session)."""
    return csrf_token(client.get("/organiser/login").get_data(as_text=True))


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/organiser/login",
        data={"email": email, "password": password, "csrf_token": form_token(client)},
    )


def post(client: Any, url: str, **data: Any) -> Any:
    """Post a form as a browser would, with the session's CSRF token."""
    data.setdefault("csrf_token", form_token(client))
    return client.post(url, data=data)


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]


def assert_accessible(page: Any, where: str = "") -> None:
    """axe-core finds no WCAG 2.2 A/AA violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe  # only the browser tests need it

    # After a form's POST a test waits for the new page's text, which can come before its
    # stylesheet on a busy machine: axe would then judge the unstyled page (CI saw 17 px
    # links fail target-size). The load event waits for the stylesheet.
    page.wait_for_load_state("load")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, f"{where}\n{results.generate_report()}"


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent to the database while inside, in order."""
    sent: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
