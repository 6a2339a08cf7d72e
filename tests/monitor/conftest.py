"""Daemon subprocesses never outlive the test that started them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from .harness import STARTED


@pytest.fixture(autouse=True)
async def _no_daemon_left_behind() -> AsyncIterator[None]:
    """Kill (and reap) every daemon still running once the test is over, passed or failed."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(process.wait(), 10)
