"""`slawatch healthcheck` against real daemons: a running one (healthy), an HTTP surface whose
daemon has not started (unhealthy), a closed port, and a port that never answers."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.clock import FakeClock
from monitor.config.settings import parse_settings
from monitor.daemon.runner import Daemon as InProcessDaemon
from monitor.store.sqlite import SQLiteStore

from ..harness import Daemon, free_port, serve_target

CONFIG = """
contracts: {c: {currency: USD, daily_fee: "10.00"}}
services:
  - {name: s, contract: c, frontend: [{name: home, type: http, url: "http://127.0.0.1:1/"}]}
"""


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


async def healthcheck(*args: str) -> tuple[int, str, str]:
    """Run `slawatch healthcheck ARGS` as a subprocess: its exit status, stdout and stderr.

    Asynchronous, so that a surface served by this test's event loop answers it meanwhile.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "monitor.cli",
        "healthcheck",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def one_line(stderr: str) -> str:
    """The one line a failing healthcheck writes: no traceback, nothing else."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("slawatch: ")
    return lines[0]


@pytest.fixture
async def starting(tmp_path: Path) -> AsyncIterator[InProcessDaemon]:
    """A daemon that never ran, its HTTP surface to be started by the test: /healthz says
    `starting` with a 503."""
    store = SQLiteStore(tmp_path / "h.db")
    await store.open()
    daemon = InProcessDaemon(
        parse_settings(CONFIG, "h.yaml"),
        clock=FakeClock(),
        store=store,
        registry=CollectorRegistry(),
    )
    try:
        yield daemon
    finally:
        await daemon.http.stop()
        await store.close()


async def test_a_running_daemon_is_healthy(tmp_path: Path) -> None:
    """A `slawatch run` that probes and writes: exit 0, asked by its configuration or its URL."""
    port = free_port()
    config = tmp_path / "slawatch.yaml"
    async with serve_target() as target:
        config.write_text(
            f"""
store: "sqlite:///{tmp_path / "s.db"}"
http: {{listen: "127.0.0.1:{port}"}}
contracts: {{c: {{timezone: UTC, currency: USD, daily_fee: "10.00"}}}}
services:
  - {{name: shop, contract: c, frontend: [{{name: home, type: http,
      url: "http://127.0.0.1:{target.port}/", interval: 1s, timeout: 500ms}}]}}
""",
            encoding="utf-8",
        )
        daemon = Daemon(config, port)
        await daemon.start()  # returns once its /healthz answered 200

        by_config = await healthcheck("--config", str(config))
        by_url = await healthcheck("--url", f"http://127.0.0.1:{port}", "--timeout", "10s")

    url = f"http://127.0.0.1:{port}/healthz"
    assert by_config == (0, f"{url}: healthy\n", "")
    assert by_url == (0, f"{url}: healthy\n", "")


async def test_a_daemon_not_ready_is_unhealthy_with_its_problems(
    starting: InProcessDaemon,
) -> None:
    """A 503 from /healthz: exit 1, and the line gives the problems it lists."""
    await starting.http.start("127.0.0.1", 0)

    code, out, err = await healthcheck("--url", f"http://{starting.http.address}/healthz")

    assert (code, out) == (1, "")
    assert one_line(err) == f"slawatch: http://{starting.http.address}/healthz: unhealthy: starting"


@pytest.mark.parametrize(
    ("listen", "bound"),
    [
        pytest.param("0.0.0.0", "127.0.0.1", id="ipv4-any"),
        pytest.param(
            "[::]",
            "::1",
            id="ipv6-any",
            marks=pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here"),
        ),
        pytest.param("127.0.0.1", "127.0.0.1", id="loopback"),
    ],
)
async def test_a_daemon_listening_everywhere_is_asked_on_loopback(
    starting: InProcessDaemon, tmp_path: Path, listen: str, bound: str
) -> None:
    """`--config` asks `http.listen`; a wildcard address is asked on the same family's loopback
    (the surface listens only there: asking anywhere else would find nothing)."""
    await starting.http.start(bound, 0)
    port = starting.http.address.rpartition(":")[2]
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG + f'http: {{listen: "{listen}:{port}"}}\n', encoding="utf-8")

    code, _, err = await healthcheck("--config", str(config))

    host = f"[{bound}]" if ":" in bound else bound
    assert code == 1
    assert one_line(err) == f"slawatch: http://{host}:{port}/healthz: unhealthy: starting"


async def test_another_answer_than_healthz_is_unhealthy(starting: InProcessDaemon) -> None:
    """A URL that is not /healthz answers 404 without problems listed: the status is said."""
    await starting.http.start("127.0.0.1", 0)

    code, _, err = await healthcheck("--url", f"http://{starting.http.address}/nothing-here")

    assert code == 1
    assert one_line(err) == (
        f"slawatch: http://{starting.http.address}/nothing-here: unhealthy: HTTP 404"
    )


async def test_a_closed_port_is_unhealthy() -> None:
    """Nothing listening: exit 1, connection refused."""
    port = free_port()

    code, out, err = await healthcheck("--url", f"http://127.0.0.1:{port}/")

    assert (code, out) == (1, "")
    assert one_line(err) == (
        f"slawatch: http://127.0.0.1:{port}/healthz: cannot connect: connection refused"
        " (is the daemon running?)"
    )


async def test_a_daemon_that_never_answers_times_out() -> None:
    """A socket that accepts connections (the kernel's backlog) but never answers: exit 1
    once the timeout has passed, saying so."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]

        code, _, err = await healthcheck(
            "--url", f"http://127.0.0.1:{port}/healthz", "--timeout", "300ms"
        )

    assert code == 1
    assert one_line(err) == f"slawatch: http://127.0.0.1:{port}/healthz: no answer within 0.3s"


async def test_a_password_in_the_url_is_not_shown() -> None:
    """A URL's credentials never reach the message."""
    port = free_port()

    code, _, err = await healthcheck("--url", f"http://ops:s3cret@127.0.0.1:{port}/healthz")

    assert code == 1
    assert "s3cret" not in err
    assert one_line(err).startswith(f"slawatch: http://ops:***@127.0.0.1:{port}/healthz: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--timeout", "soon"],
            "--timeout: expected a duration like 10s, 5m, 1h or 250ms, got 'soon'",
            id="timeout",
        ),
        pytest.param(
            ["--url", "ftp://127.0.0.1/"],
            "--url: expected an http:// or https:// URL with a host, got 'ftp://127.0.0.1/'",
            id="url-scheme",
        ),
        pytest.param(
            ["--url", "ftp://ops:s3cret@127.0.0.1/"],
            "--url: expected an http:// or https:// URL with a host, got 'ftp://ops:***@127.0.0.1/'",
            id="url-scheme-password-hidden",
        ),
        pytest.param(
            ["--url", "http://127.0.0.1:99999/"],
            "--url: expected an http:// or https:// URL with a host, got 'http://127.0.0.1:99999/'",
            id="url-port",
        ),
    ],
)
async def test_bad_arguments_exit_2_in_one_line(args: list[str], message: str) -> None:
    """Bad input is said in one line naming the option; exit 2, as every command."""
    code, _, err = await healthcheck(*args)

    assert code == 2
    assert one_line(err) == f"slawatch: {message}"


async def test_a_configuration_that_cannot_tell_the_address_is_bad_input(tmp_path: Path) -> None:
    """A missing file, or a listen on port 0 (a free port chosen at start): exit 2, one line."""
    missing = tmp_path / "missing.yaml"
    any_port = tmp_path / "any-port.yaml"
    any_port.write_text(CONFIG + 'http: {listen: "127.0.0.1:0"}\n', encoding="utf-8")

    missing_run = await healthcheck("--config", str(missing))
    any_port_run = await healthcheck("--config", str(any_port))

    assert missing_run[0] == 2
    assert (
        one_line(missing_run[2]) == f"slawatch: {missing}: cannot read: No such file or directory"
    )
    assert any_port_run[0] == 2
    assert one_line(any_port_run[2]) == (
        f"slawatch: {any_port}: http.listen: port 0 picks a free port at start; give --url instead"
    )
