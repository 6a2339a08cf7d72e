"""A small real filesystem for tests of a full disk: a tmpfs, mounted for one test.

Mounting needs root (as in CI). Where it is refused, the test is skipped with the reason shown,
unless ``SLAWATCH_REQUIRE_TMPFS=1``, where it fails instead: a full-disk test that cannot run
must not pass silently as a green run. The filesystem is always unmounted afterwards.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["fill", "small_filesystem"]

#: Written at a time while filling: one page, the unit tmpfs allocates.
_CHUNK = 4096


@contextlib.contextmanager
def small_filesystem(directory: Path, size: str = "256k") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``directory`` (created if needed) for the block."""
    directory.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        _unavailable(f"mount: {error.strerror or error}")
    if done.returncode != 0:
        _unavailable(" ".join(done.stderr.split()) or f"mount exited {done.returncode}")
    try:
        yield directory
    finally:
        # A process the test started may still hold a file open there (a failed test): detach
        # the mount anyway; the kernel frees it once the last file is closed.
        if subprocess.run(["umount", str(directory)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "--lazy", str(directory)], capture_output=True, check=True)


def fill(directory: Path) -> Path:
    """Write a filler file in ``directory`` until its filesystem has no page left; its path."""
    filler = directory / "filler"
    chunk = b"\0" * _CHUNK
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return filler


def _unavailable(reason: str) -> NoReturn:
    message = f"cannot mount a small tmpfs ({reason}); the full-disk tests need root"
    if os.environ.get("SLAWATCH_REQUIRE_TMPFS") == "1":
        pytest.fail(message + ", and SLAWATCH_REQUIRE_TMPFS=1 requires them", pytrace=False)
    pytest.skip(message)
