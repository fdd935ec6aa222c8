"""Benchmark of the User Management list: first and deep pages, sorts, searches and filters.

Generates N realistic users (default 100,000) into a fresh SQLite file (``bench/.data/``) and/or
a fresh PostgreSQL database ``usher_bench_<N>``, then calls ``usher.users.service.list_users``
in-process through the app's session factory, as an active Organization Admin, so the figures
are database + service time (no HTTP, no JSON). Each query shape runs ``--runs`` times with
varied inputs after a warm-up; p50/p95/max are printed, then a markdown table to paste.

Run from the repository root (never run by the test suite)::

    .venv/bin/python bench/users_list.py --db both --users 100000
    .venv/bin/python bench/users_list.py --db sqlite --users 1000000 --keep
    .venv/bin/python bench/users_list.py --db sqlite --users 1000000 --reuse --explain

``--postgres URL`` names the server the database is created on (default
postgresql://postgres@127.0.0.1:5432/test). ``--keep`` leaves the database behind; ``--reuse``
times a kept one again (and keeps it) without generating it. ``--explain`` prints every statement
of each query shape with its plan (``bench/plans.py``). ``--no-analyze`` skips ANALYZE after the
load, leaving SQLite's planner without statistics, as the app's own databases are. The data comes
from ``bench/seed.py`` and ``bench/generate.py``, the query shapes and their inputs from
``bench/queries.py``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import seed as seeding
from bench.plans import explain
from bench.queries import Case, call, cases, collect_sample
from usher.db.migrate import upgrade
from usher.models import User

BUDGET_MS = 100.0
console = Console(stderr=True)


@dataclass
class Result:
    case: Case
    times_ms: list[float] = field(default_factory=list)
    count_ms: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)

    def pct(self, p: float) -> float:
        ordered = sorted(self.times_ms)  # nearest rank
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def over_budget(self) -> bool:
        return self.case.in_budget and self.pct(95) > BUDGET_MS


# --- timing ------------------------------------------------------------------------------


def time_case(
    engine: Engine,
    factory: sessionmaker[Session],
    admin_id: Any,
    case: Case,
    rng: random.Random,
    *,
    runs: int,
    warmup: int,
    limit: int,
) -> Result:
    result = Result(case)
    with CountClock(engine) as clock:
        for i in range(warmup + runs):
            request = case.make(rng)
            with factory() as session:  # one transaction per request, as a request has
                actor = session.get_one(User, admin_id)
                clock.count_ms = 0.0
                started = time.perf_counter()
                rows, total = call(session, actor, request, limit)
                elapsed = (time.perf_counter() - started) * 1000
                session.rollback()
            if i >= warmup:
                result.times_ms.append(elapsed)
                result.count_ms.append(clock.count_ms)
                result.rows.append(rows)
                result.totals.append(total)
    return result


_COUNT = re.compile(r"SELECT count\(\*\) AS count_1\s+FROM users")


class CountClock:
    """Time the database spends on the page's ``total`` (the ``SELECT count(*)``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count_ms = 0.0
        self._started = 0.0

    def _before(self, _c: Any, _cur: Any, statement: str, *_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, _c: Any, _cur: Any, statement: str, *_: Any) -> None:
        # A count returns one row, so all its work is done when execute() returns.
        if _COUNT.search(statement):
            self.count_ms += (time.perf_counter() - self._started) * 1000

    def __enter__(self) -> CountClock:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


# --- reporting ---------------------------------------------------------------------------


def server_version(engine: Engine) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return "PostgreSQL " + str(conn.exec_driver_sql("SHOW server_version").scalar())
    return f"SQLite {sqlite3.sqlite_version}"


def database_size(target: seeding.Target, engine: Engine) -> str:
    if target.backend == "sqlite":
        size = sum(
            Path(target.label + s).stat().st_size
            for s in ("", "-wal")
            if Path(target.label + s).exists()
        )
    else:
        with engine.connect() as conn:
            size = int(
                conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
            )
    return f"{size / 2**20:,.0f} MiB"


def print_results(title: str, results: Sequence[Result]) -> None:
    table = Table(title=title)
    for column in ("query", "runs", "p50 ms", "p95 ms", "max ms", "count p50", "rows", "total"):
        table.add_column(column, justify="left" if column == "query" else "right")
    for r in results:
        style = "red" if r.over_budget else None
        table.add_row(
            r.case.name + ("" if r.case.in_budget else " *"),
            str(len(r.times_ms)),
            f"{r.pct(50):.1f}",
            f"{r.pct(95):.1f}",
            f"{max(r.times_ms):.1f}",
            f"{statistics.median(r.count_ms):.1f}",
            f"{statistics.mean(r.rows):.0f}",
            f"{statistics.median(r.totals):,.0f}",
            style=style,
        )
    console.print(table)


def markdown(results: Sequence[Result]) -> str:
    lines = [
        "| query | runs | p50 ms | p95 ms | max ms | count p50 ms | rows | total |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        name = r.case.name + ("" if r.case.in_budget else " \\*")
        p95 = f"**{r.pct(95):.1f}**" if r.over_budget else f"{r.pct(95):.1f}"
        lines.append(
            f"| {name} | {len(r.times_ms)} | {r.pct(50):.1f} | {p95} | {max(r.times_ms):.1f} "
            f"| {statistics.median(r.count_ms):.1f} | {statistics.mean(r.rows):.0f} "
            f"| {statistics.median(r.totals):,.0f} |"
        )
    return "\n".join(lines)


def combined_markdown(by_engine: dict[str, list[Result]]) -> str:
    titles = list(by_engine)
    head = "| query | " + " | ".join(f"{t} p50 | {t} p95" for t in titles) + " |"
    lines = [head, "|---|" + "--:|--:|" * len(titles)]
    for i, first in enumerate(by_engine[titles[0]]):
        cells = []
        for t in titles:
            r = by_engine[t][i]
            cells.append(f"{r.pct(50):.1f} | {r.pct(95):.1f}")
        lines.append(f"| {first.case.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------


def run_engine(backend: str, args: argparse.Namespace) -> tuple[str, list[Result]]:
    if backend == "sqlite":
        target = seeding.sqlite_target(args.users, args.data_dir)
    else:
        target = seeding.postgres_target(args.postgres, args.users)
    other = args.other_users if args.other_users is not None else args.users // 10
    seeded = None
    if args.reuse and seeding.exists(target):
        upgrade(target.url)  # a kept database gets the migrations written since,
        app = seeding.build_app(target)
        if not args.no_analyze:  # and statistics that cover their indexes
            seeding.analyze(app.state.engine)
        seeded = seeding.find_seeded(app)
        if seeded is None or seeded.users != args.users:
            raise SystemExit(f"{target.label} does not hold a {args.users:,}-user benchmark")
        console.print(f"[bold]{target.title}[/]: reusing {target.label}")
    else:
        console.print(f"[bold]{target.title}[/]: creating {target.label}")
        started = time.perf_counter()
        seeding.create(target)
        app = seeding.build_app(target)
        seeded = seeding.seed(
            app,
            target,
            users=args.users,
            other_users=other,
            rng_seed=args.seed,
            batch=args.batch,
            statistics=not args.no_analyze,
        )
        console.print(f"loaded in {time.perf_counter() - started:,.0f} s")
    engine: Engine = app.state.engine
    factory: sessionmaker[Session] = app.state.session_factory
    try:
        rng = random.Random(args.seed)
        sample = collect_sample(factory, seeded, rng, args.limit)
        all_cases = cases(sample)
        load_before = os.getloadavg()
        results = []
        for case in all_cases:
            console.print(f"  timing {case.name} …")
            results.append(
                time_case(
                    engine,
                    factory,
                    seeded.admin_id,
                    case,
                    rng,
                    runs=args.runs,
                    warmup=args.warmup,
                    limit=args.limit,
                )
            )
        load_after = os.getloadavg()
        title = (
            f"{server_version(engine)} · {args.users:,} users (+{other:,} in another org) · "
            f"{'no ANALYZE · ' if args.no_analyze else ''}"
            f"{database_size(target, engine)} · limit {args.limit} · "
            f"load avg {load_before[0]:.1f} → {load_after[0]:.1f}"
        )
        print_results(title, results)
        print(f"\n#### {title}\n")
        print(markdown(results))
        if any(not r.case.in_budget for r in results):
            print(
                "\n\\* outside the 100 ms budget: no trigram index serves a 1 or 2 character search"
            )
        if args.explain:
            print(f"\n## Plans · {server_version(engine)}")
            explain(engine, factory, seeded.admin_id, all_cases, rng, args.limit)
        return target.title, results
    finally:
        engine.dispose()
        if not (args.keep or args.reuse):
            seeding.drop(target)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--users", type=int, default=100_000, help="users in the org timed")
    parser.add_argument(
        "--other-users", type=int, default=None, help="users in a second org (default N/10)"
    )
    parser.add_argument("--postgres", default=seeding.DEFAULT_POSTGRES, help="server URL")
    parser.add_argument("--runs", type=int, default=100, help="timed runs per query shape")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs before those")
    parser.add_argument("--limit", type=int, default=50, help="page size")
    parser.add_argument("--seed", type=int, default=42, help="random seed (data and queries)")
    parser.add_argument("--batch", type=int, default=5000, help="rows per insert transaction")
    parser.add_argument("--data-dir", type=Path, default=seeding.DATA_DIR, help="SQLite files")
    parser.add_argument("--keep", action="store_true", help="leave the database behind")
    parser.add_argument(
        "--reuse", action="store_true", help="time a kept database as it is (and keep it)"
    )
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="leave the planner without statistics, as the app itself does on SQLite",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    command = " ".join([".venv/bin/python bench/users_list.py", *sys.argv[1:]])
    print(
        f"# users_list benchmark · {platform.node()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()}\n\n`{command}`"
    )
    by_engine: dict[str, list[Result]] = {}
    for backend in backends:
        title, results = run_engine(backend, args)
        by_engine[title] = results
    if len(by_engine) > 1:
        print("\n#### Both engines\n")
        print(combined_markdown(by_engine))
    over = [(t, r.case.name) for t, rs in by_engine.items() for r in rs if r.over_budget]
    for title, name in over:
        console.print(f"[red]over {BUDGET_MS:.0f} ms at p95[/]: {title} · {name}")


if __name__ == "__main__":
    main()
