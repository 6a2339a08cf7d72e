"""A private PostgreSQL cluster for the soak, made in a directory of its own and removed after.

The soak restarts its store, so it cannot use the server other runs share. The cluster is made
with the installed server's ``initdb`` (the newest under ``/usr/lib/postgresql``, else the one on
PATH), listens on one loopback port and a socket in its own directory, and trusts local
connections. The server refuses to run as root, so as root every command runs as the
``postgres`` user, who owns the cluster's directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
from pathlib import Path

__all__ = ["Cluster", "ClusterError"]

#: Seconds pg_ctl waits for the server to start or stop.
WAIT = 60


class ClusterError(Exception):
    """A step of the cluster's life failed; the message names it and ends with its output."""


def _bindir() -> Path:
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if installed:
        return installed[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise ClusterError("no PostgreSQL server installed: initdb is not on PATH")
    return Path(initdb).parent


class Cluster:
    """A cluster in ``root / "pg"`` on loopback port ``port``."""

    def __init__(self, root: Path, port: int) -> None:
        self.bindir = _bindir()
        self.home = root / "pg"
        self.data = self.home / "data"
        self.port = port
        self._output = root / "pg_ctl.log"
        self._as_owner: list[str] = []
        self._owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            self._owner = (entry.pw_uid, entry.pw_gid)
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def version(self) -> str:
        return self.bindir.parent.name

    async def _run(self, what: str, *args: str) -> None:
        with self._output.open("ab") as sink:
            sink.write(f"--- {what}\n".encode())
            sink.flush()
            process = await asyncio.create_subprocess_exec(
                *self._as_owner,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                start_new_session=True,
            )
            code = await process.wait()
        if code != 0:
            tail = self._output.read_text(errors="replace")[-1500:]
            raise ClusterError(f"PostgreSQL: {what} failed (exit {code}):\n{tail}")

    async def create(self) -> None:
        """initdb: trust authentication, UTF-8, the C locale."""
        self.home.mkdir(mode=0o700)
        if self._owner is not None:
            os.chown(self.home, *self._owner)
        await self._run(
            "initdb",
            str(self.bindir / "initdb"),
            "--pgdata",
            str(self.data),
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        )

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1"
        await self._run(
            "start",
            str(self.bindir / "pg_ctl"),
            "--pgdata",
            str(self.data),
            "--log",
            str(self.home / "postgres.log"),
            "--wait",
            f"--timeout={WAIT}",
            "--options",
            options,
            "start",
        )

    async def stop(self, mode: str = "fast") -> None:
        await self._run(
            f"stop -m {mode}",
            str(self.bindir / "pg_ctl"),
            "--pgdata",
            str(self.data),
            "--mode",
            mode,
            "--wait",
            f"--timeout={WAIT}",
            "stop",
        )

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    async def remove(self) -> None:
        """Stop the server if it runs (immediately: its data goes), and remove the cluster."""
        if self.running:
            with contextlib.suppress(ClusterError):
                await self.stop("immediate")
        shutil.rmtree(self.home, ignore_errors=True)

    def server_log(self) -> str:
        path = self.home / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""
