"""Case-file benchmarks, run on demand with `./dev bench`: figures printed, never asserted as
times."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)


def report(name: str, figure: str) -> None:
    print(f"\nBENCH {name}: {figure}")


def write_case(path: Path, outages: int) -> None:
    """October 2026 in Shanghai with ``outages`` short outages spread over it (seeded), written
    as a measured export writes them: UTC to the second."""
    rng = random.Random(7)
    step = 31 * 86_400 / outages
    spans = []
    for index in range(outages):
        start = MONTH_START + timedelta(seconds=int(index * step))
        end = start + timedelta(seconds=1 + rng.randrange(max(1, int(step) - 1)))
        spans.append(
            f'{{"start": "{start:%Y-%m-%dT%H:%M:%SZ}", "end": "{end:%Y-%m-%dT%H:%M:%SZ}"}}'
        )
    head = {
        "contract": {"timezone": "Asia/Shanghai", "currency": "CNY", "daily_fee": "144.00"},
        "period": {"start": "2026-10-01", "end": "2026-10-31"},
    }
    path.write_text(json.dumps(head)[:-1] + ', "outages": [' + ", ".join(spans) + "]}")


def test_credits_of_a_million_outages(tmp_path: Path) -> None:
    """`slawatch credits` on a month of 1,000,000 outages: wall time and peak memory of the
    command, start to end."""
    case = tmp_path / "million.json"
    write_case(case, 1_000_000)
    output, errors = tmp_path / "credits.json", tmp_path / "stderr.txt"
    with output.open("wb") as out, errors.open("wb") as err:
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "credits", str(case)],
            stdout=out,
            stderr=err,
            cwd=ROOT,
        )
        # wait4 gives this child's own peak memory, not the largest of every child so far.
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, errors.read_text()
    result = json.loads(output.read_text())
    assert len(result["days"]) == 31
    size = case.stat().st_size / 1e6
    report(
        "credits 1,000,000 outages",
        f"{elapsed:.1f} s wall, {usage.ru_utime + usage.ru_stime:.1f} s CPU, "
        f"peak RSS {usage.ru_maxrss / 1024:.0f} MB ({size:.0f} MB case file)",
    )
