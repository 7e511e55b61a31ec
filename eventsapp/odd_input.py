"""Odd input is a 404, in one place, before any view or query sees it.

Databases refuse some values outright: PostgreSQL any text containing NUL, and both an
integer beyond their range (PostgreSQL's INTEGER ends at 2**31 - 1, SQLite's at 2**63 - 1).
So the URL converters never match such values (the route is simply not found), and a NUL
anywhere in a query string or form is refused before CSRF or a view reads it. Integers
taken from a query or form go through row_id().
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import BaseConverter, IntegerConverter

# Every id column is an INTEGER: the smallest range of the databases we run on.
MAX_ROW_ID = 2**31 - 1


class RowId(IntegerConverter):
    """<int:…> in every route: a positive id the database can hold, else no match."""

    def __init__(self, map, *args: object, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


class PlainText(BaseConverter):
    """<…> and <string:…>: no control characters (NUL above all) in a path segment.
    (UnicodeConverter sets its regex per instance, so this is a BaseConverter.)"""

    regex = r"[^/\x00-\x1f\x7f]+"


def row_id(value: object) -> int | None:
    """An id from a query string or form, or None if it could not be one."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


def init_app(app: Flask) -> None:
    """Before blueprints register (their rules use the converters) and before CSRFProtect."""
    app.url_map.converters.update(int=RowId, default=PlainText, string=PlainText)

    @app.before_request
    def _refuse_nul() -> None:
        if b"\x00" in request.query_string or b"%00" in request.query_string:
            abort(404)
        if request.method == "POST" and any("\x00" in value for value in request.form.values()):
            abort(404)
