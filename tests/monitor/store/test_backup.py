"""Backups (C9: "backing up data in other servers"): `slawatch db backup`, and restoring one."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import pytest

from monitor.store import open_store

from ...pg import database_url, scratch_database
from .samples import T0, at, interval, probe

pytestmark = pytest.mark.postgres


async def slawatch(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_postgresql_backup_restores_into_an_empty_database(tmp_path: Path) -> None:
    """pg_dump's custom format, restored with pg_restore, gives back every result and interval
    and a store that opens at the same schema version."""
    restore_tool = shutil.which("pg_restore")
    if restore_tool is None:
        pytest.skip("pg_restore not installed (package postgresql-client)")
    results = [probe(i) for i in range(50)]
    record = interval(at(3), at(9), detail={"outcomes": {"timeout": 2}})
    async with scratch_database() as source, scratch_database() as target:
        store = open_store(source)
        await store.open()
        await store.write_results(results)
        ident = await store.open_interval(record)
        version = await store.schema_version()
        await store.close()
        config = tmp_path / "slawatch.yaml"
        config.write_text(f"store: '{source}'\n", encoding="utf-8")
        backup = tmp_path / "slawatch.dump"

        code, out, err = await slawatch("db", "backup", "--config", str(config), str(backup))
        assert code == 0, err
        assert out == f"backup written to {backup}\n"
        restore = await asyncio.create_subprocess_exec(
            restore_tool,
            "--no-owner",
            "--dbname",
            target,
            str(backup),
            stderr=asyncio.subprocess.PIPE,
        )
        _, restore_err = await restore.communicate()
        assert restore.returncode == 0, restore_err.decode()

        copy = open_store(target)
        await copy.open()
        try:
            assert await copy.schema_version() == version
            assert await copy.results(start=T0, end=at(100)) == results
            (got,) = await copy.intervals(start=T0, end=at(100))
            assert got.id == ident
            assert got.detail == record.detail
        finally:
            await copy.close()


async def test_a_failed_pg_dump_is_one_line(tmp_path: Path) -> None:
    """A database that does not exist: one line naming pg_dump's complaint, exit 1, no file."""
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed (package postgresql-client)")
    async with scratch_database() as url:
        missing = database_url("slawatch_no_such_database", url)
    config = tmp_path / "slawatch.yaml"
    config.write_text(f"store: '{missing}'\n", encoding="utf-8")

    code, _, err = await slawatch("db", "backup", "--config", str(config), str(tmp_path / "x"))

    assert code == 1
    assert err.startswith("slawatch: db backup: pg_dump failed: ")
    assert err.count("\n") == 1
