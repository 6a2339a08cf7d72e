"""How `slawatch db backup` hands a PostgreSQL password to pg_dump: never on its command line."""

from __future__ import annotations

import pytest

from monitor.cli.db import _without_password


@pytest.mark.parametrize(
    ("url", "clean", "password"),
    [
        pytest.param("postgresql://u:s%40cret@db:5432/x", "postgresql://u@db:5432/x", "s@cret",
                     id="in-user-part"),
        pytest.param("postgresql://u@db/x?password=pw&sslmode=require",
                     "postgresql://u@db/x?sslmode=require", "pw", id="in-query"),
        pytest.param("postgresql://u:pw@[::1]:5432/x", "postgresql://u@[::1]:5432/x", "pw",
                     id="ipv6-host-kept"),
        pytest.param("postgresql://u@db/x", "postgresql://u@db/x", None, id="none"),
    ],
)  # fmt: skip
def test_the_password_moves_to_the_environment(url: str, clean: str, password: str | None) -> None:
    """The URL pg_dump sees has no password; PGPASSWORD carries it, decoded."""
    got, env = _without_password(url)

    assert got == clean
    assert env.get("PGPASSWORD") == password
