"""``slawatch status-page``: the public status page as static files, to be hosted apart from the
monitor (a web server, object storage), for instance rebuilt every minute by a timer.

It writes into ``--out`` what the daemon serves publicly: the status page (``index.html``, over
the last 90 days, and one page per other uptime window, ``uptime-24h.html``, ``uptime-7d.html``,
..., which the window links of each page point to, so that no server is needed to choose one),
``summary.json`` (``/api/v2/summary.json``), ``feed.atom`` and the badges
(``badge/SERVICE.svg``, and ``badge/SERVICE-WINDOW.svg`` for ``/badge/SERVICE.svg?window=``).
The day figures still missing from the store are computed first, as the daemon does in the
background. Each file is written whole or not at all (a temporary file renamed), so a web server
never serves half a page.
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
from ..errors import MonitorError

if TYPE_CHECKING:
    from ..status.model import PublicStatus

from .common import write_whole

__all__ = ["add_status_page_command", "static_files"]


def _href(key: str) -> str:
    from ..web.pages import DEFAULT_WINDOW  # noqa: PLC0415 - keeps `slawatch credits` light

    return "index.html" if key == DEFAULT_WINDOW else f"uptime-{key}.html"


def static_files(status: PublicStatus, *, url: str | None = None) -> dict[str, bytes]:
    """Every file of the static status page, by path under the directory; ``url`` is where it
    is published (``status_page.url``), for the links of ``summary.json`` and the feed."""
    from ..status.badge import state_badge, window_badge  # noqa: PLC0415
    from ..status.feed import feed  # noqa: PLC0415
    from ..status.statuspage import summary  # noqa: PLC0415
    from ..web.pages import DEFAULT_WINDOW, WINDOWS, render_status  # noqa: PLC0415

    keys = {w.key for s in status.services for w in s.windows} | {DEFAULT_WINDOW}
    links = [("summary.json", "summary.json"), ("Atom feed", "feed.atom")]
    files = {
        _href(key): render_status(status, window=key, window_href=_href, links=links).encode()
        for key in WINDOWS
        if key in keys
    }
    files["summary.json"] = json.dumps(summary(status, url=url), ensure_ascii=False).encode()
    files["feed.atom"] = feed(status, url=url)
    for service in status.services:
        files[f"badge/{service.name}.svg"] = state_badge(service)
        for window in service.windows:
            files[f"badge/{service.name}-{window.key}.svg"] = window_badge(service, window.key)
    return files


def _cmd_status_page(args: argparse.Namespace) -> int:
    from ..status.aggregates import fill_days  # noqa: PLC0415
    from ..status.build import build_public  # noqa: PLC0415
    from ..store import open_store  # noqa: PLC0415

    settings = load_settings(args.config)
    out = Path(args.out)

    async def build() -> PublicStatus:
        store = open_store(settings.store)
        await store.open()
        try:
            now = SystemClock().now()
            while await fill_days(store, settings, now):
                pass
            return await build_public(store, settings, now)
        finally:
            await store.close()

    files = static_files(asyncio.run(build()), url=settings.status_page.url)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise MonitorError(f"--out: {out}: cannot create: {error.strerror or error}") from None
    for name, data in files.items():
        write_whole(out / name, data)
    pages = sorted(name for name in files if "/" not in name)
    badges = len(files) - len(pages)
    print(f"status page written to {out}: {', '.join(pages)} and {badges} badges", file=sys.stderr)
    return 0


def add_status_page_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Register ``slawatch status-page``."""
    page = commands.add_parser("status-page", help="write the public status page as static files")
    page.add_argument("--config", required=True, metavar="FILE")
    page.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    page.set_defaults(handler=_cmd_status_page)
