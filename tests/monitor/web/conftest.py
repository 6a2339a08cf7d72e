"""The scripted store of :mod:`.scenario`, with its day figures computed as the daemon would."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.status.aggregates import fill_days
from monitor.store.sqlite import SQLiteStore

from .scenario import NOW, fill, settings


async def filled(path: Path, *, shop: str = "shop") -> Path:
    """The scenario stored in ``path``, every closed day's figures computed."""
    store = SQLiteStore(path)
    await store.open()
    try:
        await fill(store, shop=shop)
        while await fill_days(store, settings(path, shop=shop), NOW):
            pass
    finally:
        await store.close()
    return path


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    """The scenario in a SQLite file."""
    return await filled(tmp_path / "pages.db")
