"""Which events become notifications, with what words, and how often."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.clock import FakeClock
from monitor.config.settings import CheckRole, HttpCheck, NotifySettings
from monitor.daemon.alerts import Alerts
from monitor.daemon.webhooks import Notification, Notifier
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


@pytest.fixture
def notifier() -> Notifier:
    """A notifier with one webhook taking every event, never run: deliveries only queue."""
    settings = NotifySettings.model_validate({"webhooks": [{"url": "http://127.0.0.1:9/h"}]})
    return Notifier(settings, FakeClock(T0))


def certificate(day: float, days_left: float) -> ProbeResult:
    at = T0 + timedelta(days=day)
    return ProbeResult(
        HOME.id, "v1", at, 0.1, Outcome.UP, cert_expires_at=at + timedelta(days=days_left)
    )


def test_a_certificate_expiring_soon_is_announced_once_a_day(notifier: Notifier) -> None:
    """Within the warning days: one notification a day per check, not one per probe."""
    alerts = Alerts(notifier, "v1", cert_expiry_days=14)

    alerts.result(HOME, certificate(0, 30))
    assert notifier.depth == 0
    alerts.result(HOME, certificate(0, 13))
    alerts.result(HOME, certificate(0.1, 12.9))
    assert notifier.depth == 1
    alerts.result(HOME, certificate(1, 12))
    assert notifier.depth == 2
    alerts.result(HOME, ProbeResult(HOME.id, "v1", T0, 0.1, Outcome.UP))
    assert notifier.depth == 2


@pytest.mark.parametrize(
    ("old", "new", "queued"),
    [
        pytest.param(ServiceState.UP, ServiceState.DOWN, 1, id="outage-start"),
        pytest.param(ServiceState.DEGRADED, ServiceState.DOWN, 1, id="outage-start-degraded"),
        pytest.param(ServiceState.DOWN, ServiceState.UP, 1, id="outage-end"),
        pytest.param(ServiceState.DOWN, ServiceState.DEGRADED, 1, id="outage-end-degraded"),
        pytest.param(ServiceState.UP, ServiceState.DEGRADED, 0, id="degraded-is-no-outage"),
        pytest.param(ServiceState.UNKNOWN, ServiceState.UP, 0, id="first-up"),
    ],
)
def test_only_outages_starting_and_ending_notify(
    notifier: Notifier, old: ServiceState, new: ServiceState, queued: int
) -> None:
    """Degraded alone is reported, not announced."""
    Alerts(notifier, "v1", 14).service_changed("shop", old, new, T0)

    assert notifier.depth == queued


def test_a_breach_says_which_node_and_why(notifier: Notifier) -> None:
    """The breach notification names the node, when it failed and the reasons."""
    event = FailoverEvent(
        "shop", "node-a", T0, timedelta(seconds=30), timedelta(minutes=10), reasons=["x"]
    )
    sent: list[Notification] = []

    def submit(n: Notification) -> None:
        sent.append(n)

    notifier.submit = submit  # type: ignore[method-assign]

    Alerts(notifier, "v1", 14).failover_breached(event, T0 + timedelta(minutes=1))

    (notification,) = sent
    assert notification.event == "failover_breach"
    assert notification.summary == "node node-a failed at 2026-10-05T02:00:00Z: x"
    assert notification.details["reasons"] == ["x"]
