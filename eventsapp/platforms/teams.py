"""A small Microsoft Graph client for Teams webinars (virtual events): the client credentials
token and the few calls we make.

The token, timeouts, one renewal on 401 and the sorting of errors are
platforms/api_client.py's, shared with the Zoom client.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from eventsapp.platforms.api_client import (
    ApiClient,
    NotConfigured,
    Participation,
    Registrant,
    TransientError,
)

SCOPE = "https://graph.microsoft.com/.default"


class TeamsClient(ApiClient):
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
        super().__init__(graph_base_url, timeout, session)
        self.tenant_id, self.client_id, self._secret = tenant_id, client_id, client_secret
        self.login_url = login_url.rstrip("/")

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

    def _request_token(self) -> requests.Response:
        return self.session.post(
            f"{self.login_url}/{quote(self.tenant_id, safe='')}/oauth2/v2.0/token",
            data={
                "client_id": self.client_id,
                "client_secret": self._secret,
                "scope": SCOPE,
                "grant_type": "client_credentials",
            },
            timeout=self.timeout,
        )

    def _error_code(self, body: object) -> str:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return str(error["code"])[:60]
        return error[:60] if isinstance(error, str) else ""  # the token endpoint's OAuth errors

    # --- calls ----------------------------------------------------------------------------

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
