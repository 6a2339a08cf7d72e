"""The daemon computes the status page's closed days in the background, a few days a round."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date

import pytest
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import Settings
from monitor.daemon.runner import STATUS_FILL_BUSY, STATUS_FILL_EVERY, Daemon
from monitor.status.aggregates import DAYS_PER_ROUND
from monitor.store.base import Store

from ..harness import wait_for
from .scenario import NOW


async def stored(store: Store) -> int:
    return len(await store.day_figures(first=date(2025, 12, 1), last=date(2026, 3, 31)))


async def test_the_days_are_computed_round_by_round(
    store: Store, config: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Seven days a round, the next round soon while days are left, then every few minutes;
    a store that fails is said once, and the task goes on."""
    clock = FakeClock(NOW)
    daemon = Daemon(config, clock=clock, store=store, registry=CollectorRegistry())
    task = asyncio.create_task(daemon._keep("status page days", daemon._status_round))

    async def sleeping() -> bool:
        return clock.next_deadline is not None

    try:
        rounds = 0
        while True:
            await wait_for(sleeping, "the status task to sleep")
            rounds += 1
            assert await stored(store) == min(89, rounds * DAYS_PER_ROUND) * 5
            assert clock.next_deadline is not None
            pause = clock.next_deadline - clock.monotonic()
            if rounds * DAYS_PER_ROUND < 89:
                assert pause == STATUS_FILL_BUSY
            else:
                assert pause == STATUS_FILL_EVERY
                break
            await clock.advance(pause)
        assert rounds == 13

        await store.close()
        with caplog.at_level(logging.WARNING, logger="monitor.daemon.runner"):
            for _ in range(2):
                await clock.advance(STATUS_FILL_EVERY)
                await wait_for(sleeping, "the status task to sleep after a failure")
        warnings = [r.getMessage() for r in caplog.records if "status page days" in r.getMessage()]
        assert len(warnings) == 1
        assert "the store is not open" in warnings[0]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
