"""Reading the private API's query parameters: a plain 400 for anything we cannot use
(a 404 for NUL bytes comes earlier, from eventsapp/odd_input.py)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, or_

from eventsapp.odd_input import MAX_ROW_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class BadParameter(Exception):
    """A query value we cannot use; the message is the problem's `detail`."""


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last row's (updated_at, id)."""

    updated_at: datetime
    id: int

    def after(self, updated_at: ColumnElement, row_id: ColumnElement) -> ColumnElement[bool]:
        return or_(
            updated_at > self.updated_at,
            and_(updated_at == self.updated_at, row_id > self.id),
        )


def encode_cursor(updated_at: datetime, row_id: int) -> str:
    raw = json.dumps([updated_at.astimezone(UTC).isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor(value: str | None) -> Position | None:
    if value is None or value == "":
        return None
    error = BadParameter("cursor is not one this API gave: use next_cursor as it came")
    if len(value) > 200:
        raise error
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        moment, row_id = json.loads(raw)
        when = datetime.fromisoformat(moment)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise error from None
    if when.tzinfo is None or type(row_id) is not int or not 0 < row_id <= MAX_ROW_ID:
        raise error
    if not 1900 <= when.year <= 9000:
        raise error
    return Position(when.astimezone(UTC), row_id)


def moment(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 date and time with its offset, e.g. 2026-11-30T09:00:00Z."""
    if value is None or value == "":
        return None
    error = BadParameter(
        f"{name} must be a date and time with a time zone, e.g. 2026-11-30T09:00:00Z"
    )
    text = value.strip()
    # An unescaped "+01:00" arrives as " 01:00" (a + in a query string is a space).
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise error from None
    if when.tzinfo is None or not 1900 <= when.year <= 9000:
        raise error
    return when.astimezone(UTC)


def limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    text = value.strip()
    digits = text.isascii() and text.isdigit() and len(text) <= 3
    if not digits or not 1 <= int(text) <= MAX_LIMIT:
        raise BadParameter(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def one_of(value: str | None, name: str, allowed: list[str]) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise BadParameter(f"{name} must be one of: {', '.join(allowed)}")
    return value
