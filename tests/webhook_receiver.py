"""A webhook receiver on loopback, as a partner's system would be: it checks each message's
signature with the Standard Webhooks algorithm written out here from the specification
(not with the library the app signs with), and keeps what it was sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import free_port

TOLERANCE_SECONDS = 5 * 60


def signature_holds(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The specification: HMAC-SHA256 of "{id}.{timestamp}.{body}" with the base64-decoded
    secret (after "whsec_"), base64-encoded, one of the space-separated "v1,…" values; and a
    timestamp within five minutes of now."""
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    offered = headers.get("webhook-signature", "").split(" ")
    return any(
        version == "v1" and hmac.compare_digest(value, expected)
        for version, _, value in (item.partition(",") for item in offered)
    )


@dataclass
class Message:
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return self.payload["type"]


class Receiver:
    """Answers `status` (200 unless told otherwise); stop() closes the port (down)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.secret = ""
        self.status = 200
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                message = Message(headers, body, signature_holds(receiver.secret, headers, body))
                with receiver.lock:
                    receiver.messages.append(message)
                self.send_response(receiver.status)
                if receiver.status in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def received(self, type_: str | None = None) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if type_ is None or m.type == type_]
