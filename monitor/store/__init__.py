"""Where evidence is kept: the :class:`Store` interface and the store a URL names.

URLs follow SQLAlchemy's form, so they read the same in every tool:

- ``sqlite:///relative/path.db``: three slashes, then a path relative to the working directory;
- ``sqlite:////absolute/path.db``: three slashes, then an absolute path (which starts with ``/``);
- ``postgresql://user:password@host:port/database`` (or ``postgres://``): a libpq-style URL of an
  existing database, whose tables the store creates. Messages and reprs name it without its
  password.
"""

from __future__ import annotations

from ..errors import StorageError
from ..evidence import IntervalKind, IntervalRecord
from ..redact import StoreUrl
from .base import Store
from .postgres import PostgresStore
from .sqlite import SQLiteStore

__all__ = ["IntervalKind", "IntervalRecord", "PostgresStore", "SQLiteStore", "Store", "open_store"]


def open_store(url: str | StoreUrl) -> Store:
    """The store ``url`` names, not yet opened: the caller awaits ``open()`` and ``close()``.

    Errors never repeat a non-SQLite URL, which may carry a password.
    """
    if isinstance(url, StoreUrl):
        url = url.dsn()
    scheme, separator, rest = url.partition("://")
    if scheme == "sqlite" and separator:
        if not rest.startswith("/") or not rest[1:]:
            raise StorageError(
                f"store {url!r}: expected sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        return SQLiteStore(rest[1:])
    if scheme in ("postgresql", "postgres") and separator:
        return PostgresStore(url)
    raise StorageError(
        f"store: unknown URL scheme {scheme!r}: expected sqlite:///PATH or postgresql://..."
    )
