"""Settings come from the environment; production refuses unsafe ones."""

from __future__ import annotations

import pytest

from eventsapp import create_app
from eventsapp.config import ConfigError, load
from eventsapp.extensions import db
from eventsapp.mail import worker
from tests.conftest import IsolatedClient
from tests.support import create_webinar, register_via


@pytest.mark.parametrize("secret", [None, "", "dev", "changeme", "short-but-not-placeholder"])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    env = {"APP_ENV": "production"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load(env)


def test_production_starts_with_a_real_secret_key_and_secure_cookies():
    config = load({"APP_ENV": "production", "SECRET_KEY": "x" * 48, "MAIL_SERVER": "smtp.example"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["MAIL_SERVER"] == "smtp.example"


def test_development_keeps_a_generated_key_under_instance(tmp_path):
    first = load({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    second = load({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    assert len(first["SECRET_KEY"]) >= 32 and first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'eventsapp.db'}"
    assert first["MAIL_SERVER"] is None  # .eml files under instance/mail


def test_a_malformed_number_names_the_variable():
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        load({"APP_ENV": "development", "SECRET_KEY": "k" * 40, "MAIL_PORT": "twenty-five"})


def test_in_development_emailed_links_follow_the_port_make_run_serves_on(tmp_path, monkeypatch):
    """`PORT=8000 make run`: the confirmation written to instance/mail/ links to port 8000."""
    for name in ("APP_ENV", "PORT", "INSTANCE_PATH", "DATABASE_URL", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"RATELIMIT_ENABLED": False})
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        register_via(app.test_client(), create_webinar().slug)
        worker.run_once()
    (written,) = (tmp_path / "mail").glob("*.eml")
    body = written.read_text()
    assert "http://127.0.0.1:8000/manage/" in body and ":5000" not in body
    assert (
        load({"APP_ENV": "production", "SECRET_KEY": "x" * 48, "PORT": "8000"})["PUBLIC_BASE_URL"]
        == "http://127.0.0.1:5000"
    )  # production's address is set, never guessed from a port
