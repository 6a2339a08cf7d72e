"""Which event loop the daemon runs on: uvloop (libuv, in C) when installed, else asyncio's own.

uvloop does a probe's socket work (connect, register, read, close) in C; on the same probes it
costs about half the CPU of asyncio's selector loop. It is optional: where it is not installed
(Windows, other Pythons), ``auto`` runs on asyncio's loop and nothing else changes.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from typing import Literal

from ..errors import ConfigError

__all__ = ["loop_factory", "loop_name"]

LoopChoice = Literal["auto", "uvloop", "asyncio"]


def loop_factory(
    choice: LoopChoice, *, source: str
) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """What makes the daemon's loop for the ``event_loop`` setting of the file ``source``;
    None for asyncio's own."""
    if choice == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise ConfigError(
                f"{source}: event_loop: uvloop is not installed; install it or choose auto"
            ) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``uvloop`` or ``asyncio``: which loop ``loop`` is, for the start-up log line."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
