"""Where messages go: an SMTP server, or .eml files in development.

The only module that talks SMTP. It uses smtplib directly, not Flask-Mail's connection:
that has no timeout, and a dead server must not hang the worker.
"""

from __future__ import annotations

import logging
import smtplib
from pathlib import Path
from typing import Protocol

from email_validator import EmailNotValidError, validate_email

log = logging.getLogger(__name__)


class TransientError(Exception):
    """Try again later: 4xx replies, timeouts, refused or dropped connections."""


class PermanentError(Exception):
    """Do not retry this message: a 5xx reply for it."""


class Transport(Protocol):
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, sender: str, recipient: str, data: bytes, message_id: str) -> None: ...


def _classify(exc: Exception) -> Exception:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        code = codes[0] if codes else None
    if isinstance(code, int) and 500 <= code < 600:
        return PermanentError(f"SMTP {code}")
    if isinstance(code, int):
        return TransientError(f"SMTP {code}")
    return TransientError(type(exc).__name__)


def envelope_address(address: str) -> str:
    """The address as SMTP carries it without SMTPUTF8: an accented domain in its ASCII
    (IDNA) form. One that cannot be written so fails its own row, permanently, instead of
    raising an encoding error that would stop the batch (the forms refuse such addresses).
    """
    if address.isascii():
        return address
    try:
        ascii_email = validate_email(address, check_deliverability=False).ascii_email
    except EmailNotValidError:
        ascii_email = None
    if not ascii_email:
        raise PermanentError("address needs SMTPUTF8")
    return ascii_email


class SMTPTransport:
    """One connection per batch; errors are sorted into transient and permanent."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float,
        use_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ):
        self.host, self.port, self.timeout = host, port, timeout
        self.use_tls, self.username, self.password = use_tls, username, password
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SMTPTransport:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.use_tls:
                smtp.starttls()
            if self.username and self.password:
                smtp.login(self.username, self.password)
        except OSError as exc:  # includes every SMTPException
            raise _classify(exc) from exc
        self._smtp = smtp
        return self

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except OSError:
                self._smtp.close()
            self._smtp = None

    def send(self, sender: str, recipient: str, data: bytes, message_id: str) -> None:
        if self._smtp is None:
            raise TransientError("not connected")
        envelope = envelope_address(recipient)
        # Order matters: SMTPException is a subclass of OSError.
        try:
            self._smtp.sendmail(sender, [envelope], data)
        except smtplib.SMTPServerDisconnected as exc:
            self._smtp = None  # the connection is gone; the worker stops this batch
            raise TransientError(type(exc).__name__) from exc
        except smtplib.SMTPException as exc:
            # A refused message leaves the session usable; reset it for the next one.
            try:
                self._smtp.rset()
            except OSError:
                self._smtp = None
            raise _classify(exc) from exc
        except OSError as exc:  # timeouts, resets
            self._smtp = None
            raise TransientError(type(exc).__name__) from exc

    @property
    def connected(self) -> bool:
        return self._smtp is not None


class FileTransport:
    """Development: each message becomes instance/mail/<message-id>.eml."""

    def __init__(self, directory: str):
        self.directory = Path(directory)

    def __enter__(self) -> FileTransport:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, sender: str, recipient: str, data: bytes, message_id: str) -> None:
        name = message_id.strip("<>").replace("@", "_at_").replace("/", "_") + ".eml"
        path = self.directory / name
        path.write_bytes(data)
        log.info("development mail transport wrote %s", path)

    @property
    def connected(self) -> bool:
        return True
