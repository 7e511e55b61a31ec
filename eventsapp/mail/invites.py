"""iCalendar objects: personal invites (REQUEST/CANCEL) and public PUBLISH files.

Choices follow RFC 5545/5546 and ../shared/research/calendar-and-email.md:
- one UID per webinar, forever; clients match updates by UID only;
- times in UTC ("Z"), avoiding icalendar's generated Europe/London VTIMEZONE that
  Outlook is reported to mishandle;
- REQUEST carries ORGANIZER and exactly one ATTENDEE (the recipient), as iTIP needs;
- CANCEL keeps UID and ORGANIZER, raises SEQUENCE and says STATUS:CANCELLED.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from eventsapp import text
from eventsapp.locales import words
from eventsapp.mail.outbox import sender_domain
from eventsapp.models import Webinar, WebinarStatus

PRODID = "-//Back Pain Webinars//eventsapp//EN"


def webinar_uid(webinar: Webinar, *, published: bool = False) -> str:
    """The personal invite's UID (a registrant's copy), or the published event's: the
    webinar page's .ics and the feed. Distinct, so a calendar holding both (an accepted
    invite and a downloaded file) shows two events that each update, not one that clashes."""
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or sender_domain()
    return f"webinar-{webinar.id}{'-public' if published else ''}@{host}"


def _organizer(sender: str) -> vCalAddress:
    """The sender's name, and where calendar apps send replies.

    RSVP=FALSE asks for none, and Outlook and Apple Calendar then send none; Gmail still
    mails a reply when someone taps Yes. With a bounce mailbox (BOUNCE_IMAP_URL) replies go
    to it: the worker's sweep reads everything there and keeps only delivery reports, so
    hundreds of "Accepted" emails never reach the organisers' own mailbox.
    """
    name, address = parseaddr(sender)
    if current_app.config.get("BOUNCE_IMAP_URL"):
        address = current_app.config["BOUNCE_ADDRESS"]
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["CN"] = vText(name)
    return organizer


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _event(
    webinar: Webinar,
    *,
    sequence: int,
    url: str,
    cancelled: bool,
    dtstamp: datetime,
    published: bool = False,
    summary: str | None = None,
) -> Event:
    event = Event()
    event.add("uid", webinar_uid(webinar, published=published))
    event.add("dtstamp", dtstamp)
    event.add("sequence", sequence)
    event.add("dtstart", webinar.starts_at)
    event.add("dtend", webinar.ends_at)
    event.add("summary", text.one_line(summary or webinar.title))
    event.add("location", "Online")
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def personal_invite(
    webinar: Webinar,
    *,
    method: str,
    attendee_name: str,
    attendee_email: str,
    sequence: int,
    now: datetime,
    description: str,
    url: str,
    summary: str | None = None,
) -> bytes:
    """A REQUEST (add or update) or CANCEL for one registrant's calendar; `summary` is the
    title in the registrant's language (default: the webinar's title)."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(method)
    cancelled = method == "CANCEL" or webinar.status == WebinarStatus.CANCELLED
    event = _event(
        webinar, sequence=sequence, url=url, cancelled=cancelled, dtstamp=now, summary=summary
    )
    event.add("description", text.lines(description))
    event.add("organizer", _organizer(current_app.config["MAIL_DEFAULT_SENDER"]))
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["CN"] = vText(text.one_line(attendee_name))
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
    attendee.params["RSVP"] = vText("FALSE")
    event.add("attendee", attendee)
    cal = _calendar(method)
    cal.add_component(event)
    return cal.to_ical()


def published_calendar(webinars: list[tuple[Webinar, str, str]], *, name: str) -> bytes:
    """METHOD:PUBLISH for downloads and the subscribable feed: (webinar, description, url),
    titles in the page's language (/cy/…/calendar.ics is Welsh where organisers wrote it).

    DTSTAMP is each webinar's last change, not the time of the request, so the same
    webinars give the same bytes and the feed answers conditional GETs with 304.
    """
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", text.one_line(name))
    for webinar, description, url in webinars:
        cancelled = webinar.status == WebinarStatus.CANCELLED
        event = _event(
            webinar,
            sequence=webinar.sequence,
            url=url,
            cancelled=cancelled,
            dtstamp=webinar.updated_at,
            published=True,
            summary=words(webinar, "title"),
        )
        event.add("description", text.lines(description))
        cal.add_component(event)
    return cal.to_ical()
