"""What the Zoom and Microsoft Graph clients share: an OAuth client-credentials token kept
per process until a minute before it expires, a timeout on every call, one new token if the
platform answers 401, and errors sorted the way the worker needs them.

TransientError (network, 5xx, 408, 425, 429 with Retry-After) waits and tries again;
PermanentError (any other 4xx) fails the job. Messages carry HTTP statuses and the
platform's error codes only, never what was sent (names, addresses, join URLs).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests


class PlatformError(Exception):
    """A call failed; the message is safe to store and log."""


class TransientError(PlatformError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the platform asked us to wait (429)


class PermanentError(PlatformError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NotConfigured(PlatformError):
    """The platform's account settings are missing."""


@dataclass(frozen=True)
class Registrant:
    registrant_id: str
    join_url: str | None


@dataclass(frozen=True)
class Participation:
    """One stay in the webinar (someone who rejoined has several)."""

    name: str
    email: str  # lower-case; "" when the platform had none
    registrant_id: str
    seconds: int


# Tokens shared by every client of this process, per (token URL, account or tenant, client).
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    with _tokens_lock:
        _tokens.clear()


def retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:  # an HTTP date
        return max((parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


class ApiClient:
    """A platform's API: subclasses say how to get a token and how it names its errors."""

    def __init__(self, base_url: str, timeout: float, session: requests.Session | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    # --- what each platform says ----------------------------------------------------------

    @property
    def _token_key(self) -> tuple[str, str, str]:
        raise NotImplementedError

    def _request_token(self) -> requests.Response:
        """POST to the platform's token endpoint (client credentials)."""
        raise NotImplementedError

    def _error_code(self, body: object) -> str:
        """The platform's own error code in a response body, or ""."""
        return ""

    # --- shared ---------------------------------------------------------------------------

    def _error(self, response: requests.Response, what: str) -> PlatformError:
        try:
            code = self._error_code(response.json())
        except (ValueError, TypeError):
            code = ""
        message = f"{what}: HTTP {response.status_code}{f' code {code}' if code else ''}"
        status = response.status_code
        if status == 429 or status >= 500 or status in (408, 425):
            return TransientError(message, retry_after(response))
        return PermanentError(message, status)

    def _token(self, renew: bool = False) -> str:
        with _tokens_lock:
            held = _tokens.get(self._token_key)
            if held and not renew and held[1] > time.monotonic():
                return held[0]
        try:
            response = self._request_token()
        except requests.RequestException as exc:
            raise TransientError(f"token: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise self._error(response, "token")
        body = response.json()
        token = str(body["access_token"])
        # A minute's margin, so a token never expires between here and the platform.
        expires = time.monotonic() + max(int(body.get("expires_in", 3600)) - 60, 0)
        with _tokens_lock:
            _tokens[self._token_key] = (token, expires)
        return token

    def _call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        ok_statuses: tuple[int, ...] = (),
    ) -> dict[str, Any]:
        """One call to a path under the base URL, or to a full URL (a next-page link);
        {} for an empty answer (204) or a status in ok_statuses."""
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        renewed = False
        while True:
            token = self._token(renew=renewed)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                raise TransientError(f"{what}: {type(exc).__name__}") from exc
            if response.status_code == 401 and not renewed:
                renewed = True  # revoked or expired early: one new token, then give up
                continue
            if response.status_code in ok_statuses:
                return {}
            if not 200 <= response.status_code < 300:
                raise self._error(response, what)
            if response.status_code == 204 or not response.content:
                return {}
            body = response.json()
            return body if isinstance(body, dict) else {}
