"""'Add to calendar' links for Google Calendar and Outlook on the web, in the page's
language (the organisers' Welsh title on a Welsh page when they wrote one)."""

from __future__ import annotations

from urllib.parse import urlencode

from eventsapp.locales import words
from eventsapp.models import Webinar
from eventsapp.uktime import ical_utc


def google(webinar: Webinar, details: str) -> str:
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": words(webinar, "title"),
            "dates": f"{ical_utc(webinar.starts_at)}/{ical_utc(webinar.ends_at)}",
            "details": details,
            "location": "Online",
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook(webinar: Webinar, details: str) -> str:
    query = urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": words(webinar, "title"),
            "startdt": webinar.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "enddt": webinar.ends_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "body": details,
            "location": "Online",
        }
    )
    return f"https://outlook.live.com/calendar/0/deeplink/compose?{query}"
