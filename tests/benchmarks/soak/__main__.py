"""``python -m tests.benchmarks.soak [--minutes N] [--seed N] [--workdir DIR] [--keep]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from .run import Settings, soak

#: Two store restarts, each straddled by outages, need this much room between warm-up and end.
SHORTEST_RUN = 8.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./dev soak", description="slawatch under load for an hour, then its verdict"
    )
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the run (60)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the scripted failures (1)")
    parser.add_argument(
        "--workdir", type=Path, help="where the logs go (a new temporary directory by default)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the logs even when every verdict passes"
    )
    args = parser.parse_args(argv)
    if args.minutes < SHORTEST_RUN:
        parser.error(f"--minutes: at least {SHORTEST_RUN:g}, got {args.minutes:g}")
    return asyncio.run(soak(Settings(args.minutes, args.seed, args.workdir, args.keep)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
