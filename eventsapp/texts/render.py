"""The reminder text, rendered when it is sent (never stored): short plain English, in
GSM-7 characters only (one curly quote would make it UCS-2, 70 characters a part instead
of 160). With the personal join link it is usually two parts; without phone details, one.

  Reminder: <short title> starts today at 6:30pm.
  Join: <their personal join link>
  Or call <first dial-in number>, ID <meeting ID>, passcode <passcode>.
  Reply STOP to stop texts.

In Welsh for someone who registered in Welsh (docs/welsh.md), still in GSM-7: the Welsh
words used here need no ŵ, ŷ or â (one would make the whole message UCS-2). The title is
the organisers' Welsh title when they wrote one (locales.words), as they wrote it: if it
has ŵ, ŷ, â … the text goes as UCS-2 (70 characters a part, so usually 3 or 4 parts
instead of 2). Accepted, not stripped: the accents are part of the spelling ("tân" is
fire, "tan" until), and the cost falls only on Welsh registrants of such a webinar.

  Nodyn atgoffa: <short title> yn dechrau heddiw am 6:30pm.
  Ymuno: <their personal join link, under /cy>
  Neu ffoniwch <number>, ID <meeting ID>, cod pas <passcode>.
  Atebwch STOP i atal negeseuon testun.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import get_day_names
from flask_babel import force_locale, gettext

from eventsapp import uktime
from eventsapp.links import external_url
from eventsapp.locales import words
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


def _when_cy(starts: datetime, today: bool) -> tuple[str, str]:
    """'heddiw' or 'ddydd Mawrth' (mutated: an adverb of time), and '6:30pm' or 'ganol dydd'
    (after 'am')."""
    local = uktime.to_uk(starts)
    day = "heddiw"
    if not today:
        name = get_day_names("wide", locale="cy")[local.weekday()]  # "Dydd Mawrth"
        day = "ddydd " + name.split(" ", 1)[-1]
    time = uktime.format_time_cy(starts, zone=False)
    return day, ("ganol dydd" if time == "canol dydd" else time)


def reminder(registration: Registration, webinar: Webinar, now: datetime) -> str:
    """The text, in the language they registered in."""
    language = "cy" if registration.language == "cy" else "en"
    with force_locale(language):
        return _reminder(registration, webinar, now, language)


def _reminder(registration: Registration, webinar: Webinar, now: datetime, language: str) -> str:
    starts = webinar.starts_at
    today = uktime.to_uk(starts).date() == uktime.to_uk(now).date()
    if language == "cy":
        day, time = _when_cy(starts, today)
    else:
        day = "today" if today else f"on {uktime.to_uk(starts):%A}"
        time = uktime.format_time(starts, zone=False)
    parts = [
        gettext(
            "Reminder: %(title)s starts %(day)s at %(time)s.",
            title=short_title(words(webinar, "title", language)),
            day=day,
            time=time,
        )
    ]
    if registration.join_token_hash:
        url = external_url("public.join", language, token=join_token(registration))
        parts.append(gettext("Join: %(url)s", url=url))
    number = dial_in_number(webinar)
    if number:
        call = gettext("Or call %(number)s", number=number)
        if webinar.dial_in_meeting_id.strip():
            call += gettext(", ID %(id)s", id=webinar.dial_in_meeting_id.strip())
        if webinar.dial_in_passcode.strip():
            call += gettext(", passcode %(passcode)s", passcode=webinar.dial_in_passcode.strip())
        parts.append(call + ".")
    parts.append(gettext("Reply STOP to stop texts."))
    # One line each: the link is never run into a full stop, and the lines read well aloud.
    return "\n".join(parts).translate(_PLAIN)
