"""A small Zoom API client: Server-to-Server OAuth and the few calls we make.

Every call has a timeout. The access token is kept (per process, per account) until a minute
before it expires, and fetched again once if Zoom answers 401. Errors are sorted the way
the worker needs them: TransientError (network, 5xx, 429 with Retry-After) waits and tries
again; PermanentError (other 4xx) fails the job. Messages carry HTTP statuses and Zoom's
error codes only, never what was sent (names, addresses, join URLs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests


class ZoomError(Exception):
    """A call failed; the message is safe to store and log."""


class TransientError(ZoomError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds Zoom asked us to wait (429)


class PermanentError(ZoomError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NotConfigured(ZoomError):
    """The ZOOM_ account settings are missing."""


@dataclass(frozen=True)
class Registrant:
    registrant_id: str
    join_url: str | None


@dataclass(frozen=True)
class Participation:
    """One stay in the webinar (someone who rejoined has several)."""

    name: str
    email: str  # lower-case; "" when Zoom had none
    registrant_id: str
    seconds: int


# Tokens shared by every client of this process, per (OAuth URL, account, client id).
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    with _tokens_lock:
        _tokens.clear()


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:  # an HTTP date
        from email.utils import parsedate_to_datetime

        return max((parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def _error(response: requests.Response, what: str) -> ZoomError:
    code = ""
    try:
        body = response.json()
        if isinstance(body, dict) and "code" in body:
            code = f" code {int(body['code'])}"
    except (ValueError, TypeError):
        pass
    message = f"{what}: HTTP {response.status_code}{code}"
    if response.status_code == 429:
        return TransientError(message, _retry_after(response))
    if response.status_code >= 500 or response.status_code in (408, 425):
        return TransientError(message, _retry_after(response))
    return PermanentError(message, response.status_code)


class ZoomClient:
    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: str,
        api_base_url: str = "https://api.zoom.us/v2",
        oauth_url: str = "https://zoom.us/oauth/token",
        timeout: float = 15.0,
        session: requests.Session | None = None,
    ) -> None:
        self.account_id, self.client_id, self._secret = account_id, client_id, client_secret
        self.api_base_url, self.oauth_url = api_base_url.rstrip("/"), oauth_url
        self.timeout = timeout
        self.session = session or requests.Session()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ZoomClient:
        names = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
        missing = [name for name in names if not config.get(name)]
        if missing:
            raise NotConfigured(f"Zoom is not configured: {', '.join(missing)} unset")
        return cls(
            account_id=config["ZOOM_ACCOUNT_ID"],
            client_id=config["ZOOM_CLIENT_ID"],
            client_secret=config["ZOOM_CLIENT_SECRET"],
            api_base_url=config["ZOOM_API_BASE_URL"],
            oauth_url=config["ZOOM_OAUTH_URL"],
            timeout=config["ZOOM_TIMEOUT_SECONDS"],
        )

    # --- the token ------------------------------------------------------------------------

    @property
    def _token_key(self) -> tuple[str, str, str]:
        return self.oauth_url, self.account_id, self.client_id

    def _token(self, renew: bool = False) -> str:
        with _tokens_lock:
            held = _tokens.get(self._token_key)
            if held and not renew and held[1] > time.monotonic():
                return held[0]
        try:
            response = self.session.post(
                self.oauth_url,
                params={"grant_type": "account_credentials", "account_id": self.account_id},
                auth=(self.client_id, self._secret),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TransientError(f"oauth: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise _error(response, "oauth")
        body = response.json()
        token = str(body["access_token"])
        # A minute's margin, so a token never expires between here and Zoom.
        expires = time.monotonic() + max(int(body.get("expires_in", 3600)) - 60, 0)
        with _tokens_lock:
            _tokens[self._token_key] = (token, expires)
        return token

    # --- calls ----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        ok_statuses: tuple[int, ...] = (),
    ) -> dict[str, Any]:
        """One API call; {} for an empty answer (204) or a status in ok_statuses."""
        renewed = False
        while True:
            token = self._token(renew=renewed)
            try:
                response = self.session.request(
                    method,
                    self.api_base_url + path,
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
                raise _error(response, what)
            if response.status_code == 204 or not response.content:
                return {}
            body = response.json()
            return body if isinstance(body, dict) else {}

    @staticmethod
    def _webinar(webinar_id: str) -> str:
        return f"/webinars/{quote(webinar_id, safe='')}"

    def needs_approval(self, webinar_id: str) -> bool:
        """Manual approval (approval_type 1): registrants must be approved to get a link."""
        body = self._call("GET", self._webinar(webinar_id), "get webinar")
        return int((body.get("settings") or {}).get("approval_type", 0)) == 1

    def add_registrant(
        self, webinar_id: str, email: str, first_name: str, last_name: str
    ) -> Registrant:
        body = self._call(
            "POST",
            f"{self._webinar(webinar_id)}/registrants",
            "add registrant",
            json={"email": email, "first_name": first_name, "last_name": last_name},
        )
        return Registrant(str(body["registrant_id"]), body.get("join_url") or None)

    def set_registrant_status(self, webinar_id: str, action: str, registrant_id: str) -> None:
        """action: approve, deny or cancel."""
        self._call(
            "PUT",
            f"{self._webinar(webinar_id)}/registrants/status",
            f"{action} registrant",
            json={"action": action, "registrants": [{"id": registrant_id}]},
        )

    def move_webinar(self, webinar_id: str, starts_at: datetime, duration_minutes: int) -> None:
        self._call(
            "PATCH",
            self._webinar(webinar_id),
            "update webinar",
            json={
                "start_time": starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration": duration_minutes,
                "timezone": "UTC",
            },
        )

    def delete_webinar(self, webinar_id: str) -> None:
        """Deleted there; our own emails tell registrants (Zoom's reminder is not sent).
        Already gone (404) is done too."""
        self._call(
            "DELETE",
            self._webinar(webinar_id),
            "delete webinar",
            params={"cancel_webinar_reminder": "false"},
            ok_statuses=(404,),
        )

    def participants(self, webinar_id: str) -> Iterator[Participation]:
        """The past webinar's participants report, every page (300 a page)."""
        token = ""
        while True:
            params: dict[str, Any] = {"page_size": 300}
            if token:
                params["next_page_token"] = token
            body = self._call(
                "GET",
                f"/report{self._webinar(webinar_id)}/participants",
                "participants report",
                params=params,
            )
            for row in body.get("participants") or []:
                yield Participation(
                    name=str(row.get("name") or ""),
                    email=str(row.get("user_email") or "").strip().lower(),
                    registrant_id=str(row.get("registrant_id") or ""),
                    seconds=int(row.get("duration") or 0),
                )
            token = str(body.get("next_page_token") or "")
            if not token:
                return
