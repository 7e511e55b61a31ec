"""Turn an outbox row into an email, at send time, from the current data.

Rendering at send time means a retry or a late send always carries the webinar's
current details and SEQUENCE, and the queue never stores personal links. A row whose
reason has gone (a confirmation for someone who already cancelled) renders to None
and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from markupsafe import Markup

from eventsapp import text, uktime
from eventsapp.extensions import db
from eventsapp.links import external_url
from eventsapp.locales import and_list, in_english, words
from eventsapp.mail import invites
from eventsapp.mail.outbox import EmailKind
from eventsapp.mail.transport import PermanentError, envelope_address
from eventsapp.models import (
    Announcement,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    User,
    Webinar,
    WebinarStatus,
)
from eventsapp.models.communication_needs import CommunicationNeed
from eventsapp.services import (
    accounts,
    attendance,
    certificates,
    communication_needs,
    recordings,
    reminders,
)
from eventsapp.services.content import render_markdown
from eventsapp.services.tokens import (
    feedback_token,
    join_token,
    manage_token,
    stop_reminders_token,
)
from eventsapp.services.webinar_lifecycle import Change


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    ical: bytes | None = None
    ical_method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Sent as text/plain only, no HTML part (someone who asked for plain-text emails).
    plain_only: bool = False


# The type in the HTML: the usual, and for someone who asked for large print.
TYPE_SIZES = {
    None: {"body_size": "19px", "small_size": "16px", "heading_size": "22px", "line_height": "1.5"},
    "large": {
        "body_size": "24px",
        "small_size": "21px",
        "heading_size": "28px",
        "line_height": "1.5",
    },
}


def _promise(need: CommunicationNeed) -> str:
    return str(need.effect.promise)


def email_language(kind: EmailKind, registration: Registration, row: OutboxMessage) -> str:
    """The language of an email about a registration (docs/welsh.md): the person's, if what
    this row carries can be said in it. An announcement with no Welsh version, and an update
    queued as English sentences (before changes were stored as data), go in English, whole:
    a half-Welsh email helps no one. (The organisers' own emails are English: they work in
    English.)"""
    if registration.language != "cy":
        return "en"
    if kind is EmailKind.ANNOUNCEMENT:
        announcement = _find_announcement(row)
        return "cy" if announcement is not None and announcement.has_welsh else "en"
    if kind is EmailKind.WEBINAR_UPDATED and _as_sentences(row):
        return "en"
    return "cy"


PREVIEW_TOKEN = "personal-link-hidden-in-preview"  # noqa: S105 (a placeholder, not a secret)


@dataclass(frozen=True)
class _Links:
    manage: str
    join: str
    stop_reminders: str
    feedback: str
    certificate: str


def _links(registration: Registration, preview: bool, language: str = "en") -> _Links:
    """Personal links (to the pages in `language`: /cy/… in Welsh), or placeholders in an
    organiser's preview."""
    if preview:
        return _Links(
            external_url("public.manage", language, token=PREVIEW_TOKEN),
            external_url("public.join", language, token=PREVIEW_TOKEN),
            external_url("public.stop_reminders", language, registration_id=0, token=PREVIEW_TOKEN),
            external_url("public.feedback", language, registration_id=0, token=PREVIEW_TOKEN),
            external_url("public.certificate", language, token=PREVIEW_TOKEN),
        )
    manage = (
        external_url("public.manage", language, token=manage_token(registration))
        if registration.manage_token_hash
        else ""
    )
    join = (
        external_url("public.join", language, token=join_token(registration))
        if registration.join_token_hash
        else ""
    )
    stop = external_url(
        "public.stop_reminders",
        language,
        registration_id=registration.id,
        token=stop_reminders_token(registration),
    )
    feedback = external_url(
        "public.feedback",
        language,
        registration_id=registration.id,
        token=feedback_token(registration),
    )
    certificate = (
        external_url("public.certificate", language, token=manage_token(registration))
        if registration.manage_token_hash
        else ""
    )
    return _Links(manage, join, stop, feedback, certificate)


def _invite(
    registration: Registration,
    method: str,
    now: datetime,
    links: _Links | None,
    language: str = "en",
) -> bytes:
    """The calendar object. Its DESCRIPTION is in the email's language (the current locale:
    rendered inside force_locale); SUMMARY and the summary line are the organisers' words,
    in Welsh when they wrote a Welsh version."""
    webinar = registration.webinar
    lines = [words(webinar, "summary", language), "", gettext("This is an online webinar.")]
    if links and links.join:
        lines += [
            gettext(
                "Join (your personal link, opens %(minutes)s minutes before the start): %(url)s",
                minutes=webinar.doors_open_minutes,
                url=links.join,
            )
        ]
    if links and links.join and webinar.phone_numbers:
        lines += [
            "",
            gettext(
                "No internet? Join by phone: %(numbers)s",
                numbers=gettext(" or ").join(webinar.phone_numbers),
            ),
        ]
        if webinar.dial_in_meeting_id:
            lines += [gettext("Meeting ID: %(id)s", id=webinar.dial_in_meeting_id)]
        if webinar.dial_in_passcode:
            lines += [gettext("Passcode: %(passcode)s", passcode=webinar.dial_in_passcode)]
    if links and links.manage:
        lines += ["", gettext("View or cancel your registration: %(url)s", url=links.manage)]
    return invites.personal_invite(
        webinar,
        method=method,
        attendee_name=registration.full_name,
        attendee_email=registration.email,
        sequence=registration.ical_sequence,
        now=now,
        description="\n".join(lines),
        url=external_url("public.webinar", language, slug=webinar.slug),
        summary=words(webinar, "title", language),
    )


def _from_template(kind: EmailKind, context: dict[str, Any], language: str = "en") -> RenderedEmail:
    """emails/<kind>.html: its blocks subject and text, then the whole of it (layout and
    html block) as the HTML part. In `language` (called inside force_locale for Welsh)."""
    env = current_app.jinja_env
    template = env.get_template(f"emails/{kind}.html")
    welsh = language == "cy"
    context = {
        **TYPE_SIZES[None],
        **context,
        "contact_url": external_url("public.contact", language),
        "email_lang": "cy" if welsh else "en-GB",
        # ' lang="en"' on the organisers' own words (English) inside a Welsh email, and
        # english(title) for such words inside a Welsh sentence (locales.in_english).
        "english_content": Markup(' lang="en"') if welsh else "",
        "english": in_english,
    }

    def block(name: str) -> str:
        return "".join(template.blocks[name](template.new_context(context)))

    # One line, whatever a title contains: a newline in a header would split it.
    subject = text.one_line(block("subject"))
    # Every plain-text part ends as the HTML layout does: the disclaimer, who sent it, how to
    # reach them (emails/_footer.txt, unescaped like the text blocks).
    with_footer = block("text") + "\n\n" + env.get_template("emails/_footer.txt").render(context)
    # Passed as a value, so the HTML escapes it.
    return RenderedEmail(subject, with_footer, template.render(context, subject=subject))


def _invite_method(kind: EmailKind, row: OutboxMessage, registration: Registration) -> str | None:
    """Which calendar object this email carries: only to someone whose calendar has it."""
    cancelled = registration.webinar.status == WebinarStatus.CANCELLED
    method = "CANCEL" if cancelled else kind.rules.invite
    if kind is EmailKind.REGISTRATION_CANCELLED:
        has_it = bool((row.context or {}).get("had_seat"))  # their status is cancelled now
    else:
        has_it = registration.status == RegistrationStatus.CONFIRMED
    return method if has_it else None


def _still_wanted(
    kind: EmailKind, row: OutboxMessage, registration: Registration, now: datetime
) -> bool:
    webinar = registration.webinar
    if registration.status not in kind.rules.statuses:
        return False
    if webinar.status == WebinarStatus.CANCELLED and kind is not EmailKind.WEBINAR_CANCELLED:
        return False  # the cancellation email says everything now
    if kind.rules.unsubscribable and registration.reminders_opt_out:
        return False  # they stopped emails about this webinar
    if kind.rules.unsubscribable and registration.email_bounced:
        return False  # a hard bounce said the address cannot receive mail (mail/bounces.py)
    if kind is EmailKind.ANNOUNCEMENT and _find_announcement(row) is None:
        return False  # the announcement has gone (its webinar was deleted)
    if kind.rules.attended is not None and kind.rules.attended != attendance.attended(
        registration.attendance, webinar
    ):
        return False  # "sorry we missed you" never reaches someone who attended
    # A reminder goes for the current schedule only (the webinar may have moved), never late.
    return not kind.rules.follows_schedule or reminders.still_due(webinar, row.context or {}, now)


def _registration_email(
    kind: EmailKind, row: OutboxMessage, now: datetime, preview: bool
) -> RenderedEmail | None:
    registration = row.registration
    if registration is None or not (preview or _still_wanted(kind, row, registration, now)):
        return None
    language = email_language(kind, registration, row)
    with force_locale(language):
        return _registration_email_in(kind, row, registration, now, preview, language)


def _registration_email_in(
    kind: EmailKind,
    row: OutboxMessage,
    registration: Registration,
    now: datetime,
    preview: bool,
    language: str,
) -> RenderedEmail:
    webinar = registration.webinar
    welsh = language == "cy"
    links = _links(registration, preview, language)
    # The organisers' words in the email's language: Welsh when they wrote a Welsh version.
    note = words(webinar, "email_note", language)
    certified = kind.rules.certificate and links.certificate
    email = _from_template(
        kind,
        {
            "registration": registration,
            "webinar": webinar,
            "hosts": and_list(org.name for org in webinar.hosts),
            "when": (uktime.format_when_cy if welsh else uktime.format_when)(
                webinar.starts_at, webinar.ends_at
            ),
            "duration": (uktime.format_duration_cy if welsh else uktime.format_duration)(
                webinar.duration_minutes
            ),
            "manage_url": links.manage,
            "join_url": links.join,
            "stop_url": links.stop_reminders,
            "feedback_url": links.feedback,
            # Only for those a certificate is due to.
            "certificate_url": links.certificate
            if certified and certificates.certified_minutes(registration)
            else "",
            "doors_open": (uktime.format_time_cy if welsh else uktime.format_time)(
                webinar.doors_open_at
            ),
            "starts_at": (uktime.format_time_cy if welsh else uktime.format_time)(
                webinar.starts_at
            ),
            "starts_in": _starts_in((row.context or {}).get("offset"), language),
            "webinar_url": external_url("public.webinar", language, slug=webinar.slug),
            "home_url": external_url("public.home", language),
            "promise": _promise,
            "extra": row.context or {},
            "title": words(webinar, "title", language),
            "note": note,
            "note_html": render_markdown(note),
            "note_text": note.strip(),
            "announcement": _announcement(row, language),
            "changes": _change_lines(row, welsh),
            "recording_page_url": _recording_page(kind, webinar, language),
            # Their communication needs decide the type size (and, below, plain text only).
            **TYPE_SIZES.get(registration.email_style, TYPE_SIZES[None]),
        },
        language,
    )
    email.plain_only = registration.email_style == "plain"
    method = _invite_method(kind, row, registration)
    if method is not None:
        email.ical = _invite(
            registration, method, now, links if method == "REQUEST" else None, language
        )
        email.ical_method = method
    if kind.rules.unsubscribable:
        # RFC 8058 one-click unsubscribe: stops this webinar's reminders and follow-ups only.
        sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
        email.headers["List-Unsubscribe"] = (
            f"<{links.stop_reminders}>, <mailto:{sender}?subject=Stop%20reminders>"
        )
        email.headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def _recording_page(kind: EmailKind, webinar: Webinar, language: str = "en") -> str:
    """The follow-ups link to the public recording page (transcript, captions, chapters)
    once it is published; "" until then (they carry the video link, as before)."""
    if kind not in (EmailKind.FOLLOW_UP_ATTENDED, EmailKind.FOLLOW_UP_MISSED):
        return ""
    if recordings.published_for(webinar) is None:
        return ""
    return external_url("public.recording", language, slug=webinar.slug)


def _find_announcement(row: OutboxMessage) -> Announcement | None:
    announcement_id = (row.context or {}).get("announcement_id")
    return db.session.get(Announcement, announcement_id) if announcement_id else None


def _announcement(row: OutboxMessage, language: str) -> dict[str, str] | None:
    """Its subject and body in the email's language (the Welsh version in a Welsh email)."""
    announcement = _find_announcement(row)
    if announcement is None:
        return None
    subject, body = words(announcement, "subject", language), words(announcement, "body", language)
    return {"subject": subject, "text": body.strip(), "html": render_markdown(body)}


def _as_sentences(row: OutboxMessage) -> bool:
    """An update queued before its changes were stored as data: English sentences."""
    return any(isinstance(change, str) for change in (row.context or {}).get("changes") or [])


def _change_lines(row: OutboxMessage, welsh: bool) -> list[str]:
    """An update's "what changed" lines, worded now in the email's language (the current
    locale). Sentences queued before the change to data are sent as they are (English)."""
    changes = (row.context or {}).get("changes") or []
    if _as_sentences(row):
        return [str(change) for change in changes]
    return [_change_line(change, welsh) for change in changes]


def _change_line(change: dict[str, str], welsh: bool) -> str:
    # In Welsh the dates follow a colon ("Yr amser newydd: dydd …"), so they need no mutation.
    moment = datetime.fromisoformat
    when = uktime.format_datetime_cy if welsh else uktime.format_datetime
    match Change(change["change"]):
        case Change.MOVED:
            return gettext(
                "The webinar has moved from %(old)s to %(new)s.",
                old=when(moment(change["from"])),
                new=when(moment(change["to"])),
            )
        case Change.ENDS:
            time = uktime.format_time_cy if welsh else uktime.format_time
            return gettext("It now ends at %(time)s.", time=time(moment(change["at"])))
        case Change.PHONE:
            return gettext("The details for joining by phone have changed.")
        case Change.JOIN_LINK:
            return gettext(
                "The joining link has changed. We will email you the new link before it starts."
            )


def _starts_in(offset: object, language: str = "en") -> str:
    """'in 1 hour', 'tomorrow': how a reminder introduces itself. In Welsh 'ymhen 1 awr',
    'yfory', 'ymhen wythnos' (uktime's Welsh numbers and mutations: 'ymhen 2 ddiwrnod')."""
    if not isinstance(offset, int):
        return ""
    if language == "cy":
        if offset == 1440:
            return "yfory"
        if offset == 7 * 1440:
            return "ymhen wythnos"
        return "ymhen " + uktime.format_wait_cy(timedelta(minutes=offset))
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
    return _from_template(
        EmailKind.PASSWORD_RESET,
        {
            "user": user,
            "reset_url": url,
            "hosts": "the webinar organisers",
            "valid_minutes": int(accounts.RESET_VALID_FOR.total_seconds() // 60),
        },
    )


def render(row: OutboxMessage, now: datetime, *, preview: bool = False) -> RenderedEmail | None:
    """The email for this row now, or None if its reason has gone (it is then skipped).

    preview=True is for organisers: it renders whatever the registrant's state, and puts a
    placeholder where personal links go, so no one can act as the recipient from a preview.
    """
    kind = EmailKind(row.kind)
    if kind is EmailKind.PASSWORD_RESET:
        return _password_reset(row, now, preview)
    if kind.rules.organiser_notice:
        return _organiser_notice(kind, row)
    return _registration_email(kind, row, now, preview)


def _organiser_notice(kind: EmailKind, row: OutboxMessage) -> RenderedEmail | None:
    """To an organiser: about a webinar (gone: skipped), or about their organisation."""
    user = db.session.get(User, (row.context or {}).get("user_id"))
    if user is None or not user.active:
        return None
    context: dict[str, Any] = {"user": user, "extra": row.context or {}}
    if row.webinar_id is None:
        organisation = user.organisation
        context["hosts"] = organisation.name if organisation else "the webinar organisers"
        context["organiser_url"] = external_url(
            "organiser.webhooks", organisation_id=user.organisation_id
        )
        return _from_template(kind, context)
    webinar = row.webinar
    if webinar is None:
        return None
    if kind is EmailKind.NEEDS_BOOKING and webinar.status == WebinarStatus.CANCELLED:
        return None  # nothing to book any more
    return _from_template(
        kind,
        {
            **context,
            "webinar": webinar,
            "when": uktime.format_when(webinar.starts_at, webinar.ends_at),
            "hosts": " and ".join(org.name for org in webinar.hosts),
            "organiser_url": external_url("organiser.webinar", webinar_id=webinar.id),
            "needs": communication_needs.booking_lines(context["extra"].get("counts") or {}),
        },
    )


def sample(
    kind: EmailKind, registration: Registration, now: datetime, **context: Any
) -> RenderedEmail | None:
    """An email as this person would get it, for organisers to check before sending: never
    queued, personal links hidden."""
    row = OutboxMessage(
        kind=kind, registration=registration, webinar_id=registration.webinar_id, context=context
    )
    return render(row, now, preview=True)


# email.mime with the stock compat32 policy (CRLF line ends), all public API. Not Flask-Mail's
# Message: it has no public way to put `method=` on the text/calendar alternative, and clients
# treat that part as an invitation only when it matches the METHOD inside. Not EmailMessage
# with policy.SMTP: it parses every header again to write it, so 10,000 reminders took 129 s
# from falling due against 70 s this way (target 120 s, docs/benchmarks.md), and it writes a
# List-Unsubscribe URL longer than a line as encoded-words, which clients do not decode there.
_WIRE = policy.compat32.clone(linesep="\r\n")


def to_bytes(row: OutboxMessage, email: RenderedEmail, sender: str) -> bytes:
    """mixed -> [alternative -> text, html, calendar] + invite.ics; no invite: the alternative.

    Plain only (they asked for plain-text emails): no HTML part; with an invite the
    alternative is text and calendar, without one the message is the text part alone.
    """
    text_part = MIMEText(email.text, "plain", "utf-8")
    if email.plain_only and email.ical is None:
        message: MIMEText | MIMEMultipart = text_part
    else:
        body = MIMEMultipart("alternative")
        body.attach(text_part)
        if not email.plain_only:
            # Before the calendar part: clients show the last alternative they understand.
            body.attach(MIMEText(email.html, "html", "utf-8"))
        message = body
        if email.ical is not None:
            calendar = MIMEText(email.ical.decode(), "calendar", "utf-8")
            calendar.set_param("method", str(email.ical_method))
            body.attach(calendar)
            invite = MIMEApplication(email.ical, "ics")
            invite.add_header("Content-Disposition", "attachment", filename="invite.ics")
            message = MIMEMultipart("mixed", _subparts=[body, invite])
    try:
        recipient = envelope_address(row.recipient)  # an accented domain in its ASCII form
    except PermanentError:
        recipient = row.recipient  # the transport fails this row, saying why
    message["Subject"] = email.subject
    message["From"] = formataddr(parseaddr(sender), "utf-8")
    message["To"] = recipient
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = row.message_id
    for name, value in email.headers.items():
        message[name] = value
    return message.as_bytes(policy=_WIRE)
