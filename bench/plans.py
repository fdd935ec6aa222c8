"""Every statement of a query shape with its plan: EXPLAIN QUERY PLAN (and the statement's own
run time) on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL."""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bench.queries import Case, Request, call
from usher.models import User


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def listener(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", parameters
            ).all()
            return [str(r[0]) for r in rows]
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        times = []
        for _ in range(5):  # SQLite's plan has no timings: run it, fetching every row
            started = time.perf_counter()
            conn.exec_driver_sql(statement, parameters).all()
            times.append((time.perf_counter() - started) * 1000)
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    lines.append(f"Run time: {statistics.median(times):.2f} ms (median of 5)")
    return lines


_IN_LIST = re.compile(r"IN \([^()]*,[^()]*\)")


def describe(request: Request) -> str:
    f = request.filters
    parts = [f"sort={request.sort}{' desc' if request.descending else ''}"]
    if f.q:
        parts.append(f"q={f.q!r}")
    if f.statuses:
        parts.append(f"status={','.join(s.value for s in f.statuses)}")
    if f.org_unit_id:
        parts.append("org unit (subtree)")
    if f.team_ids:
        parts.append("team")
    if request.cursor:
        parts.append("after a cursor")
    return ", ".join(parts)


def _short(parameters: Any, width: int = 240) -> str:
    text = repr(parameters)
    return text if len(text) <= width else text[:width] + "…"


def explain(
    engine: Engine,
    factory: sessionmaker[Session],
    admin_id: Any,
    all_cases: Sequence[Case],
    rng: random.Random,
    limit: int,
) -> None:
    shown: set[str] = set()
    for case in all_cases:
        request = case.make(rng)
        with factory() as session:
            actor = session.get_one(User, admin_id)
            with captured(engine) as statements:
                call(session, actor, request, limit)
            session.rollback()
        print(f"\n### {case.name}  —  {describe(request)}\n")
        for statement, parameters in statements:
            sql = " ".join(statement.split())
            key = _IN_LIST.sub("IN (…)", sql)
            if key in shown:
                print(f"(as above: {sql[:80]}…)")
                continue
            shown.add(key)
            print(sql)
            print(f"  parameters: {_short(parameters)}")
            for line in plan(engine, statement, parameters):
                print(f"    {line}")
