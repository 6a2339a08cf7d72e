"""Field types shared by every input format (cases, configuration, CLI arguments).

Each type parses text at the edge into the plain value the rest of the code uses, and fails with
a message that says what was expected.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, ValidationError

from ..errors import InputError
from ..redact import MASK, excerpt
from ..timefmt import parse_date, parse_instant

__all__ = [
    "AMOUNT_MAX_DIGITS",
    "AMOUNT_MAX_PLACES",
    "JSON_DECODER",
    "JSON_MAX_DEPTH",
    "NUMBER_MAX_DIGITS",
    "NUMBER_MAX_EXPONENT",
    "Amount",
    "Day",
    "Duration",
    "Instant",
    "Zone",
    "describe_validation_error",
    "describe_validation_errors",
    "json_number",
    "json_too_deep",
    "number_out_of_range",
    "parse_dns_server",
    "parse_duration",
    "read_instant",
    "read_json",
]


def _instant(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 instant string, got {excerpt(value)}")
    return read_instant(value)


def read_instant(text: str) -> datetime:
    """:func:`~monitor.timefmt.parse_instant` (which refuses an instant outside the years 1 to
    9999 in UTC, such as ``9999-12-31T23:00:00-05:00``)."""
    return parse_instant(text)


def _date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError(f"expected a date string YYYY-MM-DD, got {excerpt(value)}")
    return parse_date(value)


#: An amount has at most this many digits before the decimal point (below 10**15: a thousand
#: times any yearly bill) ...
AMOUNT_MAX_DIGITS = 15
#: ... and at most this many after it. Within these bounds every sum, product and quotient the
#: credit engine takes of amounts is exact or correctly rounded, and quick; an exponent written
#: as ``1e999999999`` would otherwise have it build a number of a billion digits.
AMOUNT_MAX_PLACES = 12


def _amount(value: object) -> Decimal:
    """A non-negative decimal amount, from a string or an exact JSON number: below 10**15, with
    at most 12 decimal places as written."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f'expected a decimal string like "144.00", got {excerpt(value)}')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"expected a decimal number, got {excerpt(value)}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"expected a non-negative amount, got {excerpt(value)}")
    exponent = amount.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0  # always an int: the amount is finite
    if amount.adjusted() >= AMOUNT_MAX_DIGITS or places > AMOUNT_MAX_PLACES:
        raise ValueError(
            f"expected an amount of at most {AMOUNT_MAX_DIGITS} digits before the decimal point "
            f"and {AMOUNT_MAX_PLACES} after it, got {excerpt(value)}"
        )
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
    if kind == "union_tag_invalid":  # pydantic's message quotes the tag whole, however long
        context = problem.get("ctx", {})
        message = (
            f"Input tag {excerpt(context.get('tag'))} found using {context.get('discriminator')} "
            f"does not match any of the expected tags: {context.get('expected_tags')}"
        )
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


#: Numbers read from JSON and YAML have at most this many significant digits ...
NUMBER_MAX_DIGITS = 40
#: ... and a decimal exponent within this many places of the point either way: whatever a field
#: then does with the number (an integer from ``1e999999999``, the text of a 5,000-digit integer
#: in a message) stays quick and small.
NUMBER_MAX_EXPONENT = 40
_INT_LIMIT: int = 10**NUMBER_MAX_DIGITS


def number_out_of_range(value: Decimal | int) -> bool:
    """Whether a number read from JSON or YAML is beyond :data:`NUMBER_MAX_DIGITS` digits or
    :data:`NUMBER_MAX_EXPONENT` places of exponent (a non-finite one is too)."""
    if isinstance(value, int):
        return abs(value) >= _INT_LIMIT
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # infinity or NaN
        return True
    return len(digits) > NUMBER_MAX_DIGITS or abs(exponent) > NUMBER_MAX_EXPONENT


def _out_of_range(text: str) -> InputError:
    return InputError(
        f"number {excerpt(text)} out of range: at most {NUMBER_MAX_DIGITS} digits "
        f"and an exponent from -{NUMBER_MAX_EXPONENT} to {NUMBER_MAX_EXPONENT}"
    )


def json_number(text: str) -> Decimal | int:
    """A JSON number literal, exact (an integer, else a decimal), within the range of
    :func:`number_out_of_range`; :class:`InputError` beyond it.

    Given to ``json.loads`` as ``parse_int`` and ``parse_float``: a number is never a float.
    """
    if len(text) > 3 * NUMBER_MAX_DIGITS:  # a longer literal has too many digits, or is padded
        raise _out_of_range(text)
    number: Decimal | int = Decimal(text) if any(c in text for c in ".eE") else int(text)
    if number_out_of_range(number):
        raise _out_of_range(text)
    return number


def _no_constant(text: str) -> object:
    raise InputError(f"{text} is not a JSON number")


#: JSON as slawatch reads it: numbers exact and bounded (:func:`json_number`), no ``NaN`` or
#: ``Infinity``. Nesting is bounded by :func:`json_too_deep` before it is decoded.
JSON_DECODER = json.JSONDecoder(
    parse_int=json_number, parse_float=json_number, parse_constant=_no_constant
)


#: How deep arrays and objects may nest in JSON read from outside (case files, API bodies): far
#: more than any of them needs, and far less than would exhaust the parser's stack.
JSON_MAX_DEPTH = 64
# A string, closed or not (an unclosed one runs to the end: no backtracking), or a bracket.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def json_too_deep(text: str, start: int = 0, depth: int = 0) -> int | None:
    """Where the JSON value at ``start``, itself inside ``depth`` arrays and objects, opens one
    deeper than :data:`JSON_MAX_DEPTH`, or None when it does not; only that value is scanned (an
    invalid document is left to the parser to describe)."""
    outer = depth
    for token in _JSON_TOKEN.finditer(text, start):
        kind = token[0][0]
        if kind in "[{":
            depth += 1
            if depth > JSON_MAX_DEPTH:
                return token.start()
        elif kind in "]}":
            depth -= 1
        if depth <= outer:
            return None
    return None


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line} column {index - text.rfind(chr(10), 0, index)}"


def read_json(text: str) -> Any:
    """A JSON document from outside, numbers exact and bounded, nesting bounded.

    Every refusal is one :class:`InputError` line: ``not valid JSON at line L column C: ...``,
    or which number is out of range.
    """
    deep = json_too_deep(text)
    if deep is not None:
        raise InputError(
            f"not valid JSON at {_position(text, deep)}: "
            f"arrays and objects nested deeper than {JSON_MAX_DEPTH} levels"
        )
    try:
        return JSON_DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"not valid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
