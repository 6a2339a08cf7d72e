"""The daemon's event loop: uvloop when installed and asked for (or left to ``auto``), asyncio's
own otherwise, and a one-line refusal when uvloop is named but missing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.daemon.eventloop import loop_factory, loop_name
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def test_asyncio_is_asyncio_s_own_loop() -> None:
    assert loop_factory("asyncio", source="slawatch.yaml") is None


def test_auto_and_uvloop_run_on_uvloop_where_it_is_installed() -> None:
    pytest.importorskip("uvloop", reason="uvloop is not installed here")
    for choice in ("auto", "uvloop"):
        factory = loop_factory(choice, source="slawatch.yaml")
        assert factory is not None
        with asyncio.Runner(loop_factory=factory) as runner:
            assert runner.run(_running_loop_name()) == "uvloop"


def test_auto_without_uvloop_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import fail as it does where uvloop is absent.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert loop_factory("auto", source="slawatch.yaml") is None
    with pytest.raises(ConfigError, match=r"^slawatch\.yaml: event_loop: uvloop is not installed"):
        loop_factory("uvloop", source="slawatch.yaml")


async def _running_loop_name() -> str:
    return loop_name(asyncio.get_running_loop())


def test_run_refuses_a_missing_uvloop_in_one_line(tmp_path: Path) -> None:
    """``slawatch run`` with event_loop: uvloop where uvloop cannot be imported: exit 2 and one
    line naming the file and the field, before anything starts."""
    config = tmp_path / "slawatch.yaml"
    config.write_text(
        f'store: "sqlite:///{tmp_path}/s.db"\nhttp: {{listen: "127.0.0.1:0"}}\nevent_loop: uvloop\n',
        encoding="utf-8",
    )
    program = (
        "import sys; sys.modules['uvloop'] = None\n"
        "from monitor.cli.main import main\n"
        f"sys.exit(main(['run', '--config', {str(config)!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"{config}: event_loop: uvloop is not installed" in done.stderr
    assert not (tmp_path / "s.db").exists()
