"""The case format of CREDIT-RULES.md, parsed at the edge into the credit engine's plain values.

``load_case`` accepts the case object itself, or a worked-example file ``{"case": ..., "expected":
...}`` (its ``case`` is used). Numbers in JSON are read as exact decimals, never as floats.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from sla import (
    Contract,
    Credits,
    Exclusion,
    ExclusionReason,
    Interval,
    Month,
    Period,
    SLAError,
    Termination,
    compute,
)

from ..config.fields import (
    JSON_DECODER,
    JSON_MAX_DEPTH,
    Amount,
    Day,
    Instant,
    describe_validation_errors,
    json_too_deep,
    read_instant,
    read_json,
)
from ..config.terms import ContractTerms
from ..errors import InputError
from ..redact import excerpt
from ..timefmt import parse_date

__all__ = ["Case", "load_case", "parse_case"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


#: The longest period a case may cover (a hundred years): its result has a line per day.
MAX_PERIOD_DAYS = 36_525
#: A period's dates lie in these years, so that each local day of it is an interval in UTC.
PERIOD_YEARS = range(2, 9999)


class PeriodDates(_Model):
    start: Day
    end: Day

    @model_validator(mode="after")
    def _bounded(self) -> PeriodDates:
        problems = [
            f"{name}: expected a date in the years 2 to 9998, got {day}"
            for name, day in (("start", self.start), ("end", self.end))
            if day.year not in PERIOD_YEARS
        ]
        if not problems and (self.end - self.start).days >= MAX_PERIOD_DAYS:
            problems.append(
                f"end: a period covers at most {MAX_PERIOD_DAYS:,} days (a hundred years)"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Span(BaseModel):
    """An interval; other keys (ids, notes, evidence) are carried by exports and ignored here."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    start: Instant
    end: Instant


class ExclusionSpan(Span):
    reason: ExclusionReason
    announced_at: Instant | None = None


class TerminationTerms(_Model):
    date: Day
    prepaid: Amount


def _fee_key(value: object) -> date | Month:
    """A day (``per_minute``) or a month (``uptime_tiers``); the engine checks which applies."""
    if isinstance(value, str) and _MONTH.fullmatch(value):
        try:
            return Month(int(value[:4]), int(value[5:]))
        except SLAError:
            raise ValueError(f"{excerpt(value)} is not a calendar month") from None
    if isinstance(value, str) and _DAY.fullmatch(value):
        return parse_date(value)
    raise ValueError(f"expected a day YYYY-MM-DD or a month YYYY-MM, got {excerpt(value)}")


_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
FeeKey = Annotated[date | Month, BeforeValidator(_fee_key)]


class CaseModel(_Model):
    contract: ContractTerms
    period: PeriodDates
    fees: dict[FeeKey, Amount] = Field(default_factory=dict)
    termination: TerminationTerms | None = None
    outages: list[Span] = Field(default_factory=list)
    exclusions: list[ExclusionSpan] = Field(default_factory=list)
    gaps: list[Span] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Case:
    """A parsed case, ready for ``sla.compute_credits``."""

    contract: Contract
    period: Period
    fees: dict[date | Month, Decimal]
    outages: tuple[Interval, ...]
    exclusions: tuple[Exclusion, ...]
    gaps: tuple[Interval, ...]
    termination: Termination | None = None

    def credits(self) -> Credits:
        """The credits of this case, by its contract's policy."""
        return compute(
            self.contract,
            self.period,
            self.outages,
            exclusions=self.exclusions,
            gaps=self.gaps,
            fees=self.fees,
            termination=self.termination,
        )


def _interval(span: Span, field: str) -> Interval:
    try:
        return Interval(span.start, span.end)
    except SLAError as error:
        raise InputError(f"{field}.{error.field}: {error.problem}") from None


#: The lists of a case that may be long (a month of a million outages): each is read an element
#: at a time, straight into the engine's values, never held as JSON objects and models.
_LISTS = ("outages", "exclusions", "gaps")
#: The fields in the order their problems are reported (pydantic's: as declared, unknown last).
_FIELDS = ("contract", "period", "fees", "termination", *_LISTS, "meta")

# An instant written as UTC to the second, the usual shape of a long list: read directly.
# (Hours, minutes and seconds in their ranges: a leap second or 24:00 is left to read_instant,
# whatever this Python's fromisoformat would make of it.)
_UTC = r"\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ"
_UTC_SECOND = re.compile(_UTC)


def _instant(text: str) -> datetime:
    """``read_instant(text)``, quicker for the usual shape."""
    if _UTC_SECOND.fullmatch(text):
        try:
            return datetime.fromisoformat(text)  # Python 3.11 reads the Z as UTC
        except ValueError:
            pass  # not a calendar date or time: read_instant says so
    return read_instant(text)


def _element_lines(model: type[BaseModel], item: object, where: str) -> list[str]:
    """The problems of one element of a list, each naming its field from the case's top."""
    try:
        model.model_validate(item)
    except ValidationError as error:
        lines = describe_validation_errors(error)
    else:  # pragma: no cover - only called for an element the quick path could not read
        return []
    return [
        f"{where}: {line.removeprefix('document: ')}"
        if line.startswith("document: ")
        else f"{where}.{line}"
        for line in lines
    ]


class _List:
    """One of :data:`_LISTS`, read an element at a time: the engine's values, the problems of
    the elements (as a whole-case validation would report them), and the first interval that
    cannot exist (reported only when nothing else is wrong, as the engine would)."""

    __slots__ = ("count", "field", "invalid", "problems", "values")

    def __init__(self, field: str) -> None:
        self.field = field
        self.count = 0
        self.values: list[Any] = []
        self.problems: list[str] = []
        self.invalid: str | None = None

    def add(self, item: object) -> None:
        """Read one element, as decoded from JSON."""
        index = self.count
        self.count += 1
        if self.field == "exclusions":
            self._exclusion(item, index)
            return
        start = item.get("start") if isinstance(item, dict) else None
        end = item.get("end") if isinstance(item, dict) else None
        if isinstance(start, str) and isinstance(end, str):
            self._span(start, end, index, item)
        else:
            self.problems += _element_lines(Span, item, f"{self.field}[{index}]")

    def add_plain(self, start: str, end: str) -> None:
        """Read one element written ``{"start": start, "end": end}``."""
        index = self.count
        self.count += 1
        if self.field == "exclusions":
            self._exclusion({"start": start, "end": end}, index)
        else:
            self._span(start, end, index, {"start": start, "end": end})

    def add_utc(self, start: str, end: str) -> None:
        """Read one outage or gap written ``{"start": start, "end": end}``, both instants UTC to
        the second (``2026-10-05T10:00:00Z``): the shape of a long list, read quickest."""
        try:
            self.values.append(Interval(datetime.fromisoformat(start), datetime.fromisoformat(end)))
        except (ValueError, SLAError):
            self.add_plain(start, end)  # not a calendar date, or not an interval: says which
        else:
            self.count += 1

    def _span(self, start: str, end: str, index: int, item: object) -> None:
        try:
            interval = Interval(_instant(start), _instant(end))
        except ValueError:
            self.problems += _element_lines(Span, item, f"{self.field}[{index}]")
        except SLAError as error:
            if self.invalid is None:
                self.invalid = f"{self.field}[{index}].{error.field}: {error.problem}"
        else:
            self.values.append(interval)

    def _exclusion(self, item: object, index: int) -> None:
        where = f"{self.field}[{index}]"
        try:
            span = ExclusionSpan.model_validate(item)
        except ValidationError:
            self.problems += _element_lines(ExclusionSpan, item, where)
            return
        try:
            self.values.append(Exclusion(_interval(span, where), span.reason, span.announced_at))
        except InputError as error:
            self.invalid = self.invalid or str(error)
        except SLAError as error:
            self.invalid = self.invalid or str(error)


def _read_lists(document: object) -> object:
    """``document`` with its long lists read as :class:`_List` (the object of a case)."""
    if not isinstance(document, dict):
        return document
    read = dict(document)
    for name in _LISTS:
        items = document.get(name)
        if isinstance(items, list):
            read[name] = entries = _List(name)
            for item in items:
                entries.add(item)
    return read


def parse_case(document: object) -> Case:
    """Validate a decoded case document; errors name the field path."""
    if isinstance(document, dict) and "case" in document and "contract" not in document:
        document = document["case"]
    return _build(_read_lists(document))


def _build(document: object) -> Case:
    """The case from a document whose long lists were read as :class:`_List`."""
    lists: dict[str, _List] = {}
    rest = document
    if isinstance(document, dict):
        lists = {k: v for k, v in document.items() if isinstance(v, _List)}
        rest = {k: v for k, v in document.items() if not isinstance(v, _List)}
    lines: list[tuple[int, str]] = []
    try:
        model = CaseModel.model_validate(rest)
    except ValidationError as error:
        lines += [(_rank(line), line) for line in describe_validation_errors(error)]
    for name, entries in lists.items():
        lines += [(_FIELDS.index(name), line) for line in entries.problems]
    if lines:
        ordered = [line for _, line in sorted(lines, key=lambda ranked: ranked[0])]
        more = f" (and {len(ordered) - 1} more)" if len(ordered) > 1 else ""
        raise InputError(f"{ordered[0]}{more}")
    try:
        contract = model.contract.to_contract()
        period = Period(model.period.start, model.period.end)
        for name in _LISTS:
            if name in lists and lists[name].invalid is not None:
                raise InputError(lists[name].invalid)
        termination = (
            None
            if model.termination is None
            else Termination(model.termination.date, model.termination.prepaid)
        )
    except SLAError as error:
        raise InputError(str(error)) from None

    def values(name: str) -> tuple[Any, ...]:
        return tuple(lists[name].values) if name in lists else ()

    return Case(
        contract=contract,
        period=period,
        fees=dict(model.fees),
        outages=values("outages"),
        exclusions=values("exclusions"),
        gaps=values("gaps"),
        termination=termination,
    )


def _rank(line: str) -> int:
    """Where a problem of the case's other fields goes among those of its lists."""
    field = re.split(r"[.\[:]", line, maxsplit=1)[0]
    return _FIELDS.index(field) if field in _FIELDS else len(_FIELDS)


_WS = re.compile(r"[ \t\n\r]*")


def _element(string: str) -> re.Pattern[str]:
    """An element ``{"start": S, "end": S}`` of a long list, each S matching ``string``, and the
    comma or bracket after it (group 3): matched without building a JSON object."""
    ws = r"[ \t\n\r]*"
    return re.compile(
        rf'\{{{ws}"start"{ws}:{ws}"({string})"{ws},{ws}"end"{ws}:{ws}"({string})"{ws}\}}'
        rf"{ws}([,\]]){ws}"
    )


# Strings read as written: no escape, no control character.
_PLAIN_SPAN = _element(r'[^"\\\x00-\x1f]*')
_UTC_SPAN = _element(_UTC)


class _Reader:
    """Reads a case's JSON text: the outer objects member by member, the long lists element by
    element, everything else with the bounded decoder of :mod:`monitor.config.fields`. Its
    errors are JSON decoding errors, worded and placed as ``json.loads`` would word them."""

    def __init__(self, text: str) -> None:
        self.text = text

    def skip(self, index: int) -> int:
        match = _WS.match(self.text, index)
        assert match is not None  # noqa: S101 - the pattern matches the empty string
        return match.end()

    def expect(self, index: int, what: str, message: str) -> int:
        if self.text[index : index + 1] != what:
            raise json.JSONDecodeError(message, self.text, index)
        return index + 1

    def value(self, index: int, depth: int) -> tuple[Any, int]:
        deep = json_too_deep(self.text, index, depth)
        if deep is not None:
            raise json.JSONDecodeError(
                f"arrays and objects nested deeper than {JSON_MAX_DEPTH} levels", self.text, deep
            )
        return JSON_DECODER.raw_decode(self.text, index)

    def case(self, index: int, depth: int, outer: bool) -> tuple[dict[str, Any], int]:
        """The object at ``index`` (a ``{``), its long lists read as :class:`_List`."""
        members: dict[str, Any] = {}
        index = self.skip(index + 1)
        if self.text[index : index + 1] == "}":
            return members, index + 1
        while True:
            index = self.expect(index, '"', "Expecting property name enclosed in double quotes")
            key, index = scanstring(self.text, index)
            index = self.skip(self.expect(self.skip(index), ":", "Expecting ':' delimiter"))
            opens = self.text[index : index + 1]
            if key in _LISTS and opens == "[":
                members[key], index = self.entries(key, index, depth + 1)
            elif outer and key == "case" and opens == "{":
                members[key], index = self.case(index, depth + 1, outer=False)
            else:
                members[key], index = self.value(index, depth + 1)
            index = self.skip(index)
            if self.text[index : index + 1] == "}":
                return members, index + 1
            index = self.skip(self.expect(index, ",", "Expecting ',' delimiter"))

    def entries(self, field: str, index: int, depth: int) -> tuple[_List, int]:
        """The array at ``index`` (a ``[``), read an element at a time."""
        entries = _List(field)
        text = self.text
        index = self.skip(index + 1)
        if text[index : index + 1] == "]":
            return entries, index + 1
        quick = field != "exclusions"
        while True:
            match = _UTC_SPAN.match(text, index) if quick else None
            if match is not None:
                entries.add_utc(match[1], match[2])
            else:
                match = _PLAIN_SPAN.match(text, index)
                if match is not None:
                    entries.add_plain(match[1], match[2])
            if match is not None:
                index = match.end()
                if match[3] == "]":
                    return entries, index
                continue
            item, index = self.value(index, depth + 1)
            entries.add(item)
            index = self.skip(index)
            if text[index : index + 1] == "]":
                return entries, index + 1
            index = self.skip(self.expect(index, ",", "Expecting ',' delimiter"))

    def document(self) -> object:
        index = self.skip(0)
        if self.text[index : index + 1] != "{":
            return read_json(self.text)  # not a case object: its own error says why
        document, index = self.case(index, 1, outer=True)
        if self.skip(index) != len(self.text):
            raise json.JSONDecodeError("Extra data", self.text, self.skip(index))
        return document


def load_case(text: str) -> Case:
    """Parse a case from JSON text.

    The JSON is bounded (:func:`monitor.config.fields.read_json`: nesting, numbers); the long
    lists are read an element at a time, so a month of a million outages takes a few seconds
    and a few hundred megabytes.
    """
    try:
        document = _Reader(text).document()
    except json.JSONDecodeError as error:
        raise InputError(
            f"not valid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    if isinstance(document, dict) and "case" in document and "contract" not in document:
        document = document["case"]
    return _build(document if isinstance(document, dict) else _read_lists(document))
