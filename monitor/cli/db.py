"""``slawatch db``: look after the store (migrate, prune, rebuild, backup).

Each command opens the store the configuration names, does one thing, prints one line per
thing done, and closes it. Errors are one line (see :mod:`monitor.cli.main`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ..clock import SystemClock
from ..config.settings import load_settings
from ..errors import InputError, StorageError
from ..timefmt import parse_date, parse_instant
from .common import with_store

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["add_db_commands"]

_T = TypeVar("_T")


def _instant_or_date(text: str, option: str) -> datetime:
    """An RFC 3339 instant, or a date meaning its midnight UTC."""
    try:
        if "T" in text or "t" in text:
            return parse_instant(text)
        day = parse_date(text)
    except ValueError as error:
        raise InputError(f"{option}: {error}") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _cmd_migrate(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    version = with_store(settings, lambda store: store.schema_version())
    print(f"schema at version {version}")
    return 0


def _cmd_prune(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    now = SystemClock().now()
    kept_from = now - timedelta(days=settings.retention_days)
    before = kept_from if args.before is None else _instant_or_date(args.before, "--before")
    if before > kept_from:
        raise InputError(
            f"--before: {before.isoformat()} would remove results younger than retention_days "
            f"({settings.retention_days}, C8); the earliest allowed is {kept_from.isoformat()}"
        )
    removed = with_store(settings, lambda store: store.prune(before))
    print(f"removed {removed} results older than {before.isoformat()}")
    return 0


def _cmd_rebuild(args: argparse.Namespace) -> int:
    from ..rebuild import rebuild  # noqa: PLC0415 - imports the daemon's modules

    settings = load_settings(args.config)
    start = _instant_or_date(args.date_from, "--from")
    summaries = with_store(
        settings,
        lambda store: rebuild(
            store, settings, start=start, now=SystemClock().now(), vantages=args.vantage
        ),
    )
    for summary in summaries:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(summary.by_kind.items()))
        print(
            f"vantage {summary.vantage}: {summary.results} results replayed, "
            f"{summary.intervals} intervals ({kinds or 'none'}) from {start.isoformat()}"
        )
    return 0


def _pg_dump(url: str, target: Path) -> None:
    """Back a PostgreSQL store up with pg_dump (custom format: ``pg_restore`` reads it).

    A password in the URL goes to pg_dump through its environment, never its command line
    (which other users of the machine can read).
    """
    tool = shutil.which("pg_dump")
    if tool is None:
        raise StorageError("db backup: pg_dump not found on PATH (install the PostgreSQL client)")
    url, env = _without_password(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(  # noqa: S603 - a fixed tool and a list of arguments
        [tool, "--format=custom", "--no-owner", f"--file={target}", "--dbname", url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
        raise StorageError(f"db backup: pg_dump failed: {reason}")


def _without_password(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its password (in the user part or the query), and the environment that
    gives it to libpq instead."""
    parts = urlsplit(url)
    env: dict[str, str] = {}
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        user, _, password = userinfo.partition(":")
        env["PGPASSWORD"] = unquote(password)
        parts = parts._replace(netloc=f"{user}@{hostport}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "password" for key, _ in query):
        env["PGPASSWORD"] = next(value for key, value in query if key == "password")
        kept = [(key, value) for key, value in query if key != "password"]
        parts = parts._replace(query=urlencode(kept))
    return urlunsplit(parts), env


def _cmd_backup(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    target = Path(args.path)
    if target.exists():
        raise InputError(f"{target}: already exists; a backup never overwrites a file")
    if settings.store.scheme in ("postgresql", "postgres"):
        _pg_dump(settings.store.dsn(), target)
    else:
        from ..store import SQLiteStore  # noqa: PLC0415

        async def copy(store: Store) -> None:
            assert isinstance(store, SQLiteStore)  # noqa: S101 - the only other kind of store
            await store.backup(target)

        with_store(settings, copy)
    print(f"backup written to {target}")
    return 0


def add_db_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``slawatch db ...``."""
    db = commands.add_parser("db", help="look after the store: migrate, prune, rebuild, backup")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")

    migrate = actions.add_parser("migrate", help="apply pending schema migrations")
    migrate.set_defaults(handler=_cmd_migrate)

    prune = actions.add_parser("prune", help="remove raw results older than retention_days")
    prune.add_argument(
        "--before", metavar="DATE|TIME", help="cutoff (default: now - retention_days)"
    )
    prune.set_defaults(handler=_cmd_prune)

    rebuild = actions.add_parser("rebuild", help="recompute intervals from raw results")
    rebuild.add_argument("--from", dest="date_from", required=True, metavar="DATE|TIME")
    rebuild.add_argument(
        "--vantage", action="append", help="only this vantage (repeatable; default: all)"
    )
    rebuild.set_defaults(handler=_cmd_rebuild)

    backup = actions.add_parser("backup", help="copy the store to a file, consistently")
    backup.add_argument("path", metavar="PATH", help="the backup file (must not exist)")
    backup.set_defaults(handler=_cmd_backup)

    for action in (migrate, prune, rebuild, backup):
        action.add_argument("--config", required=True, metavar="FILE")
