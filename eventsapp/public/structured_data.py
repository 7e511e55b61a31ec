"""What search engines and link previews read about a webinar: schema.org `Event` data.

https://schema.org/Event with the online attendance mode, a free offer, the organisers and
the panel; start and end in ISO 8601 with the UK offset of the day. In the page's language:
on a Welsh page, the Welsh title and summary when there are any, and the Welsh page's URL.
"""

from __future__ import annotations

from typing import Any

from eventsapp import locales
from eventsapp.links import external_url
from eventsapp.models import Webinar, WebinarStatus
from eventsapp.services.webinars import Availability
from eventsapp.uktime import to_uk

_SCHEMA = "https://schema.org/"


def event(webinar: Webinar, state: Availability) -> dict[str, Any]:
    url = external_url("public.webinar", locales.current(), slug=webinar.slug)
    cancelled = webinar.status == WebinarStatus.CANCELLED
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": locales.words(webinar, "title"),
        "description": locales.words(webinar, "summary"),
        "url": url,
        "startDate": to_uk(webinar.starts_at).isoformat(),
        "endDate": to_uk(webinar.ends_at).isoformat(),
        "eventStatus": _SCHEMA + ("EventCancelled" if cancelled else "EventScheduled"),
        "eventAttendanceMode": _SCHEMA + "OnlineEventAttendanceMode",
        "location": {"@type": "VirtualLocation", "url": url},
        "isAccessibleForFree": True,
        "offers": {
            "@type": "Offer",
            "price": "0",
            "priceCurrency": "GBP",
            "url": url,
            "availability": _SCHEMA + ("InStock" if state is Availability.OPEN else "SoldOut"),
        },
        "organizer": [
            {
                "@type": "Organization",
                "name": host.name,
                **({"url": host.website} if host.website else {}),
            }
            for host in webinar.hosts
        ],
        "performer": [{"@type": "Person", "name": m.speaker.name} for m in webinar.panel],
    }
