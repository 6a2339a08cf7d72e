"""Secrets kept out of everything people see: URLs shown without their credentials, the store URL
as a type that hides its password, and values in messages cut to a short excerpt.

A URL may carry a secret in its user part (``user:password@``), in its query (``?key=...``) and,
for webhooks, in its path: a URL is shown by :func:`redact_url` (or, for webhooks, by scheme and
host alone), never as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["MASK", "StoreUrl", "excerpt", "redact_url", "scrub_url_secrets"]

#: What stands in for a hidden value.
MASK = "***"

#: The longest excerpt of a value an error message quotes.
EXCERPT = 40


def excerpt(value: object, limit: int = EXCERPT) -> str:
    """``repr(value)``, cut to about ``limit`` characters (saying how long the whole was)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[:limit]}...{size}"


def redact_url(url: str) -> str:
    """``url`` as people may see it: the password and every query value replaced by ``***``,
    the fragment dropped; scheme, user, host, port and path kept. A user part without a
    password is hidden whole: it is often a token (``https://TOKEN@host/``)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced IPv6 bracket: nothing of it can be shown safely
        return "(an invalid URL)"
    userinfo, at, hosts = parts.netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    shown_user = f"{user}:{MASK}" if colon else MASK
    netloc = f"{shown_user}@{hosts}" if at else hosts
    query = "&".join(
        f"{key}={MASK}" if equals else MASK
        for key, equals, _ in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def scrub_url_secrets(text: str, url: str) -> str:
    """``text`` without the credentials and query values of ``url``, as written or decoded.

    For messages of third-party code that may quote the URL they were given.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return text.replace(url, "(an invalid URL)")
    userinfo, at, _ = parts.netloc.rpartition("@")
    # Whole units ("user:password", "key=value"), so a short value never mangles other words.
    found = [userinfo] if at else []
    found += [item for item in parts.query.split("&") if item]
    if parts.fragment:
        found.append(parts.fragment)
    secrets = {form for raw in found for form in (raw, unquote(raw)) if form}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


@dataclass(frozen=True, slots=True, repr=False)
class StoreUrl:
    """The store's URL: ``str`` and ``repr`` show it by :func:`redact_url`; only :meth:`dsn`
    gives it whole, for the store to connect with."""

    _dsn: str

    def dsn(self) -> str:
        """The URL as written, password included: for the store's own connection only."""
        return self._dsn

    @property
    def scheme(self) -> str:
        """``sqlite``, ``postgresql`` or ``postgres``."""
        return self._dsn.partition("://")[0]

    @property
    def sqlite_path(self) -> Path | None:
        """The file of an SQLite store (relative to the working directory, or absolute)."""
        scheme, _, rest = self._dsn.partition("://")
        return Path(rest[1:]) if scheme == "sqlite" and rest[1:] else None

    def __str__(self) -> str:
        return redact_url(self._dsn)

    def __repr__(self) -> str:
        return f"StoreUrl({str(self)!r})"

    @classmethod
    def parse(cls, value: object) -> StoreUrl:
        """A store URL from configuration text; the error never repeats the value."""
        if isinstance(value, StoreUrl):
            return value
        if not isinstance(value, str):
            raise ValueError("expected a URL string: sqlite:///PATH or postgresql://...")
        scheme, separator, rest = value.partition("://")
        if scheme == "sqlite" and separator:
            if not rest.startswith("/") or not rest[1:]:
                raise ValueError(
                    "expected sqlite:///relative/path.db or sqlite:////absolute/path.db"
                    " (three slashes, then the path)"
                )
        elif scheme not in ("postgresql", "postgres") or not separator:
            raise ValueError(
                "expected sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            )
        return cls(value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validated by :meth:`parse`; serialized redacted."""
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )
