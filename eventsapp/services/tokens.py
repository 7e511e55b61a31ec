"""Personal links (manage, join, stop reminders, feedback): their tokens, and finding the
registration a link names. Used by the services and by the mail worker alike.

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
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Registration


class Purpose(StrEnum):
    MANAGE = "manage"
    JOIN = "join"
    STOP_REMINDERS = "stop-reminders"
    FEEDBACK = "feedback"


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


def _for_app(purpose: Purpose, registration_id: int | None, salt: str) -> str:
    return derive(current_app.config["SECRET_KEY"], purpose, registration_id, salt)


def stored_link_hash(purpose: Purpose, salt: str) -> str:
    """The hash stored for a new manage or join link: derived from the salt alone, so it
    is written with the registration's row (the id does not exist yet)."""
    return digest(_for_app(purpose, None, salt))


def _stored_link(
    purpose: Purpose, registration: Registration, salt: str, stored: str | None
) -> str:
    """The link whose hash is stored. Links issued before 2026-11-22 were derived from the
    id and the salt; they keep working, so whichever matches the stored hash is the link."""
    token = _for_app(purpose, None, salt)
    if stored is None or digest(token) == stored:
        return token
    return _for_app(purpose, registration.id, salt)


def manage_token(registration: Registration) -> str:
    return _stored_link(
        Purpose.MANAGE, registration, registration.token_salt, registration.manage_token_hash
    )


def join_token(registration: Registration) -> str:
    assert registration.join_salt is not None
    return _stored_link(
        Purpose.JOIN, registration, registration.join_salt, registration.join_token_hash
    )


def stop_reminders_token(registration: Registration) -> str:
    """For the List-Unsubscribe link: checked by recomputing it, so nothing is stored."""
    return _for_app(Purpose.STOP_REMINDERS, registration.id, registration.join_salt or "")


def feedback_token(registration: Registration) -> str:
    return _for_app(Purpose.FEEDBACK, registration.id, registration.join_salt or "")


def _find_by_id_and_token(
    registration_id: int, token: str, make: Callable[[Registration], str]
) -> Registration | None:
    """For links that carry the id and a token recomputed to check it (nothing stored)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or not equal(make(registration), token):
        return None
    return registration


def find_for_stop_reminders(registration_id: int, token: str) -> Registration | None:
    return _find_by_id_and_token(registration_id, token, stop_reminders_token)


def find_for_feedback(registration_id: int, token: str) -> Registration | None:
    return _find_by_id_and_token(registration_id, token, feedback_token)


def _find_by_stored(column: Any, token: str) -> Registration | None:
    """For links whose hash is stored: an index probe by the hash."""
    if not looks_valid(token):
        return None
    return db.session.scalars(select(Registration).where(column == digest(token))).one_or_none()


def find_by_join_token(token: str) -> Registration | None:
    return _find_by_stored(Registration.join_token_hash, token)


def find_by_manage_token(token: str) -> Registration | None:
    return _find_by_stored(Registration.manage_token_hash, token)
