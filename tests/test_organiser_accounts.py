"""Organiser accounts: sign in and out, passwords, resets, and the command line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import AuditEvent, User
from eventsapp.services import accounts
from tests.support import (
    PASSWORD,
    create_user,
    create_webinar,
    csrf_token,
    form_token,
    login,
    post,
)


def test_sign_in_and_out(client, ctx):
    create_user("olive@clinic.example")
    assert client.get("/organiser/").status_code == 302
    response = login(client, "OLIVE@clinic.example ")
    assert response.status_code == 302 and response.headers["Location"] == "/organiser/"
    page = client.get("/organiser/")
    assert page.status_code == 200 and "Create a webinar" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/organiser/logout").status_code == 405  # signing out is a POST
    post(client, "/organiser/logout")
    assert client.get("/organiser/").status_code == 302


def test_wrong_password_and_unknown_account_get_the_same_answer(client, ctx):
    create_user("olive@clinic.example")
    wrong = login(client, "olive@clinic.example", "not the password at all")
    unknown = login(client, "nobody@clinic.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    message = "The email address or password is not right"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_next_accepts_relative_paths_only(client, ctx):
    create_user("olive@clinic.example")
    token = form_token(client)
    data = {"email": "olive@clinic.example", "password": PASSWORD, "csrf_token": token}
    for target, expected in [
        ("/organiser/speakers", "/organiser/speakers"),
        ("https://evil.example/", "/organiser/"),
        ("//evil.example/", "/organiser/"),
        ("/\\evil.example", "/organiser/"),
        ("javascript:alert(1)", "/organiser/"),
    ]:
        response = client.post("/organiser/login", query_string={"next": target}, data=data)
        assert response.headers["Location"] == expected, target
        post(client, "/organiser/logout")


def test_anonymous_visit_is_sent_to_sign_in_with_next(client):
    response = client.get("/organiser/speakers")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organiser/login?next=")


def test_changing_the_password_signs_out_other_sessions(app, ctx):
    create_user("olive@clinic.example")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "olive@clinic.example")
    login(elsewhere, "olive@clinic.example")
    too_short = post(
        here, "/organiser/password", current=PASSWORD, password="short", confirm="short"
    )
    assert too_short.status_code == 400
    assert "at least 12 characters" in too_short.get_data(as_text=True)
    new = "a different and longer passphrase"
    response = post(here, "/organiser/password", current=PASSWORD, password=new, confirm=new)
    assert response.status_code == 302
    assert here.get("/organiser/").status_code == 200
    assert elsewhere.get("/organiser/").status_code == 302
    post(here, "/organiser/logout")
    assert login(here, "olive@clinic.example", new).status_code == 302


def test_common_and_very_long_passwords(app, ctx):
    create_user("olive@clinic.example")
    client = app.test_client()
    login(client, "olive@clinic.example")
    # Common passwords, keyboard walks, repeats and l33t spellings of common words.
    for weak in ("password1234", "qwertyuiop123", "aaaaaaaaaaaaaaaa", "P@ssw0rd2024!"):
        common = post(client, "/organiser/password", current=PASSWORD, password=weak, confirm=weak)
        assert common.status_code == 400, weak
        assert "too common or easy to guess" in common.get_data(as_text=True), weak
    long_one = "correct horse battery staple " * 4  # 116 characters
    ok = post(client, "/organiser/password", current=PASSWORD, password=long_one, confirm=long_one)
    assert ok.status_code == 302


def test_password_reset_by_email_works_once_and_expires(app, client, ctx, smtp):
    create_user("olive@clinic.example")
    page = client.get("/organiser/forgot-password")
    response = client.post(
        "/organiser/forgot-password",
        data={
            "email": "olive@clinic.example",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert "If there is an organiser account" in response.get_data(as_text=True)
    unknown = post(client, "/organiser/forgot-password", email="nobody@clinic.example")
    assert unknown.get_data(as_text=True) == response.get_data(as_text=True)

    with app.app_context():
        assert worker.run_once().sent == 1
    (mail,) = smtp.messages
    assert mail.rcpt_tos == ["olive@clinic.example"]
    text = mail.message.get_body(("plain",)).get_content()
    path = re.search(r"https://webinars\.example\.org(/organiser/reset-password/\S+)", text).group(
        1
    )

    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    new = "a brand new passphrase for her"
    done = post(client, path, password=new, confirm=new)
    assert done.status_code == 302
    assert login(client, "olive@clinic.example", new).status_code == 302
    # Single use.
    assert client.get(path).status_code == 404


def test_a_reset_link_expires_after_an_hour(app, client, ctx):
    user = create_user("olive@clinic.example")
    user.reset_requested_at = datetime.now(UTC) - timedelta(minutes=61)
    db.session.commit()
    token = accounts.reset_token(user)
    assert client.get(f"/organiser/reset-password/{user.id}/{token}").status_code == 404
    user.reset_requested_at = datetime.now(UTC)
    db.session.commit()
    token = accounts.reset_token(user)
    assert client.get(f"/organiser/reset-password/{user.id}/{token}").status_code == 200
    assert client.get(f"/organiser/reset-password/{user.id}/{token[:-1]}x").status_code == 404


def test_command_line_creates_lists_and_deactivates_accounts(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "Boss@Example.org", "--name", "Bo Boss", "--admin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    weak = runner.invoke(
        args=["users", "create", "w@example.org", "--name", "W", "--admin"], input="short\n"
    )
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    no_org = runner.invoke(
        args=["users", "create", "o@example.org", "--name", "O"], input=PASSWORD + "\n"
    )
    assert no_org.exit_code != 0 and "must belong to an organisation" in no_org.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "boss@example.org\tadmin\t-\tactive" in listing

    client = app.test_client()
    assert login(client, "boss@example.org").status_code == 302
    assert runner.invoke(args=["users", "deactivate", "boss@example.org"]).exit_code == 0
    assert client.get("/organiser/").status_code == 302  # the live session has ended
    assert login(client, "boss@example.org").status_code == 400
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions == ["user.created", "user.deactivated"]
    assert db.session.scalars(select(User.email)).all() == ["boss@example.org"]


def test_an_admin_sees_each_account_problem_beside_its_own_field(client, ctx):
    create_webinar()  # the organisations
    create_user("ada@charity.example", admin=True)
    create_user("olive@clinic.example")
    login(client, "ada@charity.example")

    def errors(**fields: str) -> dict[str, str]:
        form = {
            "name": "Nina Nurse",
            "email": "nina@clinic.example",
            "role": "organiser",
            "organisation": "1",
            "password": "a long passphrase for nina",
            **fields,
        }
        page = post(client, "/organiser/users", **form)
        assert page.status_code == 400
        found = re.findall(
            r'id="(\w+)-error"><span class="visually-hidden">Error:</span> ([^<]+)<',
            page.get_data(as_text=True),
        )
        return dict(found)

    assert errors(organisation="0") == {
        "organisation": "An organiser must belong to an organisation"
    }
    assert errors(email="olive@clinic.example") == {
        "email": "An account with that email address already exists"
    }
    assert errors(password="nina nurse nina nurse") == {
        "password": "Password must not contain your name or email address"
    }
