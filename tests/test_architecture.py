"""The import contracts of pyproject.toml (ARCHITECTURE.md's layers): kept by the code, and able
to fail: each is run on a copy of the sources with one forbidden import planted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the packages under ``root``, with the project's contracts."""
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The sources and the contracts, copied where a test may break them."""
    for package in ("monitor", "sla"):
        shutil.copytree(ROOT / package, tmp_path / package)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_contract() -> None:
    """Every import contract is kept by the sources as they are."""
    done = lint(ROOT)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        pytest.param(
            "sla/money.py", "import monitor.errors", "sla is pure", id="sla-imports-monitor"
        ),
        pytest.param(
            "monitor/store/base.py",
            "import monitor.daemon.runner",
            "probes and store import nothing of the daemon",
            id="store-imports-daemon",
        ),
        pytest.param(
            "monitor/report/markdown.py",
            "import aiohttp",
            "the report imports no aiohttp",
            id="report-imports-aiohttp",
        ),
        pytest.param(
            "monitor/config/settings.py",
            "import monitor.state",
            "data flows one way",
            id="config-imports-state",
        ),
        pytest.param(
            "monitor/write/spool.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import monitor.write.writer",
            "no import cycle",
            id="cycle-under-type-checking",
        ),
    ],
)
def test_a_planted_import_breaks_its_contract(
    copy: Path, module: str, planted: str, contract: str
) -> None:
    """One forbidden import added to a copy of the sources is reported, by its contract."""
    path = copy / module
    path.write_text(path.read_text(encoding="utf-8") + "\n" + planted + "\n", encoding="utf-8")

    done = lint(copy)

    assert done.returncode == 1, done.stdout + done.stderr
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) >= 1
    assert any(line.startswith(contract) for line in broken), done.stdout
