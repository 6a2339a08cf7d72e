"""``request-log.csv``: the request logs that document the errors, one row per failed probe.

RFC 4180 (a header row first, CRLF line ends), sorted by time. A row names what was probed as
people may see it (no credentials, no query values) and quotes the probe's own error on one line,
bounded, with the check's secrets masked (:data:`monitor.claim.model.ERROR_LIMIT`).
"""

from __future__ import annotations

import csv
import io
from typing import Final

from ..timefmt import format_instant
from .model import Claim

__all__ = ["COLUMNS", "render_request_log"]

COLUMNS: Final = (
    "time",
    "vantage",
    "check",
    "target",
    "outcome",
    "status",
    "error",
    "latency_seconds",
)


def render_request_log(claim: Claim) -> str:
    """Every failed request of the claim's incidents: time (RFC 3339 UTC, when the probe
    started), vantage, check, target, outcome, HTTP status (empty without one), error, latency
    in seconds (to the microsecond)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for request in claim.requests:
        writer.writerow(
            (
                format_instant(request.time),
                request.vantage,
                request.check,
                request.target,
                request.outcome,
                "" if request.status is None else request.status,
                request.error,
                f"{request.latency:.6f}",
            )
        )
    return out.getvalue()
