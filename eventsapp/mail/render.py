"""Turn an outbox row into an email, at send time, from the current data.

Rendering at send time means a retry or a late send always carries the webinar's
current details and SEQUENCE, and the queue never stores personal links. A row whose
reason has gone (a confirmation for someone who already cancelled) renders to None
and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.mime.text import MIMEText

from flask import render_template
from flask_mail import Message

from eventsapp import uktime
from eventsapp.links import external_url
from eventsapp.mail import invites
from eventsapp.models import OutboxMessage, Registration
from eventsapp.services.registration import manage_token


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    ical: bytes | None = None
    ical_method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class CalendarMessage(Message):
    """Flask-Mail Message whose text/calendar part carries `method=`.

    Clients only treat the part as an invitation when the Content-Type's method equals
    the METHOD inside; Flask-Mail 0.10 cannot set that parameter on an alternative.
    """

    ical_method: str | None = None

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        part = super()._mimetext(text, subtype)
        if subtype == "calendar" and self.ical_method:
            part.set_param("method", self.ical_method)
        return part


# kind -> registration statuses for which the email still makes sense
_RELEVANT = {
    "confirmation": {"confirmed"},
    "waitlisted": {"waitlisted"},
    "already_registered": {"confirmed", "waitlisted"},
    "registration_cancelled": {"cancelled"},
}


def _invite(registration: Registration, method: str, now: datetime, manage_url: str) -> bytes:
    webinar = registration.webinar
    lines = [webinar.summary, "", "This is an online webinar. Your joining details come by email."]
    if manage_url:
        lines += ["", f"View or cancel your registration: {manage_url}"]
    return invites.personal_invite(
        webinar,
        method=method,
        attendee_name=registration.full_name,
        attendee_email=registration.email,
        sequence=registration.ical_sequence,
        now=now,
        description="\n".join(lines),
        url=external_url("public.webinar", slug=webinar.slug),
    )


def render(row: OutboxMessage, now: datetime) -> RenderedEmail | None:
    registration = row.registration
    if registration is None or registration.status not in _RELEVANT.get(row.kind, set()):
        return None
    webinar = registration.webinar
    manage_url = (
        external_url("public.manage", token=manage_token(registration))
        if registration.manage_token_hash
        else ""
    )
    context = {
        "registration": registration,
        "webinar": webinar,
        "hosts": " and ".join(org.name for org in webinar.hosts),
        "when": uktime.format_datetime(webinar.starts_at),
        "ends": uktime.format_time(webinar.ends_at),
        "duration": uktime.format_duration(webinar.duration_minutes),
        "manage_url": manage_url,
        "webinar_url": external_url("public.webinar", slug=webinar.slug),
        "home_url": external_url("public.home"),
        "extra": row.context or {},
    }
    email = RenderedEmail(
        # One line, whatever a title contains: a newline in a header would split it.
        subject=" ".join(render_template(f"emails/{row.kind}.subject.txt", **context).split()),
        text=render_template(f"emails/{row.kind}.txt", **context),
        html=render_template(f"emails/{row.kind}.html", **context),
    )
    if registration.status == "confirmed" and row.kind in ("confirmation", "already_registered"):
        email.ical, email.ical_method = _invite(registration, "REQUEST", now, manage_url), "REQUEST"
    elif row.kind == "registration_cancelled" and (row.context or {}).get("had_seat"):
        email.ical, email.ical_method = _invite(registration, "CANCEL", now, ""), "CANCEL"
    return email


def build_message(row: OutboxMessage, email: RenderedEmail, sender: str) -> CalendarMessage:
    """The MIME structure: mixed -> [alternative -> text, html, calendar] + invite.ics."""
    msg = CalendarMessage(
        subject=email.subject,
        recipients=[row.recipient],
        body=email.text,
        sender=sender,
        extra_headers=email.headers or None,
    )
    msg.html = (
        email.html
    )  # before the calendar part: clients show the last alternative they understand
    msg.msgId = row.message_id
    if email.ical is not None:
        msg.ical_method = email.ical_method
        msg.alts["calendar"] = email.ical.decode()
        msg.attach("invite.ics", "application/ics", email.ical)
    return msg
