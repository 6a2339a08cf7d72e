"""The quick start's main job: `slawatch demo` measures the scripted outage and prints credits."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


def test_demo_measures_the_scripted_outage(tmp_path: Path) -> None:
    """A short demo run prints one measured outage close to the script and its credits, and
    with a work directory leaves the month's (provisional) HTML report there."""
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
    # Probes every 2 s and re-probes every 0.5 s while down (the demo's configuration). A probe
    # is timed from its start, so one under way when the script acts dates the change early, by
    # less than its 1 s timeout.
    assert -1.0 <= float(start_error) <= 3.0
    assert -1.0 <= float(end_error) <= 1.5
    body, _, report_line = out[out.index("{") :].rpartition("\nthe month's credit report")
    credits = json.loads(body)
    assert credits["currency"] == "CNY"
    assert sum(day["credited_minutes"] for day in credits["days"]) >= 1
    assert (tmp_path / "demo.db").exists()
    (report,) = tmp_path.glob("report-*.html")
    assert str(report) in report_line
    page = report.read_text(encoding="utf-8")
    assert "Provisional" in page
    assert f"{credits['total_credit']}" in page
