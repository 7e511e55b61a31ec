"""UK time: everything is stored in UTC and shown in Europe/London with BST/GMT."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names

LONDON = ZoneInfo("Europe/London")


class LocalTimeError(ValueError):
    """A UK wall-clock time that does not exist or happens twice (DST change days)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_uk(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def zone_label(moment: datetime) -> str:
    """'BST' or 'GMT' for the UK at that moment."""
    return to_uk(moment).tzname() or "GMT"


def format_time(moment: datetime, *, zone: bool = True) -> str:
    """'6:00pm BST' style: GOV.UK writes times in 12-hour form with am/pm, and 'midday' and
    'midnight' rather than 12pm and 12am."""
    local = to_uk(moment)
    if local.minute == 0 and local.hour in (0, 12):
        said = "midnight" if local.hour == 0 else "midday"
    else:
        said = f"{local.hour % 12 or 12}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"
    return f"{said} {zone_label(moment)}" if zone else said


def format_times(start: datetime, end: datetime) -> str:
    """'6:30pm to 7:45pm GMT': the zone once, unless the clocks change in between."""
    same_zone = zone_label(start) == zone_label(end)
    return f"{format_time(start, zone=not same_zone)} to {format_time(end)}"


def format_when(start: datetime, end: datetime) -> str:
    """'Tuesday 15 December 2026, 6:30pm to 7:45pm GMT'."""
    return f"{format_date(start)}, {format_times(start, end)}"


def format_date(moment: datetime) -> str:
    """'Sunday 29 March 2026' in UK time."""
    local = to_uk(moment)
    return f"{local:%A} {local.day} {local:%B %Y}"


def format_datetime(moment: datetime) -> str:
    return f"{format_date(moment)}, {format_time(moment)}"


def format_duration(minutes: int) -> str:
    return _duration(minutes, _plural, "0 minutes")


def format_wait(wait: timedelta) -> str:
    """How long until something, as people say it: "15 days", "2 hours and 5 minutes"."""
    return _wait(wait, _plural, " and ")


def felt_wait(now: datetime, then: datetime) -> timedelta:
    """A wait as people count it: under two days, the time itself; from two days, the days
    between the two dates in the UK (on 30 November, 24 December is 24 days away at any hour,
    where the time itself, 23 days and 20 hours, would say 23)."""
    wait = then - now
    if wait < timedelta(days=2):
        return wait
    return timedelta(days=(to_uk(then).date() - to_uk(now).date()).days)


def format_period(days: int) -> str:
    """A retention period as people say it: 365 days is "12 months", 30 is "1 month"."""
    return _period(days, _plural)


# The counting rules, the same in both languages; `say(n, "hour")` words one amount.
def _duration(minutes: int, say: Callable[[int, str], str], nothing: str) -> str:
    hours, mins = divmod(minutes, 60)
    parts = [say(n, word) for n, word in ((hours, "hour"), (mins, "minute")) if n]
    return " ".join(parts) or nothing


def _wait(wait: timedelta, say: Callable[[int, str], str], and_: str) -> str:
    minutes = max(ceil(wait.total_seconds() / 60), 0)
    days, hours = minutes // 1440, minutes % 1440 // 60
    if days:
        return say(days, "day") + (f"{and_}{say(hours, 'hour')}" if days < 2 and hours else "")
    if hours:
        rest = minutes % 60
        return say(hours, "hour") + (f"{and_}{say(rest, 'minute')}" if rest else "")
    return say(minutes, "minute")


def _period(days: int, say: Callable[[int, str], str]) -> str:
    months = round(days / 30.44)
    return say(months, "month") if months >= 1 and days >= 28 else say(days, "day")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# Welsh: the same shapes in Welsh, for the /cy pages (eventsapp/locales.py chooses). Day
# and month names are Babel's (CLDR); "dydd" in lower case as in running text, as the Welsh
# Government's style guide writes dates: "dydd Mawrth 15 Rhagfyr 2026". The English
# functions above are unchanged. Words marked for review are listed in docs/welsh.md.
def format_date_cy(moment: datetime) -> str:
    """'dydd Mawrth 15 Rhagfyr 2026' in UK time."""
    local = to_uk(moment)
    day = get_day_names("wide", locale="cy")[local.weekday()]
    month = get_month_names("wide", locale="cy")[local.month]
    return f"{day[:1].lower()}{day[1:]} {local.day} {month} {local.year}"


def format_time_cy(moment: datetime, *, zone: bool = True) -> str:
    """'6:30pm GMT', 'canol dydd BST', 'hanner nos GMT'."""
    local = to_uk(moment)
    if local.minute == 0 and local.hour in (0, 12):
        said = "hanner nos" if local.hour == 0 else "canol dydd"
        return f"{said} {zone_label(moment)}" if zone else said
    return format_time(moment, zone=zone)


def format_times_cy(start: datetime, end: datetime) -> str:
    """'6:30pm i 7:45pm GMT'."""
    same_zone = zone_label(start) == zone_label(end)
    return f"{format_time_cy(start, zone=not same_zone)} i {format_time_cy(end)}"


def format_when_cy(start: datetime, end: datetime) -> str:
    """'dydd Mawrth 15 Rhagfyr 2026, 6:30pm i 7:45pm GMT'."""
    return f"{format_date_cy(start)}, {format_times_cy(start, end)}"


def format_datetime_cy(moment: datetime) -> str:
    return f"{format_date_cy(moment)}, {format_time_cy(moment)}"


# A Welsh noun after a number stays singular; after 2 ("dau"/"dwy") it takes the soft
# mutation: 1 munud, 2 funud, 3 munud.
_CY_WORDS = {
    "hour": ("awr", "awr"),
    "minute": ("munud", "funud"),
    "day": ("diwrnod", "ddiwrnod"),
    "month": ("mis", "fis"),
}


def _plural_cy(n: int, word: str) -> str:
    one, after_two = _CY_WORDS[word]
    return f"{n} {after_two if n == 2 else one}"


def format_duration_cy(minutes: int) -> str:
    """'1 awr 15 munud'."""
    return _duration(minutes, _plural_cy, "0 munud")


def format_wait_cy(wait: timedelta) -> str:
    """'15 diwrnod', '2 awr a 5 munud'."""
    return _wait(wait, _plural_cy, " a ")


def format_period_cy(days: int) -> str:
    """'12 mis', '1 mis', '10 diwrnod'."""
    return _period(days, _plural_cy)


def date_tile(moment: datetime, language: str = "en") -> tuple[str, str, str]:
    """The card's date tile: ('Tue', '15', 'Dec'); in Welsh ('Maw', '15', 'Rhag')."""
    local = to_uk(moment)
    if language == "cy":
        day = get_day_names("abbreviated", locale="cy")[local.weekday()]
        month = get_month_names("abbreviated", locale="cy")[local.month]
        return day, str(local.day), month
    return f"{local:%A}"[:3], str(local.day), f"{local:%B}"[:3]


def uk_to_utc(day: date, wall: time) -> datetime:
    """Convert a UK wall-clock time to UTC, refusing gaps and folds.

    zoneinfo silently accepts 01:30 on the last Sunday of March (which never happens)
    and picks one of the two 01:30s in October; an organiser must choose instead.
    """
    naive = datetime.combine(day, wall)
    early = naive.replace(tzinfo=LONDON, fold=0)
    late = naive.replace(tzinfo=LONDON, fold=1)
    if early.utcoffset() != late.utcoffset():
        if early.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
            raise LocalTimeError(
                f"{wall:%H:%M} does not exist in the UK on {day:%d %B %Y}: the clocks go forward"
            )
        raise LocalTimeError(
            f"{wall:%H:%M} happens twice in the UK on {day:%d %B %Y}: the clocks go back; "
            "choose a time outside 1am to 2am"
        )
    return early.astimezone(UTC)


def ical_utc(moment: datetime) -> str:
    """Compact UTC form used by calendar links: 20260329T170000Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
