"""Turn an outbox row into an email, at send time, from the current data.

Rendering at send time means a retry or a late send always carries the webinar's
current details and SEQUENCE, and the queue never stores personal links. A row whose
reason has gone (a confirmation for someone who already cancelled) renders to None
and is skipped.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as email_policy
from email.generator import BytesGenerator
from email.mime.text import MIMEText
from email.utils import parseaddr
from typing import Any

from flask import current_app, render_template
from flask_mail import Message

from eventsapp import text, uktime
from eventsapp.extensions import db
from eventsapp.links import external_url
from eventsapp.mail import invites
from eventsapp.models import OutboxMessage, Registration, User
from eventsapp.services import accounts, certificates, reminders
from eventsapp.services.registration import (
    feedback_token,
    join_token,
    manage_token,
    stop_reminders_token,
)


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    ical: bytes | None = None
    ical_method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class _WirePolicy(email_policy.Compat32):
    """compat32 with CRLF, and a fast path for the usual short ASCII header.

    Folding goes through email.header.Header for every header of every part, which was
    most of the cost of writing an email; a line that needs no folding is written as is.
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_WIRE_POLICY = _WirePolicy(linesep="\r\n")


class _WireGenerator(BytesGenerator):
    @classmethod
    def _make_boundary(cls, text: bytes | None = None) -> str:
        """A random boundary, checked against the text with a plain substring search.

        The standard one compiles a fresh regex for every part of every message (its
        boundary is new each time, so the regex cache never hits): a tenth of rendering.
        """
        while True:
            boundary = f"==============={secrets.token_hex(16)}=="
            if text is None or boundary.encode() not in text:
                return boundary


class CalendarMessage(Message):
    """Flask-Mail Message whose text/calendar part carries `method=`.

    Clients only treat the part as an invitation when the Content-Type's method equals
    the METHOD inside; Flask-Mail 0.10 cannot set that parameter on an alternative.
    """

    ical_method: str | None = None

    def as_bytes(self) -> bytes:
        """Serialise with the compat32 policy and CRLF line ends.

        Flask-Mail switches the finished message to policy.SMTP, whose header objects
        re-parse every header on output: two thirds of the worker's time per email, and it
        folds long subjects onto an empty first line. compat32 is what the headers were
        built with, so it writes them as built.
        """
        out = io.BytesIO()
        _WireGenerator(out, policy=_WIRE_POLICY).flatten(self._message())
        return out.getvalue()

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        part = super()._mimetext(text, subtype)
        if subtype == "calendar" and self.ical_method:
            part.set_param("method", self.ical_method)
        return part


PREVIEW_TOKEN = "personal-link-hidden-in-preview"  # noqa: S105 (a placeholder, not a secret)

# kind -> registration statuses for which the email still makes sense
_RELEVANT = {
    "confirmation": {"confirmed"},
    "waitlisted": {"waitlisted"},
    "already_registered": {"confirmed", "waitlisted"},
    "registration_cancelled": {"cancelled"},
    "webinar_updated": {"confirmed"},
    "webinar_cancelled": {"confirmed", "waitlisted"},
    "reminder": {"confirmed"},
    "follow_up_attended": {"confirmed"},
    "follow_up_missed": {"confirmed"},
}
# Emails a registrant can stop for one webinar (RFC 8058 one-click List-Unsubscribe).
_UNSUBSCRIBABLE = {"reminder", "follow_up_attended", "follow_up_missed"}
# Emails that carry the current invitation, so a calendar that missed an update catches up.
_CARRY_INVITE = {"confirmation", "already_registered", "webinar_updated", "reminder"}


@dataclass(frozen=True)
class _Links:
    manage: str
    join: str
    stop_reminders: str
    feedback: str
    certificate: str


def _links(registration: Registration, preview: bool) -> _Links:
    """Personal links, or placeholders in an organiser's preview."""
    if preview:
        return _Links(
            external_url("public.manage", token=PREVIEW_TOKEN),
            external_url("public.join", token=PREVIEW_TOKEN),
            external_url("public.stop_reminders", registration_id=0, token=PREVIEW_TOKEN),
            external_url("public.feedback", registration_id=0, token=PREVIEW_TOKEN),
            external_url("public.certificate", token=PREVIEW_TOKEN),
        )
    manage = (
        external_url("public.manage", token=manage_token(registration))
        if registration.manage_token_hash
        else ""
    )
    join = (
        external_url("public.join", token=join_token(registration))
        if registration.join_token_hash
        else ""
    )
    stop = external_url(
        "public.stop_reminders",
        registration_id=registration.id,
        token=stop_reminders_token(registration),
    )
    feedback = external_url(
        "public.feedback", registration_id=registration.id, token=feedback_token(registration)
    )
    certificate = (
        external_url("public.certificate", token=manage_token(registration))
        if registration.manage_token_hash
        else ""
    )
    return _Links(manage, join, stop, feedback, certificate)


def _invite(registration: Registration, method: str, now: datetime, links: _Links | None) -> bytes:
    webinar = registration.webinar
    lines = [webinar.summary, "", "This is an online webinar."]
    if links and links.join:
        lines += [
            f"Join (your personal link, opens {webinar.doors_open_minutes} minutes "
            f"before the start): {links.join}"
        ]
    if links and links.manage:
        lines += ["", f"View or cancel your registration: {links.manage}"]
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


def _from_templates(kind: str, context: dict[str, Any]) -> RenderedEmail:
    # One line, whatever a title contains: a newline in a header would split it.
    subject = text.one_line(render_template(f"emails/{kind}.subject.txt", **context))
    return RenderedEmail(
        subject=subject,
        text=render_template(f"emails/{kind}.txt", **context),
        # Passed as a value, so the HTML template escapes it (an included .txt would not be).
        html=render_template(f"emails/{kind}.html", subject=subject, **context),
    )


def _invite_method(row: OutboxMessage, registration: Registration) -> str | None:
    """Which calendar object this email carries, if any."""
    webinar = registration.webinar
    if row.kind == "webinar_cancelled" or webinar.status == "cancelled":
        return "CANCEL" if registration.status == "confirmed" else None
    if row.kind == "registration_cancelled":
        return "CANCEL" if (row.context or {}).get("had_seat") else None
    if registration.status == "confirmed" and row.kind in _CARRY_INVITE:
        return "REQUEST"
    return None


def _registration_email(row: OutboxMessage, now: datetime, preview: bool) -> RenderedEmail | None:
    registration = row.registration
    if registration is None:
        return None
    webinar = registration.webinar
    if not preview:
        if registration.status not in _RELEVANT[row.kind]:
            return None
        if webinar.status == "cancelled" and row.kind != "webinar_cancelled":
            return None  # the cancellation email says everything now
        if row.kind in _UNSUBSCRIBABLE and registration.reminders_opt_out:
            return None  # they stopped emails about this webinar
        if row.kind == "reminder" and not reminders.still_due(webinar, row.context, now):
            return None  # moved since it was planned, or too late to be useful
    links = _links(registration, preview)
    email = _from_templates(
        row.kind,
        {
            "registration": registration,
            "webinar": webinar,
            "hosts": " and ".join(org.name for org in webinar.hosts),
            "when": uktime.format_datetime(webinar.starts_at),
            "ends": uktime.format_time(webinar.ends_at),
            "duration": uktime.format_duration(webinar.duration_minutes),
            "manage_url": links.manage,
            "join_url": links.join,
            "stop_url": links.stop_reminders,
            "feedback_url": links.feedback,
            "certificate_url": _certificate_url(row, registration, links),
            "doors_open": uktime.format_time(webinar.doors_open_at),
            "starts_in": _starts_in((row.context or {}).get("offset")),
            "webinar_url": external_url("public.webinar", slug=webinar.slug),
            "home_url": external_url("public.home"),
            "extra": row.context or {},
        },
    )
    method = _invite_method(row, registration)
    if method is not None:
        email.ical = _invite(registration, method, now, links if method == "REQUEST" else None)
        email.ical_method = method
    if row.kind in _UNSUBSCRIBABLE:
        # RFC 8058 one-click unsubscribe: stops this webinar's reminders and follow-ups only.
        sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
        email.headers["List-Unsubscribe"] = (
            f"<{links.stop_reminders}>, <mailto:{sender}?subject=Stop%20reminders>"
        )
        email.headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def _certificate_url(row: OutboxMessage, registration: Registration, links: _Links) -> str:
    """Only the thank-you carries it, and only for those a certificate is due to."""
    if row.kind != "follow_up_attended" or not links.certificate:
        return ""
    return links.certificate if certificates.certified_minutes(registration) else ""


def _starts_in(offset: object) -> str:
    """'in 1 hour', 'tomorrow': how a reminder introduces itself."""
    if not isinstance(offset, int):
        return ""
    if offset % 1440 == 0:
        days = offset // 1440
        return {1: "tomorrow", 7: "in a week"}.get(days, f"in {days} days")
    if offset % 60 == 0:
        hours = offset // 60
        return f"in {hours} hour" + ("s" if hours != 1 else "")
    return f"in {offset} minutes"


def _password_reset(row: OutboxMessage, now: datetime, preview: bool) -> RenderedEmail | None:
    user = db.session.get(User, (row.context or {}).get("user_id"))
    if user is None:
        return None
    if not preview:
        if not user.active or user.reset_requested_at is None:
            return None
        if now - user.reset_requested_at > accounts.RESET_VALID_FOR:
            return None  # too late to be useful; they can ask again
    token = PREVIEW_TOKEN if preview else accounts.reset_token(user)
    url = external_url("organiser.reset_password", user_id=user.id, token=token)
    return _from_templates(
        "password_reset",
        {
            "user": user,
            "reset_url": url,
            "hosts": "the webinar organisers",
            "valid_minutes": int(accounts.RESET_VALID_FOR.total_seconds() // 60),
        },
    )


_RENDERERS: dict[str, Callable[[OutboxMessage, datetime, bool], RenderedEmail | None]] = {
    **{kind: _registration_email for kind in _RELEVANT},
    "password_reset": _password_reset,
}


def render(row: OutboxMessage, now: datetime, *, preview: bool = False) -> RenderedEmail | None:
    """The email for this row now, or None if its reason has gone (it is then skipped).

    preview=True is for organisers: it renders whatever the registrant's state, and puts a
    placeholder where personal links go, so no one can act as the recipient from a preview.
    """
    return _RENDERERS[row.kind](row, now, preview)


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
