"""The part every prober shares: dating and timing a probe, and telling its failure."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.clock import FakeClock
from monitor.probes.classify import classify
from monitor.probes.result import Attempt, failure
from monitor.results import Outcome, ProbeResult

T0 = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)


async def test_a_result_is_dated_at_the_start_and_timed_until_now() -> None:
    """started_at is the wall time at the start; latency the monotonic time since, to the end."""
    clock = FakeClock(T0)
    await clock.advance(7)
    attempt = Attempt(clock, check_id="shop/home", vantage="eu-west")
    await clock.advance(2.5)

    result = attempt.result(Outcome.UP, "200 OK", status=200, bytes_read=12)

    assert result == ProbeResult(
        "shop/home", "eu-west", attempt.started_at, 2.5, Outcome.UP, "200 OK", 200, 12
    )
    assert attempt.started_at == datetime(2026, 10, 5, 10, 0, 7, tzinfo=UTC)


async def test_a_latency_taken_earlier_is_kept() -> None:
    """A latency the prober read itself (before tidying up) is the one recorded."""
    clock = FakeClock(T0)
    attempt = Attempt(clock, check_id="shop/dns", vantage="eu-west")
    await clock.advance(1)
    latency = attempt.elapsed()
    await clock.advance(3)

    result = attempt.result(Outcome.TIMEOUT, "no answer", latency=latency, answers=("192.0.2.1",))

    assert (result.latency, result.answers, result.started_at) == (1.0, ("192.0.2.1",), T0)


def test_a_timeout_names_what_did_not_come_within_the_check_timeout() -> None:
    """A timeout's detail is what was awaited and the check's bound, not the step it hit."""
    assert failure(TimeoutError("read"), timeout=1.5, awaited="answer") == (
        Outcome.TIMEOUT,
        "no answer within 1.5s",
    )


def test_other_failures_keep_the_classified_detail() -> None:
    """Any other error is the outcome and detail the classifier gives it, unchanged."""
    error = ConnectionRefusedError(111, "Connection refused")

    assert failure(error, timeout=5, awaited="complete answer") == classify(error)
    assert failure(error, timeout=5, awaited="complete answer")[0] is Outcome.CONNECT_ERROR
