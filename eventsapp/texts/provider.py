"""One interface for sending texts, whichever provider carries them.

`Provider.send(to, body)` sends one text to an E.164 number and returns the provider's id of
the message, or raises TransientError (try again later: network, 5xx, 429 with the wait it
asked for) or PermanentError (do not retry: a refused number, a bad request). Messages of
both errors carry HTTP statuses and the provider's error codes only, never the number or
the body, so they are safe to store and log.

`make_provider(config)`: Twilio when TWILIO_ACCOUNT_SID is set; in development without it,
a provider that writes each text to instance/texts/ (as development email goes to
instance/mail/); otherwise NotConfigured, and texts wait in the queue.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class TextError(Exception):
    """Sending failed; the message is safe to store and log."""


class TransientError(TextError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the provider asked us to wait (429)


class PermanentError(TextError):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code  # the provider's own error code, if it gave one

    @property
    def recipient_stopped(self) -> bool:
        """The recipient had replied STOP to our number (Twilio error 21610)."""
        return self.code == 21610


class NotConfigured(TextError):
    """The provider's account settings are missing."""


class Provider(Protocol):
    def send(self, to: str, body: str) -> str: ...


class FileProvider:
    """Development: each text becomes instance/texts/<id>.txt (number, then body)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, to: str, body: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        message_id = "DEV" + secrets.token_hex(16)
        path = self.directory / f"{message_id}.txt"
        path.write_text(f"To: {to}\n\n{body}\n", encoding="utf-8")
        log.info("development text provider wrote %s", path.name)
        return message_id
