"""What the store-using commands share: running one job on the configured store, and who is
making a change."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..annotations.common import Revocation, parse_input
from ..clock import SystemClock
from ..config.settings import Settings
from ..errors import InputError, MonitorError
from ..redact import excerpt

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["author", "parse_month", "revoke_command", "show", "with_store", "write_whole"]

_T = TypeVar("_T")
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def parse_month(text: str) -> tuple[int, int]:
    """``--month YYYY-MM``: a calendar month that begins and ends within years 1 to 9999."""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise InputError(f"--month: expected YYYY-MM, got {excerpt(text)}")
    year, month = int(match[1]), int(match[2])
    if not 1 <= year <= 9998 and not (year == 9999 and month < 12):
        raise InputError(f"--month: {excerpt(text)} is not a month that begins and ends")
    return year, month


def with_store(settings: Settings, work: Callable[[Store], Awaitable[_T]]) -> _T:
    """Open the configured store, await ``work(store)``, close the store; its result."""
    from ..store import open_store  # noqa: PLC0415 - keeps `slawatch credits` light

    async def run() -> _T:
        store = open_store(settings.store)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def author(args: argparse.Namespace) -> str:
    """Who makes a change: ``--by``, or the login name of whoever runs the command."""
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        raise InputError("--by: cannot tell who you are; say so with --by NAME") from None


def show(
    records: Sequence[_T],
    fmt: str,
    to_json: Callable[[_T], dict[str, Any]],
    line: Callable[[_T], str],
) -> None:
    """Print annotations (exclusions, notices) as JSON, or one line each."""
    if fmt == "json":
        json.dump([to_json(r) for r in records], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for record in records:
        print(line(record))


def revoke_command(
    args: argparse.Namespace,
    source: str,
    revoke: Callable[..., Awaitable[_T]],
    line: Callable[[_T], str],
    *,
    kind: str,
    find: Callable[[Store], Awaitable[Sequence[Any]]],
) -> int:
    """``... revoke ID --note WHY``: mark an annotation revoked by whoever runs it, and show it.

    ``find`` lists the annotations of the ``kind`` (``exclusion``, ``notice``): an unknown id, or
    one already revoked, is bad input, said in those words.
    """
    from ..config.settings import load_settings  # noqa: PLC0415

    settings = load_settings(args.config)
    revocation: Revocation = parse_input(Revocation, {"note": args.note}, source)
    by = author(args)

    async def work(store: Store) -> _T:
        known = {record.id: record for record in await find(store)}
        if args.id not in known:
            raise InputError(f"{source}: no {kind} {args.id}")
        if known[args.id].revoked_at is not None:
            raise InputError(f"{source}: {kind} {args.id} is already revoked")
        return await revoke(store, args.id, revocation, by=by, now=SystemClock().now())

    print(line(with_store(settings, work)))
    return 0


def write_whole(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a partial file renamed into place, so a
    reader (a web server, a mail client) never sees half of it. Text is UTF-8, lines kept."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(exist_ok=True)
        if isinstance(data, str):
            partial.write_text(data, encoding="utf-8", newline="")
        else:
            partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise MonitorError(f"--out: {path}: cannot write: {error.strerror or error}") from None
