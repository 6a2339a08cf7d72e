"""Which events become notifications, with what words, and how often."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config.settings import CheckRole, HttpCheck
from monitor.daemon.alerts import Alerts
from monitor.daemon.webhooks import Notification
from monitor.failover import FailoverEvent
from monitor.results import Outcome, ProbeResult
from monitor.scheduler import ScheduledCheck
from monitor.state import ServiceState

T0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
HOME = ScheduledCheck(
    "shop/home",
    "shop",
    CheckRole.FRONTEND,
    HttpCheck(name="home", type="http", url="https://127.0.0.1:9/"),
)


def certificate(day: float, days_left: float) -> ProbeResult:
    at = T0 + timedelta(days=day)
    return ProbeResult(
        HOME.id, "v1", at, 0.1, Outcome.UP, cert_expires_at=at + timedelta(days=days_left)
    )


def test_a_certificate_expiring_soon_is_announced_once_a_day() -> None:
    """Within the warning days: one notification a day per check, not one per probe."""
    sent: list[Notification] = []
    alerts = Alerts(sent.append, "v1", cert_expiry_days=14)

    alerts.result(HOME, certificate(0, 30))
    assert sent == []
    alerts.result(HOME, certificate(0, 13))
    alerts.result(HOME, certificate(0.1, 12.9))
    assert len(sent) == 1
    alerts.result(HOME, certificate(1, 12))
    assert len(sent) == 2
    alerts.result(HOME, ProbeResult(HOME.id, "v1", T0, 0.1, Outcome.UP))
    assert [(n.event, n.service, n.at, n.vantage) for n in sent] == [
        ("cert_expiry", "shop", T0, "v1"),
        ("cert_expiry", "shop", T0 + timedelta(days=1), "v1"),
    ]
    assert sent[0].summary == (
        "the certificate of home expires 2026-10-18T02:00:00Z (13 days left)"
    )


@pytest.mark.parametrize(
    ("old", "new", "events"),
    [
        pytest.param(ServiceState.UP, ServiceState.DOWN, ["outage_start"], id="outage-start"),
        pytest.param(
            ServiceState.DEGRADED, ServiceState.DOWN, ["outage_start"], id="outage-start-degraded"
        ),
        pytest.param(ServiceState.DOWN, ServiceState.UP, ["outage_end"], id="outage-end"),
        pytest.param(
            ServiceState.DOWN, ServiceState.DEGRADED, ["outage_end"], id="outage-end-degraded"
        ),
        pytest.param(ServiceState.UP, ServiceState.DEGRADED, [], id="degraded-is-no-outage"),
        pytest.param(ServiceState.UNKNOWN, ServiceState.UP, [], id="first-up"),
    ],
)
def test_only_outages_starting_and_ending_notify(
    old: ServiceState, new: ServiceState, events: list[str]
) -> None:
    """Degraded alone is reported, not announced."""
    sent: list[Notification] = []

    Alerts(sent.append, "v1", 14).service_changed("shop", old, new, T0)

    assert [n.event for n in sent] == events


def test_a_breach_says_which_node_and_why() -> None:
    """The breach notification names the node, when it failed and the reasons."""
    event = FailoverEvent(
        "shop", "node-a", T0, timedelta(seconds=30), timedelta(minutes=10), reasons=["x"]
    )
    sent: list[Notification] = []

    Alerts(sent.append, "v1", 14).failover_breached(event, T0 + timedelta(minutes=1))

    (notification,) = sent
    assert notification.event == "failover_breach"
    assert notification.summary == "node node-a failed at 2026-10-05T02:00:00Z: x"
    assert notification.details["reasons"] == ["x"]
