"""The reminder text, rendered when it is sent (never stored): short plain English, in
GSM-7 characters only (one curly quote would make it UCS-2, 70 characters a part instead
of 160). With the personal join link it is usually two parts; without phone details, one.

  Reminder: <short title> starts today at 6:30pm.
  Join: <their personal join link>
  Or call <first dial-in number>, ID <meeting ID>, passcode <passcode>.
  Reply STOP to stop texts.
"""

from __future__ import annotations

from datetime import datetime

from eventsapp import uktime
from eventsapp.links import external_url
from eventsapp.models import Registration, Webinar
from eventsapp.services.tokens import join_token

SHORT_TITLE = 40

# Characters outside GSM-7 that titles often hold, and their plain forms.
_PLAIN = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
        " ": " ",
    }
)


def short_title(title: str) -> str:
    """The title up to its first colon, cut at a word to SHORT_TITLE characters."""
    plain = title.translate(_PLAIN).split(":")[0].strip()
    if len(plain) <= SHORT_TITLE:
        return plain
    cut = plain[:SHORT_TITLE].rsplit(" ", 1)[0].rstrip(",;-")
    return cut + "..."


def dial_in_number(webinar: Webinar) -> str:
    """The first dial-in number without its label ("United Kingdom: 020 3481 5240")."""
    numbers = webinar.phone_numbers
    if not numbers:
        return ""
    return numbers[0].rpartition(": ")[2].strip()


def reminder(registration: Registration, webinar: Webinar, now: datetime) -> str:
    starts = webinar.starts_at
    day = (
        "today"
        if uktime.to_uk(starts).date() == uktime.to_uk(now).date()
        else f"on {uktime.to_uk(starts):%A}"
    )
    parts = [
        f"Reminder: {short_title(webinar.title)} starts {day} at "
        f"{uktime.format_time(starts, zone=False)}."
    ]
    if registration.join_token_hash:
        parts.append(f"Join: {external_url('public.join', token=join_token(registration))}")
    number = dial_in_number(webinar)
    if number:
        call = f"Or call {number}"
        if webinar.dial_in_meeting_id.strip():
            call += f", ID {webinar.dial_in_meeting_id.strip()}"
        if webinar.dial_in_passcode.strip():
            call += f", passcode {webinar.dial_in_passcode.strip()}"
        parts.append(call + ".")
    parts.append("Reply STOP to stop texts.")
    # One line each: the link is never run into a full stop, and the lines read well aloud.
    return "\n".join(parts).translate(_PLAIN)
