"""The ``slawatch`` command: parse arguments, build, call, render, exit.

Every error the user can cause becomes one line on stderr naming the input and the field, and
exit status 2 for bad input, 1 for a failure of the world (a store, a port); never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sla import SLAError, compute_credits, result_to_json

from .case import load_case
from .errors import InputError, MonitorError

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise InputError(f"cannot read: {reason}") from None


def _cmd_credits(args: argparse.Namespace) -> int:
    source = "<stdin>" if args.case == "-" else args.case
    try:
        case = load_case(_read_input(args.case))
        result = compute_credits(
            case.contract,
            case.period,
            case.outages,
            exclusions=case.exclusions,
            gaps=case.gaps,
            fees=case.fees,
        )
    except (InputError, SLAError) as error:
        raise InputError(f"{source}: {error}") from None
    json.dump(result_to_json(result), sys.stdout, indent=2 if args.pretty else None)
    sys.stdout.write("\n")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slawatch",
        description="Uptime monitor that turns measured downtime into SLA credits.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    credits = commands.add_parser(
        "credits",
        help="compute the credits of a case (CONTRACT.md format)",
        description="Compute daily credits for the outages of a case file and print JSON.",
    )
    credits.add_argument("case", metavar="CASE.json", help="case file, or - for standard input")
    credits.add_argument("--pretty", action="store_true", help="indent the JSON output")
    credits.set_defaults(handler=_cmd_credits)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slawatch`` console script."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except InputError as error:
        print(f"slawatch: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MonitorError as error:
        print(f"slawatch: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
