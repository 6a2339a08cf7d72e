"""``slawatch exclude``: add, list and revoke exclusions from the command line.

Who made a change is ``--by``, or the login name of whoever ran the command. Each exclusion is
shown with what its service's contract, as configured now, decides about it: the same decision,
in the same words, as the monthly report (:mod:`monitor.annotations.decisions`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..annotations.common import parse_input
from ..clock import SystemClock
from ..config.settings import load_settings
from .common import author, revoke_command, show, with_store

if TYPE_CHECKING:
    from ..config.settings import Settings
    from ..evidence import ExclusionRecord

# The store and validation modules are imported by each command when it runs, so that
# `slawatch credits` does not load database drivers.

__all__ = ["add_exclude_commands"]


def _to_json(settings: Settings) -> Callable[[ExclusionRecord], dict[str, Any]]:
    """An exclusion as JSON with ``decision``: the contract's, or null for a service no longer
    configured."""
    from ..annotations.decisions import decide, decision_to_json  # noqa: PLC0415
    from ..annotations.exclusions import exclusion_to_json  # noqa: PLC0415

    contracts = {
        service.name: settings.contracts[service.contract].to_contract()
        for service in settings.services
    }

    def to_json(record: ExclusionRecord) -> dict[str, Any]:
        contract = contracts.get(record.service)
        decided = None if contract is None else decision_to_json(decide(record, contract))
        return {**exclusion_to_json(record), "decision": decided}

    return to_json


def _liner(settings: Settings) -> Callable[[ExclusionRecord], str]:
    """One line per exclusion, the contract's decision in brackets."""
    to_json = _to_json(settings)

    def line(record: ExclusionRecord) -> str:
        data = to_json(record)
        revoked, decision = data["revoked"], data["decision"]
        if revoked is not None:
            status = f"REVOKED by {revoked['by']} at {revoked['at']}: {revoked['note']}"
        elif decision is None:
            status = f"no decision: service {record.service!r} is not configured"
        else:
            status = decision["explanation"]
        announced = f" announced {data['announced_at']}" if data["announced_at"] else ""
        return (
            f"#{data['id']} {data['service']} {data['start']} -> {data['end']} {data['reason']}"
            f"{announced} [{status}] added by {data['added_by']} at {data['added_at']}:"
            f" {data['note']}"
        )

    return line


def _cmd_add(args: argparse.Namespace) -> int:
    from ..annotations.exclusions import NewExclusion, add_exclusion  # noqa: PLC0415

    settings = load_settings(args.config)
    fields = {
        "service": args.service,
        "start": args.start,
        "end": args.end,
        "reason": args.reason,
        "note": args.note,
    }
    if args.announced_at is not None:
        fields["announced_at"] = args.announced_at
    entry: NewExclusion = parse_input(NewExclusion, fields, "exclude add")
    by = author(args)
    record = with_store(
        settings,
        lambda store: add_exclusion(store, settings, entry, by=by, now=SystemClock().now()),
    )
    print(_liner(settings)(record))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    records = with_store(settings, lambda store: store.exclusions(service=args.service))
    show(records, args.format, _to_json(settings), _liner(settings))
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    from ..annotations.exclusions import revoke_exclusion  # noqa: PLC0415

    return revoke_command(
        args,
        "exclude revoke",
        revoke_exclusion,
        _liner(load_settings(args.config)),
        kind="exclusion",
        find=lambda store: store.exclusions(),
    )


def add_exclude_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``slawatch exclude ...``."""
    exclude = commands.add_parser(
        "exclude", help="add, list or revoke exclusions (maintenance, force majeure, ...)"
    )
    actions = exclude.add_subparsers(dest="exclude_command", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="exclude a period of a service")
    add.add_argument("--service", required=True)
    add.add_argument("--start", required=True, metavar="TIME", help="RFC 3339 with an offset")
    add.add_argument("--end", required=True, metavar="TIME")
    add.add_argument(
        "--reason",
        required=True,
        help="maintenance, force_majeure, customer or third_party",
    )
    add.add_argument("--announced-at", metavar="TIME", help="when a maintenance was announced")
    add.add_argument("--note", required=True, help="why (kept with the exclusion)")
    add.set_defaults(handler=_cmd_add)

    listing = actions.add_parser(
        "list", help="every exclusion with the contract's decision, revoked ones marked"
    )
    listing.add_argument("--service")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=_cmd_list)

    revoke = actions.add_parser("revoke", help="withdraw an exclusion (it is kept, marked)")
    revoke.add_argument("id", type=int, metavar="ID")
    revoke.add_argument("--note", required=True, help="why it is withdrawn")
    revoke.set_defaults(handler=_cmd_revoke)

    for action in (add, listing, revoke):
        action.add_argument("--config", required=True, metavar="FILE")
    for action in (add, revoke):
        action.add_argument("--by", metavar="NAME", help="who makes the change (default: you)")
