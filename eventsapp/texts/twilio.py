"""Twilio's Programmable Messaging: sending a text, and checking Twilio's signature on the
messages it posts to us.

Sending: `POST {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
form-encoded `To`, `From`, `Body`, HTTP Basic auth (Account SID : Auth Token); Twilio
answers 201 with the Message resource, whose `sid` we keep. 429 and 5xx are transient
(a 429's Retry-After is honoured), any other 4xx permanent; Twilio's error code (`code` in
the error body, e.g. 21610 "recipient replied STOP", 21211 "not a valid number") is kept
with the HTTP status, never the number or the body.

Signatures (Twilio's "Webhooks security"): X-Twilio-Signature is base64(HMAC-SHA1(auth
token, the full URL Twilio called + each POST parameter's name and value, sorted by name)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from eventsapp.platforms.api_client import retry_after
from eventsapp.texts.provider import NotConfigured, PermanentError, TransientError

API_VERSION = "2010-04-01"


class TwilioProvider:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        base_url: str = "https://api.twilio.com",
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TwilioProvider:
        missing = [
            name
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
            if not config.get(name)
        ]
        if missing:
            raise NotConfigured(f"{', '.join(missing)} not set")
        return cls(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            config["TWILIO_FROM"],
            config.get("TWILIO_API_BASE_URL") or "https://api.twilio.com",
            float(config.get("TEXT_TIMEOUT_SECONDS") or 10.0),
        )

    def close(self) -> None:
        self.session.close()

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    def send(self, to: str, body: str) -> str:
        try:
            response = self.session.post(
                self.messages_url,
                data={"To": to, "From": self.sender, "Body": body},
                auth=(self.account_sid, self.auth_token),
                timeout=(min(self.timeout, 5.0), self.timeout),
            )
        except requests.RequestException as exc:
            raise TransientError(f"Twilio: {type(exc).__name__}") from exc
        if response.status_code in (200, 201):
            try:
                sid = response.json().get("sid")
            except (ValueError, AttributeError):
                sid = None
            if not isinstance(sid, str) or not sid:
                # Accepted, by the status: sending it again could text them twice.
                return f"unknown-{response.status_code}"
            return sid
        code = _error_code(response)
        message = f"Twilio: HTTP {response.status_code}{f' code {code}' if code else ''}"
        status = response.status_code
        if status == 429 or status >= 500 or status in (408, 425):
            raise TransientError(message, retry_after(response))
        raise PermanentError(message, code)


def _error_code(response: requests.Response) -> int | None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """What Twilio puts in X-Twilio-Signature for a POST of `params` to `url`: the URL, then
    each parameter's name and value (names sorted; a repeated name's values sorted too, as
    Twilio's own RequestValidator does), HMAC-SHA1 with the auth token, base64."""
    by_name: dict[str, set[str]] = {}
    for name, value in params:
        by_name.setdefault(name, set()).add(value)
    data = url + "".join(
        name + value for name in sorted(by_name) for value in sorted(by_name[name])
    )
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_matches(
    auth_token: str | None, url: str, params: Iterable[tuple[str, str]], given: str
) -> bool:
    if not auth_token or not given:
        return False
    return hmac.compare_digest(signature(auth_token, url, params), given)
