"""Deliverability: DKIM signatures verified as a receiver would, VERP return paths, and
bounce reports read from a real dovecot IMAP server on loopback."""

from __future__ import annotations

import base64
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path

import dkim
import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select

from eventsapp.config import ConfigError, imap_mailbox, load
from eventsapp.extensions import db
from eventsapp.mail import bounces, worker
from eventsapp.models import OutboxMessage, Registration
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from tests.support import (
    SMTPServer,
    create_user,
    create_webinar,
    free_port,
    login,
    require,
    wait_until,
)
from tests.test_mail import calendar_parts

SELECTOR = "webinars2026"
DOMAIN = "example.org"

# --- DKIM ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    dns_record: bytes  # the TXT record published at <selector>._domainkey.<domain>


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    openssl = shutil.which("openssl")
    require(openssl is not None, "openssl is not installed (it makes the test's DKIM key)")
    directory = tmp_path_factory.mktemp("dkim")
    private = directory / "dkim.pem"
    subprocess.run(
        [str(openssl), "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        + ["-out", str(private)],
        check=True,
        capture_output=True,
    )
    public_der = subprocess.run(
        [str(openssl), "pkey", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return KeyPair(private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der))


def _resolver(key: KeyPair, asked: list[bytes]):  # type: ignore[no-untyped-def]
    """DNS for the verifier: our TXT record at the selector's name, nothing elsewhere."""

    def txt(name: bytes, timeout: int = 5) -> bytes | None:
        asked.append(name)
        return key.dns_record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None

    return txt


def _reminder_due(app: Flask) -> datetime:
    """Ann registered; her one-hour reminder is due now (and her confirmation is queued)."""
    now = datetime.now(UTC)
    with app.app_context():
        webinar = create_webinar(starts_at=now + timedelta(minutes=30), reminder_offsets=[60])
        registrations.register(
            webinar,
            registrations.RegistrationInput("Ann Example", "ann@example.com"),
            now - timedelta(hours=3),
        )
        db.session.commit()
    return now


def test_every_email_is_dkim_signed_over_the_bytes_sent_and_verifies(any_app, smtp, rsa_key):
    any_app.config.update(
        DKIM_DOMAIN=DOMAIN, DKIM_SELECTOR=SELECTOR, DKIM_PRIVATE_KEY_PATH=str(rsa_key.private_path)
    )
    now = _reminder_due(any_app)
    with any_app.app_context():
        assert worker.run_once(clock=lambda: now).sent == 2  # the confirmation, the reminder
    asked: list[bytes] = []
    for received in smtp.messages:
        # Exactly what the server received, signature first.
        assert received.raw.startswith(b"DKIM-Signature: ")
        assert dkim.verify(received.raw, dnsfunc=_resolver(rsa_key, asked))
        # Changed in transit, it no longer verifies.
        tampered = received.raw.replace(b"Subject: ", b"Subject: Fwd: ", 1)
        assert not dkim.verify(tampered, dnsfunc=_resolver(rsa_key, asked))
    assert set(asked) == {f"{SELECTOR}._domainkey.{DOMAIN}.".encode()}

    (reminder,) = [m for m in smtp.messages if "List-Unsubscribe-Post" in m.message]
    signature = dkim.util.parse_tag_value(
        reminder.message["DKIM-Signature"].encode().replace(b"\r\n", b"")
    )
    assert signature[b"d"] == DOMAIN.encode() and signature[b"s"] == SELECTOR.encode()
    assert signature[b"c"] == b"relaxed/relaxed"
    signed = [h.strip() for h in signature[b"h"].replace(b" ", b"").split(b":")]
    # One-click unsubscribe counts only when both headers are signed (RFC 8058).
    assert {b"from", b"subject", b"list-unsubscribe", b"list-unsubscribe-post"} <= set(signed)
    # Signed one more time than they occur: a second From added in transit breaks it.
    assert signed.count(b"from") == 2


def test_without_dkim_settings_nothing_is_signed(app, smtp):
    _reminder_due(app)
    with app.app_context():
        worker.run_once()
    assert smtp.messages and all("DKIM-Signature" not in m.message for m in smtp.messages)


def _production(**env: str) -> dict[str, str]:
    return {"APP_ENV": "production", "SECRET_KEY": "x" * 48, **env}


def test_production_refuses_to_start_with_a_missing_or_unreadable_dkim_key(tmp_path, rsa_key):
    settings = {"DKIM_DOMAIN": DOMAIN, "DKIM_SELECTOR": SELECTOR}
    with pytest.raises(ConfigError, match="DKIM_PRIVATE_KEY_PATH cannot be read"):
        load(_production(**settings, DKIM_PRIVATE_KEY_PATH=str(tmp_path / "missing.pem")))
    with pytest.raises(ConfigError, match="DKIM_PRIVATE_KEY_PATH cannot be read"):
        load(_production(**settings, DKIM_PRIVATE_KEY_PATH=str(tmp_path)))  # a directory
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match="not an RSA private key"):
        load(_production(**settings, DKIM_PRIVATE_KEY_PATH=str(garbage)))
    with pytest.raises(ConfigError, match="DKIM_PRIVATE_KEY_PATH"):
        load(_production(**settings))  # two of the three
    config = load(_production(**settings, DKIM_PRIVATE_KEY_PATH=str(rsa_key.private_path)))
    assert config["DKIM_DOMAIN"] == DOMAIN


@pytest.mark.parametrize(
    "url",
    [
        "imap://bounces:secret@mail.example.org/INBOX",  # plain, across a network
        "pop3s://bounces:secret@mail.example.org/",
        "imaps://mail.example.org/INBOX",  # no user or password
    ],
)
def test_an_unsafe_or_incomplete_bounce_mailbox_url_is_refused_at_start_up(url):
    with pytest.raises(ConfigError, match="BOUNCE_IMAP_URL"):
        load(_production(BOUNCE_IMAP_URL=url))


def test_a_bounce_mailbox_url_is_read_with_its_escapes():
    config = load(_production(BOUNCE_IMAP_URL="imaps://b%40x:p%2Fw@mail.example.org/Bounces"))
    mailbox = imap_mailbox(config["BOUNCE_IMAP_URL"])
    assert (mailbox.username, mailbox.password, mailbox.port) == ("b@x", "p/w", 993)
    assert (mailbox.mailbox, mailbox.tls) == ("Bounces", True)
    assert config["BOUNCE_ADDRESS"] == "bounces@example.org"  # MAIL_DEFAULT_SENDER's domain


# --- VERP ---------------------------------------------------------------------------------


def test_with_a_bounce_mailbox_each_envelope_sender_names_its_email(any_app, smtp):
    # Nothing listens there: the sweep logs that and the mail goes on.
    any_app.config["BOUNCE_IMAP_URL"] = f"imap://bounces:secret@127.0.0.1:{free_port()}/INBOX"
    now = _reminder_due(any_app)
    with any_app.app_context():
        worker.run_once(clock=lambda: now)
        rows = {r.message_id: r.id for r in db.session.scalars(select(OutboxMessage))}
        returns = {}
        for received in smtp.messages:
            row_id = rows[received.message["Message-ID"]]
            local, _, domain = received.mail_from.partition("@")
            assert domain == DOMAIN and local.startswith("bounces+")
            assert received.mail_from == bounces.return_path(row_id)
            assert bounces.row_named_by(received.mail_from.upper()) == row_id
            returns[row_id] = received.mail_from
            assert received.message["From"] == "Back Pain Webinars <webinars@example.org>"
            # Calendar replies go to the mailbox the sweep reads, not the organisers' own.
            invite = calendar_parts(received.message)[0].get_content()
            (event,) = Calendar.from_ical(invite).walk("VEVENT")
            assert str(event["ORGANIZER"]) == f"mailto:bounces@{DOMAIN}"
            assert event["ORGANIZER"].params["CN"] == "Back Pain Webinars"
            assert event["ATTENDEE"].params["RSVP"] == "FALSE"
        assert len(set(returns.values())) == 2
        # Unguessable: another row's id with this tag, or a changed tag, names nothing.
        (first, address), (second, _) = sorted(returns.items())
        assert bounces.row_named_by(address.replace(f"+{first}-", f"+{second}-")) is None
        token = address.split("+")[1].split("@")[0]
        changed = token[:-1] + ("b" if token.endswith("a") else "a")
        assert bounces.row_named_by(address.replace(token, changed)) is None
        assert bounces.row_named_by(f"bounces+{first}@{DOMAIN}") is None
        assert bounces.row_named_by(address.replace(DOMAIN, "example.net")) is None
        db.session.remove()


# --- delivery reports, as mail servers write them ------------------------------------------


def postfix_bounce(to: str, recipient: str, original_headers: bytes) -> bytes:
    """A hard bounce as Postfix writes it (RFC 3464): 550 5.1.1 user unknown."""
    return (
        f"""Return-Path: <>
Delivered-To: {to}
X-Original-To: {to}
Date: {formatdate()}
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="8A3F21C0E2.1764500000/mx.example.com"
Content-Transfer-Encoding: 8bit
Message-Id: <20261130120000.8A3F21C0E2@mx.example.com>

This is a MIME-encapsulated message.

--8A3F21C0E2.1764500000/mx.example.com
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mail.example.com[192.0.2.25] said: 550 5.1.1
    <{recipient}>: Recipient address rejected: User unknown in virtual mailbox
    table (in reply to RCPT TO command)

--8A3F21C0E2.1764500000/mx.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
X-Postfix-Queue-ID: 8A3F21C0E2
X-Postfix-Sender: rfc822; {to}
Arrival-Date: {formatdate()}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.example.com
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User
    unknown in virtual mailbox table

--8A3F21C0E2.1764500000/mx.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

""".replace("\n", "\r\n").encode()
        + original_headers
        + b"\r\n--8A3F21C0E2.1764500000/mx.example.com--\r\n"
    )


def exim_delay(to: str, recipient: str) -> bytes:
    """A soft bounce as Exim writes it: delayed, 452 4.2.2 mailbox full."""
    return f"""Return-path: <>
Envelope-to: {to}
Delivery-date: {formatdate()}
From: Mail Delivery System <Mailer-Daemon@relay.example.net>
To: {to}
Subject: Warning: message 1uQxyz-000ABC-7Q delayed 24 hours
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=1764500000-eximdsn-42
Auto-Submitted: auto-replied
Message-Id: <E1uQabc-000DEF-1x@relay.example.net>

--1764500000-eximdsn-42
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on relay.example.net.

  {recipient}
    host mx.example.net [198.51.100.7]
    SMTP error from remote mail server after RCPT TO:<{recipient}>:
    452 4.2.2 The email account that you tried to reach is over quota.

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered. Eventually the mail delivery software will give up,
and when that happens, the message will be returned to you.

--1764500000-eximdsn-42
Content-type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Action: delayed
Final-Recipient: rfc822;{recipient}
Status: 4.2.2
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 452 4.2.2 The email account that you tried to reach is over quota.
Will-Retry-Until: {formatdate(time.time() + 4 * 86400)}

--1764500000-eximdsn-42--
""".replace("\n", "\r\n").encode()


def auto_reply(to: str) -> bytes:
    return (
        f"From: someone@example.com\r\nTo: {to}\r\nSubject: Out of office\r\n"
        f"Auto-Submitted: auto-replied\r\nDate: {formatdate()}\r\n\r\nBack on Monday.\r\n"
    ).encode()


def test_reports_are_read_as_hard_soft_or_not_ours(app):
    with app.app_context():
        ours = bounces.return_path(41)
        original = b"From: webinars@example.org\r\nSubject: x\r\n"
        assert bounces.read_report(postfix_bounce(ours, "a@example.com", original)) == (
            bounces.Report(41, bounces.Severity.HARD, "5.1.1")
        )
        assert bounces.read_report(exim_delay(ours, "a@example.com")) == bounces.Report(
            41, bounces.Severity.SOFT, "4.2.2"
        )
        assert bounces.read_report(auto_reply(ours)) is None
        forged = ours.replace("+41-", "+42-")
        assert bounces.read_report(postfix_bounce(forged, "a@example.com", original)) is None
        someone_else = "webinars@example.org"
        assert bounces.read_report(postfix_bounce(someone_else, "a@example.com", original)) is None


# --- a real IMAP server -------------------------------------------------------------------


@dataclass
class Dovecot:
    port: int
    maildir: Path
    uid: int
    gid: int
    user: str = "bounces"
    password: str = "a-test-password"  # noqa: S105 (the test server's own)

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"

    def deliver(self, raw: bytes) -> None:
        """As a mail server's local delivery does: write to tmp/, move into new/."""
        name = f"{time.time_ns()}.P{os.getpid()}.test"
        temporary = self.maildir / "tmp" / name
        temporary.write_bytes(raw)
        os.chown(temporary, self.uid, self.gid)
        temporary.rename(self.maildir / "new" / name)

    def empty(self) -> None:
        for folder in ("new", "cur"):
            for path in (self.maildir / folder).iterdir():
                path.unlink()

    def unseen(self) -> int:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            imap.login(self.user, self.password)
            imap.select("INBOX")
            _, found = imap.uid("SEARCH", "UNSEEN")
            return len((found[0] or b"").split())
        finally:
            imap.logout()


def _answers(port: int) -> bool:
    try:
        imaplib.IMAP4("127.0.0.1", port, timeout=2).logout()
        return True
    except OSError:
        return False


def _dovecot_config(root: Path, port: int, uid: int, gid: int) -> str:
    if os.geteuid() == 0:
        # Dovecot refuses to log in as root: its own unprivileged users, from the package.
        login_user, internal_user = "dovenull", "dovecot"
    else:
        login_user = internal_user = pwd.getpwuid(os.geteuid()).pw_name
    return f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = {uid}
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
mail_location = maildir:{root}/mail/%u
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    require(os.path.exists(binary), "dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="eventsapp-dovecot-"))
    root.chmod(0o755)  # the login process runs as another user and must reach base_dir
    uid, gid = (
        (pwd.getpwnam("dovecot").pw_uid, pwd.getpwnam("dovecot").pw_gid)
        if os.geteuid() == 0
        else (os.geteuid(), os.getegid())
    )
    server = Dovecot(free_port(), root / "mail" / "bounces", uid, gid)
    for folder in ("new", "cur", "tmp"):
        (server.maildir / folder).mkdir(parents=True)
    for path in (
        root / "mail",
        server.maildir,
        *(server.maildir / f for f in ("new", "cur", "tmp")),
    ):
        os.chown(path, uid, gid)
    (root / "passwd").write_text(
        f"{server.user}:{{PLAIN}}{server.password}:{uid}:{gid}::{server.maildir.parent}::\n"
    )
    config = root / "dovecot.conf"
    config.write_text(_dovecot_config(root, server.port, uid, gid))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        try:
            wait_until(lambda: process.poll() is not None or _answers(server.port), timeout=20)
        except AssertionError:
            pass
        if not _answers(server.port):
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot did not start: {log}")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _original_headers(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"


def test_hard_bounces_from_the_mailbox_stop_bulk_mail_and_organisers_see_them(
    any_app, smtp: SMTPServer, dovecot: Dovecot
):
    dovecot.empty()
    any_app.config.update(BOUNCE_IMAP_URL=dovecot.url, BOUNCE_CHECK_SECONDS=0)
    now = datetime.now(UTC)
    with any_app.app_context():
        webinar = create_webinar(starts_at=now + timedelta(days=2), reminder_offsets=[1440])
        webinar_id = webinar.id
        for name in ("hard", "soft", "fine"):
            registrations.register(
                webinar,
                registrations.RegistrationInput(name.title(), f"{name}@example.com"),
                now,
            )
        db.session.commit()
        assert worker.run_once(clock=lambda: now).sent == 3
    sent = {m.rcpt_tos[0]: m for m in smtp.messages}

    # What comes back to the return paths: a hard bounce, a delay, a forged report, a reply.
    hard, soft, fine = (sent[f"{n}@example.com"] for n in ("hard", "soft", "fine"))
    dovecot.deliver(postfix_bounce(hard.mail_from, "hard@example.com", _original_headers(hard.raw)))
    dovecot.deliver(exim_delay(soft.mail_from, "soft@example.com"))
    forged = fine.mail_from.replace("+", "+9", 1)
    dovecot.deliver(postfix_bounce(forged, "fine@example.com", _original_headers(fine.raw)))
    dovecot.deliver(auto_reply(fine.mail_from))
    wait_until(lambda: dovecot.unseen() == 4)

    with any_app.app_context():
        assert worker.run_once(clock=lambda: now + timedelta(minutes=1)).bounced == 1
        assert dovecot.unseen() == 0  # each report flagged \Seen: read once
        assert worker.run_once(clock=lambda: now + timedelta(minutes=2)).bounced == 0
        regs = {r.email: r for r in db.session.scalars(select(Registration))}
        assert {e: r.email_bounced for e, r in regs.items()} == {
            "hard@example.com": True,
            "soft@example.com": False,
            "fine@example.com": False,
        }
        rows = {r.recipient: r for r in db.session.scalars(select(OutboxMessage))}
        assert (rows["hard@example.com"].status, rows["hard@example.com"].last_error) == (
            "bounced",
            "bounced: 5.1.1",
        )
        assert {rows[f"{n}@example.com"].status for n in ("soft", "fine")} == {"sent"}
        hard_manage = tokens.manage_token(regs["hard@example.com"])
        db.session.remove()

        # The day before: reminders go to the others, not to the address that bounced.
        smtp.clear()
        report = worker.run_once(clock=lambda: now + timedelta(days=1, minutes=1))
        assert (report.sent, report.skipped) == (2, 1)
        assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [
            "fine@example.com",
            "soft@example.com",
        ]
        create_user("mira@clinic.example.org", org="clinic")

    client = any_app.test_client()
    login(client, "mira@clinic.example.org")
    page = client.get(f"/organiser/webinars/{webinar_id}/registrants").get_data(as_text=True)
    assert page.count("Email bounced") == 1
    hard_row = page[page.index("hard@example.com") :]
    assert hard_row.index("Email bounced") < hard_row.index("</tr>")
    emails = client.get(f"/organiser/webinars/{webinar_id}/emails").get_data(as_text=True)
    assert emails.count("Email bounced") == 1
    # The registrant sees nothing different.
    manage = any_app.test_client().get(f"/manage/{hard_manage}").get_data(as_text=True)
    assert "bounce" not in manage.lower()


def test_an_unreachable_bounce_mailbox_does_not_stop_the_mail(app, smtp, caplog):
    app.config.update(
        BOUNCE_IMAP_URL=f"imap://bounces:secret@127.0.0.1:{free_port()}/INBOX",
        BOUNCE_CHECK_SECONDS=0,
    )
    now = _reminder_due(app)
    with app.app_context():
        report = worker.run_once(clock=lambda: now)
    assert (report.sent, report.bounced) == (2, 0)
    assert any("bounces: the mailbox could not be read" in r.getMessage() for r in caplog.records)
    assert all("secret" not in r.getMessage() for r in caplog.records)
