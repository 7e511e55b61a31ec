"""A GET runs as a read (eventsapp/transactions.py): a GET view that writes must say so with
@writes_on_get, so that on SQLite it takes the write lock before it reads."""

from __future__ import annotations

from tests.support import create_user, login, statements
from tests.surface import one_of_everything, organiser_routes, public_routes


def _writes(sent: list[str]) -> list[str]:
    return [
        statement.split("\n", 1)[0]
        for statement in sent
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


def test_get_pages_write_to_the_database_only_when_marked(app, client, ctx):
    ids = one_of_everything()
    create_user("ada@example.org", admin=True)
    login(client, "ada@example.org")
    routes = [
        (endpoint, url)
        for endpoint, method, url in organiser_routes(app, ids) + public_routes(app, ids)
        if method == "GET"
    ]
    assert len(routes) >= 50
    marked_and_wrote = set()
    for endpoint, url in routes:
        with statements() as sent:
            response = client.get(url)
        writes = _writes(sent)
        assert response.status_code < 500, (endpoint, response.status_code)
        if getattr(app.view_functions[endpoint], "writes_on_get", False):
            if writes:
                marked_and_wrote.add(endpoint)
        else:
            assert writes == [], (endpoint, writes)
    # The walk reaches the views that do write: audited reads and the join link's record.
    assert {"organiser.registrant_list", "organiser.export_registrants"} <= marked_and_wrote, (
        marked_and_wrote
    )
