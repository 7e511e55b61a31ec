"""Where batches are rendered: in the worker itself, or in a separate render process.

In one process, rendering (CPU) and SMTP (waiting for the server's replies) take turns.
With MAIL_RENDER_PROCESSES=1 a child process renders the next batch while the worker sends
the current one, so the two overlap; the child has its own app and database connections.
"""

from __future__ import annotations

import atexit
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from flask import Flask, current_app

from eventsapp.mail.batches import NotSent, Prepared, render_batch

Items = list[Prepared | NotSent]


class Renderer(Protocol):
    def submit(self, ids: list[int], owner: str, now: datetime) -> Future[Items]: ...


class InlineRenderer:
    """Renders at once, in this process (development, tests, cron)."""

    def submit(self, ids: list[int], owner: str, now: datetime) -> Future[Items]:
        future: Future[Items] = Future()
        future.set_result(render_batch(ids, owner, now))
        return future


_child_app: Flask | None = None


def _start_child(config: dict[str, Any]) -> None:
    global _child_app  # one app per child process
    # Imported here, in the child only: eventsapp imports this module while it loads.
    from eventsapp import create_app

    _child_app = create_app(config)


def _render_in_child(ids: list[int], owner: str, now: datetime) -> Items:
    assert _child_app is not None
    with _child_app.app_context():
        return render_batch(ids, owner, now)


class ProcessRenderer:
    def __init__(self, app: Flask, processes: int):
        picklable = (str, int, float, bool, type(None), dict, list, tuple)
        config = {k: v for k, v in app.config.items() if isinstance(v, picklable)}
        self.pool = ProcessPoolExecutor(
            max_workers=processes,
            # spawn, not fork: the worker may hold threads and open database connections.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(config,),
        )
        atexit.register(self.pool.shutdown, cancel_futures=True)

    def submit(self, ids: list[int], owner: str, now: datetime) -> Future[Items]:
        return self.pool.submit(_render_in_child, ids, owner, now)


_renderers: dict[int, Renderer] = {}


def get(config: dict[str, Any]) -> Renderer:
    """The renderer for this app: one render pool per worker process, made on first use."""
    processes = int(config.get("MAIL_RENDER_PROCESSES") or 0)
    if processes <= 0:
        return InlineRenderer()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if id(app) not in _renderers:
        _renderers[id(app)] = ProcessRenderer(app, processes)
    return _renderers[id(app)]
