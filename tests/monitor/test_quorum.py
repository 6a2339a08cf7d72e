"""The vantages' quorum: who votes, how votes combine, and the views read from a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config.settings import Quorum, ServiceConfig
from monitor.evidence import IntervalKind, IntervalRecord
from monitor.quorum import (
    VANTAGE_STALE,
    VantageView,
    decide,
    judge_services,
    load_views,
    required,
    service_verdict,
)
from monitor.results import Outcome, ProbeResult
from monitor.store.base import Store
from monitor.store.sqlite import SQLiteStore
from sla import Interval, normalize

T0 = datetime(2026, 10, 5, 0, 0, tzinfo=UTC)


def t(minutes: float) -> datetime:
    """``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)


def spans(*pairs: tuple[float, float]) -> tuple[Interval, ...]:
    """Minute offsets as a normalised interval set."""
    return normalize(Interval(t(a), t(b)) for a, b in pairs)


WINDOW = Interval(t(0), t(100))


@pytest.mark.parametrize(
    ("rule", "voters", "needed"),
    [
        pytest.param("majority", 1, 1, id="majority-of-1"),
        pytest.param("majority", 2, 2, id="majority-of-2"),
        pytest.param("majority", 3, 2, id="majority-of-3"),
        pytest.param("majority", 4, 3, id="majority-of-4"),
        pytest.param("all", 3, 3, id="all"),
        pytest.param("any", 3, 1, id="any"),
        pytest.param(2, 3, 2, id="number"),
        pytest.param(2, 1, 1, id="number-capped-by-voters"),
    ],
)
def test_required_votes(rule: Quorum, voters: int, needed: int) -> None:
    """How many down votes each rule needs among the vantages with data."""
    assert required(rule, voters) == needed


def test_required_needs_a_voter() -> None:
    """Nobody with data cannot decide anything."""
    with pytest.raises(ValueError, match="voters"):
        required("majority", 0)


def view(name: str, measured: tuple[Interval, ...], down: tuple[Interval, ...]) -> VantageView:
    """One vantage's view."""
    return VantageView(name, measured, down)


def test_one_vantage_down_and_one_up_is_no_outage_under_majority() -> None:
    """Two vantages with data need two down votes: one alone (its own network) is not enough."""
    verdict = decide(
        [view("a", spans((0, 100)), spans((10, 20))), view("b", spans((0, 100)), ())],
        "majority",
        WINDOW,
    )

    assert verdict.outage == ()
    assert verdict.gaps == ()


def test_both_vantages_down_is_an_outage_where_they_overlap() -> None:
    """The outage is where both agree."""
    verdict = decide(
        [
            view("a", spans((0, 100)), spans((10, 30))),
            view("b", spans((0, 100)), spans((15, 40))),
        ],
        "majority",
        WINDOW,
    )

    assert verdict.outage == spans((15, 30))
    assert verdict.voters_at(t(20)) == (["a", "b"], ["a", "b"])
    assert verdict.voters_at(t(35)) == (["a", "b"], ["b"])


def test_a_vantage_without_data_does_not_vote() -> None:
    """While b has no data, a alone decides (majority of one); a gap nowhere, since a measures."""
    verdict = decide(
        [
            view("a", spans((0, 100)), spans((10, 30))),
            view("b", spans((0, 20), (25, 100)), ()),
        ],
        "majority",
        WINDOW,
    )

    assert verdict.outage == spans((20, 25))
    assert verdict.gaps == ()


def test_time_no_vantage_measured_is_a_gap() -> None:
    """Where no vantage has data the time is a gap, never an outage."""
    verdict = decide([view("a", spans((0, 40), (60, 100)), spans((30, 70)))], "majority", WINDOW)

    assert verdict.outage == spans((30, 40), (60, 70))
    assert verdict.gaps == spans((40, 60))


@pytest.mark.parametrize(
    ("views", "rule", "outage", "unconfirmed"),
    [
        pytest.param(
            [VantageView("a", spans((0, 100)), spans((10, 30)), spans((5, 20)))],
            "majority",
            spans((10, 30)),
            spans((10, 20)),
            id="one-vantage-no-canary",
        ),
        pytest.param(
            [
                VantageView("a", spans((0, 100)), spans((10, 30)), spans((5, 30))),
                VantageView("b", spans((0, 100)), spans((10, 30)), spans((5, 30))),
            ],
            "majority",
            spans((10, 30)),
            (),
            id="two-vantages-agree",
        ),
        pytest.param(
            [
                VantageView("a", spans((0, 100)), spans((10, 30)), spans((5, 30))),
                VantageView("b", spans((0, 100)), (), ()),
            ],
            "any",
            spans((10, 30)),
            spans((10, 30)),
            id="any-of-two-one-alone",
        ),
        pytest.param(
            [
                VantageView("a", spans((0, 100)), spans((10, 30)), spans((5, 30))),
                VantageView("b", spans((0, 100)), spans((20, 30)), ()),
            ],
            "any",
            spans((10, 30)),
            spans((10, 20)),
            id="any-vouched-by-a-confirmed-vantage",
        ),
        pytest.param(
            [
                VantageView("a", spans((0, 100)), spans((10, 30)), spans((5, 30))),
                VantageView("b", spans((0, 100)), spans((10, 40)), ()),
            ],
            "all",
            spans((10, 30)),
            (),
            id="all-two-agree",
        ),
        pytest.param(
            [
                VantageView("a", spans((0, 100)), spans((10, 30)), spans((5, 30))),
                VantageView("b", spans((0, 100)), spans((20, 30)), spans((5, 30))),
                VantageView("c", spans((0, 100)), (), ()),
            ],
            2,
            spans((20, 30)),
            (),
            id="two-of-three-confirm-each-other",
        ),
        pytest.param(
            [
                VantageView("a", spans((0, 100)), spans((10, 30)), spans((5, 30))),
                VantageView("b", spans((0, 10), (30, 100)), (), ()),
            ],
            "majority",
            spans((10, 30)),
            spans((10, 30)),
            id="beside-an-isolated-vantage-alone",
        ),
    ],
)
def test_outage_that_no_independent_reference_confirms_is_kept_and_marked(
    views: list[VantageView],
    rule: Quorum,
    outage: tuple[Interval, ...],
    unconfirmed: tuple[Interval, ...],
) -> None:
    """Outage time voted by a single vantage whose every check was down with no canary stays
    outage, and is listed as unconfirmed; two vantages agreeing confirm each other."""
    verdict = decide(views, rule, WINDOW)

    assert verdict.outage == outage
    assert verdict.unconfirmed == unconfirmed


def test_no_vantage_at_all_is_one_gap() -> None:
    """With no view, the whole window is unmeasured."""
    verdict = decide([], "majority", WINDOW)

    assert verdict.outage == ()
    assert verdict.gaps == (WINDOW,)


def test_down_outside_measured_time_does_not_count() -> None:
    """A down vote where the vantage had no data (an open interval of a dead daemon) is ignored."""
    verdict = decide([view("a", spans((0, 50)), spans((40, 90)))], "majority", WINDOW)

    assert verdict.outage == spans((40, 50))


def test_views_are_clipped_to_the_window() -> None:
    """Nothing outside the window is reported."""
    verdict = decide([view("a", spans((-50, 150)), spans((-10, 10), (90, 120)))], "any", WINDOW)

    assert verdict.outage == spans((0, 10), (90, 100))
    assert verdict.gaps == ()


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param("any", spans((10, 60)), id="any"),
        pytest.param("majority", spans((20, 50)), id="majority"),
        pytest.param("all", spans((30, 40)), id="all"),
        pytest.param(2, spans((20, 50)), id="two"),
    ],
)
def test_rules_over_three_vantages(rule: Quorum, expected: tuple[Interval, ...]) -> None:
    """Three nested down spans: any, two (majority) and all three give three outages."""
    everywhere = spans((0, 100))
    views = [
        view("a", everywhere, spans((10, 60))),
        view("b", everywhere, spans((20, 50))),
        view("c", everywhere, spans((30, 40))),
    ]

    assert decide(views, rule, WINDOW).outage == expected


# Views read from a real store.

SERVICE = ServiceConfig.model_validate(
    {
        "name": "shop",
        "contract": "basic",
        "frontend": [
            {"name": "home", "type": "http", "url": "http://127.0.0.1:9/"},
            {"name": "file", "type": "http", "url": "http://127.0.0.1:9/f"},
        ],
    }
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    db = SQLiteStore(tmp_path / "quorum.db")
    await db.open()
    yield db
    await db.close()


async def put(
    store: Store, kind: IntervalKind, vantage: str, subject: str, span: tuple[float, float | None]
) -> None:
    """Store one interval, minutes from T0."""
    start, end = span
    await store.open_interval(
        IntervalRecord(kind, vantage, subject, t(start), None if end is None else t(end))
    )


async def test_views_take_out_gaps_isolation_and_time_not_running(store: Store) -> None:
    """A vantage measures while running, minus its restart gaps, its isolation, and the time
    every frontend check was in a gap; its outage counts only within that."""
    await put(store, IntervalKind.RUNNING, "a", "*", (0, 50))
    await put(store, IntervalKind.GAP, "a", "*", (50, 55))
    await put(store, IntervalKind.RUNNING, "a", "*", (55, 90))
    await put(store, IntervalKind.ISOLATED, "a", "a", (60, 65))
    await put(store, IntervalKind.GAP, "a", "shop/home", (70, 80))
    await put(store, IntervalKind.GAP, "a", "shop/file", (75, 85))
    await put(store, IntervalKind.GAP, "a", "other/home", (0, 90))
    await put(store, IntervalKind.OUTAGE, "a", "shop", (40, 62))
    await put(store, IntervalKind.OUTAGE, "a", "other", (0, 90))

    (got,) = await load_views(store, SERVICE, WINDOW, now=t(100))

    assert got.vantage == "a"
    assert got.measured == spans((0, 50), (55, 60), (65, 75), (80, 90))
    assert got.down == spans((40, 50), (55, 60))


async def test_views_keep_unconfirmed_time_as_measured(store: Store) -> None:
    """An unconfirmed interval (every check down, no canary) takes nothing from the measured
    time or the outage: it is listed beside them."""
    await put(store, IntervalKind.RUNNING, "a", "*", (0, 90))
    await put(store, IntervalKind.UNCONFIRMED, "a", "a", (38, 62))
    await put(store, IntervalKind.OUTAGE, "a", "shop", (40, 62))

    (got,) = await load_views(store, SERVICE, WINDOW, now=t(100))

    assert got.measured == spans((0, 90))
    assert got.down == spans((40, 62))
    assert got.unconfirmed == spans((38, 62))


async def test_a_vantage_that_never_ran_has_no_view(store: Store) -> None:
    """Intervals without any running interval (nothing measured) give no vote."""
    await put(store, IntervalKind.OUTAGE, "ghost", "shop", (10, 20))

    assert await load_views(store, SERVICE, WINDOW, now=t(100)) == []


async def test_a_daemon_that_died_counts_until_its_last_result(store: Store) -> None:
    """An open running interval with no life since counts until the newest result plus the
    staleness allowance, and its open outage no further."""
    await put(store, IntervalKind.RUNNING, "a", "*", (0, None))
    await put(store, IntervalKind.OUTAGE, "a", "shop", (20, None))
    await store.write_results([ProbeResult("shop/home", "a", t(30), 0.01, Outcome.TIMEOUT)])

    (got,) = await load_views(store, SERVICE, WINDOW, now=t(100))

    alive_until = t(30) + VANTAGE_STALE
    assert got.measured == (Interval(t(0), alive_until),)
    assert got.down == (Interval(t(20), alive_until),)


async def test_a_running_daemon_counts_until_now(store: Store) -> None:
    """An open running interval with a fresh result runs until now; an open outage too."""
    await put(store, IntervalKind.RUNNING, "a", "*", (0, None))
    await put(store, IntervalKind.OUTAGE, "a", "shop", (20, None))
    await store.write_results([ProbeResult("shop/home", "a", t(99), 0.01, Outcome.TIMEOUT)])

    (got,) = await load_views(store, SERVICE, WINDOW, now=t(100))

    assert got.measured == spans((0, 100))
    assert got.down == spans((20, 100))


async def test_a_vantage_that_does_not_probe_the_service_has_no_say(store: Store) -> None:
    """A running interval that lists other services only is no view of this one (it would
    otherwise vote up and outvote a vantage that sees the service down)."""
    await store.open_interval(
        IntervalRecord(IntervalKind.RUNNING, "b", "*", t(0), t(100), detail={"services": ["other"]})
    )
    await store.open_interval(
        IntervalRecord(IntervalKind.RUNNING, "a", "*", t(0), t(100), detail={"services": ["shop"]})
    )

    assert [v.vantage for v in await load_views(store, SERVICE, WINDOW, now=t(100))] == ["a"]


@pytest.mark.parametrize(
    ("unconfirmed", "latest"),
    [
        pytest.param(spans((10, 100)), True, id="up-to-the-end"),
        pytest.param(spans((10, 99)), False, id="confirmed-before-the-end"),
        pytest.param((), False, id="none"),
    ],
)
def test_latest_unconfirmed_speaks_of_the_window_s_end(
    unconfirmed: tuple[Interval, ...], latest: bool
) -> None:
    """The live state's flag: whether the window's last instant is unconfirmed outage time."""
    views = [VantageView("a", spans((0, 100)), spans((10, 100)), unconfirmed)]

    assert decide(views, "majority", WINDOW).latest_unconfirmed() is latest


def service(name: str, quorum: Quorum = "majority") -> ServiceConfig:
    """A service of one frontend check."""
    return ServiceConfig.model_validate(
        {
            "name": name,
            "contract": "basic",
            "quorum": quorum,
            "frontend": [{"name": "home", "type": "http", "url": "http://127.0.0.1:9/"}],
        }
    )


async def test_judging_all_services_at_once_agrees_with_each_alone(store: Store) -> None:
    """judge_services reads once and decides every service; each verdict is the one
    service_verdict gives alone: services with outages of their own, services without (decided
    once for all alike), a service one run did not list, other quorum rules."""
    await put(store, IntervalKind.RUNNING, "a", "*", (0, 90))
    await store.open_interval(
        IntervalRecord(
            IntervalKind.RUNNING, "b", "*", t(0), t(90), detail={"services": ["shop", "blog"]}
        )
    )
    await put(store, IntervalKind.OUTAGE, "a", "shop", (10, 30))
    await put(store, IntervalKind.OUTAGE, "b", "shop", (20, 40))
    await put(store, IntervalKind.OUTAGE, "a", "blog", (50, 60))
    await put(store, IntervalKind.GAP, "b", "wiki/home", (0, 20))
    await put(store, IntervalKind.ISOLATED, "b", "b", (70, 75))
    services = [
        service("shop"),
        service("blog", "any"),
        service("wiki"),
        service("docs"),
        service("mail", "all"),
        service("shop-eu"),
    ]

    judged = await judge_services(store, services, WINDOW, now=t(100))

    assert list(judged) == [s.name for s in services]
    for each in services:
        alone = await service_verdict(store, each, WINDOW, now=t(100))
        assert judged[each.name].verdict == alone, each.name
    assert judged["shop"].verdict.outage == spans((20, 30))
    assert judged["blog"].verdict.outage == spans((50, 60))
    assert judged["docs"].verdict.outage == ()
    assert [r.subject for r in judged["shop"].own] == ["shop", "shop"]
    assert judged["docs"].own == ()
