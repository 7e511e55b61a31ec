"""What an attacker would try with the words, addresses and bodies they can send us.

Markup typed into any text field must come out inert wherever it is shown again: public
and organiser pages, emails, CSV exports (spreadsheet formulas) and calendar files (a
newline in a title must not start a new iCalendar line). Unicode names and addresses are
stored and delivered correctly or refused with a clear message. Oversized bodies are refused
on every route before anything is read.
"""

from __future__ import annotations

import csv
import io
import re
from email.message import EmailMessage
from html.parser import HTMLParser

from icalendar import Calendar
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import OutboxMessage, Registration, Speaker, Webinar
from tests.support import create_user, create_webinar, form_token, login, post, register_via
from tests.surface import data_state, one_of_everything, organiser_routes
from tests.test_mail import calendar_parts
from tests.test_organiser_webinars import webinar_form

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("https://evil.example","click me")'


class _LiveMarkup(HTMLParser):
    """Elements and attributes a browser would act on, as the browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A script that runs: not a data block such as schema.org's application/ld+json.
        self._in_script = tag == "script" and dict(attrs).get("type") in (None, "module")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x>")

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert" in data:
            self.found.append("<script>alert")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def assert_inert(html: str, where: str) -> None:
    parser = _LiveMarkup()
    parser.feed(html)
    assert not parser.found, f"{where}: live markup {parser.found}\n{html}"


def _html_part(message: EmailMessage) -> str:
    return next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()


def _csv_cells(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_markup_a_registrant_types_is_inert_in_pages_emails_csv_and_calendars(
    app, client, ctx, smtp
):
    webinar = create_webinar(slug="panel", hosts=("clinic",))
    name = f"Ann {SCRIPT}"
    register_via(
        client,
        "panel",
        full_name=name,
        email="ann@example.com",
        question=f"{FORMULA} {IMG}",
        access_needs=f"@SUM(1+1) {SCRIPT}",
    )
    with app.app_context():
        assert worker.run_once().sent == 1

    # The email: escaped in HTML, the name exact in the invite's ATTENDEE (quoted, not split).
    (received,) = smtp.messages
    assert_inert(_html_part(received.message), "confirmation email")
    assert "&lt;script&gt;" in _html_part(received.message)
    calendar_part, _ = calendar_parts(received.message)
    (event,) = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert event["ATTENDEE"].params["CN"] == name

    # Organisers' pages show the words as text.
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    base = f"/organiser/webinars/{webinar.id}"
    for path in ("/registrants", "/registrants?q=Ann", "/questions", "/emails", ""):
        page = client.get(base + path)
        assert page.status_code == 200, path
        assert_inert(page.get_data(as_text=True), path)

    # Exports: no cell a spreadsheet would run as a formula, and the words still there.
    for path in ("/registrants.csv", "/questions.csv"):
        cells = _csv_cells(client.get(base + path).data)
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], path
        assert any(FORMULA in c for c in cells), path

    # An admin's data request returns JSON, never HTML.
    create_user("ada@charity.example", admin=True)
    login(client, "ada@charity.example")
    export = client.get("/organiser/subject-access.json?email=ann@example.com")
    assert export.mimetype == "application/json"
    assert export.json["registrations"][0]["name"] == name
    assert_inert(
        client.get("/organiser/subject-access?email=ann@example.com").get_data(as_text=True),
        "subject access",
    )


def test_markup_an_organiser_types_is_inert_on_the_public_site_and_in_emails(
    app, client, ctx, smtp
):
    create_webinar(slug="existing")
    create_user("colin@clinic.example", org="clinic", reviewer=True)
    login(client, "colin@clinic.example")
    description = (
        f"Hello {SCRIPT}\n\n[click](javascript:alert(1)) "
        f'<a href="https://x.example" onclick="alert(1)">x</a> {IMG}'
    )
    response = post(
        client,
        "/organiser/webinars/new",
        **webinar_form(
            title=f"Pain {SCRIPT}",
            slug="pain",
            summary=f"Summary {IMG}",
            description=description,
        ),
    )
    assert response.status_code == 302
    webinar = db.session.scalars(select(Webinar).where(Webinar.slug == "pain")).one()
    speaker = db.session.scalars(select(Speaker)).first()
    edit = post(
        client,
        f"/organiser/speakers/{speaker.id}/edit",
        name=f"Dr {SCRIPT}",
        professional_title=IMG,
        organisation=FORMULA,
        bio=f"Bio {SCRIPT} {IMG}",
    )
    assert edit.status_code == 302
    post(client, f"/organiser/webinars/{webinar.id}/panel", speaker=str(speaker.id), role="chair")
    assert post(client, f"/organiser/webinars/{webinar.id}/approve").status_code == 302
    assert post(client, f"/organiser/webinars/{webinar.id}/publish").status_code == 302

    for path in ("/", "/webinars/pain", "/webinars/existing", "/past"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert_inert(page.get_data(as_text=True), path)
    assert "Hello" in client.get("/webinars/pain").get_data(as_text=True)
    for path in (
        f"/organiser/webinars/{webinar.id}",
        f"/organiser/webinars/{webinar.id}/preview",
        f"/organiser/webinars/{webinar.id}/panel",
        "/organiser/speakers",
        "/organiser/",
    ):
        assert_inert(client.get(path).get_data(as_text=True), path)

    register_via(client, "pain", email="bea@example.com")
    with app.app_context():
        assert worker.run_once().sent == 1
    (received,) = smtp.messages
    assert_inert(_html_part(received.message), "confirmation email")
    assert "\n" not in received.message["Subject"]


def test_newlines_in_a_title_cannot_add_lines_to_a_calendar_or_headers(app, client, ctx, smtp):
    injected = "Pain\r\nATTENDEE:mailto:evil@example.com\r\nEND:VEVENT\r\nBcc: evil@example.com"
    # Through the form, and straight into the database (as if a form check were ever missed).
    create_webinar(slug="existing")
    create_user("colin@clinic.example", org="clinic", reviewer=True)
    login(client, "colin@clinic.example")
    response = post(client, "/organiser/webinars/new", **webinar_form(title=injected, slug="x1"))
    assert response.status_code in (302, 400)
    create_webinar(slug="stored", title=injected)
    register_via(client, "stored", email="ann@example.com")
    with app.app_context():
        assert worker.run_once().sent == 1

    (received,) = smtp.messages
    assert received.rcpt_tos == ["ann@example.com"]
    assert "evil" not in (received.message["Bcc"] or "")
    raw_headers = received.raw.split(b"\r\n\r\n", 1)[0].decode()
    assert not re.search(r"(?im)^(bcc|attendee):", raw_headers)
    invite, _ = calendar_parts(received.message)
    feed = client.get("/calendar.ics").get_data(as_text=True)
    single = client.get("/webinars/stored/calendar.ics").get_data(as_text=True)
    for ics in (invite.get_content(), feed, single):
        assert not re.search(r"(?m)^ATTENDEE:mailto:evil", ics)
        events = Calendar.from_ical(ics).walk("VEVENT")
        stored = [e for e in events if "ATTENDEE:mailto:evil" in str(e["SUMMARY"])]
        assert len(stored) == 1
        assert all("evil" not in str(a) for e in events for a in _as_list(e.get("ATTENDEE")))


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


UNICODE_NAMES = [
    "Zoë Ñúñez-O'Brien",
    "名字 姓",
    "Ахмед",
    "\u202eevil.exe",  # right-to-left override
    "👩\u200d⚕️ Nurse",
    "e\u0301 combining",
]


def test_unicode_names_round_trip_and_accented_domains_are_delivered(app, client, ctx, smtp):
    create_webinar(slug="panel", capacity=20)
    for n, name in enumerate(UNICODE_NAMES):
        assert (
            register_via(client, "panel", full_name=name, email=f"p{n}@example.com").status_code
            == 303
        )
    assert (
        register_via(client, "panel", full_name="Idn", email="ann@exämple.com").status_code == 303
    )
    with app.app_context():
        report = worker.run_once()
    assert (report.sent, report.failed) == (len(UNICODE_NAMES) + 1, 0)
    by_address = {m.rcpt_tos[0]: m for m in smtp.messages}
    assert "ann@xn--exmple-cua.com" in by_address  # the domain in its ASCII form on the wire
    for n, name in enumerate(UNICODE_NAMES):
        message = by_address[f"p{n}@example.com"].message
        invite, _ = calendar_parts(message)
        (event,) = Calendar.from_ical(invite.get_content()).walk("VEVENT")
        assert event["ATTENDEE"].params["CN"] == name
        assert name in message.get_payload()[0].get_payload()[0].get_content()
    stored = db.session.scalars(select(Registration.full_name).order_by(Registration.id)).all()
    assert stored[: len(UNICODE_NAMES)] == UNICODE_NAMES


def test_addresses_we_could_never_deliver_to_are_refused_with_a_clear_message(client, ctx):
    create_webinar(slug="panel", capacity=20)
    for address in ("zoë@example.com", "ＡＮＮ@example.com", "名字@example.com"):
        response = register_via(client, "panel", email=address)
        assert response.status_code == 400, address
        assert "only English letters, numbers and symbols before the @" in response.get_data(
            as_text=True
        )
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_an_undeliverable_address_already_stored_fails_alone(app, client, ctx, smtp):
    """Defence in depth: a row the forms would now refuse does not stop the batch."""
    create_webinar(slug="panel", capacity=20)
    register_via(client, "panel", email="first@example.com")
    register_via(client, "panel", email="zoe@example.com")
    register_via(client, "panel", email="last@example.com")
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "zoe@example.com")
    ).one()
    row.recipient = "zoë@example.com"
    db.session.commit()
    with app.app_context():
        report = worker.run_once()
    assert (report.sent, report.failed) == (2, 1)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [
        "first@example.com",
        "last@example.com",
    ]
    db.session.refresh(row)
    assert row.status == "failed" and row.last_error


def test_oversized_bodies_are_refused_on_every_route_and_change_nothing(app, client, ctx):
    ids = one_of_everything()
    login(client, "colin@clinic.example")
    before = data_state()
    token = "x" * 43
    public_posts = [
        "/webinars/clinic-only",
        f"/manage/{token}/cancel",
        f"/manage/{token}/delete",
        f"/reminders/stop/{ids['registration_id']}/{token}",
        f"/feedback/{ids['registration_id']}/{token}",
    ]
    organiser_posts = [url for _, method, url in organiser_routes(app, ids) if method == "POST"]
    huge = "x" * (6 * 1024 * 1024)  # above every limit, the upload views' included
    for url in public_posts + organiser_posts:
        response = client.post(url, data={"comments": huge, "photo": huge, "report": huge})
        assert response.status_code == 413, url
        assert "What you sent is too large" in response.get_data(as_text=True), url
    assert data_state() == before


def test_control_characters_are_dropped_before_postgresql_sees_them(pg_app):
    """PostgreSQL refuses NUL in text: a NUL anywhere in a form is odd input (a 404, nothing
    saved); other control characters are dropped and the form is a normal post."""
    client = pg_app.test_client()
    with pg_app.app_context():
        create_webinar(slug="panel", capacity=5)
        response = register_via(client, "panel", full_name="Ann\x00 Example")
        assert response.status_code == 404
        assert db.session.scalars(select(Registration)).first() is None
        response = register_via(
            client,
            "panel",
            full_name="Ann Exa\x07mple\r\nBcc: x",
            email="ann\x1f@example.com",
            question="Line one\r\nline two\x08",
            access_needs="\x1b[31m",
        )
        assert response.status_code == 303
        reg = db.session.scalars(select(Registration)).one()
        assert (reg.full_name, reg.email) == ("Ann Example Bcc: x", "ann@example.com")
        assert reg.question == "Line one\nline two"
        assert reg.access_needs == "[31m"


ODD_IDS = (2**31, 99_999_999_999, 2**64)
ODD_TEXT = ("\x00", "a\x00b", "\x1f")


def test_odd_values_in_every_route_and_query_are_a_404_never_a_500(any_ctx):
    """NUL bytes and integers beyond the database's range, in each URL argument of every
    route in turn, and in the query strings and forms the searches read."""
    app = any_ctx
    client = app.test_client()
    ids = one_of_everything()
    create_user("ada@example.org", admin=True)
    login(client, "colin@clinic.example")
    token = form_token(client)
    sane = {
        **ids,
        "slug": "clinic-only",
        "version": "2026-11",
        "number": "BPW-AAAA-BBBB-CCCC",
        "kind": "confirmation",
    }
    tried, before = 0, data_state()
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    for rule in rules:
        for arg in rule.arguments & set(rule._converters):  # not a rule's defaults
            converter = rule._converters[arg]
            if getattr(converter, "items", None):
                continue  # an any(...) part: only its listed words match
            odd_values = ODD_IDS if type(converter).__name__ == "RowId" else ODD_TEXT
            for odd in odd_values:
                values = {a: (odd if a == arg else _sane(rule, a, sane)) for a in rule.arguments}
                with app.test_request_context():
                    url = adapter.build(rule.endpoint, values)
                for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                    response = client.open(url, method=method, data={"csrf_token": token})
                    assert response.status_code < 500, (rule.rule, arg, odd, method)
                    tried += 1
    assert tried > 100
    for query in ("q=%00", "email=a%00b", "webinar=99999999999", "webinar=%00"):
        for path in (
            f"/organiser/webinars/{ids['webinar_id']}/registrants",
            f"/organiser/webinars/{ids['webinar_id']}/attendance",
            "/organiser/audit",
        ):
            assert client.get(f"{path}?{query}").status_code < 500, (path, query)
    login(client, "ada@example.org")
    for path in ("/organiser/subject-access", "/organiser/subject-access.json"):
        assert client.get(f"{path}?email=ann%00@example.com").status_code == 404
    erase = client.post(
        "/organiser/subject-access/erase",
        data={"csrf_token": form_token(client), "email": "ann\x00@example.com"},
    )
    assert erase.status_code == 404
    assert data_state()[2:] == before[2:]  # the audit log may record the searches


def _sane(rule, arg: str, values: dict[str, object]) -> object:  # type: ignore[no-untyped-def]
    choices = getattr(rule._converters.get(arg), "items", None)
    return sorted(choices)[0] if choices else values.get(arg, "x")
