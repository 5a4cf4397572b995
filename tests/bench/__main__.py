"""`python -m tests.bench`: run the figures, print a Markdown report, fail only on a wrong result.

uv run python -m tests.bench --size small
uv run python -m tests.bench --size full --database both --postgres-url postgresql+psycopg://...
uv run python -m tests.bench --only latency,growth
uv run python -m tests.bench --only feed
uv run python -m tests.bench --only latency --profile /tmp/mal-profile   # then python -m tests.bench.profile
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from tests.bench import common, fanout, feed, footprint, growth, latency
from tests.bench.common import SIZES, NewDatabase, Outcome, Size, database, machine, progress, server_version
from tests.harness import PG_ENV

FIGURES: dict[str, Callable[[NewDatabase, Size, str], Outcome]] = {
    "latency": latency.run,
    "fanout": fanout.run,
    "growth": growth.run,
    "footprint": footprint.run,
    "feed": feed.run,
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(PG_ENV), help=f"admin URL (default: ${PG_ENV})")
    parser.add_argument("--only", default=",".join(FIGURES), help="comma-separated: " + ",".join(FIGURES))
    parser.add_argument(
        "--endpoints",
        default=",".join(latency.ENDPOINTS),
        help="latency figure only for these, comma-separated: " + ",".join(latency.ENDPOINTS),
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample mal's server with py-spy into DIR/<figure>.txt (read with python -m tests.bench.profile)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    only = [f.strip() for f in args.only.split(",") if f.strip()]
    unknown = [f for f in only if f not in FIGURES]
    if unknown:
        print(f"unknown figure(s): {', '.join(unknown)}; choose from {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    if "postgres" in kinds and not args.postgres_url:
        print(f"PostgreSQL needs --postgres-url or {PG_ENV}", file=sys.stderr)
        return 2
    size = SIZES[args.size]
    latency.CHOSEN[:] = [e for e in latency.ENDPOINTS if e in args.endpoints.split(",")]
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        common.PROFILE_DIR = args.profile
    started = time.perf_counter()
    print(f"# mal benchmarks — size {size.name}\n\n{machine()}\n", flush=True)
    failures: list[str] = []
    for kind in kinds:
        with database(kind, args.postgres_url) as probe:
            label = server_version(probe)
        print(f"## {label}\n", flush=True)
        for name in only:
            outcome = FIGURES[name](partial(database, kind, args.postgres_url), size, label.split()[0])
            for section in outcome.sections:
                print(section.markdown(), flush=True)
            failures += [f"[{kind} {name}] {f}" for f in outcome.failures]
    elapsed = time.perf_counter() - started
    progress(f"done in {elapsed:.0f} s")
    if failures:
        print("## Correctness failures\n")
        print("\n".join(f"- {f}" for f in failures))
        return 1
    print(
        f"All correctness checks passed (no message lost or duplicated, every answer right). Run took {elapsed:.0f} s."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
