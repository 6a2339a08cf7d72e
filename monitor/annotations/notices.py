"""Provider notices: when the provider told the customer of an outage, matched to the outages.

C4 promises that "when the whole cloud service failure occurs, the company will immediately
notify the customer". Whether it did is a fact only the customer holds (a mail, a status-page
entry, a call), so people record it here, with a reference to where it is written: through the
CLI (``slawatch notice``) or the JSON API (``/api/notices``). Input is validated here (the
service exists, the notice is not in the future, a reference says where it is), then stored.
Nothing is ever deleted: a notice entered by mistake is revoked, marked with who, when and why,
and then answers no outage.

Notices change no credit (C1 and C2 do not depend on them). The report matches them to the
measured outages (:func:`match_notices`, a pure function) to show how long each notice took and
which outages were never notified.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, StringConstraints

from sla import Interval

from ..config.fields import Instant
from ..config.settings import Settings
from ..errors import InputError
from ..evidence import NoticeRecord
from ..store.base import Store
from ..timefmt import format_instant
from .common import Revocation, check_author, check_service

__all__ = [
    "CLOCK_SKEW",
    "NOTICE_EARLY",
    "NOTICE_WITHIN",
    "NewNotice",
    "add_notice",
    "assign_notices",
    "last_notice_at",
    "match_notices",
    "notice_to_json",
    "revoke_notice",
]

#: A notice may come this long before the outage's measured start and still answer it: the
#: provider's clocks, and its own monitoring, may see the failure a little before ours confirms it.
NOTICE_EARLY: Final = timedelta(minutes=15)
#: A notice later than this after the outage's end answers no outage: it is about something else.
NOTICE_WITHIN: Final = timedelta(hours=24)
#: How far ahead of this machine's clock a notice may be dated (the other machine's clock skew).
CLOCK_SKEW: Final = timedelta(minutes=1)

_Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class NewNotice(BaseModel):
    """What a person enters to record a provider's notice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str
    at: Instant
    #: Where the notice is written: a ticket, a URL, a quote.
    ref: _Ref


async def add_notice(
    store: Store, settings: Settings, entry: NewNotice, *, by: str, now: datetime
) -> NoticeRecord:
    """Store ``entry`` for a configured service, recorded as added by ``by`` at ``now``.

    A notice dated after ``now`` (beyond :data:`CLOCK_SKEW`) has not been given yet: refused.
    """
    check_service(settings, entry.service)
    if entry.at > now + CLOCK_SKEW:
        raise InputError(
            f"at: {format_instant(entry.at)} is in the future (now {format_instant(now)}):"
            " record a notice once it has been given"
        )
    check_author(by)
    record = NoticeRecord(
        service=entry.service, at=entry.at, ref=entry.ref, added_by=by, added_at=now
    )
    ident = await store.add_notice(record)
    return dataclasses.replace(record, id=ident)


async def revoke_notice(
    store: Store, notice_id: int, revocation: Revocation, *, by: str, now: datetime
) -> NoticeRecord:
    """Withdraw a notice entered by mistake: it stays, marked with who, when and why."""
    check_author(by)
    return await store.revoke_notice(notice_id, by=by, at=now, note=revocation.note)


async def last_notice_at(store: Store, service: str) -> datetime | None:
    """When the provider last notified the customer about ``service`` (revoked notices do not
    count), or None if it never did."""
    # A service has a handful of notices a month: reading them all is cheaper than an index.
    given = [n.at for n in await store.notices(service=service) if n.revoked_at is None]
    return max(given, default=None)


def assign_notices(
    outages: Sequence[Interval], notices: Sequence[NoticeRecord]
) -> list[int | None]:
    """For each notice, the index in ``outages`` of the outage it answers, or None.

    A notice answers the latest outage that started before it, allowing the provider to be up
    to :data:`NOTICE_EARLY` ahead of the measured start, provided it came within
    :data:`NOTICE_WITHIN` of that outage's end. So outage ``i`` is answered by the notices with

        outage[i].start - 15 min <= notice.at < min(outage[i + 1].start - 15 min,
                                                    outage[i].end + 24 h)

    and every notice answers at most one outage. A revoked notice answers none. ``outages`` are
    disjoint (as a case's are), in any order.
    """
    order = sorted(range(len(outages)), key=lambda i: outages[i].start)
    opens = [outages[i].start - NOTICE_EARLY for i in order]
    found: list[int | None] = []
    for notice in notices:
        latest = bisect.bisect_right(opens, notice.at) - 1
        if notice.revoked_at is not None or latest < 0:
            found.append(None)
            continue
        index = order[latest]
        found.append(index if notice.at < outages[index].end + NOTICE_WITHIN else None)
    return found


def match_notices(
    outages: Sequence[Interval], notices: Sequence[NoticeRecord]
) -> list[NoticeRecord | None]:
    """For each outage, the earliest notice that answers it (see :func:`assign_notices`), or
    None when it was never notified (C4).

    Time to notice is ``notice.at - outage.start``; it may be slightly negative when the
    provider announced the failure before our vantages confirmed it.
    """
    first: list[NoticeRecord | None] = [None] * len(outages)
    for notice, index in zip(notices, assign_notices(outages, notices), strict=True):
        if index is None:
            continue
        earlier = first[index]
        # On a tie the one given first wins: the store lists notices by time, then id.
        if earlier is None or notice.at < earlier.at:
            first[index] = notice
    return first


def notice_to_json(record: NoticeRecord) -> dict[str, Any]:
    """The notice as JSON: instants in RFC 3339 UTC, ``revoked`` null while it stands."""
    return {
        "id": record.id,
        "service": record.service,
        "at": format_instant(record.at),
        "ref": record.ref,
        "added_by": record.added_by,
        "added_at": format_instant(record.added_at),
        "revoked": None
        if record.revoked_at is None
        else {
            "at": format_instant(record.revoked_at),
            "by": record.revoked_by,
            "note": record.revoke_note,
        },
    }
