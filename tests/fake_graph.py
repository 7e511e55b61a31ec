"""A fake Microsoft Graph on loopback: the client credentials token and the virtual event
webinar calls we make, as documented, and a record of what it received. Modes: `down` (503 to
every API call), `rate_limited` (the next N API calls get 429 with Retry-After),
`revoke_token` (the next API call gets 401), `page_limit` (items per page; the rest follows
through @odata.nextLink)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.fake_platform import FakePlatform

TENANT_ID, CLIENT_ID, CLIENT_SECRET = "tenant-test", "ms-client-test", "ms-secret-test"
SCOPE = "https://graph.microsoft.com/.default"
WEBINARS = "/v1.0/solutions/virtualEvents/webinars"


@dataclass
class FakeGraph(FakePlatform):
    token_requests: list[dict[str, str]] = field(default_factory=list)
    registrations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # webinar id -> session id -> report id -> attendance records
    reports: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = field(default_factory=dict)
    page_limit: int = 100

    def config(self) -> dict[str, Any]:
        return {
            "MS_TENANT_ID": TENANT_ID,
            "MS_CLIENT_ID": CLIENT_ID,
            "MS_CLIENT_SECRET": CLIENT_SECRET,
            "MS_GRAPH_BASE_URL": f"{self.url}/v1.0",
            "MS_LOGIN_URL": self.url,
            "ZOOM_TIMEOUT_SECONDS": 5.0,
        }

    def webinar(self, webinar_id: str) -> None:
        self.registrations.setdefault(webinar_id, [])

    def _page(self, items: list[dict[str, Any]]) -> Any:
        start = int(request.args.get("$skiptoken") or 0)
        following = start + self.page_limit
        body: dict[str, Any] = {"value": items[start:following]}
        if following < len(items):
            body["@odata.nextLink"] = f"{request.base_url}?$skiptoken={following}"
        return jsonify(body)

    def _build(self) -> Flask:
        app = Flask("fake_graph")

        @app.post("/<tenant>/oauth2/v2.0/token")
        def token(tenant: str) -> Any:
            form = request.form.to_dict()
            with self.lock:
                self.token_requests.append(form)
            if tenant != TENANT_ID:
                return jsonify(error="invalid_request", error_description="AADSTS90002"), 400
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return jsonify(error="invalid_client", error_description="AADSTS7000215"), 401
            if form.get("grant_type") != "client_credentials" or form.get("scope") != SCOPE:
                return jsonify(error="invalid_request", error_description="AADSTS70011"), 400
            return jsonify(
                token_type="Bearer",
                expires_in=3599,
                ext_expires_in=3599,
                access_token=self._issue_token(),
            )

        self._guard_api(
            app,
            "/v1.0/",
            lambda: (
                jsonify(error={"code": "InvalidAuthenticationToken", "message": "expired"}),
                401,
            ),
            lambda: jsonify(error={"code": "TooManyRequests", "message": "Too many requests."}),
        )

        def missing() -> Any:
            return jsonify(error={"code": "NotFound", "message": "Not found."}), 404

        @app.post(f"{WEBINARS}/<webinar_id>/registrations")
        def create_registration(webinar_id: str) -> Any:
            if webinar_id not in self.registrations:
                return missing()
            body = request.get_json()
            registration_id = secrets.token_hex(8)
            record = {
                "id": registration_id,
                "firstName": body["firstName"],
                "lastName": body["lastName"],
                "email": body["email"],
                "status": "registered",
                "joinWebUrl": f"https://teams.example/l/meetup-join/{registration_id}",
            }
            with self.lock:
                self.registrations[webinar_id].append(record)
            return jsonify(record), 201

        @app.post(f"{WEBINARS}/<webinar_id>/registrations/<registration_id>/cancel")
        def cancel_registration(webinar_id: str, registration_id: str) -> Any:
            with self.lock:
                for record in self.registrations.get(webinar_id, []):
                    if record["id"] == registration_id:
                        record["status"] = "canceled"
                        return Response(status=204)
            return missing()

        @app.get(f"{WEBINARS}/<webinar_id>/sessions")
        def sessions(webinar_id: str) -> Any:
            if webinar_id not in self.registrations:
                return missing()
            found = self.reports.get(webinar_id) or {"only-session": {}}
            return self._page([{"id": session} for session in found])

        @app.get(f"{WEBINARS}/<webinar_id>/sessions/<session_id>/attendanceReports")
        def attendance_reports(webinar_id: str, session_id: str) -> Any:
            found = (self.reports.get(webinar_id) or {}).get(session_id) or {}
            return self._page([{"id": report, "totalParticipantCount": 0} for report in found])

        @app.get(
            f"{WEBINARS}/<webinar_id>/sessions/<session_id>/attendanceReports/<report_id>"
            "/attendanceRecords"
        )
        def attendance_records(webinar_id: str, session_id: str, report_id: str) -> Any:
            sessions = self.reports.get(webinar_id) or {}
            records = (sessions.get(session_id) or {}).get(report_id)
            if records is None:
                return missing()
            return self._page(records)

        return app
