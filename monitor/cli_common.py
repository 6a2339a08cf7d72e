"""What the store-using commands share: running one job on the configured store, and who is
making a change."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from .config import Settings
from .errors import InputError

if TYPE_CHECKING:
    from .store import Store

__all__ = ["author", "with_store"]

_T = TypeVar("_T")


def with_store(settings: Settings, work: Callable[[Store], Awaitable[_T]]) -> _T:
    """Open the configured store, await ``work(store)``, close the store; its result."""
    from .store import open_store  # noqa: PLC0415 - keeps `slawatch credits` light

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
