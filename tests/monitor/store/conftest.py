"""The ``store`` fixture: every contract test runs once per store implementation.

An implementation is a *backend*: an async context manager that prepares a fresh, empty database
and yields a factory of unopened stores on it (several stores on one database let tests close
and reopen). The PostgreSQL backend creates a scratch database per test on the server named by
``SLAWATCH_TEST_POSTGRES`` and drops it on exit; without a server its tests are skipped, with the
reason shown (failed instead when ``SLAWATCH_REQUIRE_POSTGRES=1``): see :mod:`tests.pg`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from monitor.store import PostgresStore, SQLiteStore, Store

from ...pg import scratch_database

StoreFactory = Callable[[], Store]


@contextlib.asynccontextmanager
async def sqlite(tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """A fresh SQLite file in the test's temporary directory."""
    path = tmp_path / "evidence.db"
    yield lambda: SQLiteStore(path)


@contextlib.asynccontextmanager
async def postgresql(tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """A fresh PostgreSQL database, dropped afterwards."""
    async with scratch_database() as url:
        yield lambda: PostgresStore(url)


BACKENDS = [
    pytest.param(sqlite, id="sqlite"),
    pytest.param(postgresql, id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Makes unopened stores on one fresh database; closes every one of them afterwards."""
    async with request.param(tmp_path) as factory:
        made: list[Store] = []

        def make() -> Store:
            store: Store = factory()
            made.append(store)
            return store

        yield make
        for store in reversed(made):
            await store.close()


@pytest.fixture
async def store(make_store: StoreFactory) -> Store:
    """An open store on a fresh, empty database."""
    opened = make_store()
    await opened.open()
    return opened
