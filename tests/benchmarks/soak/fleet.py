"""The soak's targets, a process of their own: ``python -m tests.benchmarks.soak.fleet --out DIR``.

Every service's checks are paths ``/SERVICE/CHECK`` spread over several loopback ports. A
service answers 200 on every path, or 503 on every path while it is failed. The control port
takes the script (``POST /script``: the origin as Unix time and the outages in seconds after it)
and switches each service itself at its instants, so that the switch is not delayed by a
request in flight. What the targets did is the truth the soak holds the store to:

- ``requests.log``: one line per request served, ``UNIX_TIME PATH STATUS``, the time taken as
  the answer is chosen;
- ``switches.jsonl``: one line per switch, ``{"service", "healthy", "at"}``, ``at`` taken as the
  switch happens (``GET /switches`` returns them too).

On start it prints one JSON line, ``{"ports": [...], "control": PORT}``; SIGTERM stops it and
flushes both files.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

__all__ = ["main"]

#: Each listening socket's backlog: a fresh connection per probe, 200 a second.
BACKLOG = 1024


async def _serve(ports: int, out: Path) -> None:
    down: set[str] = set()
    switches: list[dict[str, Any]] = []
    requests = (out / "requests.log").open("w", encoding="ascii", buffering=1 << 20)
    switch_log = (out / "switches.jsonl").open("w", encoding="ascii", buffering=1)
    loop = asyncio.get_running_loop()

    async def page(request: web.Request) -> web.Response:
        path = request.path
        failed = path.split("/", 2)[1] in down
        status = 503 if failed else 200
        requests.write(f"{time.time():.6f} {path} {status}\n")
        if failed:
            return web.Response(status=503, text="down for now")
        return web.Response(text="Welcome to the shop")

    def switch(service: str, healthy: bool) -> None:
        if healthy:
            down.discard(service)
        else:
            down.add(service)
        event = {"service": service, "healthy": healthy, "at": time.time()}
        switches.append(event)
        switch_log.write(json.dumps(event) + "\n")

    async def script(request: web.Request) -> web.Response:
        body = await request.json()
        origin = float(body["origin"])
        for outage in body["outages"]:
            for offset, healthy in ((outage["start"], False), (outage["end"], True)):
                delay = origin + float(offset) - time.time()
                loop.call_at(loop.time() + max(0.0, delay), switch, outage["service"], healthy)
        return web.json_response({"scheduled": len(body["outages"])})

    async def list_switches(_: web.Request) -> web.Response:
        return web.json_response(switches)

    targets = web.Application()
    targets.router.add_get("/{tail:.*}", page)
    control = web.Application()
    control.router.add_post("/script", script)
    control.router.add_get("/switches", list_switches)
    runners = [web.AppRunner(targets, access_log=None), web.AppRunner(control, access_log=None)]
    for runner in runners:
        await runner.setup()
    for _ in range(ports):
        await web.TCPSite(runners[0], "127.0.0.1", 0, backlog=BACKLOG).start()
    await web.TCPSite(runners[1], "127.0.0.1", 0).start()
    addresses = {
        "ports": [address[1] for address in runners[0].addresses],
        "control": runners[1].addresses[0][1],
    }
    print(json.dumps(addresses), flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()
    requests.close()
    switch_log.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.soak.fleet")
    parser.add_argument("--ports", type=int, default=8)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.ports, args.out))


if __name__ == "__main__":
    main(sys.argv[1:])
