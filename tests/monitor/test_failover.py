"""Failover events judged against C4's promise, from scripted results and state changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.config.settings import ServiceConfig
from monitor.evidence import IntervalChange, IntervalKind, IntervalOpen, IntervalRecord
from monitor.failover import FailoverEvent, FailoverTracker, node_address
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck
from monitor.state import CheckState

T0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)

SERVICE = ServiceConfig.model_validate(
    {
        "name": "shop",
        "contract": "c",
        "frontend": [{"name": "home", "type": "http", "url": "http://shop.example/"}],
        "nodes": [
            {"name": "node-a", "type": "http", "url": "http://192.0.2.11:8080/"},
            {"name": "node-b", "type": "tcp", "host": "192.0.2.12", "port": 8080},
        ],
        "dns": {"name": "shop.example"},
        "failover": {"max_frontend_outage": "30s", "restore_within": "10m"},
    }
)
CHECKS = {
    spec.name: ScheduledCheck(f"shop/{spec.name}", "shop", role, spec)
    for role, spec in SERVICE.checks()
}
HOME, NODE_A, NODE_B, DNS = (CHECKS[n] for n in ("home", "node-a", "node-b", "dns"))


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Journal:
    """Interval changes, kept in a list."""

    def __init__(self) -> None:
        self.changes: list[IntervalChange] = []

    def submit_interval(self, change: IntervalChange) -> None:
        self.changes.append(change)

    @property
    def events(self) -> list[IntervalRecord]:
        return [c.record for c in self.changes if isinstance(c, IntervalOpen)]


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def heard() -> list[tuple[str, str, datetime]]:
    return []


@pytest.fixture
def tracker(journal: Journal, heard: list[tuple[str, str, datetime]]) -> FailoverTracker:
    """Following the shop, both nodes up."""

    def note(kind: str, event: FailoverEvent, at: datetime) -> None:
        heard.append((kind, event.node, at))

    made = FailoverTracker(journal, "v1", on_event=note)
    made.set_services([SERVICE], CHECKS.values())
    made.check_changed(NODE_A, CheckState.UP, t(-60))
    made.check_changed(NODE_B, CheckState.UP, t(-60))
    return made


def probe(check: ScheduledCheck, seconds: float, up: bool = True, **fields: Any) -> ProbeResult:
    outcome = Outcome.UP if up else Outcome.HTTP_STATUS
    return ProbeResult(check.id, "v1", t(seconds), 0.01, outcome, **fields)


def answer(seconds: float, *addresses: str, ttl: int = 30) -> ProbeResult:
    return probe(DNS, seconds, detail=f"{len(addresses)} answers, ttl {ttl}s", answers=addresses)


def test_a_node_that_recovers_with_the_frontend_serving_is_kept(
    tracker: FailoverTracker, journal: Journal
) -> None:
    """The load balancer routed around the node: no frontend failure, capacity back in 4 min."""
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    assert tracker.nodes_up("shop") == 1
    for second in range(10, 240, 10):
        tracker.observe(HOME, probe(HOME, second))
    tracker.check_changed(NODE_A, CheckState.UP, t(240))

    (event,) = journal.events
    assert (event.kind, event.subject, event.start, event.end) == (
        IntervalKind.FAILOVER,
        "shop/node-a",
        t(0),
        t(240),
    )
    assert event.detail["verdict"] == "kept"
    assert event.detail["frontend_probes"] == 23
    assert event.detail["frontend_failures"] == 0
    assert event.detail["frontend_clean_after_seconds"] == 0.0
    assert event.detail["capacity_back_after_seconds"] == 240.0
    assert event.detail["capacity_back_by"] == "node recovered"


def test_frontend_errors_until_the_balancer_takes_the_node_out(
    tracker: FailoverTracker, journal: Journal
) -> None:
    """Requests sent to the dead node fail until the local balancer drops it: the time until the
    frontend served cleanly again is recorded, and a 10 s outage stays within 30 s: kept."""
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    for second, up in ((2, False), (4, True), (6, False), (8, False), (12, True), (14, True)):
        tracker.observe(HOME, probe(HOME, second, up))
    tracker.service_changed("shop", True, t(6))
    tracker.service_changed("shop", False, t(12))
    tracker.observe(HOME, probe(HOME, 20))
    tracker.check_changed(NODE_A, CheckState.UP, t(100))

    detail = journal.events[0].detail
    assert detail["frontend_failures"] == 3
    assert detail["frontend_clean_after_seconds"] == 12.0
    assert detail["frontend_outage_seconds"] == 6.0
    assert detail["verdict"] == "kept"


def test_a_long_frontend_outage_breaches_as_soon_as_it_is_certain(
    tracker: FailoverTracker, journal: Journal, heard: list[tuple[str, str, datetime]]
) -> None:
    """Down 40 s at a stretch (30 s allowed): the breach is announced when the 30 s pass, once,
    and the closed event says why."""
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.service_changed("shop", True, t(5))
    for second in range(7, 45, 2):
        tracker.observe(HOME, probe(HOME, second, up=False))
    tracker.service_changed("shop", False, t(45))
    tracker.check_changed(NODE_A, CheckState.UP, t(60))

    assert heard[0] == ("breached", "node-a", t(37))
    assert [k for k, _, _ in heard] == ["breached", "closed"]
    detail = journal.events[0].detail
    assert detail["verdict"] == "breached"
    assert detail["reasons"] == ["frontend down 40s at a stretch (at most 30s)"]
    assert detail["frontend_longest_outage_seconds"] == 40.0


def test_capacity_not_back_in_time_breaches(
    tracker: FailoverTracker, journal: Journal, heard: list[tuple[str, str, datetime]]
) -> None:
    """Ten minutes pass without the node or a replacement: breached then, closed when it is back."""
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.observe(HOME, probe(HOME, 590))
    assert heard == []
    tracker.observe(HOME, probe(HOME, 610))
    assert heard == [("breached", "node-a", t(610))]
    tracker.check_changed(NODE_A, CheckState.UP, t(900))

    detail = journal.events[0].detail
    assert detail["verdict"] == "breached"
    assert detail["reasons"] == ["capacity not back within 600s"]
    assert detail["capacity_back_after_seconds"] == 900.0


def test_every_node_down_is_not_a_failover(tracker: FailoverTracker, journal: Journal) -> None:
    """With no node left the service simply fails: no event for that time. Once node-a is back,
    node-b (still down) fails over from then on."""
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.check_changed(NODE_B, CheckState.DOWN, t(3))
    assert tracker.open_events == []
    tracker.check_changed(NODE_A, CheckState.UP, t(100))
    tracker.observe(NODE_B, probe(NODE_B, 110, up=False))
    tracker.check_changed(NODE_B, CheckState.UP, t(130))

    (event,) = journal.events
    assert (event.subject, event.start, event.end) == ("shop/node-b", t(100), t(130))
    assert tracker.open_events == []


def test_nodes_restarted_together_are_no_failover(
    tracker: FailoverTracker, journal: Journal
) -> None:
    """After every node was down, one that recovers a probe after the other is no event."""
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.check_changed(NODE_B, CheckState.DOWN, t(3))
    tracker.check_changed(NODE_A, CheckState.UP, t(100))
    tracker.observe(NODE_B, probe(NODE_B, 100.5))
    tracker.check_changed(NODE_B, CheckState.UP, t(100.5))

    assert journal.events == []
    assert tracker.open_events == []


def test_a_breached_event_is_kept_when_every_node_then_fails(
    tracker: FailoverTracker, journal: Journal
) -> None:
    """A breach already certain is evidence: stored, with the whole-service failure noted."""
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.observe(HOME, probe(HOME, 700))
    tracker.check_changed(NODE_B, CheckState.DOWN, t(800))

    (event,) = journal.events
    assert event.end == t(800)
    assert event.detail["reasons"] == [
        "capacity not back within 600s (still missing)",
        "then every node failed",
    ]


def test_frontend_failures_before_the_node_is_confirmed_count(
    tracker: FailoverTracker, journal: Journal
) -> None:
    """The node's first failure is at 0 and it is confirmed at 4: the frontend's failure at 1
    (a request the balancer sent to it) belongs to the event."""
    tracker.observe(HOME, probe(HOME, -2))
    tracker.observe(HOME, probe(HOME, 1, up=False))
    tracker.observe(HOME, probe(HOME, 3))
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.check_changed(NODE_A, CheckState.UP, t(60))

    detail = journal.events[0].detail
    assert (detail["frontend_probes"], detail["frontend_failures"]) == (2, 1)
    assert detail["frontend_clean_after_seconds"] == 3.0


def test_a_node_dns_never_handed_out_is_not_removed_from_it(
    tracker: FailoverTracker, journal: Journal
) -> None:
    """A node by a private address behind a public name: no DNS removal to report."""
    tracker.observe(DNS, answer(-5, "198.51.100.7"))
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.observe(DNS, answer(30, "198.51.100.7"))
    tracker.check_changed(NODE_A, CheckState.UP, t(40))

    assert journal.events[0].detail["dns"]["in_answer_at_start"] is False
    assert journal.events[0].detail["dns"]["removed_after_seconds"] is None


def test_a_rotating_answer_is_not_new_capacity(tracker: FailoverTracker, journal: Journal) -> None:
    """An answer that hands out a subset of the known addresses in turn brings nothing new."""
    tracker.observe(DNS, answer(-20, "192.0.2.11", "192.0.2.12"))
    tracker.observe(DNS, answer(-10, "192.0.2.12", "192.0.2.14"))
    tracker.observe(DNS, answer(-5, "192.0.2.11", "192.0.2.12"))
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.observe(DNS, answer(30, "192.0.2.12", "192.0.2.14"))

    assert journal.events == []
    assert len(tracker.open_events) == 1


def test_dns_stops_handing_out_the_node_and_a_new_address_joins(
    tracker: FailoverTracker, journal: Journal
) -> None:
    """The global balancer drops the node's address (recorded against the TTL), then a new node
    joins the answer: capacity is back, the event closes."""
    tracker.observe(DNS, answer(-5, "192.0.2.11", "192.0.2.12", ttl=60))
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.observe(DNS, answer(30, "192.0.2.11", "192.0.2.12", ttl=60))
    tracker.observe(DNS, answer(60, "192.0.2.12", ttl=60))
    tracker.observe(DNS, answer(90, "192.0.2.12", "192.0.2.13", ttl=60))

    (event,) = journal.events
    assert event.end == t(90)
    assert event.detail["dns"] == {
        "address": "192.0.2.11",
        "in_answer_at_start": True,
        "removed_after_seconds": 60.0,
        "ttl_seconds": 60,
    }
    assert event.detail["capacity_back_by"] == "new address 192.0.2.13 in DNS"


def test_a_failed_probe_of_dns_is_not_an_answer(tracker: FailoverTracker, journal: Journal) -> None:
    """A DNS timeout says nothing about the answer set: the node is not taken as removed."""
    tracker.observe(DNS, answer(-5, "192.0.2.11", "192.0.2.12"))
    tracker.check_changed(NODE_A, CheckState.DOWN, t(0))
    tracker.observe(DNS, probe(DNS, 30, up=False))
    tracker.check_changed(NODE_A, CheckState.UP, t(40))

    assert journal.events[0].detail["dns"]["removed_after_seconds"] is None


@pytest.mark.parametrize(
    ("name", "address"),
    [("node-a", "192.0.2.11"), ("node-b", "192.0.2.12"), ("home", None)],
)
def test_node_addresses_come_from_their_checks(name: str, address: str | None) -> None:
    """An IP literal in the URL or TCP host is the address; a host name is none."""
    assert node_address(CHECKS[name]) == address


def test_frontend_and_other_roles_never_open_events(
    tracker: FailoverTracker, journal: Journal
) -> None:
    """Only a node's failure is a failover."""
    tracker.check_changed(HOME, CheckState.DOWN, t(0))
    tracker.check_changed(DNS, CheckState.DOWN, t(0))

    assert tracker.open_events == []
    assert journal.events == []
