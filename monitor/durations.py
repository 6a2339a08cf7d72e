"""Durations for people to read: to the second, in words, rounded so that they never flatter.

The report's HTML and Markdown, and the CLI's lines, show every duration with
:func:`format_duration`; JSON keeps the exact seconds. A duration is rounded *up* to the second:
measured downtime never reads shorter than it was, and a non-zero one never reads as ``0 s``.
The one exception is how long ahead a maintenance was announced, rounded *down*
(``round_up=False``): notice given never reads as more than was given, so a refusal for late
notice never shows "24 h before" against a contract that needs 24 h.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Final

__all__ = ["DURATION_RULE", "availability", "format_duration"]

#: The rule, as the report states it beside its figures.
DURATION_RULE: Final = (
    "Durations are shown to the second, rounded up, so that no downtime reads shorter than "
    "measured and none reads as 0 s; only how long ahead a maintenance was announced is rounded "
    "down. The JSON report has them exact, to the microsecond."
)

_MICROS: Final = 1_000_000
#: Each unit after the first is zero-padded to two digits, so that ``1 h 05 min`` is unambiguous.
_UNITS: Final = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))


def format_duration(delta: timedelta, *, round_up: bool = True) -> str:
    """``2 h 05 min 30 s``, ``1 d 09 h 30 min``, ``12 min``, ``1 s``, ``0 s``: to the second.

    Units run from the largest non-zero one down to the smallest non-zero one, with none skipped
    in between. A negative duration is its magnitude, rounded the same way, after a minus sign.
    """
    micros = delta // timedelta(microseconds=1)
    sign, micros = ("-", -micros) if micros < 0 else ("", micros)
    seconds = -(-micros // _MICROS) if round_up else micros // _MICROS
    if seconds == 0:
        return "0 s"
    counts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        counts.append((unit, count))
    used = [i for i, (_, count) in enumerate(counts) if count]
    shown = counts[used[0] : used[-1] + 1]
    parts = [
        f"{count if i == 0 else f'{count:02d}'} {unit}" for i, (unit, count) in enumerate(shown)
    ]
    return sign + " ".join(parts)


def availability(down: timedelta, measured: timedelta) -> Fraction | None:
    """Time-based availability, ``1 - down / measured``, exact; None when nothing was measured
    (never 100 % of nothing). The report, the live figures and the status page all use it."""
    if measured <= timedelta(0):
        return None
    micro = timedelta(microseconds=1)
    return 1 - Fraction(down // micro, measured // micro)
