"""Errors of the monitor package: everything that touches the world.

The tree::

    MonitorError             anything the monitor reports to its user
    ├── InputError           a file or argument the user gave is not what was expected
    │   └── ConfigError      the configuration file is invalid
    └── StorageError         the store could not be opened, migrated, read or written

Errors raised by the credit engine (``sla.SLAError``) are reported the same way by the CLI: one
line naming the input and the field, and a non-zero exit.
"""

from __future__ import annotations

__all__ = ["ConfigError", "InputError", "MonitorError", "StorageError"]


class MonitorError(Exception):
    """Base of every error the monitor reports to its user."""


class InputError(MonitorError):
    """An input file or argument is malformed; the message names the file and the field."""


class ConfigError(InputError):
    """The configuration file is invalid."""


class StorageError(MonitorError):
    """The store failed; the message says which store and what it was doing.

    ``refused`` is True when the store rejected the request itself (a constraint, an invalid
    value, an interval that does not exist): trying the same write again cannot succeed. Otherwise
    the failure is the store's (down, busy, slow) and a retry may.
    """

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused
