"""``slawatch notice``: record, list and revoke the provider's notices of outages (C4).

Who made a change is ``--by``, or the login name of whoever ran the command.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

# The same shell as `slawatch exclude`: who is acting, and a store opened around the work.
from ..annotations.common import parse_input
from ..clock import SystemClock
from ..config.settings import load_settings
from .common import author, revoke_command, show, with_store

if TYPE_CHECKING:
    from ..evidence import NoticeRecord

# The store and validation modules are imported by each command when it runs, so that
# `slawatch credits` does not load database drivers.

__all__ = ["add_notice_commands"]


def _line(record: NoticeRecord) -> str:
    from ..annotations.notices import notice_to_json  # noqa: PLC0415

    data = notice_to_json(record)
    status = "valid" if data["revoked"] is None else "REVOKED"
    return (
        f"#{data['id']} {data['service']} notified {data['at']} [{status}]"
        f" by {data['added_by']} at {data['added_at']}: {data['ref']}"
    )


def _cmd_add(args: argparse.Namespace) -> int:
    from ..annotations.notices import NewNotice, add_notice  # noqa: PLC0415

    settings = load_settings(args.config)
    fields = {"service": args.service, "at": args.at, "ref": args.ref}
    entry: NewNotice = parse_input(NewNotice, fields, "notice add")
    by = author(args)
    record = with_store(
        settings,
        lambda store: add_notice(store, settings, entry, by=by, now=SystemClock().now()),
    )
    print(_line(record))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from ..annotations.notices import notice_to_json  # noqa: PLC0415

    settings = load_settings(args.config)
    records = with_store(settings, lambda store: store.notices(service=args.service))
    show(records, args.format, notice_to_json, _line)
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    from ..annotations.notices import revoke_notice  # noqa: PLC0415

    return revoke_command(
        args, "notice revoke", revoke_notice, _line, kind="notice", find=lambda s: s.notices()
    )


def add_notice_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``slawatch notice ...``."""
    notice = commands.add_parser(
        "notice", help="record, list or revoke the provider's notices of outages (C4)"
    )
    actions = notice.add_subparsers(dest="notice_command", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="record that the provider notified you of an outage")
    add.add_argument("--service", required=True)
    add.add_argument(
        "--at", required=True, metavar="TIME", help="when it notified you (RFC 3339, with offset)"
    )
    add.add_argument(
        "--ref", required=True, metavar="TEXT", help="where it is written: ticket, URL, quote"
    )
    add.set_defaults(handler=_cmd_add)

    listing = actions.add_parser("list", help="every notice, revoked ones marked")
    listing.add_argument("--service")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=_cmd_list)

    revoke = actions.add_parser(
        "revoke", help="withdraw a notice entered by mistake (it is kept, marked)"
    )
    revoke.add_argument("id", type=int, metavar="ID")
    revoke.add_argument("--note", required=True, help="why it is withdrawn")
    revoke.set_defaults(handler=_cmd_revoke)

    for action in (add, listing, revoke):
        action.add_argument("--config", required=True, metavar="FILE")
    for action in (add, revoke):
        action.add_argument("--by", metavar="NAME", help="who makes the change (default: you)")
