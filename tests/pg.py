"""The PostgreSQL server tests use: where it is, and scratch databases on it.

The server is named by ``SLAWATCH_TEST_POSTGRES`` (a URL of its maintenance database, default
:data:`DEFAULT_ADMIN_URL`); its user must be allowed to create databases. Each test gets a fresh
database (``slawatch_test_<hex>``, created in about a tenth of a second) and drops it afterwards,
so tests neither see each other's data nor need cleaning up after a crash of the store.

Without a reachable server, PostgreSQL tests are skipped with the reason shown, unless
``SLAWATCH_REQUIRE_POSTGRES=1`` (as in CI), where they fail instead: a missing server must not
pass silently as a green run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import urllib.parse
from collections.abc import AsyncIterator
from typing import NoReturn

import asyncpg
import pytest

__all__ = [
    "DEFAULT_ADMIN_URL",
    "admin_connection",
    "admin_url",
    "database_url",
    "postgres_or_skip",
    "scratch_database",
    "unavailable",
]

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Seconds to wait for the server before calling it unreachable.
CONNECT_TIMEOUT = 5.0


def admin_url() -> str:
    """The URL of the server's maintenance database, from ``SLAWATCH_TEST_POSTGRES``."""
    return os.environ.get("SLAWATCH_TEST_POSTGRES") or DEFAULT_ADMIN_URL


def database_url(name: str, url: str | None = None) -> str:
    """``url`` (the admin URL by default) naming the database ``name`` instead."""
    parts = urllib.parse.urlsplit(url or admin_url())
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def unavailable(reason: str) -> NoReturn:
    """Skip the test for want of a server, or fail it when the server is required."""
    message = f"PostgreSQL server unavailable ({reason}); SLAWATCH_TEST_POSTGRES names the server"
    if os.environ.get("SLAWATCH_REQUIRE_POSTGRES") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def postgres_or_skip() -> str:
    """The admin URL if its server accepts TCP connections; else skip (or fail) the test."""
    url = admin_url()
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as error:
        unavailable(f"{host}:{port}: {error}")
    return url


@contextlib.asynccontextmanager
async def admin_connection() -> AsyncIterator[asyncpg.Connection]:
    """A connection to the maintenance database (skipping or failing the test without one)."""
    url = postgres_or_skip()
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        unavailable(" ".join(str(error).split()) or type(error).__name__)
    try:
        yield conn
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def scratch_database() -> AsyncIterator[str]:
    """A fresh, empty database for one test: yields its URL, drops it (and its sessions) on exit."""
    name = f"slawatch_test_{secrets.token_hex(6)}"
    async with admin_connection() as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        async with admin_connection() as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
