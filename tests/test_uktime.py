"""UK wall-clock times across the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from eventsapp import uktime
from eventsapp.uktime import LocalTimeError, format_datetime, uk_to_utc, zone_label


def test_bst_and_gmt_are_labelled():
    assert zone_label(datetime(2026, 3, 29, 17, 0, tzinfo=UTC)) == "BST"
    assert zone_label(datetime(2026, 12, 1, 18, 0, tzinfo=UTC)) == "GMT"
    assert format_datetime(datetime(2026, 3, 29, 17, 0, tzinfo=UTC)) == (
        "Sunday 29 March 2026, 6:00pm BST"
    )


def test_uk_times_convert_to_utc_on_both_sides_of_the_change():
    assert uk_to_utc(date(2026, 3, 29), time(18, 0)) == datetime(2026, 3, 29, 17, 0, tzinfo=UTC)
    assert uk_to_utc(date(2026, 3, 28), time(18, 0)) == datetime(2026, 3, 28, 18, 0, tzinfo=UTC)
    assert uk_to_utc(date(2026, 10, 25), time(18, 0)) == datetime(2026, 10, 25, 18, 0, tzinfo=UTC)


def test_a_time_that_does_not_exist_is_refused():
    with pytest.raises(LocalTimeError, match="does not exist"):
        uk_to_utc(date(2026, 3, 29), time(1, 30))


def test_an_ambiguous_time_is_refused():
    with pytest.raises(LocalTimeError, match="happens twice"):
        uk_to_utc(date(2026, 10, 25), time(1, 30))


def test_waits_are_said_as_people_say_them():
    said = {
        timedelta(days=15, hours=2): "15 days",
        timedelta(days=1, hours=3): "1 day and 3 hours",
        timedelta(hours=2, minutes=5): "2 hours and 5 minutes",
        timedelta(hours=1): "1 hour",
        timedelta(minutes=1, seconds=1): "2 minutes",
        timedelta(seconds=-5): "0 minutes",
    }
    assert {wait: uktime.format_wait(wait) for wait in said} == said


def test_times_are_written_as_gov_uk_does():
    winter = datetime(2026, 12, 15, 18, 30, tzinfo=UTC)
    assert uktime.format_when(winter, winter + timedelta(minutes=75)) == (
        "Tuesday 15 December 2026, 6:30pm to 7:45pm GMT"
    )
    assert uktime.format_time(datetime(2026, 12, 15, 12, 0, tzinfo=UTC)) == "midday GMT"
    assert uktime.format_time(datetime(2026, 7, 1, 23, 0, tzinfo=UTC)) == "midnight BST"
    # Across the clock change the zone is said twice (01:30 BST is 00:30 UTC on 25 October).
    change = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert uktime.format_times(change, change + timedelta(hours=1)) == "1:30am BST to 1:30am GMT"
