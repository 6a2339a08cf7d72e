"""Exclusions, managed: periods a service's downtime does not count (C5, C6), with who and why.

One way in for the CLI (``slawatch exclude``) and the JSON API (``/api/exclusions``): input is
validated here (the service exists, the period is a real interval, the reason is one CREDIT-RULES.md
knows, a note says why), then stored. Nothing is ever deleted: revoking marks the exclusion with
who revoked it, when and why, and the report shows both. A maintenance announced in advance can
be entered before it starts; whether it counts (announced early enough, and for how long) is the
credit engine's decision, from the contract (C6), and the report says which.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from sla import ExclusionReason

from ..config.fields import Instant
from ..config.settings import Settings
from ..evidence import ExclusionRecord
from ..store.base import Store
from ..timefmt import format_instant
from .common import Revocation, Text, check_author, check_service

__all__ = [
    "NewExclusion",
    "add_exclusion",
    "exclusion_to_json",
    "revoke_exclusion",
]


class NewExclusion(BaseModel):
    """What a person enters to exclude a period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str
    start: Instant
    end: Instant
    reason: ExclusionReason
    note: Text
    announced_at: Instant | None = None

    @model_validator(mode="after")
    def _ordered(self) -> NewExclusion:
        if self.end <= self.start:
            raise ValueError(f"end: {format_instant(self.end)} is not after start")
        return self


async def add_exclusion(
    store: Store, settings: Settings, entry: NewExclusion, *, by: str, now: datetime
) -> ExclusionRecord:
    """Store ``entry`` for a configured service, recorded as added by ``by`` at ``now``."""
    check_service(settings, entry.service)
    check_author(by)
    record = ExclusionRecord(
        service=entry.service,
        start=entry.start,
        end=entry.end,
        reason=entry.reason.value,
        note=entry.note,
        added_by=by,
        added_at=now,
        announced_at=entry.announced_at,
    )
    ident = await store.add_exclusion(record)
    return dataclasses.replace(record, id=ident)


async def revoke_exclusion(
    store: Store, exclusion_id: int, revocation: Revocation, *, by: str, now: datetime
) -> ExclusionRecord:
    """Withdraw an exclusion: it stays, marked with who, when and why."""
    check_author(by)
    return await store.revoke_exclusion(exclusion_id, by=by, at=now, note=revocation.note)


def exclusion_to_json(record: ExclusionRecord) -> dict[str, Any]:
    """The exclusion as JSON: instants in RFC 3339 UTC, ``revoked`` null while in force."""

    def instant(value: datetime | None) -> str | None:
        return None if value is None else format_instant(value)

    return {
        "id": record.id,
        "service": record.service,
        "start": format_instant(record.start),
        "end": format_instant(record.end),
        "reason": record.reason,
        "announced_at": instant(record.announced_at),
        "note": record.note,
        "added_by": record.added_by,
        "added_at": format_instant(record.added_at),
        "revoked": None
        if record.revoked_at is None
        else {
            "at": instant(record.revoked_at),
            "by": record.revoked_by,
            "note": record.revoke_note,
        },
    }
