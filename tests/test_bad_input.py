"""Bad input never breaks slawatch: each input here is refused in one line naming the file and
the field (exit 2 from the real command, 400 or 404 from the real API on loopback), quickly and
in bounded memory; never a traceback, a 500, a hang or a process killed for its memory."""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from monitor.config.settings import MAX_ALIASES, MAX_CONFIG_BYTES
from monitor.daemon.http import MAX_BODY_BYTES
from monitor.timefmt import parse_instant

from .monitor.api_client import TOKEN, Api, serve

ROOT = Path(__file__).resolve().parents[1]
#: The address space a refusal may take: a regression (the alias bomb expanded) fails the test
#: with a MemoryError instead of taking the machine's memory.
MEMORY_LIMIT = 2 << 30
#: Seconds a refusal may take, imports included, on a loaded machine.
QUICKLY = 30

VALID = """
contracts:
  c: {timezone: UTC, currency: CNY, daily_fee: "144.00"}
services:
  - {name: shop, contract: c, frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]}
"""

A_CASE: dict[str, Any] = {
    "contract": {"timezone": "Asia/Shanghai", "currency": "CNY", "daily_fee": "144.00"},
    "period": {"start": "2026-10-01", "end": "2026-10-31"},
    "outages": [{"start": "2026-10-05T01:00:00Z", "end": "2026-10-05T02:00:00Z"}],
}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def slawatch(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, its memory bounded, its time too."""
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=QUICKLY * 2,
        check=False,
        cwd=ROOT,
        preexec_fn=_limit_memory,
    )


def refused(done: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal (without ``slawatch: ``), after checking it is one: exit 2,
    nothing on standard output, one line on standard error, no traceback. (A hang fails the
    test by the subprocess's timeout.)"""
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("slawatch: ")
    return done.stderr.removeprefix("slawatch: ").rstrip("\n")


def config_refusal(tmp_path: Path, text: str | bytes) -> str:
    """The one line `slawatch exclude list` answers a configuration file with."""
    path = tmp_path / "slawatch.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return refused(slawatch("exclude", "list", "--config", str(path)))


def case_refusal(tmp_path: Path, text: str) -> str:
    """The one line `slawatch credits` answers a case file with."""
    path = tmp_path / "case.json"
    path.write_text(text, encoding="utf-8")
    return refused(slawatch("credits", str(path)))


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A few hundred bytes of YAML whose aliases expand to width**levels values."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        aliases = ",".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The configuration file


@pytest.mark.parametrize(
    ("written", "field", "shown"),
    [
        pytest.param('daily_fee: "144.00"', "contracts.c.daily_fee", "nan", id="nan-fee"),
        pytest.param('daily_fee: "144.00"', "contracts.c.daily_fee", "inf", id="inf-fee"),
        pytest.param('daily_fee: "144.00"', "contracts.c.daily_fee", "-inf", id="minus-inf-fee"),
        pytest.param(None, "max_concurrency", "inf", id="inf-concurrency"),
        pytest.param(None, "max_concurrency", "nan", id="nan-concurrency"),
    ],
)
def test_a_number_that_is_not_finite_names_its_field(
    tmp_path: Path, written: str | None, field: str, shown: str
) -> None:
    """YAML's .nan and .inf are numbers no field takes: one line naming the field."""
    literal = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}[shown]
    if written is None:
        text = VALID + f"max_concurrency: {literal}\n"
    else:
        text = VALID.replace(written, f"daily_fee: {literal}")
    line = config_refusal(tmp_path, text)
    assert line == f"{tmp_path / 'slawatch.yaml'}: {field}: expected a finite number, got {shown}"


@pytest.mark.parametrize(
    "literal",
    [
        pytest.param("9" * 5000, id="5000-digit-integer"),
        pytest.param("1.0e+999999999", id="huge-exponent"),
        pytest.param("0x" + "f" * 100_000, id="huge-hex"),
    ],
)
def test_a_number_out_of_range_names_its_field(tmp_path: Path, literal: str) -> None:
    """A number no field could take whole (an integer of a billion digits, a 5,000-digit one
    Python will not convert) is refused before any field sees it."""
    line = config_refusal(tmp_path, VALID + f"max_concurrency: {literal}\n")
    assert line.startswith(f"{tmp_path / 'slawatch.yaml'}: max_concurrency: number out of range")
    assert len(line) < 300


def test_the_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    """470 bytes of nested aliases (9 levels of 9: 387 million values) are refused as they are
    composed, in bounded memory, naming the line."""
    bomb = alias_bomb()
    assert len(bomb) < 500
    line = config_refusal(tmp_path, VALID + bomb)
    assert line.startswith(f"{tmp_path / 'slawatch.yaml'}: line ")
    assert line.endswith("aliases stand for more than 100,000 values in all")


def test_too_many_aliases_are_refused(tmp_path: Path) -> None:
    """More aliases than a configuration needs, however small each is."""
    aliases = ", ".join(["*x"] * (MAX_ALIASES + 1))
    line = config_refusal(tmp_path, VALID + f"x: &x 1\ny: [{aliases}]\n")
    assert line.endswith(f"more than {MAX_ALIASES:,} aliases")


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    """A list that contains itself would never end when walked."""
    line = config_refusal(tmp_path, VALID + "loop: &a [1, *a]\n")
    assert (
        line == f"{tmp_path / 'slawatch.yaml'}: line 6 column 14: alias *a is inside its own anchor"
    )


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    """100,000 nested lists: refused at the 65th level, not by a RecursionError."""
    line = config_refusal(tmp_path, VALID + "x: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert line.endswith("mappings and lists nested deeper than 64 levels")


def test_a_file_larger_than_1_mib_is_not_read_whole(tmp_path: Path) -> None:
    """A huge file, or one that never ends (/dev/zero), is refused after its first MiB."""
    big = VALID + "# " + "x" * MAX_CONFIG_BYTES + "\n"
    line = config_refusal(tmp_path, big)
    assert line == f"{tmp_path / 'slawatch.yaml'}: larger than 1 MiB: not a configuration file"
    endless = refused(slawatch("exclude", "list", "--config", "/dev/zero"))
    assert endless == "/dev/zero: larger than 1 MiB: not a configuration file"


def test_a_date_that_does_not_exist_names_its_line(tmp_path: Path) -> None:
    """YAML reads 2026-13-45 as a date: one line naming where it is, not a ValueError."""
    line = config_refusal(tmp_path, VALID + "vantage: 2026-13-45\n")
    assert line == (
        f"{tmp_path / 'slawatch.yaml'}: line 6 column 10: not valid YAML: "
        "'2026-13-45' is not a valid timestamp"
    )


@pytest.mark.parametrize(
    ("fee", "shown"),
    [
        pytest.param('"1e999999999"', "'1e999999999'", id="billion-digit"),
        pytest.param('"1e400"', "'1e400'", id="400-digit"),
        pytest.param('"1000000000000000"', "'1000000000000000'", id="16-digit"),
        pytest.param('"1.0000000000001"', "'1.0000000000001'", id="13-decimals"),
    ],
)
def test_an_amount_out_of_range_in_the_configuration(tmp_path: Path, fee: str, shown: str) -> None:
    """Amounts have at most 15 digits before the point and 12 after."""
    line = config_refusal(tmp_path, VALID.replace('"144.00"', fee))
    assert line == (
        f"{tmp_path / 'slawatch.yaml'}: contracts.c.daily_fee: expected an amount of at most "
        f"15 digits before the decimal point and 12 after it, got {shown}"
    )


# ---------------------------------------------------------------------------------------------
# Case files: slawatch credits


def test_a_case_nested_100000_deep(tmp_path: Path) -> None:
    """Nesting beyond 64 levels is refused where it passes the bound, not by a RecursionError."""
    line = case_refusal(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert line == (
        f"{tmp_path / 'case.json'}: not valid JSON at line 1 column 65: "
        "arrays and objects nested deeper than 64 levels"
    )
    deep_meta = json.dumps({**A_CASE, "meta": {}}).replace("{}", "[" * 70 + "]" * 70)
    line = case_refusal(tmp_path, deep_meta)
    assert line.endswith("arrays and objects nested deeper than 64 levels")


@pytest.mark.parametrize(
    "fee", ["1e999999999", "1e400", "1000000000000000", "0.0000000000001", "1E+15"]
)
def test_an_amount_out_of_range_in_a_case(tmp_path: Path, fee: str) -> None:
    """An amount whose exponent would have the engine build a billion-digit number is refused
    at once, naming the field; so is every amount outside the documented range."""
    case = {**A_CASE, "contract": {**A_CASE["contract"], "daily_fee": fee}}
    line = case_refusal(tmp_path, json.dumps(case))
    assert line == (
        f"{tmp_path / 'case.json'}: contract.daily_fee: expected an amount of at most 15 digits "
        f"before the decimal point and 12 after it, got '{fee}'"
    )


def test_the_largest_amounts_still_compute(tmp_path: Path) -> None:
    """The edges of the range are amounts like any other: 15 digits, 12 decimals."""
    path = tmp_path / "case.json"
    for fee in ("999999999999999.999999999999", "0.000000000001"):
        case = {**A_CASE, "contract": {**A_CASE["contract"], "daily_fee": fee}}
        path.write_text(json.dumps(case), encoding="utf-8")
        done = slawatch("credits", str(path))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["days"][4]["fee"] == str(round(Decimal(fee), 2))


@pytest.mark.parametrize(
    ("literal", "shown"),
    [
        pytest.param("1E999999999", "'1E999999999'", id="exponent"),
        pytest.param("9" * 5000, "'" + "9" * 39 + "... (5000 characters)", id="5000-digits"),
    ],
)
def test_a_json_number_out_of_range(tmp_path: Path, literal: str, shown: str) -> None:
    """A number no field could take whole is refused as it is read, quoted short."""
    text = json.dumps({**A_CASE, "meta": {"x": 0}}).replace('"x": 0', f'"x": {literal}')
    line = case_refusal(tmp_path, text)
    assert line == (
        f"{tmp_path / 'case.json'}: number {shown} out of range: at most 40 digits and an "
        "exponent from -40 to 40"
    )


def test_nan_is_not_a_json_number(tmp_path: Path) -> None:
    """Python's json reads NaN and Infinity; slawatch does not."""
    text = json.dumps({**A_CASE, "meta": {"x": 0}}).replace('"x": 0', '"x": NaN')
    assert case_refusal(tmp_path, text) == f"{tmp_path / 'case.json'}: NaN is not a JSON number"


def test_an_instant_beyond_the_calendar_in_utc(tmp_path: Path) -> None:
    """9999-12-31T23:00:00-05:00 is a valid RFC 3339 text whose UTC instant does not exist."""
    outage = {"start": "9999-12-31T23:00:00-05:00", "end": "9999-12-31T23:30:00-05:00"}
    line = case_refusal(tmp_path, json.dumps({**A_CASE, "outages": [outage]}))
    assert line == (
        f"{tmp_path / 'case.json'}: outages[0].start: instant '9999-12-31T23:00:00-05:00' is out "
        "of range: in UTC it must fall in the years 1 to 9999 (and 1 more)"
    )


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        pytest.param(
            {"start": "0001-12-01", "end": "0002-01-31"},
            "period.start: expected a date in the years 2 to 9998, got 0001-12-01",
            id="year-1",
        ),
        pytest.param(
            {"start": "9999-12-01", "end": "9999-12-31"},
            "period.start: expected a date in the years 2 to 9998, got 9999-12-01 (and 1 more)",
            id="year-9999",
        ),
        pytest.param(
            {"start": "0002-01-01", "end": "9998-12-31"},
            "period.end: a period covers at most 36,525 days (a hundred years)",
            id="ten-thousand-years",
        ),
    ],
)
def test_a_period_beyond_the_bounds(tmp_path: Path, period: dict[str, str], expected: str) -> None:
    """A period whose days cannot all be placed in UTC, or whose result would have millions of
    lines, is refused naming the field."""
    line = case_refusal(tmp_path, json.dumps({**A_CASE, "period": period}))
    assert line == f"{tmp_path / 'case.json'}: {expected}"


# ---------------------------------------------------------------------------------------------
# The JSON API


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async for made in serve(tmp_path, TOKEN):
        yield made


async def post(api: Api, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST raw bytes as JSON with the token; the status and the JSON answer."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    # A large body goes as a stream, as aiohttp asks, so as not to hold up the loop.
    data = io.BytesIO(body) if len(body) > 65_536 else body
    async with api.session.post(api.base + path, data=data, headers=headers) as response:
        assert response.content_type == "application/json"
        answer = await response.json()
        assert isinstance(answer, dict)
        return response.status, answer


ROUTES = ["/api/exclusions", "/api/notices", "/api/exclusions/1/revoke", "/api/notices/1/revoke"]


@pytest.mark.parametrize("route", ROUTES)
async def test_a_deep_body_is_a_400(api: Api, route: str) -> None:
    """JSON nested 100,000 deep (and within the size bound): one line, never a 500."""
    status, answer = await post(api, route, b"[" * 100_000 + b"]" * 100_000)
    assert (status, answer) == (
        400,
        {
            "error": "body: not valid JSON at line 1 column 65: "
            "arrays and objects nested deeper than 64 levels"
        },
    )


@pytest.mark.parametrize("route", ROUTES)
async def test_a_body_larger_than_1_mib_is_a_400(api: Api, route: str) -> None:
    """The body is read up to its bound, then refused in one line."""
    status, answer = await post(api, route, b" " * (MAX_BODY_BYTES + 1))
    assert (status, answer) == (400, {"error": "body: larger than 1,048,576 bytes"})


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            b'{"note": 1E999999999}',
            "body: number '1E999999999' out of range: at most 40 digits and an exponent from "
            "-40 to 40",
            id="exponent",
        ),
        pytest.param(
            b'{"note": ' + b"9" * 5000 + b"}",
            "body: number '" + "9" * 39 + "... (5000 characters) out of range: at most 40 "
            "digits and an exponent from -40 to 40",
            id="5000-digits",
        ),
        pytest.param(b'{"note": NaN}', "body: NaN is not a JSON number", id="nan"),
        pytest.param(b"\xff\xfe{}", "body: expected a JSON object in UTF-8", id="not-utf8"),
    ],
)
async def test_a_number_out_of_range_in_a_body_is_a_400(
    api: Api, route: str, body: bytes, error: str
) -> None:
    """Numbers are bounded as they are read, whatever field they are in."""
    assert await post(api, route, body) == (400, {"error": error})


@pytest.mark.parametrize("kind", ["notices", "exclusions"])
@pytest.mark.parametrize("digits", [20, 5000])
async def test_an_id_beyond_64_bits_is_a_404(api: Api, kind: str, digits: int) -> None:
    """An id no store can hold names no annotation: 404 in one line, quoted short."""
    status, answer = await post(api, f"/api/{kind}/{'9' * digits}/revoke", b'{"note": "x"}')
    assert status == 404
    assert answer["error"].startswith(f"no {kind[:-1]} '99999")
    assert len(answer["error"]) < 100


async def test_an_instant_beyond_the_calendar_is_a_400(api: Api) -> None:
    """An instant that exists in its offset but not in UTC is refused naming the field, before
    it is compared or stored."""
    body = {
        "service": "shop",
        "start": "9999-12-31T22:00:00-05:00",
        "end": "9999-12-31T23:00:00-05:00",
        "reason": "customer",
        "note": "x",
    }
    status, answer = await post(api, "/api/exclusions", json.dumps(body).encode())
    assert status == 400
    assert answer["error"].startswith(
        "body: start: instant '9999-12-31T22:00:00-05:00' is out of range"
    )


async def test_the_api_still_answers_good_input(api: Api) -> None:
    """After all that, a plain notice is stored."""
    body = {"service": "shop", "at": "2026-01-01T00:00:00Z", "ref": "mail"}
    status, answer = await post(api, "/api/notices", json.dumps(body).encode())
    assert status == 201, answer
    status, answer = await post(api, f"/api/notices/{answer['id']}/revoke", b'{"note": "x"}')
    assert status == 200, answer


def test_a_case_that_never_ends_is_refused_after_256_mib() -> None:
    """`credits /dev/zero`: read up to the bound, then one line; memory stays bounded."""
    assert refused(slawatch("credits", "/dev/zero")) == "/dev/zero: larger than 256 MiB: not a case"


def test_every_reader_of_instants_refuses_one_that_does_not_exist_in_utc() -> None:
    """The check lives in parse_instant itself, so the journal file, `db` options and every
    other reader of instants refuse it too, not only the case and API fields."""
    with pytest.raises(ValueError, match="out of range: in UTC it must fall in the years 1 to"):
        parse_instant("9999-12-31T23:00:00-05:00")
    with pytest.raises(ValueError, match="out of range"):
        parse_instant("0001-01-01T00:30:00+01:00")
    assert parse_instant("9999-12-31T23:00:00Z").year == 9999
