"""Request body limits: small everywhere, larger only on the views that take uploads.

MAX_CONTENT_LENGTH (64 KB) keeps ordinary forms small. A view that accepts a file says so
with @allows_upload(bytes); the limit is raised before any form is read (so before the
CSRF check, which reads the form), and only for that view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, request

F = TypeVar("F", bound=Callable[..., Any])


def allows_upload(max_bytes: int) -> Callable[[F], F]:
    def mark(view: F) -> F:
        view.max_upload_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def init_app(app: Flask) -> None:
    """Register before CSRFProtect, so the limit applies when the CSRF check reads the form."""

    @app.before_request
    def _limit_body() -> None:
        view = app.view_functions.get(request.endpoint or "")
        limit = getattr(view, "max_upload_bytes", None)
        if limit:
            request.max_content_length = limit
        # Refuse a declared oversize body at once, also on views that never read the form
        # (one-click unsubscribe, unknown tokens): nothing runs on a request we would refuse.
        declared = request.content_length
        if declared is not None and declared > (request.max_content_length or declared):
            abort(413)
