"""`flask --app wsgi ...` commands: the mail worker and demo content."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from eventsapp.extensions import db
from eventsapp.mail import worker as mail_worker
from eventsapp.services import demo
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
            f"skipped={report.skipped} reaped={report.reaped}"
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
    db.session.commit()
    click.echo(
        f"demo content: {created} webinar(s) created" if created else "demo content already loaded"
    )


def register_cli(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(demo_group)
