"""Local calendar days (CREDIT-RULES.md "Days": a local calendar day in the contract's time zone,
DST-aware; an outage across midnight is split)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from sla import day_span, days_in_month, iter_days, local_date

from .support import US, instant

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SANTIAGO = ZoneInfo("America/Santiago")
HAVANA = ZoneInfo("America/Havana")
BEIRUT = ZoneInfo("Asia/Beirut")
MONROVIA = ZoneInfo("Africa/Monrovia")
APIA = ZoneInfo("Pacific/Apia")
TORONTO = ZoneInfo("America/Toronto")


def utc(text: str) -> datetime:
    """A UTC instant from "YYYY-MM-DDTHH:MM:SS"."""
    return instant(text + "+00:00")


# Each expected boundary is local midnight converted by hand with the offset in force then
# (or the transition instant where local midnight does not exist).
DAY_SPANS = [
    pytest.param(
        UTC, date(2026, 10, 5), "2026-10-05T00:00:00", "2026-10-06T00:00:00", 1440, id="utc"
    ),
    pytest.param(
        SHANGHAI,
        date(2026, 10, 5),
        "2026-10-04T16:00:00",
        "2026-10-05T16:00:00",
        1440,
        id="shanghai-plus-8",
    ),
    # EST -05:00 until 02:00 local, then EDT -04:00.
    pytest.param(
        NEW_YORK,
        date(2026, 3, 8),
        "2026-03-08T05:00:00",
        "2026-03-09T04:00:00",
        1380,
        id="dst-spring-forward-new-york",
    ),
    pytest.param(
        NEW_YORK,
        date(2026, 3, 9),
        "2026-03-09T04:00:00",
        "2026-03-10T04:00:00",
        1440,
        id="new-york-day-after-spring-forward",
    ),
    pytest.param(
        NEW_YORK,
        date(2026, 11, 1),
        "2026-11-01T04:00:00",
        "2026-11-02T05:00:00",
        1500,
        id="dst-fall-back-new-york",
    ),
    # GMT +00:00 / BST +01:00, changing at 01:00 UTC on the last Sunday of March / October.
    pytest.param(
        LONDON,
        date(2026, 3, 29),
        "2026-03-29T00:00:00",
        "2026-03-29T23:00:00",
        1380,
        id="dst-spring-forward-london",
    ),
    pytest.param(
        LONDON,
        date(2026, 10, 25),
        "2026-10-24T23:00:00",
        "2026-10-26T00:00:00",
        1500,
        id="dst-fall-back-london",
    ),
    # Southern hemisphere: AEDT +11:00 ends on the first Sunday of April, starts on the first
    # Sunday of October (AEST +10:00 between).
    pytest.param(
        SYDNEY,
        date(2026, 4, 5),
        "2026-04-04T13:00:00",
        "2026-04-05T14:00:00",
        1500,
        id="dst-fall-back-sydney-april",
    ),
    pytest.param(
        SYDNEY,
        date(2026, 10, 4),
        "2026-10-03T14:00:00",
        "2026-10-04T13:00:00",
        1380,
        id="dst-spring-forward-sydney-october",
    ),
    pytest.param(
        SYDNEY,
        date(2026, 7, 1),
        "2026-06-30T14:00:00",
        "2026-07-01T14:00:00",
        1440,
        id="sydney-winter",
    ),
    # Lord Howe Island: +10:30 standard, +11:00 in summer: a 30-minute shift.
    pytest.param(
        LORD_HOWE,
        date(2026, 4, 5),
        "2026-04-04T13:00:00",
        "2026-04-05T13:30:00",
        1470,
        id="dst-lord-howe-30-minutes-back",
    ),
    pytest.param(
        LORD_HOWE,
        date(2026, 10, 4),
        "2026-10-03T13:30:00",
        "2026-10-04T13:00:00",
        1410,
        id="dst-lord-howe-30-minutes-forward",
    ),
    # Zones whose clocks change at midnight. Santiago (-04:00 / -03:00): on Sunday 2024-09-08
    # 00:00 -04:00 becomes 01:00 -03:00, so the day starts at the transition, 04:00 UTC.
    pytest.param(
        SANTIAGO,
        date(2024, 9, 8),
        "2024-09-08T04:00:00",
        "2024-09-09T03:00:00",
        1380,
        id="midnight-skipped-santiago",
    ),
    # ... and on 2024-04-06 24:00 -03:00 the clock goes back to 23:00 -04:00.
    pytest.param(
        SANTIAGO,
        date(2024, 4, 6),
        "2024-04-06T03:00:00",
        "2024-04-07T04:00:00",
        1500,
        id="hour-before-midnight-twice-santiago",
    ),
    # Havana (-05:00 / -04:00): 2024-03-10 00:00 -05:00 becomes 01:00 -04:00.
    pytest.param(
        HAVANA,
        date(2024, 3, 10),
        "2024-03-10T05:00:00",
        "2024-03-11T04:00:00",
        1380,
        id="midnight-skipped-havana",
    ),
    # ... and on 2024-11-03 01:00 -04:00 goes back to 00:00 -05:00: midnight happens twice and
    # the day starts at its first occurrence.
    pytest.param(
        HAVANA,
        date(2024, 11, 3),
        "2024-11-03T04:00:00",
        "2024-11-04T05:00:00",
        1500,
        id="midnight-twice-havana",
    ),
    # Beirut (+02:00 / +03:00): 2024-03-31 00:00 +02:00 becomes 01:00 +03:00.
    pytest.param(
        BEIRUT,
        date(2024, 3, 31),
        "2024-03-30T22:00:00",
        "2024-03-31T21:00:00",
        1380,
        id="midnight-skipped-beirut",
    ),
    # ... and 2024-10-27 00:00 +03:00 goes back to 2024-10-26 23:00 +02:00.
    pytest.param(
        BEIRUT,
        date(2024, 10, 26),
        "2024-10-25T21:00:00",
        "2024-10-26T22:00:00",
        1500,
        id="hour-before-midnight-twice-beirut",
    ),
    # Toronto, 1919: 23:30 EST on March 30 jumped to 00:30 EDT on March 31, so both days lasted
    # 23.5 hours and March 31 began at the jump (04:30 UTC), before its local 00:00 EST.
    pytest.param(
        TORONTO,
        date(1919, 3, 30),
        "1919-03-30T05:00:00",
        "1919-03-31T04:30:00",
        1410,
        id="jump-over-midnight-toronto-day-before",
    ),
    pytest.param(
        TORONTO,
        date(1919, 3, 31),
        "1919-03-31T04:30:00",
        "1919-04-01T04:00:00",
        1410,
        id="jump-over-midnight-toronto",
    ),
]


@pytest.mark.parametrize(("zone", "day", "start", "end", "minutes"), DAY_SPANS)
def test_day_span(zone: tzinfo, day: date, start: str, end: str, minutes: int) -> None:
    """A local day spans from its first local instant to the next day's, DST included."""
    span = day_span(day, zone)
    assert span.start == utc(start)
    assert span.end == utc(end)
    assert span.duration == timedelta(minutes=minutes)
    assert local_date(span.start, zone) == day
    assert local_date(span.end - US, zone) == day
    assert local_date(span.start - US, zone) == day - timedelta(days=1)
    assert local_date(span.end, zone) == day + timedelta(days=1)


@pytest.mark.parametrize(
    ("zone", "day", "first_clock"),
    [
        pytest.param(SANTIAGO, date(2024, 9, 8), time(1, 0), id="santiago"),
        pytest.param(HAVANA, date(2024, 3, 10), time(1, 0), id="havana"),
        pytest.param(BEIRUT, date(2024, 3, 31), time(1, 0), id="beirut"),
        pytest.param(TORONTO, date(1919, 3, 31), time(0, 30), id="toronto-1919"),
    ],
)
def test_day_without_midnight_starts_at_the_transition(
    zone: tzinfo, day: date, first_clock: time
) -> None:
    """Where local midnight is skipped, the day starts at the transition's first local time."""
    start = day_span(day, zone).start
    assert start.astimezone(zone).time() == first_clock
    assert start.astimezone(zone).date() == day
    # One microsecond earlier it is still the previous day.
    assert (start - US).astimezone(zone).date() == day - timedelta(days=1)


def test_day_with_a_fractional_minute_offset_change() -> None:
    """Liberia moved from -00:44:30 to GMT on 1972-01-07: that day lasted 1395.5 minutes."""
    span = day_span(date(1972, 1, 7), MONROVIA)
    assert span.start == utc("1972-01-07T00:44:30")
    assert span.end == utc("1972-01-08T00:00:00")
    assert span.duration == timedelta(minutes=1395, seconds=30)


def test_day_the_zone_skips_is_empty() -> None:
    """Samoa skipped 2011-12-30 (-10:00 to +14:00): that date is an empty span at the jump."""
    jump = utc("2011-12-30T10:00:00")
    skipped = day_span(date(2011, 12, 30), APIA)
    assert skipped.start == jump
    assert skipped.empty
    assert day_span(date(2011, 12, 29), APIA).end == jump
    assert day_span(date(2011, 12, 31), APIA).start == jump


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 10, 5), 31, id="october"),
        pytest.param(date(2026, 4, 30), 30, id="april-last-day"),
        pytest.param(date(2026, 1, 31), 31, id="january-last-day"),
        pytest.param(date(2026, 12, 31), 31, id="december-year-end"),
        pytest.param(date(2026, 2, 1), 28, id="february-2026"),
        pytest.param(date(2028, 2, 29), 29, id="leap-2028"),
        pytest.param(date(2100, 2, 28), 28, id="2100-not-leap"),
        pytest.param(date(2000, 2, 15), 29, id="2000-leap-by-400"),
        pytest.param(date(2024, 2, 1), 29, id="leap-2024"),
    ],
)
def test_days_in_month(day: date, expected: int) -> None:
    """days_in_month counts the days of the day's month, Gregorian leap years included."""
    assert days_in_month(day) == expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        pytest.param(date(2026, 10, 5), date(2026, 10, 5), [date(2026, 10, 5)], id="one-day"),
        pytest.param(
            date(2026, 12, 31),
            date(2027, 1, 1),
            [date(2026, 12, 31), date(2027, 1, 1)],
            id="across-year",
        ),
        pytest.param(
            date(2028, 2, 28),
            date(2028, 3, 1),
            [date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1)],
            id="leap-february",
        ),
        pytest.param(
            date(2100, 2, 28),
            date(2100, 3, 1),
            [date(2100, 2, 28), date(2100, 3, 1)],
            id="2100-february",
        ),
        pytest.param(date(2026, 10, 6), date(2026, 10, 5), [], id="reversed-is-empty"),
    ],
)
def test_iter_days(first: date, last: date, expected: list[date]) -> None:
    """iter_days yields every date from first to last, both included."""
    assert list(iter_days(first, last)) == expected


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        pytest.param("2026-10-04T20:00:00+00:00", SHANGHAI, date(2026, 10, 5), id="east-next"),
        pytest.param("2026-10-04T20:00:00+00:00", NEW_YORK, date(2026, 10, 4), id="west-same"),
        pytest.param("2026-10-05T03:59:59+00:00", NEW_YORK, date(2026, 10, 4), id="west-prev"),
        pytest.param("2026-10-05T00:00:00+08:00", UTC, date(2026, 10, 4), id="offset-input"),
    ],
)
def test_local_date(moment: str, zone: tzinfo, expected: date) -> None:
    """local_date is the calendar date of an instant in the zone."""
    assert local_date(instant(moment), zone) == expected
