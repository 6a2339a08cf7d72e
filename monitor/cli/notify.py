"""``slawatch notify test``: send one test notification to every configured webhook, once.

Each webhook that takes the event gets one POST (no retries, within its ``timeout``), all at once;
one line per webhook says how it went, in the order of the configuration. A webhook is named by
``scheme://host[:port]`` only: its path and headers may hold secrets.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from ..clock import SystemClock
from ..config.settings import NOTIFY_EVENTS, NotifyEvent, Webhook, load_settings
from ..errors import InputError, MonitorError
from ..redact import excerpt

if TYPE_CHECKING:
    from ..daemon.webhooks import Attempt, Notification

# aiohttp is imported by the command when it runs, so that `slawatch credits` does not load it.

__all__ = ["add_notify_commands"]


def _event(text: str) -> NotifyEvent:
    for event in NOTIFY_EVENTS:
        if event == text:
            return event
    raise InputError(f"--event: expected one of {', '.join(NOTIFY_EVENTS)}, got {excerpt(text)}")


async def _send_all(webhooks: list[Webhook], notification: Notification) -> list[Attempt]:
    import aiohttp  # noqa: PLC0415 - keeps `slawatch credits` light

    from ..daemon.webhooks import send_once  # noqa: PLC0415

    async with aiohttp.ClientSession() as session:
        return list(await asyncio.gather(*(send_once(session, w, notification) for w in webhooks)))


def _cmd_test(args: argparse.Namespace) -> int:
    from ..daemon.webhooks import Notification, webhook_name  # noqa: PLC0415

    event = _event(args.event)
    settings = load_settings(args.config)
    webhooks = settings.notify.webhooks
    if not webhooks:
        raise MonitorError(f"{args.config}: no webhooks configured (notify.webhooks)")
    notification = Notification(
        event=event,
        service=args.service,
        at=SystemClock().now(),
        summary=f"test notification, sent by hand: nothing happened to {args.service}",
        details={"test": True},
        vantage=settings.vantage,
    )
    takers = [w for w in webhooks if event in w.events]
    results = iter(asyncio.run(_send_all(takers, notification)) if takers else [])
    failed = 0
    for webhook in webhooks:
        name = webhook_name(webhook.url)
        if event not in webhook.events:
            print(f"skipped {name}: does not take {event} (events: {', '.join(webhook.events)})")
            continue
        attempt = next(results)
        if attempt.delivered:
            print(f"ok {name} (HTTP {attempt.status})")
        else:
            failed += 1
            print(f"FAILED {name}: {attempt.error}")
    if not takers:
        raise MonitorError(f"{args.config}: no webhook takes {event}")
    return 1 if failed else 0


def add_notify_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``slawatch notify ...``."""
    notify = commands.add_parser("notify", help="check the webhooks notifications go to")
    actions = notify.add_subparsers(dest="notify_command", required=True, metavar="ACTION")

    test = actions.add_parser(
        "test",
        help="send one test notification to every webhook that takes the event",
        description="Send one test notification to every webhook that takes the event, once"
        " each (no retries), and print how each went. Exit 0 if every one took it, else 1.",
    )
    test.add_argument("--config", required=True, metavar="FILE")
    test.add_argument(
        "--event",
        default="outage_start",
        help=f"the event to send: {', '.join(NOTIFY_EVENTS)} (default: outage_start)",
    )
    test.add_argument(
        "--service", default="test", metavar="NAME", help="the service it names (default: test)"
    )
    test.set_defaults(handler=_cmd_test)
