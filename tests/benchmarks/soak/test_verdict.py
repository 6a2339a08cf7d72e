"""The soak's verdicts fail where they should: a result missing, a status that disagrees, an
outage measured late, split or never scripted, memory that grows, a traceback in the log."""

from __future__ import annotations

import json

from .plan import Outage, Plan, Restart
from .verdict import (
    Interval,
    StoredResult,
    log_problems,
    match_results,
    memory_verdict,
    outage_verdict,
)

T = 1_800_000_000.0


def _served(*instants: float, status: int = 200) -> list[tuple[float, int]]:
    return [(T + at, status) for at in instants]


def _stored(*instants: float, status: int = 200) -> list[StoredResult]:
    outcome = "up" if status == 200 else "http_status"
    return [StoredResult(T + at - 0.002, status, outcome) for at in instants]


def test_every_request_matched_passes() -> None:
    verdict = match_results(
        {"s000/c0": _served(0, 10, 20)}, {"s000/c0": _stored(0, 10, 20)}, T + 100, []
    )
    assert verdict.ok
    assert (verdict.served, verdict.stored, verdict.matched) == (3, 3, 3)


def test_a_request_without_its_result_is_lost() -> None:
    verdict = match_results(
        {"s000/c0": _served(0, 10, 20)}, {"s000/c0": _stored(0, 20)}, T + 100, [(T + 5, T + 15)]
    )
    assert not verdict.ok
    assert verdict.lost == [("s000/c0", T + 10, 200)]
    assert (verdict.while_down, verdict.while_down_stored) == (1, 0)


def test_only_a_request_in_flight_at_the_stop_may_go_missing() -> None:
    verdict = match_results({"s000/c0": _served(0, 10)}, {"s000/c0": _stored(0)}, T + 10.5, [])
    assert verdict.ok
    assert verdict.at_edge == 1


def test_a_stored_status_other_than_the_served_one_fails() -> None:
    verdict = match_results(
        {"s000/c0": _served(0, status=503)}, {"s000/c0": _stored(0)}, T + 100, []
    )
    assert not verdict.ok
    assert verdict.disagree == {(503, "up"): 1}


def test_a_result_no_request_answers_is_counted() -> None:
    stored = {"s000/c0": [*_stored(0), StoredResult(T + 30, None, "connect_error")]}
    verdict = match_results({"s000/c0": _served(0)}, stored, T + 100, [])
    assert verdict.unserved == {"connect_error": 1}


PLAN = Plan(600.0, (Outage("s001", 100.0, 200.0, "random"),), (Restart(300.0, 25.0),))
SWITCHES = [
    {"service": "s001", "healthy": False, "at": T + 100.01},
    {"service": "s001", "healthy": True, "at": T + 200.02},
]


def _judge(*intervals: Interval) -> tuple[bool, int, int]:
    verdict = outage_verdict(PLAN, T, SWITCHES, list(intervals), interval=10.0, retry=1.0)
    return verdict.ok, len(verdict.unscripted), len(verdict.stray)


def test_an_outage_measured_within_bounds_passes() -> None:
    assert _judge(Interval("outage", "s001", T + 109.0, T + 200.5)) == (True, 0, 0)


def test_an_outage_starting_too_late_or_ending_too_late_fails() -> None:
    assert not _judge(Interval("outage", "s001", T + 114.0, T + 200.5))[0]
    assert not _judge(Interval("outage", "s001", T + 109.0, T + 204.0))[0]


def test_an_outage_missing_split_or_left_open_fails() -> None:
    assert not _judge()[0]
    split = (
        Interval("outage", "s001", T + 109.0, T + 150.0),
        Interval("outage", "s001", T + 151.0, T + 200.5),
    )
    assert not _judge(*split)[0]
    assert not _judge(Interval("outage", "s001", T + 109.0, None))[0]


def test_an_outage_nobody_scripted_fails_and_other_evidence_is_listed() -> None:
    measured = Interval("outage", "s001", T + 109.0, T + 200.5)
    assert _judge(measured, Interval("outage", "s002", T + 400.0, T + 410.0)) == (False, 1, 0)
    assert _judge(measured, Interval("check_down", "s002/c3", T + 400.0, T + 410.0)) == (
        True,
        0,
        1,
    )


def test_memory_growing_is_not_flat() -> None:
    flat = [(T + k * 10.0, 100 * 2**20 + (k % 3) * 2**16) for k in range(61)]
    assert memory_verdict(flat, T, 600.0).ok
    growing = [(T + k * 10.0, 100 * 2**20 + k * 2**18) for k in range(61)]
    verdict = memory_verdict(growing, T, 600.0)
    assert not verdict.ok
    assert verdict.growth > 0.05


def test_a_traceback_in_the_log_is_a_crash() -> None:
    fine = json.dumps({"level": "info", "message": "started"})
    failed = json.dumps({"level": "error", "message": "boom", "exception": "Traceback ..."})
    assert log_problems(fine)[0] == []
    crashes, levels, other = log_problems(f"{fine}\n{failed}\nTraceback (most recent call last):")
    assert len(crashes) == 2
    assert levels == {"error: boom": 1}
    assert other == ["Traceback (most recent call last):"]
