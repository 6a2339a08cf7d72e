"""``slawatch healthcheck``: the daemon's ``/healthz`` as an exit status.

For a container's ``HEALTHCHECK`` and for service managers: exit 0 when ``/healthz`` answers
200, 1 otherwise with one line on standard error saying why (the problems it lists, or why it
could not be asked). The address is ``--url``, else the configuration's ``http.listen``; a
daemon listening on every address (``0.0.0.0``, ``[::]``) is asked on the loopback address.

It uses the standard library's HTTP client: it runs every few seconds in a container, so it
starts no event loop and imports nothing it does not need. Proxies from the environment are
ignored: the daemon is asked directly, never through a proxy that would answer for it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..config.fields import parse_duration
from ..config.settings import HttpListen, load_settings
from ..errors import InputError, MonitorError
from ..redact import excerpt, redact_url

__all__ = ["add_healthcheck_command"]

#: What a wildcard listen address is asked on instead: the same family's loopback address.
_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - compared, not bound
#: ``/healthz`` answers in well under a kilobyte; anything larger is not it, and not read whole.
_MAX_BODY = 64 * 1024


def _url_of_listen(listen: HttpListen, source: str) -> str:
    """The ``/healthz`` URL of a daemon listening on ``listen``."""
    if listen.port == 0:
        raise InputError(
            f"{source}: http.listen: port 0 picks a free port at start; give --url instead"
        )
    host = _LOOPBACK.get(listen.host, listen.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{listen.port}/healthz"


def _url_given(url: str) -> str:
    """``--url``: the ``/healthz`` URL, or the daemon's base URL (``/healthz`` is added)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            "--url: expected an http:// or https:// URL with a host,"
            f" got {excerpt(redact_url(url))}"
        )
    if parts.path in ("", "/"):
        parts = parts._replace(path="/healthz")
    return urlunsplit(parts)


def _problems(body: bytes) -> str:
    """The problems a 503 from ``/healthz`` lists, in one line; empty if the body has none."""
    try:
        document: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    problems = document.get("problems") if isinstance(document, dict) else None
    if not isinstance(problems, list):
        return ""
    return "; ".join(" ".join(str(p).split()) for p in problems)


def _ask(url: str, timeout: float) -> tuple[int, bytes]:
    """The status and (the start of) the body ``url`` answers with."""
    # No ProxyHandler from the environment: HTTP_PROXY must not answer for the daemon.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - the scheme is checked
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(_MAX_BODY)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(_MAX_BODY)


def _why_not(error: BaseException, timeout: float) -> str:
    """Why the daemon could not be asked, in a few words."""
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    if isinstance(error, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g}s"
    if isinstance(error, ConnectionRefusedError):
        return "cannot connect: connection refused (is the daemon running?)"
    if isinstance(error, http.client.HTTPException | ConnectionResetError):
        return f"not an HTTP answer ({type(error).__name__})"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host: {error.strerror}"
    if isinstance(error, OSError) and error.strerror:
        return f"cannot connect: {error.strerror}"
    return f"cannot connect: {' '.join(str(error).split()) or type(error).__name__}"


def _cmd_healthcheck(args: argparse.Namespace) -> int:
    try:
        timeout = parse_duration(args.timeout)
    except ValueError as error:
        raise InputError(f"--timeout: {error}") from None
    if args.url is not None:
        url = _url_given(args.url)
    elif args.config is not None:
        url = _url_of_listen(load_settings(args.config).http, args.config)
    else:
        url = _url_of_listen(HttpListen(), "the default configuration")
    shown = redact_url(url)
    try:
        status, body = _ask(url, timeout)
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise MonitorError(f"{shown}: {_why_not(error, timeout)}") from None
    if status == 200:
        print(f"{shown}: healthy")
        return 0
    problems = _problems(body)
    if problems:
        raise MonitorError(f"{shown}: unhealthy: {problems}")
    raise MonitorError(f"{shown}: unhealthy: HTTP {status}")


def add_healthcheck_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Register ``slawatch healthcheck`` on the CLI's subcommands."""
    check = commands.add_parser(
        "healthcheck",
        help="exit 0 if the daemon's /healthz answers 200, 1 otherwise",
        description=(
            "Ask a running daemon's /healthz: exit 0 when it answers 200, 1 otherwise with one"
            " line saying why. For container and service-manager health checks."
        ),
    )
    check.add_argument(
        "--config",
        metavar="FILE",
        help="the daemon's configuration: its http.listen is asked (on loopback for 0.0.0.0/[::])",
    )
    check.add_argument(
        "--url",
        help="the /healthz URL, or the daemon's base URL (default: from --config,"
        " else 127.0.0.1:9464)",
    )
    check.add_argument(
        "--timeout", default="5s", help="how long to wait for the answer (default 5s)"
    )
    check.set_defaults(handler=_cmd_healthcheck)
