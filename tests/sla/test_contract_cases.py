"""Every worked example of CONTRACT.md, through the real ``slawatch credits`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(
    os.environ.get(
        "SLAWATCH_CONTRACT_CASES",
        Path(__file__).resolve().parents[3] / "shared" / "contract-cases",
    )
)
CASE_FILES = sorted(CASES.glob("*.json")) if CASES.is_dir() else []

if not CASE_FILES and os.environ.get("CI"):
    pytest.fail(f"contract cases are required in CI but none were found in {CASES}")


@pytest.mark.skipif(not CASE_FILES, reason=f"no contract cases found in {CASES}")
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
