"""What one probe found: an outcome and its evidence. A failed probe is data, not an exception."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Outcome", "ProbeResult"]


class Outcome(enum.StrEnum):
    """``up``, or why the probe failed."""

    UP = "up"
    TIMEOUT = "timeout"
    CONNECT_ERROR = "connect_error"
    DNS_ERROR = "dns_error"
    TLS_ERROR = "tls_error"
    HTTP_STATUS = "http_status"
    CONTENT_MISMATCH = "content_mismatch"
    TOO_SLOW = "too_slow"
    PROTOCOL_ERROR = "protocol_error"
    #: The prober itself failed (a bug, or resources exhausted): never the target's fault, but
    #: still not a measurement of "up".
    PROBE_ERROR = "probe_error"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe of one check from one vantage.

    ``started_at`` is wall time in UTC (the instant recorded as evidence); ``latency`` is measured
    on the monotonic clock, in seconds.
    """

    check: str
    vantage: str
    started_at: datetime
    latency: float
    outcome: Outcome
    detail: str = ""
    status: int | None = None
    bytes_read: int = 0
    cert_expires_at: datetime | None = None
    answers: tuple[str, ...] = field(default=())
    #: Live only, for the metrics (not stored): the response's Content-Length header when it
    #: had one, and whether the body failed the check's ``contains`` or ``regex``.
    content_length: int | None = None
    body_mismatch: bool = False

    @property
    def up(self) -> bool:
        """True when the probe succeeded."""
        return self.outcome is Outcome.UP
