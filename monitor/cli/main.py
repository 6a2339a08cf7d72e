"""The ``slawatch`` command: parse arguments, build, call, render, exit.

Every error the user can cause becomes one line on stderr naming the input and the field, and
exit status 2 for bad input, 1 for a failure of the world (a store, a port); never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from prometheus_client import CollectorRegistry

from sla import Period, SLAError, result_to_json

from ..case.format import load_case
from ..clock import SteadyClock, SystemClock
from ..config.settings import CANARY_SERVICE, load_settings
from ..daemon.logs import configure_logging
from ..errors import ConfigError, InputError, MonitorError
from ..redact import excerpt
from ..timefmt import parse_date
from .claim import add_claim_command
from .db import add_db_commands
from .exclude import add_exclude_commands
from .healthcheck import add_healthcheck_command
from .notice import add_notice_commands
from .notify import add_notify_commands
from .report import add_report_command
from .status_page import add_status_page_command

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


#: The largest case read: a month of 1,000,000 outages is about 90 MB.
MAX_CASE_BYTES = 256 * 1024 * 1024


def _read_input(name: str) -> str:
    """A case file (or standard input for ``-``), at most MAX_CASE_BYTES of it."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_CASE_BYTES + 1)
        else:
            with Path(name).open("rb") as file:
                data = file.read(MAX_CASE_BYTES + 1)
        if len(data) > MAX_CASE_BYTES:
            raise InputError("larger than 256 MiB: not a case")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise InputError(f"cannot read: {reason}") from None


def _cmd_credits(args: argparse.Namespace) -> int:
    source = "<stdin>" if args.case == "-" else args.case
    try:
        case = load_case(_read_input(args.case))
        result = case.credits()
    except (InputError, SLAError) as error:
        raise InputError(f"{source}: {error}") from None
    json.dump(result_to_json(result), sys.stdout, indent=2 if args.pretty else None)
    sys.stdout.write("\n")
    return EXIT_OK


def _version() -> str:
    try:
        return version("slawatch")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _cmd_run(args: argparse.Namespace) -> int:
    from ..daemon.eventloop import loop_factory  # noqa: PLC0415 - keeps `slawatch credits` light
    from ..daemon.runner import Daemon  # noqa: PLC0415
    from ..store import open_store  # noqa: PLC0415

    settings = load_settings(args.config)
    new_loop = loop_factory(settings.event_loop, source=str(args.config))
    configure_logging(args.log_format or settings.log.format, settings.log.level)
    daemon = Daemon(
        settings,
        clock=SteadyClock.system(),
        store=open_store(settings.store),
        registry=CollectorRegistry(),
        config_path=Path(args.config),
        version=_version(),
    )
    with asyncio.Runner(loop_factory=new_loop) as runner:
        runner.run(daemon.run())
    return EXIT_OK


def _cmd_check_config(args: argparse.Namespace) -> int:
    from ..daemon.webhooks import webhook_name  # noqa: PLC0415
    from ..scheduler import ScheduledCheck, build_checks  # noqa: PLC0415

    # `--config FILE`, as every other command takes it, or `check-config FILE`.
    config = args.config or args.config_file
    if config is None or args.config_file not in (None, config):
        given = "no file" if config is None else "two different files"
        raise InputError(f"check-config: {given} given; expected --config FILE")
    try:
        settings = load_settings(config)
    except ConfigError as error:
        _complain(error)
        return EXIT_FAILURE
    print(f"{config}: valid")
    # Nothing secret is printed: the store URL and check URLs without passwords or query
    # values, webhooks by scheme and host, the API token only as whether there is one.
    api = "on" if settings.http.api_token is not None else "off (no http.api_token)"
    print(f"vantage {settings.vantage}, store {settings.store}, http {settings.http.listen}")
    print(f"exclusions and notices API {api}")
    for webhook in settings.notify.webhooks:
        events = ", ".join(webhook.events)
        print(f"webhook {webhook_name(webhook.url)} ({webhook.format}): {events}")
    groups = [
        (s.name, f"service {s.name} (contract {s.contract}, quorum {s.quorum})")
        for s in settings.services
    ]
    if settings.canaries:
        groups.append((CANARY_SERVICE, "canaries (this vantage's own connectivity)"))
    by_service: dict[str, list[ScheduledCheck]] = {}
    for check in build_checks(settings):
        by_service.setdefault(check.service, []).append(check)
    for name, title in groups:
        print(title)
        for check in by_service.get(name, []):
            spec = check.spec
            print(
                f"  {check.role.value:<8} {spec.name:<12} {spec.type:<4} {spec.target}"
                f"  every {spec.interval:g}s, timeout {spec.timeout:g}s,"
                f" retry {spec.retry_interval:g}s, confirm {spec.confirm}"
            )
    if settings.services and not settings.canaries:
        print(
            "note: no canaries: when every check of this vantage fails at once, the outage is"
            " recorded and credited, marked not confirmed by an independent reference; add a"
            " canary or a second vantage to confirm it"
        )
    elif settings.services:
        print(
            "note: canaries: when every check of this vantage fails at once, canaries included,"
            " the vantage counts as isolated (not measured) and its votes do not count"
        )
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo  # noqa: PLC0415

    configure_logging("text", "info")
    workdir = Path(args.workdir) if args.workdir else None
    asyncio.run(run_demo(duration=args.duration, listen=args.listen, workdir=workdir))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from ..case.measured import case_to_json, measure  # noqa: PLC0415
    from ..store import open_store  # noqa: PLC0415

    settings = load_settings(args.config)
    service = next((s for s in settings.services if s.name == args.service), None)
    if service is None:
        known = ", ".join(s.name for s in settings.services) or "none"
        raise InputError(f"--service: unknown service {excerpt(args.service)} (services: {known})")
    try:
        first, last = parse_date(args.date_from), parse_date(args.date_to)
        Period(first, last)
    except (ValueError, SLAError) as error:
        raise InputError(f"--from/--to: {error}") from None

    async def export() -> dict[str, object]:
        store = open_store(settings.store)
        await store.open()
        try:
            measured = await measure(
                store, settings, service, first=first, last=last, now=SystemClock().now()
            )
        finally:
            await store.close()
        return case_to_json(
            measured.case,
            settings.contracts[service.contract],
            service.name,
            unconfirmed=measured.verdict.unconfirmed,
        )

    json.dump(asyncio.run(export()), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def _complain(error: MonitorError) -> None:
    """The error on standard error, each of its lines (one per problem) as ``slawatch: ...``."""
    for line in str(error).splitlines():
        print(f"slawatch: {line}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slawatch",
        description="Uptime monitor that turns measured downtime into SLA credits.",
    )
    parser.add_argument("--version", action="version", version=f"slawatch {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    credits = commands.add_parser(
        "credits",
        help="compute the credits of a case (CREDIT-RULES.md format)",
        description="Compute daily credits for the outages of a case file and print JSON.",
    )
    credits.add_argument("case", metavar="CASE.json", help="case file, or - for standard input")
    credits.add_argument("--pretty", action="store_true", help="indent the JSON output")
    credits.set_defaults(handler=_cmd_credits)

    run = commands.add_parser("run", help="run the monitoring daemon")
    run.add_argument("--config", required=True, metavar="FILE", help="configuration file")
    run.add_argument(
        "--log-format", choices=("text", "json"), help="override log.format of the config"
    )
    run.set_defaults(handler=_cmd_run)

    check = commands.add_parser(
        "check-config", help="validate a configuration and print what would be monitored"
    )
    check.add_argument("--config", metavar="FILE", help="configuration file")
    check.add_argument("config_file", nargs="?", metavar="FILE", help="the same, as an argument")
    check.set_defaults(handler=_cmd_check_config)

    demo = commands.add_parser("demo", help="monitor a local service with scripted failures")
    demo.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    demo.add_argument(
        "--listen", default="127.0.0.1:0", help="address of /metrics (default: a free port)"
    )
    demo.add_argument("--workdir", help="keep the demo's database here (default: temporary)")
    demo.set_defaults(handler=_cmd_demo)

    export = commands.add_parser(
        "export", help="print the measured case of a service (input of `slawatch credits`)"
    )
    export.add_argument("--config", required=True, metavar="FILE")
    export.add_argument("--service", required=True)
    export.add_argument("--from", dest="date_from", required=True, metavar="DATE")
    export.add_argument("--to", dest="date_to", required=True, metavar="DATE")
    export.set_defaults(handler=_cmd_export)

    add_db_commands(commands)
    add_exclude_commands(commands)
    add_report_command(commands)
    add_claim_command(commands)
    add_notify_commands(commands)
    add_notice_commands(commands)
    add_healthcheck_command(commands)
    add_status_page_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slawatch`` console script."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        status = handler(args)
        # Output still buffered is written here, where a closed pipe is caught below, and not in
        # the interpreter's final flush, which would exit 120 instead.
        sys.stdout.flush()
    except InputError as error:
        _complain(error)
        return EXIT_BAD_INPUT
    except MonitorError as error:
        _complain(error)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`slawatch credits x | head`): not an error worth a traceback.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    return status
