"""`flask --app wsgi ...` commands: the mail worker, migrations, demo content, accounts."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from eventsapp import config as app_config
from eventsapp.extensions import db
from eventsapp.mail import worker as mail_worker
from eventsapp.models import Organisation, User
from eventsapp.models.types import render_migration_item
from eventsapp.services import accounts, audit, demo
from eventsapp.uktime import utcnow

log = logging.getLogger(__name__)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Send everything due, then exit (for cron).")
def worker_command(once: bool) -> None:
    """Send queued emails: claim, send, retry, recover expired leases."""
    if once:
        report = mail_worker.run_once()
        click.echo(
            f"sent={report.sent} retried={report.retried} failed={report.failed} "
            f"skipped={report.skipped} reaped={report.reaped} planned={report.planned}"
        )
        return
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("mail worker: signal %s, finishing the current message", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    mail_worker.run_forever(stop)


demo_group = AppGroup("demo", help="Demo content.")


@demo_group.command("load")
def demo_load() -> None:
    """Load the demo organisations, speakers and webinars (safe to run again)."""
    created = demo.load(utcnow())
    development = current_app.config["APP_ENV"] == "development"
    people = demo.load_accounts(utcnow()) if development else []
    db.session.commit()
    click.echo(
        f"demo content: {created} webinar(s) created" if created else "demo content already loaded"
    )
    if people:
        click.echo(f"created {len(people)} demo account(s)")
    if development:
        click.echo(
            "demo sign-in at /organiser/ (development only): "
            + ", ".join(email for email, *_ in demo.DEMO_ACCOUNTS)
            + f"; password {demo.DEMO_PASSWORD}"
        )


users_group = AppGroup("users", help="Organiser accounts.")


def _read_password() -> str:
    """Interactive: prompt twice, hidden. Piped: the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@users_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as shown to colleagues.")
@click.option("--admin", is_flag=True, help="Admin: manages everything, including accounts.")
@click.option("--organisation", "organisation_slug", help="Organiser's organisation (short name).")
def users_create(email: str, name: str, admin: bool, organisation_slug: str | None) -> None:
    """Create an account; the password is asked for (or read from standard input)."""
    organisation = None
    if organisation_slug:
        organisation = db.session.scalars(
            select(Organisation).where(Organisation.slug == organisation_slug)
        ).one_or_none()
        if organisation is None:
            raise click.ClickException(f"No organisation with the short name {organisation_slug!r}")
    try:
        user = accounts.create_user(
            email=email,
            name=name,
            password=_read_password(),
            now=utcnow(),
            is_admin=admin,
            organisation=organisation,
        )
    except accounts.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    audit.record("user.created", actor=None, now=utcnow(), user=user.id, via="command line")
    db.session.commit()
    click.echo(f"created {user.role_label.lower()} account {user.id}")


@users_group.command("list")
def users_list() -> None:
    """List accounts."""
    for user in db.session.scalars(select(User).order_by(User.id)):
        org = user.organisation.slug if user.organisation else "-"
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.id}\t{user.email}\t{user.role_label.lower()}\t{org}\t{state}")


@users_group.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Deactivate an account and end its sessions."""
    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException("No account with that email address")
    accounts.deactivate(user)
    audit.record("user.deactivated", actor=None, now=utcnow(), user=user.id, via="command line")
    db.session.commit()
    click.echo(f"deactivated account {user.id}")


def init_migrations(app: Flask) -> None:
    """Bind Flask-Migrate (Alembic) to the app: for `flask db ...` and tests' upgrade()."""
    from flask_migrate import Migrate  # here, not at the top: see migration_commands

    if "migrate" not in app.extensions:
        # Batch mode lets later ALTERs work on SQLite too (it rebuilds the table).
        Migrate(
            app,
            db,
            directory=str(app_config.PROJECT_ROOT / "migrations"),
            render_as_batch=True,
            compare_type=True,
            render_item=render_migration_item,
        )


@click.command(
    "db",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def migration_commands(ctx: click.Context) -> None:
    """Database migrations (Flask-Migrate): `flask db upgrade`, `flask db --help`."""
    # Flask-Migrate's own command group, imported only when a migration command is run:
    # Alembic adds about 11 MB to each process that imports it, and neither a web worker
    # nor the mail worker ever migrates (issue 15's memory target: < 120 MB each).
    init_migrations(current_app)
    from flask_migrate.cli import db as commands

    commands.main(ctx.args, prog_name=ctx.command_path, obj=ctx.obj)


def register_cli(app: Flask) -> None:
    app.cli.add_command(migration_commands)
    app.cli.add_command(worker_command)
    app.cli.add_command(demo_group)
    app.cli.add_command(users_group)
