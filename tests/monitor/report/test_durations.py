"""Durations as the report and the CLI show them: to the second, in words, rounded up (notice
given ahead rounded down)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.durations import DURATION_RULE, format_duration

US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        pytest.param(timedelta(0), "0 s", id="zero"),
        pytest.param(US, "1 s", id="a-microsecond-is-a-second"),
        pytest.param(timedelta(milliseconds=400), "1 s", id="under-a-second"),
        pytest.param(timedelta(seconds=1), "1 s", id="one-second"),
        pytest.param(timedelta(seconds=1) + US, "2 s", id="just-over-a-second"),
        pytest.param(timedelta(seconds=445), "7 min 25 s", id="minutes-and-seconds"),
        pytest.param(timedelta(minutes=12), "12 min", id="whole-minutes"),
        pytest.param(timedelta(hours=2, seconds=30), "2 h 00 min 30 s", id="no-unit-skipped"),
        pytest.param(timedelta(hours=2, minutes=5, seconds=30), "2 h 05 min 30 s", id="padded"),
        pytest.param(timedelta(hours=33, minutes=30), "1 d 09 h 30 min", id="days"),
        pytest.param(timedelta(days=31), "31 d", id="a-month"),
        pytest.param(timedelta(days=1) - US, "1 d", id="rounded-up-into-the-next-unit"),
        pytest.param(-timedelta(minutes=10), "-10 min", id="negative"),
        pytest.param(-timedelta(milliseconds=1), "-1 s", id="negative-magnitude-rounded-up"),
    ],
)
def test_rounded_up_to_the_second(delta: timedelta, text: str) -> None:
    """No duration reads shorter than it was, and no non-zero one reads as 0 s."""
    assert format_duration(delta) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        pytest.param(timedelta(hours=24) - US, "23 h 59 min 59 s", id="just-under-a-day"),
        pytest.param(timedelta(milliseconds=999), "0 s", id="under-a-second"),
        pytest.param(timedelta(hours=6), "6 h", id="whole"),
    ],
)
def test_rounded_down_on_request(delta: timedelta, text: str) -> None:
    """Notice given ahead rounds down: 24 h less a microsecond never reads as 24 h."""
    assert format_duration(delta, round_up=False) == text


def test_the_rule_is_stated() -> None:
    """The sentence the report prints says both roundings and where the exact values are."""
    assert "rounded up" in DURATION_RULE
    assert "rounded down" in DURATION_RULE
    assert "JSON" in DURATION_RULE
