"""Every worked example of CREDIT-RULES.md, through the real ``slawatch credits`` command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

#: The worked examples, one ``{"case": ..., "expected": ...}`` file each, kept with the tests.
CASES = Path(__file__).resolve().parent / "cases" / "contract"
CASE_FILES = sorted(CASES.glob("*.json"))
RULES = Path(__file__).resolve().parents[2] / "CREDIT-RULES.md"


def test_the_worked_examples_are_present_and_documented() -> None:
    """The examples folder is not empty, and each example is in CREDIT-RULES.md's table."""
    assert CASE_FILES, f"no worked examples in {CASES}"
    table = RULES.read_text(encoding="utf-8").split("## Worked examples", 1)[1]
    for path in CASE_FILES:
        number = re.match(r"p\d\d", path.stem)
        assert number is not None, path.name
        assert f"| {number.group()}" in table, path.name


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_worked_example(path: Path) -> None:
    """`slawatch credits` prints exactly the expected output of each worked example."""
    document = json.loads(path.read_text(encoding="utf-8"))
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "credits", "-"],
        input=json.dumps(document["case"]),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == document["expected"]
