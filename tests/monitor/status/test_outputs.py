"""summary.json, the Atom feed and the badges, against the scenario; and what public output must
never show."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest

from monitor.config.settings import Settings
from monitor.status.badge import badge, percent, state_badge, window_badge
from monitor.status.build import build_public
from monitor.status.feed import ATOM_NS, feed
from monitor.status.model import ComponentStatus, PublicStatus
from monitor.status.statuspage import component_id, summary
from monitor.store.base import Store

from .conftest import fill_all, parse_xml
from .scenario import NOW, PRIVATE_WORDS

URL = "https://status.example.com/"
SVG = "{http://www.w3.org/2000/svg}"
A = f"{{{ATOM_NS}}}"
IDENT = re.compile(r"[a-z2-7]{12}")


@pytest.fixture
async def public(store: Store, config: Settings) -> PublicStatus:
    await fill_all(store, config)
    return await build_public(store, config, NOW)


@pytest.fixture
def body(public: PublicStatus) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(summary(public, url=URL)))
    return document


def test_summary_page(body: dict[str, Any]) -> None:
    page = body["page"]
    assert set(page) == {"id", "name", "url", "time_zone", "updated_at"}
    assert IDENT.fullmatch(page["id"])
    assert page["name"] == "Example <Status> & Co"
    assert page["url"] == URL
    assert page["time_zone"] == "Asia/Shanghai"
    assert page["updated_at"] == "2026-03-10T14:00:00Z"


def test_summary_components(body: dict[str, Any]) -> None:
    components = body["components"]
    assert [c["name"] for c in components] == ["api", "web", "shop", "docs"]
    assert [c["status"] for c in components] == [
        "major_outage",
        "partial_outage",
        "operational",
        "degraded_performance",
    ]
    assert [c["position"] for c in components] == [1, 2, 3, 4]
    assert [c["updated_at"] for c in components] == [
        "2026-03-10T13:15:00Z",  # down since
        "2026-03-10T12:00:00Z",  # degraded since
        "2026-03-06T19:00:00Z",  # up since the last maintenance ended
        "2026-03-10T13:30:00Z",  # not measured since
    ]
    page = body["page"]["id"]
    for component in components:
        assert set(component) == {
            "id",
            "name",
            "status",
            "created_at",
            "updated_at",
            "position",
            "description",
            "showcase",
            "start_date",
            "group_id",
            "page_id",
            "group",
            "only_show_if_degraded",
        }
        assert component["id"] == component_id(component["name"])
        assert IDENT.fullmatch(component["id"])
        assert component["created_at"] == "2026-02-28T16:00:00Z"  # 2026-03-01 00:00 local
        assert component["start_date"] == "2026-03-01"
        assert component["page_id"] == page
        assert component["description"] is None
        assert component["showcase"] is True
        assert component["group_id"] is None
        assert component["group"] is False
        assert component["only_show_if_degraded"] is False
    assert len({c["id"] for c in components}) == 4


def test_summary_incidents_are_the_unresolved_ones(
    body: dict[str, Any], public: PublicStatus
) -> None:
    (incident,) = body["incidents"]
    ongoing = public.incidents[0]
    assert incident["id"] == ongoing.id
    assert incident["name"] == "api is down"
    assert incident["status"] == "investigating"
    assert incident["impact"] == "critical"
    for key in ("created_at", "updated_at", "started_at"):
        assert incident[key] == "2026-03-10T13:15:00Z", key
    assert incident["resolved_at"] is None
    assert incident["monitoring_at"] is None
    assert incident["shortlink"] == f"{URL}#incident-{ongoing.id}"
    assert incident["page_id"] == body["page"]["id"]
    assert incident["components"] == [body["components"][0]]
    (update,) = incident["incident_updates"]
    assert update["status"] == "investigating"
    assert update["incident_id"] == ongoing.id
    assert update["display_at"] == update["created_at"] == "2026-03-10T13:15:00Z"
    assert "2026-03-10T13:15:00Z" in update["body"]
    assert update["affected_components"] == [
        {
            "code": component_id("api"),
            "name": "api",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]


def test_summary_maintenances_are_the_ones_to_come(body: dict[str, Any]) -> None:
    (maintenance,) = body["scheduled_maintenances"]
    assert maintenance["name"] == "Maintenance of shop"
    assert maintenance["status"] == "scheduled"
    assert maintenance["impact"] == "maintenance"
    assert maintenance["scheduled_for"] == "2026-03-11T14:00:00Z"
    assert maintenance["scheduled_until"] == "2026-03-11T16:00:00Z"
    assert maintenance["created_at"] == "2026-03-07T14:00:00Z"  # announced
    assert maintenance["components"] == [body["components"][2]]
    assert maintenance["incident_updates"][0]["status"] == "scheduled"


async def test_summary_of_a_maintenance_in_progress(store: Store, config: Settings) -> None:
    during = await build_public(store, config, NOW + timedelta(days=1, hours=1))
    body = summary(during, url=None)
    (maintenance,) = body["scheduled_maintenances"]
    assert maintenance["status"] == "in_progress"
    assert "shortlink" not in maintenance
    assert body["page"]["url"] is None
    assert body["components"][2]["status"] == "under_maintenance"


def test_summary_status(body: dict[str, Any]) -> None:
    assert body["status"] == {"indicator": "critical", "description": "Major System Outage"}


@pytest.mark.parametrize(
    ("worst", "indicator"),
    [
        (ComponentStatus.OPERATIONAL, "none"),
        (ComponentStatus.UNDER_MAINTENANCE, "none"),
        (ComponentStatus.DEGRADED_PERFORMANCE, "minor"),
        (ComponentStatus.PARTIAL_OUTAGE, "major"),
        (ComponentStatus.MAJOR_OUTAGE, "critical"),
    ],
)
def test_the_indicator_follows_the_worst_state(
    public: PublicStatus, worst: ComponentStatus, indicator: str
) -> None:
    import dataclasses  # noqa: PLC0415

    one = dataclasses.replace(
        public,
        services=(dataclasses.replace(public.services[0], status=worst),),
        incidents=(),
        maintenances=(),
    )
    assert summary(one)["status"]["indicator"] == indicator


def test_the_feed_parses_and_lists_every_incident(public: PublicStatus) -> None:
    root = parse_xml(feed(public, url=URL))
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}title") == "Example <Status> & Co: incidents"
    assert root.findtext(f"{A}updated") == "2026-03-10T13:15:00Z"
    assert (root.findtext(f"{A}id") or "").startswith("urn:uuid:")
    assert root.findtext(f"{A}author/{A}name") == "Example <Status> & Co"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links == {"alternate": URL, "self": f"{URL}feed.atom"}
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == [
        "api is down",
        "api was down for 30 min",
    ]
    assert [e.findtext(f"{A}updated") for e in entries] == [
        "2026-03-10T13:15:00Z",
        "2026-03-05T02:30:00Z",
    ]
    assert [e.findtext(f"{A}published") for e in entries] == [
        "2026-03-10T13:15:00Z",
        "2026-03-05T02:00:00Z",
    ]
    ids = [e.findtext(f"{A}id") or "" for e in entries]
    assert all(i.startswith("urn:uuid:") for i in ids)
    assert len(set(ids)) == 2
    content = entries[1].find(f"{A}content")
    assert content is not None
    assert content.get("type") == "text"
    assert content.text == (
        "api was measured down from 2026-03-05T02:00:00Z to 2026-03-05T02:30:00Z (30 min)."
    )
    link = entries[0].find(f"{A}link")
    assert link is not None
    assert link.get("href") == f"{URL}#incident-{public.incidents[0].id}"


def test_feed_ids_stay_when_the_outage_ends(public: PublicStatus) -> None:
    import dataclasses  # noqa: PLC0415

    ended = dataclasses.replace(
        public,
        incidents=(dataclasses.replace(public.incidents[0], end=NOW),),
    )
    first = parse_xml(feed(public)).find(f"{A}entry")
    then = parse_xml(feed(ended)).find(f"{A}entry")
    assert first is not None
    assert then is not None
    assert first.findtext(f"{A}id") == then.findtext(f"{A}id")
    assert then.findtext(f"{A}updated") == "2026-03-10T14:00:00Z"


def test_the_feed_drops_what_xml_cannot_carry(public: PublicStatus) -> None:
    import dataclasses  # noqa: PLC0415

    odd = dataclasses.replace(public, title="A\x00B\x1b<C>&")
    root = parse_xml(feed(odd))
    assert root.findtext(f"{A}title") == "AB<C>&: incidents"


def parse_badge(svg: bytes) -> tuple[ET.Element, str, list[str]]:
    root = parse_xml(svg)
    title = root.findtext(f"{SVG}title") or ""
    texts = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("aria-hidden") != "true"]
    return root, title, texts


@pytest.mark.parametrize(
    ("name", "words", "colour"),
    [
        ("api", "major outage", "#e05d44"),
        ("web", "partial outage", "#fe7d37"),
        ("shop", "operational", "#4c1"),
        ("docs", "not measured", "#9f9f9f"),
    ],
)
def test_state_badges_say_the_state_in_words(
    public: PublicStatus, name: str, words: str, colour: str
) -> None:
    service = next(s for s in public.services if s.name == name)
    root, title, texts = parse_badge(state_badge(service))
    assert title == f"{name}: {words}"
    assert root.get("aria-label") == f"{name}: {words}"
    assert root.get("role") == "img"
    assert texts == [name, words]
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert colour in fills


def test_window_badges_say_the_availability(public: PublicStatus) -> None:
    api = public.services[0]
    _, title, texts = parse_badge(window_badge(api, "7d"))
    # 75 minutes down in 6 days 22 hours measured: 99.2487...%, cut to 99.24%.
    assert percent(1 - Fraction(75, (6 * 24 + 22) * 60)) == "99.24%"
    assert texts == ["api 7d", "99.24%"]
    assert title == "api 7d: 99.24%"
    shop = public.services[2]
    assert parse_badge(window_badge(shop, "30d"))[2] == ["shop 30d", "100%"]
    with pytest.raises(KeyError):
        window_badge(api, "1y")


def test_percent_is_cut_never_rounded_up() -> None:
    assert percent(Fraction(99_996, 100_000)) == "99.99%"
    assert percent(Fraction(999_999, 1_000_000)) == "99.99%"
    assert percent(Fraction(1)) == "100%"
    assert percent(Fraction(5, 100)) == "5.00%"
    assert percent(Fraction(0)) == "0.00%"


def test_badge_text_is_escaped() -> None:
    root, title, texts = parse_badge(badge('<a href="x">&', "v'\"", "#123"))
    assert title == '<a href="x">&: v\'"'
    assert texts == ['<a href="x">&', "v'\""]
    assert root.get("aria-label") == title


def test_the_badge_grows_with_its_text() -> None:
    short = parse_xml(badge("a", "up", "#4c1"))
    long = parse_xml(badge("a-much-longer-service-name", "partial outage", "#4c1"))
    assert int(long.get("width") or 0) > int(short.get("width") or 0) + 100


async def test_no_public_output_names_money_vantages_or_check_urls(
    public: PublicStatus,
) -> None:
    """summary.json, the feed and every badge, searched for the scenario's private words."""
    outputs = [
        json.dumps(summary(public, url=URL)),
        feed(public, url=URL).decode(),
        *(state_badge(s).decode() for s in public.services),
        *(window_badge(s, w.key).decode() for s in public.services for w in s.windows),
    ]
    for output in outputs:
        for word in PRIVATE_WORDS:
            assert word not in output, (word, output[:200])
    # The values themselves: no vantage votes, no checks, no money.
    assert all(s.vantages == () and s.checks == () for s in public.services)
