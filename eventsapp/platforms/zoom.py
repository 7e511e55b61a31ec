"""A small Zoom API client: Server-to-Server OAuth and the few calls we make (the token,
timeouts, retries on 401 and error sorting are platforms/api_client.py's)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from eventsapp.platforms.api_client import (
    ApiClient,
    NotConfigured,
    Participation,
    PermanentError,
    Registrant,
)


@dataclass(frozen=True)
class ZoomWebinar:
    """What we read back of a Zoom webinar (GET /webinars/{id})."""

    webinar_id: str
    topic: str
    start_time: datetime | None  # UTC; None for a recurring webinar with no fixed time
    # settings.approval_type: 0 automatic, 1 manual, 2 no registration required.
    approval_type: int
    # settings.global_dial_in_numbers, as "United Kingdom: +44 20 3481 5240" lines.
    dial_in: tuple[str, ...] = ()

    @property
    def meeting_id(self) -> str:
        """The webinar ID as Zoom says it to phone callers: 812 3456 7890."""
        digits = self.webinar_id
        return " ".join([digits[:-8], digits[-8:-4], digits[-4:]]).strip()

    @property
    def registration_required(self) -> bool:
        return self.approval_type in (0, 1)


def _zoom_time(raw: object) -> datetime | None:
    """Zoom's "2026-12-01T18:00:00Z" as an aware UTC datetime."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


class ZoomClient(ApiClient):
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
        super().__init__(api_base_url, timeout, session)
        self.account_id, self.client_id, self._secret = account_id, client_id, client_secret
        self.oauth_url = oauth_url

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

    def _request_token(self) -> requests.Response:
        return self.session.post(
            self.oauth_url,
            params={"grant_type": "account_credentials", "account_id": self.account_id},
            auth=(self.client_id, self._secret),
            timeout=self.timeout,
        )

    def _error_code(self, body: object) -> str:
        return str(int(body["code"])) if isinstance(body, dict) and "code" in body else ""

    # --- calls ----------------------------------------------------------------------------

    @staticmethod
    def _webinar(webinar_id: str) -> str:
        return f"/webinars/{quote(webinar_id, safe='')}"

    def get_webinar(self, webinar_id: str) -> ZoomWebinar:
        body = self._call("GET", self._webinar(webinar_id), "get webinar")
        start = body.get("start_time")
        if not start:  # a recurring webinar: its first occurrence
            start = next(iter(body.get("occurrences") or []), {}).get("start_time")
        return _read_webinar(body, webinar_id, start)

    def needs_approval(self, webinar_id: str) -> bool:
        """Manual approval (approval_type 1): registrants must be approved to get a link."""
        return self.get_webinar(webinar_id).approval_type == 1

    def create_webinar(
        self, topic: str, agenda: str, starts_at: datetime, duration_minutes: int
    ) -> ZoomWebinar:
        """A webinar (type 5) on the account's own user, registration required with manual
        approval, so only the people we add (and approve) get a link. Zoom sends them no
        emails of its own: ours carry their join link."""
        body = self._call(
            "POST",
            "/users/me/webinars",
            "create webinar",
            json={
                "topic": topic[:200],
                "type": 5,
                "start_time": starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration": duration_minutes,
                "timezone": "Europe/London",
                "agenda": agenda[:2000],
                "settings": {
                    "approval_type": 1,
                    "registration_type": 1,
                    "registrants_confirmation_email": False,
                    "registrants_email_notification": False,
                },
            },
        )
        if not body.get("id"):
            raise PermanentError("create webinar: no id in Zoom's answer", 200)
        created = _read_webinar(body, str(body["id"]), body.get("start_time"), approval=1)
        return replace(
            created, topic=created.topic or topic, start_time=created.start_time or starts_at
        )

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


def _read_webinar(
    body: dict[str, Any], webinar_id: str, start: str | None, approval: int = 2
) -> ZoomWebinar:
    """A webinar from Zoom's answer; `approval` when it leaves approval_type out."""
    settings = body.get("settings") or {}
    numbers = [
        f"{entry.get('country_name') or entry.get('country') or 'Phone'}: {entry['number']}"
        for entry in settings.get("global_dial_in_numbers") or []
        if isinstance(entry, dict) and entry.get("number")
    ]
    return ZoomWebinar(
        webinar_id=str(body.get("id") or webinar_id),
        topic=str(body.get("topic") or ""),
        start_time=_zoom_time(start),
        approval_type=int(settings.get("approval_type", approval)),
        dial_in=tuple(numbers),
    )
