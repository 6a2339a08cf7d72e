"""Shared test configuration."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Property tests are part of the specification: in CI they run more examples, derandomised so a
# run is reproducible.
settings.register_profile(
    "ci", max_examples=400, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
