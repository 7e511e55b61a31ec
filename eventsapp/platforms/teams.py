"""A small Microsoft Graph client for Teams webinars (virtual events): the client credentials
token and the few calls we make.

The same rules as the Zoom client (platforms/zoom.py), whose errors and results it shares:
every call has a timeout; the token is kept (per process, per tenant and app) until a minute
before it expires and fetched again once if Graph answers 401; TransientError (network,
5xx, 429 with Retry-After) waits and tries again, PermanentError (other 4xx) fails the job.
Messages carry HTTP statuses and Graph's error codes only, never what was sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from eventsapp.platforms.zoom import (
    NotConfigured,
    Participation,
    PermanentError,
    Registrant,
    TransientError,
    ZoomError,
    _retry_after,
)

SCOPE = "https://graph.microsoft.com/.default"

# Tokens shared by every client of this process, per (login URL, tenant, client id).
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    with _tokens_lock:
        _tokens.clear()


def _error(response: requests.Response, what: str) -> ZoomError:
    code = ""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            code = f" code {error['code'][:60]}"
        elif isinstance(error, str):  # the token endpoint's OAuth errors
            code = f" code {error[:60]}"
    except (ValueError, TypeError):
        pass
    message = f"{what}: HTTP {response.status_code}{code}"
    if response.status_code == 429 or response.status_code >= 500:
        return TransientError(message, _retry_after(response))
    if response.status_code in (408, 425):
        return TransientError(message, _retry_after(response))
    return PermanentError(message, response.status_code)


class TeamsClient:
    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        graph_base_url: str = "https://graph.microsoft.com/v1.0",
        login_url: str = "https://login.microsoftonline.com",
        timeout: float = 15.0,
        session: requests.Session | None = None,
    ) -> None:
        self.tenant_id, self.client_id, self._secret = tenant_id, client_id, client_secret
        self.graph_base_url, self.login_url = graph_base_url.rstrip("/"), login_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TeamsClient:
        names = ("MS_TENANT_ID", "MS_CLIENT_ID", "MS_CLIENT_SECRET")
        missing = [name for name in names if not config.get(name)]
        if missing:
            raise NotConfigured(f"Teams is not configured: {', '.join(missing)} unset")
        return cls(
            tenant_id=config["MS_TENANT_ID"],
            client_id=config["MS_CLIENT_ID"],
            client_secret=config["MS_CLIENT_SECRET"],
            graph_base_url=config["MS_GRAPH_BASE_URL"],
            login_url=config["MS_LOGIN_URL"],
            timeout=config["ZOOM_TIMEOUT_SECONDS"],
        )

    # --- the token ------------------------------------------------------------------------

    @property
    def _token_key(self) -> tuple[str, str, str]:
        return self.login_url, self.tenant_id, self.client_id

    def _token(self, renew: bool = False) -> str:
        with _tokens_lock:
            held = _tokens.get(self._token_key)
            if held and not renew and held[1] > time.monotonic():
                return held[0]
        try:
            response = self.session.post(
                f"{self.login_url}/{quote(self.tenant_id, safe='')}/oauth2/v2.0/token",
                data={
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                    "scope": SCOPE,
                    "grant_type": "client_credentials",
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TransientError(f"token: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise _error(response, "token")
        body = response.json()
        token = str(body["access_token"])
        expires = time.monotonic() + max(int(body.get("expires_in", 3600)) - 60, 0)
        with _tokens_lock:
            _tokens[self._token_key] = (token, expires)
        return token

    # --- calls ----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One call to a path under the Graph base URL, or to a full URL (@odata.nextLink)."""
        if not url.startswith(("http://", "https://")):
            url = self.graph_base_url + url
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
            if not 200 <= response.status_code < 300:
                raise _error(response, what)
            if response.status_code == 204 or not response.content:
                return {}
            body = response.json()
            return body if isinstance(body, dict) else {}

    def _all(self, path: str, what: str) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink."""
        url: str = path
        while url:
            body = self._call("GET", url, what)
            yield from (v for v in body.get("value") or [] if isinstance(v, dict))
            url = str(body.get("@odata.nextLink") or "")

    @staticmethod
    def _webinar(webinar_id: str) -> str:
        return f"/solutions/virtualEvents/webinars/{quote(webinar_id, safe='@')}"

    def add_registration(
        self, webinar_id: str, email: str, first_name: str, last_name: str
    ) -> Registrant:
        body = self._call(
            "POST",
            f"{self._webinar(webinar_id)}/registrations",
            "create registration",
            json={"firstName": first_name, "lastName": last_name, "email": email},
        )
        if not body.get("id"):
            # Some tenants answer an application's registration with no body: look it up.
            found = self._call(
                "GET",
                f"{self._webinar(webinar_id)}/registrations",
                "find registration",
                params={"$filter": f"email eq '{email.replace(chr(39), chr(39) * 2)}'"},
            )
            rows = [r for r in found.get("value") or [] if r.get("status") != "canceled"]
            if not rows:
                raise TransientError("create registration: not found after creating")
            body = rows[-1]
        return Registrant(str(body["id"]), body.get("joinWebUrl") or None)

    def cancel_registration(self, webinar_id: str, registration_id: str) -> None:
        self._call(
            "POST",
            f"{self._webinar(webinar_id)}/registrations/{quote(registration_id, safe='')}/cancel",
            "cancel registration",
        )

    def attendance(self, webinar_id: str) -> Iterator[Participation]:
        """Every attendance record of every session's attendance reports (every page).
        No report yet is a TransientError: asked for again later."""
        sessions = self._webinar(webinar_id) + "/sessions"
        seen = 0
        for session in list(self._all(sessions, "list sessions")):
            reports = f"{sessions}/{quote(str(session['id']), safe='')}/attendanceReports"
            for report in list(self._all(reports, "list attendance reports")):
                seen += 1
                records = f"{reports}/{quote(str(report['id']), safe='')}/attendanceRecords"
                for row in self._all(records, "list attendance records"):
                    identity = row.get("identity") or {}
                    yield Participation(
                        name=str(identity.get("displayName") or ""),
                        email=str(row.get("emailAddress") or "").strip().lower(),
                        registrant_id=str(row.get("registrationId") or ""),
                        seconds=int(row.get("totalAttendanceInSeconds") or 0),
                    )
        if not seen:
            raise TransientError("list attendance reports: none yet")
