"""The deadline to file a claim: from ``claim_within`` or ``claim_by``, counted from the claimed
local month, across DST and year ends; and where an instant stands to it.

Every expected instant is worked out by hand from the zone's published rules (noted beside it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from monitor.claim.deadline import (
    NEAR,
    Deadline,
    Standing,
    claim_deadline,
    local_month,
    standing,
    time_left,
)
from monitor.config.terms import ContractTerms


def terms(zone: str, **fields: Any) -> ContractTerms:
    return ContractTerms.model_validate(
        {"timezone": zone, "currency": "USD", "daily_fee": "10", **fields}
    )


@pytest.mark.parametrize(
    ("zone", "month", "fields", "at", "last_day"),
    [
        pytest.param(
            # October ends at 2026-11-01 00:00 +08:00; 60 days later: 2026-12-31 00:00 +08:00.
            "Asia/Shanghai",
            (2026, 10),
            {"claim_within": "60d"},
            datetime(2026, 12, 30, 16, tzinfo=UTC),
            date(2026, 12, 30),
            id="claim-within-60d",
        ),
        pytest.param(
            # October ends at 2026-11-01 00:00 EDT (04:00Z); the clocks go back at 02:00 that
            # day, so 30 calendar days later is 2026-12-01 00:00 EST (05:00Z), not 04:00Z.
            "America/New_York",
            (2026, 10),
            {"claim_within": "30d"},
            datetime(2026, 12, 1, 5, tzinfo=UTC),
            date(2026, 11, 30),
            id="claim-within-days-across-dst",
        ),
        pytest.param(
            # Not whole days: elapsed time from 2026-11-01T04:00Z, 36 h later.
            "America/New_York",
            (2026, 10),
            {"claim_within": "36h"},
            datetime(2026, 11, 2, 16, tzinfo=UTC),
            date(2026, 11, 2),
            id="claim-within-hours-elapsed",
        ),
        pytest.param(
            # Chile's clocks jump from 2026-09-06 00:00 -04:00 to 01:00 -03:00: that day starts
            # at 01:00 local, 04:00Z. July ends 2026-08-01 00:00 -04:00; 36 days later is the
            # end of 2026-09-05.
            "America/Santiago",
            (2026, 7),
            {"claim_within": "36d"},
            datetime(2026, 9, 6, 4, tzinfo=UTC),
            date(2026, 9, 5),
            id="claim-within-to-a-skipped-midnight",
        ),
        pytest.param(
            # The end of the month after October: 2026-12-01 00:00 +08:00.
            "Asia/Shanghai",
            (2026, 10),
            {"claim_by": "end_of_second_billing_cycle"},
            datetime(2026, 11, 30, 16, tzinfo=UTC),
            date(2026, 11, 30),
            id="claim-by-end-of-second-billing-cycle",
        ),
        pytest.param(
            # December's following month is January of the next year: 2027-02-01 00:00 +09:00.
            "Asia/Tokyo",
            (2026, 12),
            {"claim_by": "end_of_second_billing_cycle"},
            datetime(2027, 1, 31, 15, tzinfo=UTC),
            date(2027, 1, 31),
            id="claim-by-across-the-year-end",
        ),
        pytest.param(
            # February 2027 then March, which gains DST on the 14th: April 1 00:00 EDT = 04:00Z.
            "America/New_York",
            (2027, 2),
            {"claim_by": "end_of_second_billing_cycle"},
            datetime(2027, 4, 1, 4, tzinfo=UTC),
            date(2027, 3, 31),
            id="claim-by-into-summer-time",
        ),
    ],
)
def test_the_deadline_counts_from_the_local_month(
    zone: str, month: tuple[int, int], fields: dict[str, str], at: datetime, last_day: date
) -> None:
    deadline = claim_deadline(terms(zone, **fields), *month)

    assert deadline.at == at
    assert deadline.last_day == last_day


def test_without_a_term_the_deadline_is_unknown() -> None:
    deadline = claim_deadline(terms("UTC"), 2026, 10)

    assert deadline.at is None
    assert deadline.last_day is None
    assert "claim_within, claim_by" in deadline.rule
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert standing(deadline, now) is Standing.UNKNOWN
    assert time_left(deadline, now) == "unknown"


def test_each_rule_is_named_in_words() -> None:
    within = claim_deadline(terms("UTC", claim_within="60d"), 2026, 10)
    by = claim_deadline(terms("UTC", claim_by="end_of_second_billing_cycle"), 2026, 10)

    assert within.rule == "within 60 d of the end of the claimed month (claim_within)"
    assert by.rule == (
        "by the end of the month after the claimed one (claim_by: end_of_second_billing_cycle)"
    )


AT = datetime(2026, 12, 1, 5, tzinfo=UTC)
DEADLINE = Deadline(AT, "rule", UTC)
_US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "state", "words"),
    [
        pytest.param(AT - timedelta(days=20), Standing.OK, "20 days left", id="far"),
        pytest.param(AT - NEAR - _US, Standing.OK, "7 days left", id="just-outside-near"),
        pytest.param(AT - NEAR, Standing.NEAR, "7 days left", id="near-at-seven-days"),
        pytest.param(AT - timedelta(days=1), Standing.NEAR, "1 day left", id="one-day"),
        pytest.param(AT - timedelta(days=1) + _US, Standing.NEAR, "less than a day left",
                     id="under-a-day"),
        pytest.param(AT - _US, Standing.NEAR, "less than a day left", id="last-instant"),
        pytest.param(AT, Standing.PAST, "past: less than a day ago", id="at-the-deadline"),
        pytest.param(AT + timedelta(days=1), Standing.PAST, "past: 1 day ago", id="a-day-late"),
        pytest.param(AT + timedelta(days=24, hours=23), Standing.PAST, "past: 24 days ago",
                     id="weeks-late"),
    ],
)  # fmt: skip
def test_standing_and_time_left_at_now(now: datetime, state: Standing, words: str) -> None:
    assert standing(DEADLINE, now) is state
    assert time_left(DEADLINE, now) == words


@pytest.mark.parametrize(
    ("zone", "month", "start", "hours"),
    [
        # DST starts 2026-03-08 in New York: March has 31 days less an hour.
        pytest.param("America/New_York", (2026, 3), datetime(2026, 3, 1, 5, tzinfo=UTC),
                     31 * 24 - 1, id="spring-forward"),
        # DST ends 2026-11-01: November has 30 days and an hour.
        pytest.param("America/New_York", (2026, 11), datetime(2026, 11, 1, 4, tzinfo=UTC),
                     30 * 24 + 1, id="fall-back"),
        pytest.param("Asia/Shanghai", (2026, 10), datetime(2026, 9, 30, 16, tzinfo=UTC),
                     31 * 24, id="no-dst"),
    ],
)  # fmt: skip
def test_the_local_month_follows_the_zone(
    zone: str, month: tuple[int, int], start: datetime, hours: int
) -> None:
    span = local_month(*month, terms(zone).timezone)

    assert span.start == start
    assert span.duration == timedelta(hours=hours)
