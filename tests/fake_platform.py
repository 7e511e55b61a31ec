"""What the fake video platforms (fake_zoom.py, fake_graph.py) share: a Flask app served on
loopback, the tokens they issued, a record of every API call, and the failure modes tests
switch on: `down` (503 to every API call), `rate_limited` (the next N API calls get 429 with
Retry-After), `revoke_token` (the next API call finds its token no longer valid)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from werkzeug.serving import make_server


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    body: Any


@dataclass
class FakePlatform:
    calls: list[Call] = field(default_factory=list)
    tokens_issued: int = 0
    down: bool = False
    rate_limited: int = 0
    retry_after: int = 30
    revoke_token: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._valid: set[str] = set()
        self.app = self._build()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)

    def made(self, method: str, path_end: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method and c.path.endswith(path_end)]

    def _build(self) -> Flask:
        raise NotImplementedError

    def _issue_token(self) -> str:
        issued = secrets.token_urlsafe(16)
        with self.lock:
            self.tokens_issued += 1
            self._valid.add(issued)
        return issued

    def _guard_api(
        self,
        app: Flask,
        prefix: str,
        unauthorised: Callable[[], Any],
        too_many: Callable[[], Response],
    ) -> None:
        """Before every API call under `prefix`: record it, then check the token and the
        failure modes, answering as the platform documents."""

        @app.before_request
        def api_checks() -> Any:
            if not request.path.startswith(prefix):
                return None
            with self.lock:
                self.calls.append(
                    Call(
                        request.method,
                        request.path,
                        dict(request.args),
                        request.get_json(silent=True),
                    )
                )
                given = request.headers.get("Authorization", "").removeprefix("Bearer ")
                if self.revoke_token:
                    self.revoke_token = False
                    self._valid.clear()
                if given not in self._valid:
                    return unauthorised()
                if self.down:
                    return Response("Service Unavailable", 503)
                if self.rate_limited:
                    self.rate_limited -= 1
                    response = too_many()
                    response.status_code = 429
                    response.headers["Retry-After"] = str(self.retry_after)
                    return response
            return None
