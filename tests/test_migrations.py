"""`flask db upgrade` builds, from empty, exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text

from eventsapp import create_app
from eventsapp.extensions import db
from eventsapp.models import Webinar, change_notices
from tests.support import TEST_DATABASE_URL, require


def _upgrade_from_empty_matches_models(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "k" * 40,
            "INSTANCE_DIR": str(tmp_path),
        }
    )
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        # What compare_metadata does not see: the change notice triggers.
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                triggers = conn.execute(text("SELECT tgname FROM pg_trigger")).scalars()
                assert set(change_notices.TRIGGER_NAMES) <= set(triggers)
        else:
            with db.engine.connect() as conn:
                installed = {
                    name: sql
                    for name, sql in conn.execute(
                        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                    )
                }
            assert set(change_notices.sqlite_trigger_names()) <= set(installed)
            # A column added to webinars must be watched too: a migration that adds one
            # recreates this trigger (SQLite's batch mode also drops triggers with the table).
            update_of = installed["public_pages_webinars_update"]
            watched = update_of.split(" UPDATE OF ", 1)[1].split(" ON webinars", 1)[0].split(", ")
            assert set(watched) == {c.name for c in Webinar.__table__.columns} - {"seats_taken"}
        upgrade()  # a second run is a no-op
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def test_migrations_on_sqlite(tmp_path):
    _upgrade_from_empty_matches_models(f"sqlite:///{tmp_path / 'migrated.db'}", tmp_path)


def test_migrations_on_postgresql(tmp_path):
    require(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set (PostgreSQL tests)")
    _upgrade_from_empty_matches_models(TEST_DATABASE_URL or "", tmp_path)
