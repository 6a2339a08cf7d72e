"""The credit claim of one service for one month: the letter to the provider's support, the
request logs that document the errors, and the month's report, ready to attach.

Built on the report (:mod:`monitor.report`): :mod:`.model` adds the failed requests of each
credited outage; :mod:`.deadline`, :mod:`.letter` and :mod:`.requestlog` are pure.
"""

from __future__ import annotations

from .model import Claim, build_claim, read_claim

__all__ = ["Claim", "build_claim", "read_claim"]
