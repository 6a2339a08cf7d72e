"""House rules, checked on the source: ``sla`` imports only the standard library, and in
``monitor`` only the clock module reads the time or sleeps.

The checks read the code with :mod:`ast`, so a comment or a string that mentions ``time.time``
is not a finding, and an alias (``from time import monotonic as tick``) is.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Functions that read the wall or the monotonic clock, or wait on it. Timeouts
#: (``asyncio.timeout``, ``asyncio.wait_for``) are not here: they bound real I/O, which only
#: happens in real time, and read nothing the code keeps.
TIME_READS = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "time.clock_gettime",
        "time.clock_gettime_ns",
        "time.sleep",
        "asyncio.sleep",
    }
)

#: These read the clock only when given no instant: ``time.localtime()`` does,
#: ``time.localtime(seconds)`` does not. The value is how many arguments mean "now".
NOW_WITHOUT_ARGUMENT = {"time.localtime": 0, "time.gmtime": 0, "time.ctime": 0, "time.strftime": 1}

#: Event-loop methods that read the loop's monotonic clock or schedule against it.
LOOP_CLOCK_METHODS = frozenset({"time", "call_later", "call_at"})
LOOP_GETTERS = frozenset({"asyncio.get_running_loop", "asyncio.get_event_loop"})

#: The one module of ``monitor`` that may read the time: it is what the others are given.
CLOCK_MODULE = "monitor/clock.py"


@dataclass(frozen=True, slots=True)
class Finding:
    """One breach of a rule: where, in which definition (``Class.method``), and what."""

    path: str
    line: int
    function: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.function}): {self.what}"


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it stands for, dotted (``dt`` -> ``datetime.datetime``)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr, names: dict[str, str]) -> str | None:
    """The dotted name an expression stands for, through imports; None if not a plain name."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, names)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _is_loop(node: ast.expr, names: dict[str, str]) -> bool:
    """Whether an expression is an event loop: ``asyncio.get_running_loop()``, ``loop``,
    ``self._loop``."""
    if isinstance(node, ast.Call):
        return _dotted(node.func, names) in LOOP_GETTERS
    if isinstance(node, ast.Name):
        return "loop" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "loop" in node.attr.lower()
    return False


class _ClockReads(ast.NodeVisitor):
    """Collects every use of a clock in one module, with its enclosing function."""

    def __init__(self, path: str, names: dict[str, str]) -> None:
        self.path = path
        self.names = names
        self.scope: list[str] = []
        self.findings: list[Finding] = []
        self._allowed: set[int] = set()

    def _report(self, node: ast.AST, what: str) -> None:
        line = getattr(node, "lineno", 0)
        where = ".".join(self.scope) or "<module>"
        self.findings.append(Finding(self.path, line, where, what))

    def _definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = _definition  # noqa: N815 - ast.NodeVisitor's naming
    visit_AsyncFunctionDef = _definition  # noqa: N815
    visit_ClassDef = _definition  # noqa: N815

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func, self.names)
        if name == "asyncio.sleep" and _is_zero(node.args):
            self._allowed.add(id(node.func))  # a yield to the loop; no time passes or is read
        if name in NOW_WITHOUT_ARGUMENT and len(node.args) == NOW_WITHOUT_ARGUMENT[name]:
            self._report(node, name)
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in LOOP_CLOCK_METHODS
            and _is_loop(func.value, self.names)
        ):
            self._report(node, f"loop.{func.attr}")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._reference(node)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self._reference(node)

    def _reference(self, node: ast.Attribute | ast.Name) -> None:
        # A reference, called or not: ``default_factory=datetime.now`` reads the time too.
        name = _dotted(node, self.names)
        if name in TIME_READS and id(node) not in self._allowed:
            self._report(node, name)


def _is_zero(args: list[ast.expr]) -> bool:
    return len(args) == 1 and isinstance(args[0], ast.Constant) and args[0].value == 0


def clock_reads(source: str, path: str) -> list[Finding]:
    """Every place in ``source`` that reads the wall or monotonic clock, or sleeps on it."""
    tree = ast.parse(source, filename=path)
    visitor = _ClockReads(path, _imported_names(tree))
    visitor.visit(tree)
    return visitor.findings


def non_stdlib_imports(source: str, path: str) -> list[Finding]:
    """Every import in ``source`` of something outside the standard library and the package."""
    findings = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue  # relative imports stay inside the package
        for module in modules:
            top = module.split(".")[0]
            if top not in sys.stdlib_module_names and top != "__future__":
                findings.append(Finding(path, node.lineno, "<module>", f"imports {module}"))
    return findings


def _sources(package: str) -> Iterator[tuple[str, str]]:
    for file in sorted((ROOT / package).rglob("*.py")):
        yield file.relative_to(ROOT).as_posix(), file.read_text(encoding="utf-8")


def test_the_credit_engine_imports_only_the_standard_library() -> None:
    """Every import in sla/ is of the standard library or of sla itself."""
    sources = list(_sources("sla"))
    assert sources
    findings = [f for path, text in sources for f in non_stdlib_imports(text, path)]
    assert findings == [], "\n".join(map(str, findings))


def test_only_the_clock_module_reads_the_time_in_monitor() -> None:
    """No module of monitor/ but the clock reads wall or monotonic time or sleeps on it."""
    sources = [(path, text) for path, text in _sources("monitor") if path != CLOCK_MODULE]
    assert sources
    findings = [f for path, text in sources for f in clock_reads(text, path)]
    assert findings == [], "\n".join(map(str, findings))


def test_the_clock_module_is_where_the_time_is_read() -> None:
    """The checker finds the reads in monitor/clock.py: it is not blind to the real thing."""
    found = {f.what for f in clock_reads((ROOT / CLOCK_MODULE).read_text("utf-8"), CLOCK_MODULE)}
    assert {"datetime.datetime.now", "time.monotonic", "asyncio.sleep"} <= found


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("import yaml\n", "imports yaml"),
        ("import os, aiohttp.web\n", "imports aiohttp.web"),
        ("from pydantic import BaseModel\n", "imports pydantic"),
        ("from monitor.clock import SystemClock\n", "imports monitor.clock"),
    ],
)
def test_a_third_party_import_is_reported(source: str, what: str) -> None:
    """An import of anything outside the standard library is a finding, with its line."""
    (finding,) = non_stdlib_imports("import json\n" + source, "sla/x.py")
    assert (finding.line, finding.what) == (2, what)


def test_standard_library_and_relative_imports_are_not_reported() -> None:
    """The standard library, __future__ and the package's own modules are allowed."""
    source = (
        "from __future__ import annotations\nimport datetime, decimal\n"
        "from fractions import Fraction\nfrom .intervals import Interval\nfrom . import money\n"
    )
    assert non_stdlib_imports(source, "sla/x.py") == []


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("from datetime import datetime\nx = datetime.now()\n", "datetime.datetime.now"),
        ("import datetime\nx = datetime.datetime.utcnow()\n", "datetime.datetime.utcnow"),
        ("import datetime as dt\nx = dt.date.today()\n", "datetime.date.today"),
        ("from datetime import date as d\nx = d.today()\n", "datetime.date.today"),
        ("import time\nx = time.time()\n", "time.time"),
        ("from time import monotonic as tick\nx = tick()\n", "time.monotonic"),
        ("import time\nx = time.perf_counter_ns()\n", "time.perf_counter_ns"),
        ("import time\ntime.sleep(1)\n", "time.sleep"),
        ("import time\nx = time.localtime()\n", "time.localtime"),
        ("import time\nx = time.strftime('%H')\n", "time.strftime"),
        ("import asyncio\nasync def f():\n    await asyncio.sleep(5)\n", "asyncio.sleep"),
        ("import asyncio\nx = asyncio.get_running_loop().time()\n", "loop.time"),
        ("def f(loop):\n    return loop.time()\n", "loop.time"),
        ("def f(self):\n    self._loop.call_later(1, print)\n", "loop.call_later"),
        ("import time\nclock = time.monotonic\n", "time.monotonic"),
    ],
)
def test_a_clock_read_is_reported(source: str, what: str) -> None:
    """Each way of reading the clock or sleeping is a finding, aliases and references too."""
    (finding,) = clock_reads(source, "monitor/x.py")
    assert finding.what == what
    assert finding.line == source.count("\n")


def test_what_reads_no_clock_is_not_reported() -> None:
    """The injected clock, yields, timeouts, conversions of given instants and mentions in
    strings are not clock reads."""
    source = (
        "import asyncio, time\nfrom datetime import datetime, UTC\n"
        "async def f(clock, check):\n"
        "    now = clock.now()\n    await clock.sleep(1)\n    await asyncio.sleep(0)\n"
        "    async with asyncio.timeout(check.timeout):\n        pass\n"
        "    x = datetime.fromtimestamp(0, UTC), time.gmtime(0), 'time.time()'\n"
        "    # datetime.now() in a comment\n"
        "    return now, x\n"
    )
    assert clock_reads(source, "monitor/x.py") == []


def test_a_finding_names_its_function() -> None:
    """A finding names the definitions it is in, so an exception can name exactly one place."""
    source = "import time\nclass A:\n    def tick(self):\n        return time.time()\n"
    (finding,) = clock_reads(source, "monitor/x.py")
    assert str(finding) == "monitor/x.py:4 (A.tick): time.time"
