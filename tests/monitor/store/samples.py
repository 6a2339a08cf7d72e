"""Sample results and intervals for the store tests, around one fixed instant."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.results import Outcome, ProbeResult
from monitor.store import IntervalKind, IntervalRecord

__all__ = ["API", "EU", "MICRO", "T0", "US_EAST", "WEB", "at", "interval", "probe"]

T0 = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
#: The smallest step an instant can take.
MICRO = timedelta(microseconds=1)
EU, US_EAST = "eu-west", "us-east"
API, WEB = "shop/api", "shop/web"


def at(seconds: float) -> datetime:
    """``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


def probe(
    seconds: float,
    *,
    check: str = API,
    vantage: str = EU,
    outcome: Outcome = Outcome.UP,
) -> ProbeResult:
    """A plain result ``seconds`` after T0."""
    return ProbeResult(check, vantage, at(seconds), 0.0125, outcome, status=200, bytes_read=512)


def interval(
    start: datetime,
    end: datetime | None = None,
    *,
    kind: IntervalKind = IntervalKind.CHECK_DOWN,
    vantage: str = EU,
    subject: str = API,
    detail: Mapping[str, Any] | None = None,
) -> IntervalRecord:
    """An interval record not yet stored."""
    return IntervalRecord(kind, vantage, subject, start, end, detail=detail or {})
