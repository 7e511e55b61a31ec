"""A fake Zoom on loopback: the OAuth token and the API calls we make, as documented, and a
record of what it received. Modes: `down` (503 to every API call), `rate_limited` (the next
N API calls get 429 with Retry-After), `revoke_token` (the next API call gets 401)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.fake_platform import FakePlatform

ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET = "acct-test", "client-test", "secret-test"


@dataclass
class FakeZoom(FakePlatform):
    registrants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    webinars: dict[str, dict[str, Any]] = field(default_factory=dict)
    participants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Zoom may return fewer rows a page than asked for; tests set this to see pages followed.
    page_limit: int = 300

    def config(self) -> dict[str, Any]:
        return {
            "ZOOM_ACCOUNT_ID": ACCOUNT_ID,
            "ZOOM_CLIENT_ID": CLIENT_ID,
            "ZOOM_CLIENT_SECRET": CLIENT_SECRET,
            "ZOOM_API_BASE_URL": f"{self.url}/v2",
            "ZOOM_OAUTH_URL": f"{self.url}/oauth/token",
            "ZOOM_TIMEOUT_SECONDS": 5.0,
        }

    def webinar(
        self,
        zoom_id: str,
        approval_type: int = 0,
        topic: str = "Living well with back pain",
        start_time: str = "2026-12-01T18:00:00Z",
    ) -> None:
        """approval_type: 0 automatic, 1 manual, 2 no registration required."""
        self.webinars[zoom_id] = {
            "id": int(zoom_id),
            "uuid": secrets.token_urlsafe(12),
            "topic": topic,
            "type": 5,
            "start_time": start_time,
            "duration": 60,
            "timezone": "Europe/London",
            "settings": {
                "approval_type": approval_type,
                "registration_type": 1,
                "global_dial_in_numbers": [
                    {
                        "city": "London",
                        "country": "GB",
                        "country_name": "United Kingdom",
                        "number": "+44 20 3481 5240",
                        "type": "toll",
                    }
                ],
            },
        }
        self.registrants.setdefault(zoom_id, [])

    def _build(self) -> Flask:
        app = Flask("fake_zoom")

        @app.post("/oauth/token")
        def token() -> Any:
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("Authorization") != f"Basic {expected}":
                return jsonify(
                    reason="Invalid client_id or client_secret", error="invalid_client"
                ), 401
            if (
                request.args.get("grant_type") != "account_credentials"
                or request.args.get("account_id") != ACCOUNT_ID
            ):
                return jsonify(reason="unsupported grant type", error="invalid_request"), 400
            return jsonify(
                access_token=self._issue_token(),
                token_type="bearer",
                expires_in=3599,
                scope="webinar:write:admin",
            )

        self._guard_api(
            app,
            "/v2/",
            lambda: (jsonify(code=124, message="Invalid access token."), 401),
            lambda: jsonify(
                code=429, message="You have reached the maximum per-second rate limit."
            ),
        )

        def missing() -> Any:
            return jsonify(code=3001, message="Webinar does not exist."), 404

        @app.get("/v2/webinars/<zoom_id>")
        def get_webinar(zoom_id: str) -> Any:
            return jsonify(self.webinars[zoom_id]) if zoom_id in self.webinars else missing()

        @app.post("/v2/users/<user_id>/webinars")
        def create_webinar(user_id: str) -> Any:
            body = request.get_json()
            if user_id != "me" or not body.get("topic") or body.get("type") not in (5, 6, 9):
                return jsonify(code=300, message="Invalid request."), 400
            with self.lock:
                zoom_id = str(85000000000 + len(self.webinars) + 1)
            settings = {"approval_type": 2, "registration_type": 1, **body.get("settings", {})}
            self.webinar(zoom_id, settings["approval_type"], body["topic"], body["start_time"])
            created = self.webinars[zoom_id]
            created.update(
                duration=body.get("duration"),
                timezone=body.get("timezone"),
                agenda=body.get("agenda", ""),
                settings=settings,
                join_url=f"https://zoom.example/j/{zoom_id}",
            )
            return jsonify(created), 201

        @app.patch("/v2/webinars/<zoom_id>")
        def patch_webinar(zoom_id: str) -> Any:
            if zoom_id not in self.webinars:
                return missing()
            self.webinars[zoom_id].update(request.get_json())
            return Response(status=204)

        @app.delete("/v2/webinars/<zoom_id>")
        def delete_webinar(zoom_id: str) -> Any:
            if self.webinars.pop(zoom_id, None) is None:
                return missing()
            return Response(status=204)

        @app.post("/v2/webinars/<zoom_id>/registrants")
        def add_registrant(zoom_id: str) -> Any:
            if zoom_id not in self.webinars:
                return missing()
            body = request.get_json()
            approval = self.webinars[zoom_id]["settings"]["approval_type"]
            registrant_id = secrets.token_urlsafe(12)
            with self.lock:
                self.registrants[zoom_id].append(
                    {
                        **body,
                        "id": registrant_id,
                        "status": "pending" if approval == 1 else "approved",
                        "join_url": f"https://zoom.example/w/{zoom_id}?tk={registrant_id}",
                    }
                )
            return jsonify(
                id=int(zoom_id),
                registrant_id=registrant_id,
                join_url=f"https://zoom.example/w/{zoom_id}?tk={registrant_id}",
                topic="Webinar",
                start_time="2026-12-01T18:00:00Z",
            ), 201

        @app.put("/v2/webinars/<zoom_id>/registrants/status")
        def registrant_status(zoom_id: str) -> Any:
            body = request.get_json()
            status = {"approve": "approved", "cancel": "cancelled", "deny": "denied"}[
                body["action"]
            ]
            ids = {r["id"] for r in body["registrants"]}
            with self.lock:
                for registrant in self.registrants.get(zoom_id, []):
                    if registrant["id"] in ids:
                        registrant["status"] = status
            return Response(status=204)

        @app.get("/v2/report/webinars/<zoom_id>/participants")
        def report(zoom_id: str) -> Any:
            rows = self.participants.get(zoom_id)
            if rows is None:
                return missing()
            size = min(int(request.args.get("page_size", 30)), 300, self.page_limit)
            start = int(request.args.get("next_page_token") or 0)
            following = start + size
            return jsonify(
                page_size=size,
                total_records=len(rows),
                next_page_token=str(following) if following < len(rows) else "",
                participants=rows[start:following],
            )

        return app
