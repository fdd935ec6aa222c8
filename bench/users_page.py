"""Benchmark of the User Management page: server time of the whole page and of its search.

Issue 5 asks that, with 100,000 users, the User Management page and a search answer in under
300 ms of server time. This signs in as the organization's admin through the real sign-in form
and requests the pages over ASGI in-process (Starlette's TestClient: the full app — middleware,
session and CSRF cookies, the access check, the list query and its count, Jinja rendering —
without a network), timing each request from send to the last byte of the body:

- ``/admin/users``: the whole page (default sort, first page, the Add user dialog's choices);
- ``/admin/users?q=…``: the page opened on a search (a reload or a shared link);
- ``/admin/users/table?q=…``: the results part the search box fetches as you type, for name
  fragments, full names, email fragments and phone digits;
- status filter, a sort by last activity, and the next page through the page's own link.

The data is the users-list benchmark's (``bench/seed.py``): a kept database is reused
(``bench/users_list.py --keep`` leaves one), otherwise one is generated and kept.

    .venv/bin/python bench/users_page.py --db both --users 100000
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient

if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import seed as seeding
from bench.queries import Sample, collect_sample, email_fragment, full_name, name_fragment
from bench.queries import phone_digits as phone_fragment
from bench.users_list import console, server_version
from usher.db.migrate import upgrade

BUDGET_MS = 300.0
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NEXT = re.compile(r'<a[^>]+href="(/admin/users\?[^"]*cursor=[^"]+)"')


@dataclass(frozen=True)
class Shape:
    name: str
    path: Callable[[random.Random], str]


@dataclass
class Timing:
    shape: Shape
    ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def pct(self, p: float) -> float:
        ordered = sorted(self.ms)  # nearest rank
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def over_budget(self) -> bool:
        return self.pct(95) > BUDGET_MS


def _q(path: str, q: str) -> str:
    from urllib.parse import urlencode

    return f"{path}?{urlencode({'q': q})}"


def shapes(s: Sample, next_pages: list[str]) -> list[Shape]:
    return [
        Shape("page · first page", lambda r: "/admin/users"),
        Shape("page · opened on a name search", lambda r: _q("/admin/users", name_fragment(r, s))),
        Shape("page · status disabled", lambda r: "/admin/users?status=disabled"),
        Shape(
            "page · sorted by last activity",
            lambda r: "/admin/users?sort=last_activity_at&order=desc",
        ),
        Shape("page · next page (its Next link)", lambda r: r.choice(next_pages)),
        Shape(
            "as you type · name fragment",
            lambda r: _q("/admin/users/table", name_fragment(r, s)),
        ),
        Shape("as you type · full name", lambda r: _q("/admin/users/table", full_name(r, s))),
        Shape(
            "as you type · email fragment",
            lambda r: _q("/admin/users/table", email_fragment(r, s)),
        ),
        Shape(
            "as you type · phone digits",
            lambda r: _q("/admin/users/table", phone_fragment(r, s)),
        ),
    ]


def sign_in(client: TestClient, organization: str, email: str) -> None:
    form = client.get("/login")
    token = _CSRF.search(form.text)
    if token is None:
        raise SystemExit("no CSRF token on /login")
    r = client.post(
        "/login",
        data={
            "organization": organization,
            "email": email,
            "password": seeding.PASSWORD,
            "csrf_token": unescape(token[1]),
        },
        follow_redirects=False,
    )
    if r.status_code != 303:
        raise SystemExit(f"sign-in failed: {r.status_code} {r.text[:300]}")


def next_links(client: TestClient, pages: int) -> list[str]:
    """The Next links met walking the first ``pages`` pages, as a person clicking would."""
    links: list[str] = []
    path = "/admin/users"
    for _ in range(pages):
        found = _NEXT.search(client.get(path).text)
        if found is None:
            break
        path = unescape(found[1])
        links.append(path)
    return links


def time_shape(
    client: TestClient, shape: Shape, rng: random.Random, *, runs: int, warmup: int
) -> Timing:
    timing = Timing(shape)
    for i in range(warmup + runs):
        path = shape.path(rng)
        started = time.perf_counter()
        r = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
        if i >= warmup:
            timing.ms.append(elapsed)
            timing.sizes.append(len(r.content))
    return timing


def markdown(timings: Sequence[Timing]) -> str:
    lines = [
        "| request | runs | p50 ms | p95 ms | max ms | body KiB |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for t in timings:
        p95 = f"**{t.pct(95):.1f}**" if t.over_budget else f"{t.pct(95):.1f}"
        lines.append(
            f"| {t.shape.name} | {len(t.ms)} | {t.pct(50):.1f} | {p95} | {max(t.ms):.1f} "
            f"| {statistics.mean(t.sizes) / 1024:.0f} |"
        )
    return "\n".join(lines)


def run_engine(backend: str, args: argparse.Namespace) -> list[Timing]:
    if backend == "sqlite":
        target = seeding.sqlite_target(args.users, args.data_dir)
    else:
        target = seeding.postgres_target(args.postgres, args.users)
    if seeding.exists(target):
        upgrade(target.url)
        app = seeding.build_app(target)
        seeding.analyze(app.state.engine)
        seeded = seeding.find_seeded(app)
        if seeded is None or seeded.users != args.users:
            raise SystemExit(f"{target.label} does not hold a {args.users:,}-user benchmark")
        console.print(f"[bold]{target.title}[/]: reusing {target.label}")
    else:
        console.print(f"[bold]{target.title}[/]: creating {target.label} (kept)")
        seeding.create(target)
        app = seeding.build_app(target)
        seeded = seeding.seed(
            app,
            target,
            users=args.users,
            other_users=args.users // 10,
            rng_seed=args.seed,
            batch=5000,
            statistics=True,
        )
    rng = random.Random(args.seed)
    try:
        sample = collect_sample(app.state.session_factory, seeded, rng, 50)
        from sqlalchemy import select

        from usher.models import Organization, User

        with app.state.session_factory() as session:
            admin_email = session.scalar(select(User.email).where(User.id == seeded.admin_id))
            slug = session.scalar(
                select(Organization.slug).where(Organization.id == seeded.organization_id)
            )
        # The app's own https cookies would not come back over http://testserver.
        with TestClient(app, base_url="https://testserver") as client:
            sign_in(client, str(slug), str(admin_email))
            links = next_links(client, 20)
            load_before = os.getloadavg()
            timings = []
            for shape in shapes(sample, links):
                console.print(f"  timing {shape.name} …")
                timings.append(time_shape(client, shape, rng, runs=args.runs, warmup=args.warmup))
            load_after = os.getloadavg()
        title = (
            f"{server_version(app.state.engine)} · {args.users:,} users · "
            f"load avg {load_before[0]:.1f} → {load_after[0]:.1f}"
        )
        print(f"\n#### {title}\n")
        print(markdown(timings))
        return timings
    finally:
        app.state.engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--postgres", default=seeding.DEFAULT_POSTGRES, help="server URL")
    parser.add_argument("--runs", type=int, default=100, help="timed requests per shape")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests before those")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", type=Path, default=seeding.DATA_DIR, help="SQLite files")
    args = parser.parse_args(argv)
    command = " ".join([".venv/bin/python bench/users_page.py", *sys.argv[1:]])
    print(
        f"# users_page benchmark · {platform.node()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()}\n\n`{command}`"
    )
    over = []
    for backend in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        for t in run_engine(backend, args):
            if t.over_budget:
                over.append(f"{backend} · {t.shape.name}")
    for name in over:
        console.print(f"[red]over {BUDGET_MS:.0f} ms at p95[/]: {name}")


if __name__ == "__main__":
    main()
