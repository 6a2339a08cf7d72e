"""What every prober shares: how a probe is dated and timed, and how its failure is told.

A result is dated by the wall clock when the probe starts (the instant recorded as evidence)
and timed on the monotonic clock, which no clock step can bend. Each prober adds only what it
saw of its own: a status, bytes, a certificate, answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, Unpack

from ..clock import Clock
from ..results import Outcome, ProbeResult
from .classify import classify

__all__ = ["Attempt", "Evidence", "failure"]


class Evidence(TypedDict, total=False):
    """What a prober saw besides the outcome: the :class:`ProbeResult` fields of its own."""

    status: int | None
    bytes_read: int
    cert_expires_at: datetime | None
    answers: tuple[str, ...]
    content_length: int | None
    body_mismatch: bool


class Attempt:
    """One probe of one check from one vantage, under way since it was made."""

    __slots__ = ("_check_id", "_clock", "_start", "_vantage", "started_at")

    def __init__(self, clock: Clock, *, check_id: str, vantage: str) -> None:
        self._clock = clock
        self._check_id = check_id
        self._vantage = vantage
        #: Wall time in UTC: the instant the result is recorded at.
        self.started_at: datetime = clock.now()
        self._start = clock.monotonic()

    def elapsed(self) -> float:
        """Seconds since the probe started, on the monotonic clock."""
        return self._clock.monotonic() - self._start

    def result(
        self,
        outcome: Outcome,
        detail: str,
        *,
        latency: float | None = None,
        **evidence: Unpack[Evidence],
    ) -> ProbeResult:
        """The probe's result; its latency is the time elapsed until now unless given."""
        return ProbeResult(
            check=self._check_id,
            vantage=self._vantage,
            started_at=self.started_at,
            latency=self.elapsed() if latency is None else latency,
            outcome=outcome,
            detail=detail,
            **evidence,
        )


def failure(error: Exception, *, timeout: float, awaited: str) -> tuple[Outcome, str]:
    """The outcome ``error`` stands for, and a detail naming its cause.

    A timeout's detail says what did not come within ``timeout`` (``awaited``, such as
    ``"answer"``): the bound the check sets, rather than whichever step the clock ran out in.
    """
    outcome, detail = classify(error)
    if outcome is Outcome.TIMEOUT:
        detail = f"no {awaited} within {timeout:g}s"
    return outcome, detail
