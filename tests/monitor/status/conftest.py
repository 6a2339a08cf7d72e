"""The scenario's store, on a real SQLite file (and, for the store's own tests, PostgreSQL)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from monitor.config.settings import Settings
from monitor.status.aggregates import fill_days
from monitor.store.base import Store
from monitor.store.sqlite import SQLiteStore

from .scenario import NOW, fill, settings


@pytest.fixture
def config(tmp_path: Path) -> Settings:
    """The scenario's configuration."""
    return settings(tmp_path / "status.db")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """The scenario, stored; the closed days not computed yet."""
    opened = SQLiteStore(tmp_path / "status.db")
    await opened.open()
    await fill(opened)
    yield opened
    await opened.close()


async def fill_all(store: Store, config: Settings) -> int:
    """Compute every closed day the way the daemon does, round by round; return the rounds."""
    rounds = 0
    while await fill_days(store, config, NOW):
        rounds += 1
    return rounds


def parse_xml(document: bytes) -> ET.Element:
    """Parse a feed or a badge: slawatch's own output, under test."""
    return ET.fromstring(document)  # noqa: S314 - our own output, no external entities
