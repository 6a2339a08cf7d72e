"""Shared test configuration."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# tests/test_leak_guard.py runs pytest on small test files of its own.
pytest_plugins = ["pytester"]

# Property tests are part of the specification: in CI they run more examples, derandomised so a
# run is reproducible.
settings.register_profile(
    "ci", max_examples=400, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the collection imported is moved out of the garbage collector's sight (gc.freeze):
    it stays for the whole run, and the collection after each test only looks at what is new."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _collect_each_test_s_garbage() -> Iterator[None]:
    """Collects the garbage of each test as it ends, so that a resource it left open (a socket,
    say) fails that test, as an unraisable ResourceWarning, and not whichever test the collector
    would otherwise have run in."""
    yield
    gc.collect()
