"""Pages cost the same number of queries however many webinars and registrants there are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventsapp.extensions import db
from eventsapp.models import Webinar
from eventsapp.services import privacy
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, login, statements

PAGES = [
    "/",
    "/past",
    "/calendar.ics",
    "/webinars/w0",
    "/organiser/",
    "/organiser/series",
    "/organiser/audit",
    "/organiser/webinars/{id}/registrants",
    "/organiser/webinars/{id}/registrants.csv",
    "/organiser/webinars/{id}/emails",
    "/organiser/webinars/{id}/attendance",
    "/organiser/webinars/{id}/questions",
    "/organiser/webinars/{id}/dashboard",
    # p0@example.com registers for every webinar: 2 registrations, then 6.
    "/organiser/subject-access?email=p0@example.com",
    "/organiser/subject-access.json?email=p0@example.com",
]


def _add(first: int, webinars: int, people: int) -> None:
    now = datetime.now(UTC)
    for i in range(first, first + webinars):
        webinar = create_webinar(slug=f"w{i}", starts_at=now + timedelta(days=i + 1))
        for j in range(people):
            registrations.register(
                webinar,
                registrations.RegistrationInput(f"Person {j}", f"p{j}@example.com", question="Q?"),
                now,
            )
        db.session.commit()


def _counts(client, webinar_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for page in PAGES:
        path = page.format(id=webinar_id)
        # Count a full render: a page kept from an earlier visit would hide its queries.
        client.application.extensions.pop("webinar_pages", None)
        with statements() as sent:
            assert client.get(path).status_code == 200, path
        counts[path] = len(sent)
    return counts


def test_no_page_queries_once_per_row(client, ctx):
    _add(0, webinars=2, people=3)
    create_user("ada@example.org", admin=True)
    login(client, "ada@example.org")
    few = _counts(client, webinar_id=1)
    _add(2, webinars=4, people=9)  # four more webinars
    for j in range(6):  # and more people on the webinar whose pages are counted
        registrations.register(
            db.session.get(Webinar, 1),
            registrations.RegistrationInput(f"Late {j}", f"late{j}@example.com", question="Q?"),
            datetime.now(UTC),
        )
    db.session.commit()
    many = _counts(client, webinar_id=1)
    assert many == few


def test_the_retention_sweep_costs_the_same_however_many_it_erases(ctx):
    """A year after a full webinar, the worker's sweep erases every registrant at once: a
    fixed number of statements, not several per person."""

    def sweep(people: int) -> int:
        now = datetime.now(UTC)
        webinar = create_webinar(slug=f"old-{people}", starts_at=now - timedelta(days=400))
        for j in range(people):
            registrations.register(
                webinar,
                registrations.RegistrationInput(f"Person {j}", f"p{j}@example.com", question="Q?"),
                webinar.starts_at - timedelta(days=5),
            )
        db.session.commit()
        with statements() as sent:
            assert privacy.apply_retention(now, days=365) == people
        db.session.commit()
        return len(sent)

    assert sweep(2) == sweep(6)
