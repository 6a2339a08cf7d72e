"""Every worked example of CREDIT-RULES.md, through the real ``slawatch credits`` command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

#: The worked examples, one ``{"case": ..., "expected": ...}`` file each, kept with the tests:
#: the per-minute rule's (``contract/``) and the other policies' (``policy/``).
CASES = Path(__file__).resolve().parent / "cases"
FOLDERS = ("contract", "policy")
CASE_FILES = sorted(path for folder in FOLDERS for path in (CASES / folder).glob("*.json"))
RULES = Path(__file__).resolve().parents[2] / "CREDIT-RULES.md"


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_worked_examples_are_present_and_documented(folder: str) -> None:
    """Each examples folder is not empty, and each example is in a CREDIT-RULES.md table."""
    files = sorted((CASES / folder).glob("*.json"))
    assert files, f"no worked examples in {CASES / folder}"
    tables = RULES.read_text(encoding="utf-8").split("## Worked examples", 1)[1]
    for path in files:
        number = re.match(r"[pt]\d\d", path.stem)
        assert number is not None, path.name
        assert f"| {number.group()}" in tables, path.name


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
