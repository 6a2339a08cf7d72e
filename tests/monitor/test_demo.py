"""The quick start's main job: `slawatch demo` measures the scripted outage and prints credits."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


def test_demo_measures_the_scripted_outage(tmp_path: Path) -> None:
    """A short demo run prints one measured outage close to the script, and its credits."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "demo",
            "--duration",
            "24",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    [(start_error, end_error)] = re.findall(
        r"measured outage: \S+ -> \S+ \(start ([+-][\d.]+)s, end ([+-][\d.]+)s", out
    )
    # Probes every 2 s and re-probes every 0.5 s while down (the demo's configuration).
    assert 0.0 <= float(start_error) <= 3.0
    assert 0.0 <= float(end_error) <= 1.5
    credits = json.loads(out[out.index("{") :])
    assert credits["currency"] == "CNY"
    assert sum(day["credited_minutes"] for day in credits["days"]) >= 1
    assert (tmp_path / "demo.db").exists()
