"""Tokens for personal links (manage, join, stop reminders, feedback).

A token is HMAC-SHA256(SECRET_KEY, purpose|id|salt), or purpose|salt for links whose hash
is stored (the salt is 128 random bits, unique on its own, so the row can be written with
its link hashes in one INSERT, before its id exists): 256 bits, unguessable, and
re-derivable by the mail worker at send time, so no email body or queue row ever has
to hold it. The database keeps only SHA-256(token) for lookup; a fresh salt revokes
a link. Lookups go by the hash (an index probe), so no secret is compared byte by byte.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def new_salt() -> str:
    return secrets.token_hex(16)


def derive(secret_key: str, purpose: str, object_id: int | None, salt: str) -> str:
    message = f"{purpose}|{salt}" if object_id is None else f"{purpose}|{object_id}|{salt}"
    mac = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_valid(token: str) -> bool:
    """Cheap shape check before touching the database: 43 URL-safe base64 characters."""
    return len(token) == 43 and all(c.isalnum() or c in "-_" for c in token)


def equal(expected: str, given: str) -> bool:
    """Constant-time comparison, for tokens checked against a known value."""
    return hmac.compare_digest(expected.encode(), given.encode())
