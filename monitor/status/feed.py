"""The incidents as an Atom 1.0 feed (RFC 4287), newest first, for feed readers and chat bots.

Each outage is one entry: its id a ``urn:uuid`` derived from the incident's id (so it stays the
same entry while the outage goes on and after it ends), ``published`` its start, ``updated`` its
end (its start while it goes on), the title saying whether it goes on, and the content what was
measured, as plain text. The feed's ``updated`` is its newest entry's (the build time when there
is none), so that a reader polling it sees a change only when an incident does. Built with
:mod:`xml.etree.ElementTree`: every text is escaped, and characters XML cannot carry are dropped.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from typing import Final
from urllib.parse import urljoin

from ..durations import format_duration
from ..timefmt import format_instant
from .model import Incident, PublicStatus

__all__ = ["ATOM_NS", "feed", "feed_id"]

ATOM_NS: Final = "http://www.w3.org/2005/Atom"
#: What XML 1.0 cannot carry, even escaped.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NAMESPACE: Final = uuid.UUID("5d1b3f0e-7a53-4f0c-9d54-2f6d0b8a1c7e")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, chr(31).join(parts))}"


def feed_id(status: PublicStatus, url: str | None) -> str:
    """The feed's id: derived from the page's title and address."""
    return _urn("feed", status.title, url or "")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = _text(text)
    return element


def _entry(root: ET.Element, incident: Incident, url: str | None) -> None:
    entry = _sub(root, "entry")
    start = format_instant(incident.start)
    _sub(entry, "id", _urn("incident", incident.id))
    if incident.end is None:
        title = f"{incident.service} is down"
        body = f"{incident.service} has been measured down since {start}, and still is."
    else:
        lasted = format_duration(incident.end - incident.start)
        title = f"{incident.service} was down for {lasted}"
        body = (
            f"{incident.service} was measured down from {start} to "
            f"{format_instant(incident.end)} ({lasted})."
        )
    if incident.unconfirmed:
        body += " Part of it is not confirmed by an independent reference."
    _sub(entry, "title", title)
    _sub(entry, "published", start)
    _sub(entry, "updated", format_instant(incident.end or incident.start))
    if url is not None:
        _sub(entry, "link", rel="alternate", type="text/html", href=f"{url}#incident-{incident.id}")
    _sub(entry, "category", term="outage")
    _sub(entry, "content", body, type="text")


def feed(status: PublicStatus, *, url: str | None = None) -> bytes:
    """The feed's document, UTF-8; ``url`` is where the page is published."""
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(root, "id", feed_id(status, url))
    _sub(root, "title", f"{status.title}: incidents")
    newest = max((i.end or i.start for i in status.incidents), default=status.generated_at)
    _sub(root, "updated", format_instant(newest))
    author = _sub(root, "author")
    _sub(author, "name", status.title)
    _sub(root, "generator", "slawatch")
    if url is not None:
        _sub(root, "link", rel="alternate", type="text/html", href=url)
        self_link = urljoin(url, "feed.atom")
        _sub(root, "link", rel="self", type="application/atom+xml", href=self_link)
    for incident in status.incidents:
        _entry(root, incident, url)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
