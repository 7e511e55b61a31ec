"""iCalendar objects: personal invites (REQUEST/CANCEL) and public PUBLISH files.

Choices follow RFC 5545/5546 and ../shared/research/calendar-and-email.md:
- one UID per webinar, forever; clients match updates by UID only;
- times in UTC ("Z"), avoiding icalendar's generated Europe/London VTIMEZONE that
  Outlook is reported to mishandle;
- REQUEST carries ORGANIZER and exactly one ATTENDEE (the recipient), as iTIP needs;
- CANCEL keeps UID and ORGANIZER, raises SEQUENCE and says STATUS:CANCELLED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from eventsapp import text
from eventsapp.mail.outbox import sender_domain
from eventsapp.models import Webinar

PRODID = "-//Back Pain Webinars//eventsapp//EN"


def webinar_uid(webinar: Webinar) -> str:
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or sender_domain()
    return f"webinar-{webinar.id}@{host}"


def _organizer(sender: str) -> vCalAddress:
    name, address = parseaddr(sender)
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


@dataclass(frozen=True)
class _EventFields:
    """What the event says that is the same for every recipient (hashable, for caching)."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    title: str
    url: str
    cancelled: bool

    @classmethod
    def of(cls, webinar: Webinar, *, sequence: int, url: str, cancelled: bool) -> _EventFields:
        return cls(
            webinar_uid(webinar),
            sequence,
            webinar.starts_at,
            webinar.ends_at,
            text.one_line(webinar.title),
            url,
            cancelled,
        )


def _event(fields: _EventFields, now: datetime, description: str | None) -> Event:
    event = Event()
    event.add("uid", fields.uid)
    event.add("dtstamp", now)
    event.add("sequence", fields.sequence)
    event.add("dtstart", fields.starts_at)
    event.add("dtend", fields.ends_at)
    event.add("summary", fields.title)
    if description is not None:
        event.add("description", text.lines(description))
    event.add("location", "Online")
    event.add("url", fields.url)
    event.add("status", "CANCELLED" if fields.cancelled else "CONFIRMED")
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
) -> bytes:
    """A REQUEST (add or update) or CANCEL for one registrant's calendar.

    Everything but DESCRIPTION (personal links) and ATTENDEE is the same for every
    registrant of a webinar in a batch, so that part is serialised once and each copy gets
    its two personal properties: a reminder run for thousands then spends its time on
    SMTP rather than re-folding the same lines.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(method)
    cancelled = method == "CANCEL" or webinar.status == "cancelled"
    fields = _EventFields.of(webinar, sequence=sequence, url=url, cancelled=cancelled)
    head, tail = _shared_invite(fields, method, now, current_app.config["MAIL_DEFAULT_SENDER"])
    personal = Event()
    personal.add("description", text.lines(description))
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["CN"] = vText(text.one_line(attendee_name))
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
    attendee.params["RSVP"] = vText("FALSE")
    personal.add("attendee", attendee)
    lines = personal.to_ical()
    # Only the property lines, without this event's own BEGIN:VEVENT and END:VEVENT.
    properties = lines[lines.index(b"\r\n") + 2 : lines.rindex(_END_EVENT)]
    return head + properties + tail


_END_EVENT = b"END:VEVENT\r\n"


@lru_cache(maxsize=64)
def _shared_invite(
    fields: _EventFields, method: str, now: datetime, sender: str
) -> tuple[bytes, bytes]:
    """The calendar around the personal properties, split where they go in."""
    cal = _calendar(method)
    event = _event(fields, now, None)
    event.add("organizer", _organizer(sender))
    cal.add_component(event)
    data = cal.to_ical()
    split = data.index(_END_EVENT)
    return data[:split], data[split:]


def published_calendar(webinars: list[tuple[Webinar, str, str]], *, name: str) -> bytes:
    """METHOD:PUBLISH for downloads and the subscribable feed: (webinar, description, url).

    DTSTAMP is each webinar's last change, not the time of the request, so the same
    webinars give the same bytes and the feed answers conditional GETs with 304.
    """
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", text.one_line(name))
    for webinar, description, url in webinars:
        cal.add_component(
            _event(
                _EventFields.of(
                    webinar,
                    sequence=webinar.sequence,
                    url=url,
                    cancelled=webinar.status == "cancelled",
                ),
                webinar.updated_at,
                description,
            )
        )
    return cal.to_ical()
