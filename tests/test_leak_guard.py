"""The garbage of each test is collected as the test ends (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

LEAKS = '''
import socket


class Holder:
    """A socket in a reference cycle: only the garbage collector ever frees it."""

    def __init__(self):
        self.me = self
        self.sock = socket.socket()


def test_before():
    pass


def test_leaks():
    Holder()


def test_after():
    pass
'''


def test_a_leaked_socket_fails_the_test_that_leaked_it(pytester: pytest.Pytester) -> None:
    """A socket left open in a reference cycle is an error of the test that left it, and of no
    other test, whenever the collector would have run on its own."""
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_leaks=LEAKS)

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-W", "error", "-o", "asyncio_default_fixture_loop_scope=function"
    )

    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*PytestUnraisableExceptionWarning: Exception ignored in: <socket.socket*",
            "ERROR test_leaks.py::test_leaks - *PytestUnraisableExceptionWarning*",
        ]
    )
