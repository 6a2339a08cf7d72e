"""Field types shared by every input format (cases, configuration, CLI arguments).

Each type parses text at the edge into the plain value the rest of the code uses, and fails with
a message that says what was expected.
"""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, ValidationError

from ..redact import MASK, excerpt
from ..timefmt import parse_date, parse_instant

__all__ = [
    "Amount",
    "Day",
    "Duration",
    "Instant",
    "Zone",
    "describe_validation_error",
    "describe_validation_errors",
    "parse_dns_server",
    "parse_duration",
]


def _instant(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 instant string, got {excerpt(value)}")
    return parse_instant(value)


def _date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError(f"expected a date string YYYY-MM-DD, got {excerpt(value)}")
    return parse_date(value)


def _amount(value: object) -> Decimal:
    """A non-negative decimal amount, from a string or an exact JSON number."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f'expected a decimal string like "144.00", got {excerpt(value)}')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"expected a decimal number, got {excerpt(value)}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"expected a non-negative amount, got {excerpt(value)}")
    return amount


def _zone(value: object) -> tzinfo:
    if not isinstance(value, str) or not value:
        raise ValueError(
            f"expected an IANA time zone name like Asia/Shanghai, got {excerpt(value)}"
        )
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {excerpt(value)} (expected an IANA name)") from None


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> float:
    """Seconds from ``"10s"``, ``"5m"``, ``"1m30s"``, ``"250ms"`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 10s or 5m, got {excerpt(value)}")
    if isinstance(value, int | float | Decimal):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"expected a duration like 10s, 5m, 1h or 250ms, got {excerpt(value)}")
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    else:
        raise ValueError(f"expected a duration like 10s or 5m, got {excerpt(value)}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"expected a positive duration, got {excerpt(value)}")
    return seconds


Instant = Annotated[datetime, BeforeValidator(_instant)]
Day = Annotated[date, BeforeValidator(_date)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
Zone = Annotated[Any, BeforeValidator(_zone)]
Duration = Annotated[float, BeforeValidator(parse_duration)]

_SHOW_INPUT = frozenset(
    {
        "enum",
        "literal_error",
        "string_pattern_mismatch",
        "int_type",
        "int_parsing",
        "greater_than_equal",
        "less_than_equal",
        "greater_than",
        "less_than",
        "model_type",
        "list_type",
        "dict_type",
        "string_type",
        "bool_type",
        "bool_parsing",
        "union_tag_invalid",
        "int_from_float",
    }
)

#: Fields whose value may be a secret (a token, a password, a URL with credentials or a token in
#: it, a header): a message about them never repeats what was given, whatever the mistake.
_SECRET_FIELDS = frozenset({"api_token", "headers", "password", "store", "token", "url"})

#: Tags of discriminated unions that pydantic puts in error paths (``frontend[0].http.url``).
_UNION_TAGS = frozenset({"http", "tcp", "dns"})
#: A message that names its field first (``url: ...``, ``[2].name: ...``).
_PATH_PREFIX = re.compile(r"((?:[A-Za-z_]|\[\d+\])[\w.\[\]-]*): (.+)")
_PATH_PART = re.compile(r"[^.\[\]]+")


def _loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    after_index = False
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            after_index = True
            continue
        if (after_index and part in _UNION_TAGS) or part == "[key]":
            # A union's tag, or pydantic's marker of a mapping's key: the path names the key.
            after_index = False
            continue
        text += f".{part}" if text else str(part)
        after_index = False
    return text


def _secret(where: str) -> bool:
    return any(part in _SECRET_FIELDS for part in _PATH_PART.findall(where))


def _describe(problem: Any) -> list[str]:
    """``field.path: what was expected``, one line per problem pydantic reports (a check of a
    whole model may report several, one per line, each naming its field)."""
    where = _loc(tuple(problem["loc"]))
    kind = problem["type"]
    given = problem.get("input")
    message = str(problem["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif kind in _SHOW_INPUT and not _secret(where):
        message = f"{message} (got {excerpt(given)})"
    lines = []
    for line in message.splitlines() or [message]:
        path, text = where, line
        # A model-level check names the field it is about ("url: ..."): join it to the path.
        named = _PATH_PREFIX.fullmatch(line)
        if kind == "value_error" and named is not None:
            field = named[1]
            path = f"{where}.{field}" if where and not field.startswith("[") else where + field
            text = named[2]
        if _secret(path) and isinstance(given, str) and given:
            text = text.replace(given, MASK)
        lines.append(f"{path or 'document'}: {text}")
    return lines


def describe_validation_errors(error: ValidationError) -> list[str]:
    """Every problem, one line each: the field path and what was expected.

    A value is quoted only as a short excerpt, and never for a field that may hold a secret.
    """
    return [line for problem in error.errors(include_url=False) for line in _describe(problem)]


def describe_validation_error(error: ValidationError) -> str:
    """One line: the first problem's field path and message, and how many more there are."""
    lines = describe_validation_errors(error)
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    return f"{lines[0]}{more}"


def parse_dns_server(text: str) -> tuple[str, int]:
    """A DNS server from ``HOST``, ``HOST:PORT``, ``[V6]:PORT`` or a bare IPv6 address.

    HOST must be an IP address: a server named by a DNS name would need a resolver to find it.
    """
    host, port_text = text.strip(), "53"
    if host.startswith("["):
        inside, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"DNS server: expected [IPV6]:PORT, got {text!r}")
        host, port_text = inside, rest[1:] or "53"
    elif host.count(":") == 1:
        host, _, port_text = host.partition(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"DNS server: expected an IP address, got {text!r}") from None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"DNS server: expected a port from 1 to 65535, got {text!r}")
    return host, int(port_text)
