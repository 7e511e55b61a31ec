"""Reads run without a transaction (eventsapp/sqlite.py, eventsapp/postgres.py), so a GET
view that writes must say so with @writes_on_get: then its writes are one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from eventsapp.extensions import db
from eventsapp.models import Registration
from eventsapp.services import privacy_notices
from eventsapp.services import registration as registrations
from tests.support import create_user, login
from tests.surface import one_of_everything, organiser_routes


@contextmanager
def writes_seen() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement.split("\n", 1)[0])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _public_get_routes(app, ids: dict[str, int]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every public GET route with real values: the registrant's own working links."""
    reg = db.session.get(Registration, ids["registration_id"])
    tokens = {
        "public.join": registrations.join_token(reg),
        "public.stop_reminders": registrations.stop_reminders_token(reg),
        "public.feedback": registrations.feedback_token(reg),
    }
    values = {
        "slug": "clinic-only",
        "version": privacy_notices.current().version,
        "speaker_id": ids["speaker_id"],
        "registration_id": reg.id,
        "number": "UNKNOWN",
    }
    found = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("organiser.") or rule.endpoint == "static":
                continue
            if "GET" not in (rule.methods or set()):
                continue
            token = tokens.get(rule.endpoint, registrations.manage_token(reg))
            args = {name: values.get(name, token) for name in rule.arguments}
            found.append((rule.endpoint, adapter.build(rule.endpoint, args)))
    return found


def test_get_pages_write_to_the_database_only_when_marked(app, client, ctx):
    ids = one_of_everything()
    create_user("ada@example.org", admin=True)
    login(client, "ada@example.org")
    routes = [(e, url) for e, method, url in organiser_routes(app, ids) if method == "GET"]
    routes += _public_get_routes(app, ids)
    assert len(routes) >= 50
    marked_and_wrote = set()
    for endpoint, url in routes:
        with writes_seen() as writes:
            response = client.get(url)
        assert response.status_code < 500, (endpoint, response.status_code)
        if getattr(app.view_functions[endpoint], "sqlite_writes", False):
            if writes:
                marked_and_wrote.add(endpoint)
        else:
            assert writes == [], (endpoint, writes)
    # The walk reaches the views that do write: audited reads and the join link's record.
    assert {"organiser.registrant_list", "organiser.export_registrants"} <= marked_and_wrote, (
        marked_and_wrote
    )
