"""``slawatch report``: the monthly credit report of one or every service.

The format is ``--format``, or the ``--out`` file's suffix (``.html``, ``.md``, ``.csv``,
``.json``), or Markdown. ``--out`` is written whole or not at all (a temporary file renamed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..clock import SystemClock
from ..config.settings import load_settings
from ..errors import InputError
from ..redact import excerpt
from .common import parse_month, write_whole

if TYPE_CHECKING:
    from ..report import Report

__all__ = ["add_report_command"]

_FORMATS = ("html", "md", "csv", "json")


def _cmd_report(args: argparse.Namespace) -> int:
    from ..report import build_report  # noqa: PLC0415 - keeps `slawatch credits` light
    from ..report.data import render_csv, report_to_json  # noqa: PLC0415
    from ..report.html import render_html  # noqa: PLC0415
    from ..report.markdown import render_markdown  # noqa: PLC0415
    from ..store import open_store  # noqa: PLC0415

    year, month = parse_month(args.month)
    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lstrip(".").lower() if args.out else ""
        fmt = suffix if suffix in _FORMATS else "md"
    settings = load_settings(args.config)
    services = settings.services
    if args.service is not None:
        services = [s for s in settings.services if s.name == args.service]
        if not services:
            known = ", ".join(s.name for s in settings.services) or "none"
            raise InputError(
                f"--service: unknown service {excerpt(args.service)} (services: {known})"
            )

    async def build() -> Report:
        store = open_store(settings.store)
        await store.open()
        try:
            return await build_report(
                store,
                settings,
                year,
                month,
                now=SystemClock().now(),
                services=services,
            )
        finally:
            await store.close()

    report = asyncio.run(build())
    if fmt == "json":
        text = json.dumps(report_to_json(report), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = render_csv(report)
    elif fmt == "html":
        text = render_html(report)
    else:
        text = render_markdown(report)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    write_whole(Path(args.out), text)
    print(f"report written to {args.out}", file=sys.stderr)
    return 0


def add_report_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``slawatch report``."""
    report = commands.add_parser("report", help="the monthly credit report")
    report.add_argument("--config", required=True, metavar="FILE")
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--service", help="only this service (default: every one)")
    report.add_argument("--format", choices=_FORMATS, help="default: from --out, else md")
    report.add_argument("--out", metavar="PATH", help="write here (default: standard output)")
    report.set_defaults(handler=_cmd_report)
