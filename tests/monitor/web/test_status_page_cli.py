"""``slawatch status-page`` through the real CLI: the static files, linked to each other,
written whole; bad input in one line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from .scenario import CHECK_URL, VANTAGES, config_text


def slawatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_static_page_is_written_with_a_page_per_window(db: Path, tmp_path: Path) -> None:
    """index.html and one page per other window, each linking to the others by file; the
    services and the title there; no money, no check address, no vantage; nothing half-written
    left behind."""
    config = tmp_path / "slawatch.yaml"
    config.write_text(config_text(db), encoding="utf-8")
    out = tmp_path / "site" / "status"
    done = slawatch("status-page", "--config", str(config), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    windows = ("24h", "7d", "30d", "90d", "month")
    badges = [
        f"badge/{s}{w}.svg"
        for s in ("api", "files", "shop")
        for w in ("", *(f"-{k}" for k in windows))
    ]
    assert names == sorted([
        "badge", *badges, "feed.atom", "index.html", "summary.json", "uptime-24h.html",
        "uptime-30d.html", "uptime-7d.html", "uptime-month.html",
    ])  # fmt: skip
    assert done.stderr == (
        f"status page written to {out}: feed.atom, index.html, summary.json, uptime-24h.html,"
        " uptime-30d.html, uptime-7d.html, uptime-month.html and 18 badges\n"
    )
    index = (out / "index.html").read_text("utf-8")
    assert "<h1>Example status</h1>" in index
    for service in ("shop", "api", "files"):
        assert f">{service}</h3>" in index
    links = re.findall(r'<li><a href="([^"]+\.html)"( aria-current="true")?>', index)
    assert links == [
        ("uptime-24h.html", ""), ("uptime-7d.html", ""), ("uptime-30d.html", ""),
        ("index.html", ' aria-current="true"'), ("uptime-month.html", ""),
    ]  # fmt: skip
    assert '<a href="summary.json">summary.json</a>' in index
    assert '<a href="feed.atom">Atom feed</a>' in index
    document = json.loads((out / "summary.json").read_text("utf-8"))
    assert [c["name"] for c in document["components"]] == ["shop", "api", "files"]
    assert (out / "feed.atom").read_bytes().startswith(b"<?xml")
    assert b"<svg" in (out / "badge" / "shop.svg").read_bytes()
    day = (out / "uptime-24h.html").read_text("utf-8")
    assert '<a href="uptime-24h.html" aria-current="true">' in day
    for page in (index, day, (out / "summary.json").read_text("utf-8")):
        for secret in (CHECK_URL, "127.0.0.1", "CNY", "USD", *VANTAGES):
            assert secret not in page
    # Run again over the same directory: replaced whole, nothing else appears.
    again = slawatch("status-page", "--config", str(config), "--out", str(out))
    assert again.returncode == 0
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == names


def test_bad_input_is_one_line(tmp_path: Path, db: Path) -> None:
    """A configuration that does not exist: exit 2; an --out that is a file: exit 1; each one
    line naming what, never a traceback."""
    missing = slawatch("status-page", "--config", str(tmp_path / "none.yaml"), "--out", "x")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1
    assert missing.stderr.startswith("slawatch: ")
    assert "none.yaml" in missing.stderr
    config = tmp_path / "slawatch.yaml"
    config.write_text(config_text(db), encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    blocked = slawatch("status-page", "--config", str(config), "--out", str(blocker))
    assert blocked.returncode == 1
    assert blocked.stderr == f"slawatch: --out: {blocker}: cannot create: File exists\n"
