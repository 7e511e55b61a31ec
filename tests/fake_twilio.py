"""A fake Twilio on loopback, written from Twilio's documentation of Programmable Messaging:

- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From`, `Body`,
  HTTP Basic auth (Account SID : Auth Token). Answers 201 with the Message resource (JSON,
  `sid` "SM" + 32 hex); a wrong login is 401 with error 20003; a missing To or Body is 400
  with 21604 or 21602; a number that replied STOP is 400 with 21610 (Advanced Opt-Out: Twilio
  itself refuses to text it). `fail(...)` injects the next answers (500, 429 with
  Retry-After, 400 with a code).
- Inbound messages: `reply(url, sender, body)` posts to our webhook what Twilio posts
  (MessageSid, AccountSid, From, To, Body, NumMedia, …), signed as Twilio signs:
  X-Twilio-Signature = base64(HMAC-SHA1(auth token, the webhook URL as configured in Twilio
  + each POST parameter's name and value, sorted by name)). A STOP reply also adds the number
  to the opted-out list, as Twilio does. Its own signer: nothing of the app's is imported.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"  # noqa: S105 (a test's fake credential)
FROM = "+447700900999"
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}


@dataclass
class Sent:
    sid: str
    to: str
    sender: str
    body: str


@dataclass
class Failure:
    status: int
    code: int | None = None
    retry_after: int | None = None


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """As Twilio's "Webhooks security" page describes it, for a POST."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(
        hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()


@dataclass
class FakeTwilio:
    sent: list[Sent] = field(default_factory=list)
    attempts: int = 0  # every POST to Messages.json, answered or refused
    opted_out: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    # The messaging webhook URL set on our number in Twilio's console: what Twilio signs.
    webhook_url: str = "https://webinars.example.org/webhooks/twilio/sms"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = self._build()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)

    def config(self) -> dict[str, Any]:
        return {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": FROM,
            "TWILIO_API_BASE_URL": self.url,
            "TEXT_TIMEOUT_SECONDS": 5.0,
        }

    def fail(self, status: int, code: int | None = None, retry_after: int | None = None) -> None:
        """The next send gets this answer instead of being sent."""
        with self.lock:
            self.failures.append(Failure(status, code, retry_after))

    def to(self, number: str) -> list[Sent]:
        with self.lock:
            return [s for s in self.sent if s.to == number]

    # --- inbound: Twilio posting a reply to our webhook -------------------------------------

    def reply(
        self,
        post_to: str,
        sender: str,
        body: str,
        signed_url: str | None = None,
        auth_token: str = AUTH_TOKEN,
        signature: str | None = None,
        signed_sender: str | None = None,
    ) -> requests.Response:
        """POST an incoming message as Twilio does, to `post_to` (where the test's server
        listens), signed over `webhook_url`. Forgeries: signed over another URL, with another
        `auth_token`, a given `signature`, or for another sender than the one posted."""
        sid = "SM" + secrets.token_hex(16)
        params = {
            "ToCountry": "GB",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "GB",
            "To": FROM,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        genuine = (signed_url, auth_token, signature, signed_sender) == (
            None,
            AUTH_TOKEN,
            None,
            None,
        )
        if genuine and body.strip().upper() in STOP_WORDS:
            with self.lock:
                self.opted_out.add(sender)
        if signature is None:
            signature = twilio_signature(
                auth_token,
                signed_url or self.webhook_url,
                {**params, "From": signed_sender or sender},
            )
        headers = {
            "X-Twilio-Signature": signature,
            "User-Agent": "TwilioProxy/1.1",
        }
        return requests.post(post_to, data=params, headers=headers, timeout=10)

    # --- the REST API -----------------------------------------------------------------------

    def _build(self) -> Flask:
        app = Flask("fake_twilio")

        def error(status: int, code: int, message: str) -> Any:
            return jsonify(
                code=code,
                message=message,
                more_info=f"https://www.twilio.com/docs/errors/{code}",
                status=status,
            ), status

        @app.post("/2010-04-01/Accounts/<account_sid>/Messages.json")
        def create_message(account_sid: str) -> Any:
            with self.lock:
                self.attempts += 1
            auth = request.authorization
            if (
                auth is None
                or auth.type != "basic"
                or auth.username != ACCOUNT_SID
                or auth.password != AUTH_TOKEN
                or account_sid != ACCOUNT_SID
            ):
                return error(401, 20003, "Authenticate")
            if request.mimetype != "application/x-www-form-urlencoded":
                return error(400, 21603, "A 'From' phone number is required.")
            to, sender, body = (request.form.get(k, "") for k in ("To", "From", "Body"))
            if not to:
                return error(400, 21604, "A 'To' phone number is required.")
            if sender != FROM:
                return error(
                    400,
                    21606,
                    "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination/account.",
                )
            if not body:
                return error(400, 21602, "Message body is required.")
            with self.lock:
                failure = self.failures.pop(0) if self.failures else None
                stopped = to in self.opted_out
            if failure is not None:
                if failure.status >= 500:
                    return jsonify(
                        code=20500, message="Internal Server Error", status=failure.status
                    ), failure.status
                words = "Too Many Requests" if failure.status == 429 else "Bad Request"
                response, status = error(failure.status, failure.code or 20429, words)
                if failure.retry_after is not None:
                    response.headers["Retry-After"] = str(failure.retry_after)
                return response, status
            if stopped:
                return error(400, 21610, "Attempt to send to unsubscribed recipient")
            sid = "SM" + secrets.token_hex(16)
            with self.lock:
                self.sent.append(Sent(sid, to, sender, body))
            now = formatdate(usegmt=True)
            return jsonify(
                account_sid=ACCOUNT_SID,
                api_version="2010-04-01",
                body=body,
                date_created=now,
                date_sent=None,
                date_updated=now,
                direction="outbound-api",
                error_code=None,
                error_message=None,
                sid=sid,
                status="queued",
                num_segments=str((len(body) + 152) // 153 if len(body) > 160 else 1),
                num_media="0",
                to=to,
                uri=f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                **{"from": FROM},
            ), 201

        return app
