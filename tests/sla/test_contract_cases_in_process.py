"""Every worked example of CREDIT-RULES.md, through the parser and the engine in this process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.case.format import load_case
from sla import result_to_json

from .test_contract_cases import CASE_FILES


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_worked_example_in_process(path: Path) -> None:
    """load_case + the policy's engine + result_to_json give each worked example's expected output."""
    text = path.read_text(encoding="utf-8")
    case = load_case(text)
    assert result_to_json(case.credits()) == json.loads(text)["expected"]
