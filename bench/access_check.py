"""Benchmark of the access decision: in-process, one HTTP check, and a batch of 100.

Issue 6 asks, for a user in 20 teams with 200 role bindings, on SQLite and PostgreSQL: the
in-process decision under 50 µs at p99, and the HTTP check under 5 ms at p95.

The data: an organization made by the services, an application entity type ``project`` (roles
viewer, editor, maintainer, admin) and ``repository`` (reader, writer); the user under test in
20 custom teams, each team holding 10 roles on projects and repositories (200 bindings), plus
10 individual roles; and noise that the decision must leave out: 100 other teams with 20 bindings
each, and a second organization alike.

Timed:

- *decision*: ``AccessSet.decide(permission, entity)`` on grants already loaded, a mix of
  allowed and denied questions (``time.perf_counter_ns`` around each call);
- *load + decision*: ``access.service.access_of`` (the one query that loads the grants) and the
  decision, in a session, as each request does;
- *HTTP check*: ``POST /api/v1/access/check`` over a real loopback connection to ``usher
  serve`` (uvicorn, one process, started by the benchmark) from an httpx client with keep-alive,
  with an API token of an Organization Admin asking about the user;
- *HTTP batch*: ``POST /api/v1/access/check/batch`` with 100 checks.

    .venv/bin/python bench/access_check.py --db both
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from sqlalchemy.engine import make_url

if __package__ in (None, ""):  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import seed as seeding
from usher.access import roles as access_roles
from usher.access import service as access
from usher.access.decision import AccessSet, Entity
from usher.auth.service import create_api_token
from usher.db.engine import normalize_url, unit_of_work
from usher.invitations.service import accept
from usher.kit.client import CLI_CLIENT
from usher.models import User
from usher.models.invitation import InviteMethod
from usher.orgs.service import create_organization
from usher.teams import service as teams_service
from usher.users import service as users_service
from usher.users.schemas import UserCreate

console = Console(stderr=True)
PROJECTS = 2000
TEAMS, BINDINGS_PER_TEAM, INDIVIDUAL = 20, 10, 10
NOISE_TEAMS, NOISE_BINDINGS = 100, 20
PERMISSIONS = [
    "project.read",
    "project.edit",
    "project.deploy",
    "project.delete",
    "repository.read",
    "repository.write",
]


@dataclass
class Timing:
    name: str
    unit: str
    values: list[float] = field(default_factory=list)

    def pct(self, p: float) -> float:
        ordered = sorted(self.values)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class World:
    organization_id: uuid.UUID
    admin_id: uuid.UUID
    user_id: uuid.UUID
    admin_token: str


def _target(backend: str, server: str) -> seeding.Target:
    if backend == "sqlite":
        path = (seeding.DATA_DIR / "usher_bench_access.db").resolve()
        return seeding.Target("sqlite", f"sqlite:///{path}", str(path))
    url = make_url(normalize_url(server))
    return seeding.Target(
        "postgresql",
        url.set(database="usher_bench_access").render_as_string(hide_password=False),
        "usher_bench_access",
        url.set(drivername="postgresql").render_as_string(hide_password=False),
    )


def _org(app: Any, name: str, rng: random.Random) -> World:
    factory = app.state.session_factory
    slug = name.lower()
    with unit_of_work(factory) as session:
        created = create_organization(
            session, name=name, slug=slug, admin_email=f"ada@{slug}.example", client=CLI_CLIENT
        )
        token = created.registration_url.rstrip("/").rsplit("/", 1)[1]
        admin = accept(session, token=token, password=seeding.PASSWORD, client=CLI_CLIENT)
        admin_id = admin.id
    with unit_of_work(factory) as session:
        actor = session.get_one(User, admin_id)
        for key, roles in (
            (
                "project",
                [
                    ("viewer", ["project.read"]),
                    ("editor", ["project.read", "project.edit"]),
                    ("maintainer", ["project.read", "project.edit", "project.deploy"]),
                    ("admin", ["project.*"]),
                ],
            ),
            ("repository", [("reader", ["repository.read"]), ("writer", ["repository.*"])]),
        ):
            access_roles.register_entity_type(
                session,
                actor,
                key=key,
                name=key.title(),
                description="",
                roles=[access_roles.RoleSpecIn(k, k.title(), "", p) for k, p in roles],
                client=CLI_CLIENT,
            )
        invited = users_service.invite_user(
            session,
            actor,
            data=UserCreate(
                first_name="Grace",
                last_name="Hopper",
                email=f"grace@{slug}.example",
                invite_method=InviteMethod.link,
            ),
            client=CLI_CLIENT,
        )
        assert invited.registration_url
        user_token = invited.registration_url.rstrip("/").rsplit("/", 1)[1]
    with unit_of_work(factory) as session:
        user = accept(session, token=user_token, password=seeding.PASSWORD, client=CLI_CLIENT)
        user_id = user.id
    role_names = [
        "project:viewer",
        "project:editor",
        "project:maintainer",
        "project:admin",
        "repository:reader",
        "repository:writer",
    ]
    with unit_of_work(factory) as session:
        actor = session.get_one(User, admin_id)
        for t in range(TEAMS + NOISE_TEAMS):
            team = teams_service.create_team(
                session, actor, name=f"Team {t:03d}", client=CLI_CLIENT
            ).team
            if t < TEAMS:
                teams_service.add_members(session, actor, team.id, [user_id], client=CLI_CLIENT)
            for _ in range(BINDINGS_PER_TEAM if t < TEAMS else NOISE_BINDINGS):
                while True:
                    try:
                        with session.begin_nested():
                            access_roles.grant_role(
                                session,
                                actor,
                                role=rng.choice(role_names),
                                entity_id=str(rng.randrange(PROJECTS)),
                                team_id=team.id,
                                client=CLI_CLIENT,
                            )
                        break
                    except Exception:  # the same role on the same entity twice: draw again
                        continue
        for _ in range(INDIVIDUAL):
            while True:
                try:
                    with session.begin_nested():
                        access_roles.grant_role(
                            session,
                            actor,
                            role=rng.choice(role_names),
                            entity_id=str(rng.randrange(PROJECTS)),
                            user_id=user_id,
                            client=CLI_CLIENT,
                        )
                    break
                except Exception:
                    continue
        plain, _token = create_api_token(session, actor, name="bench", client=CLI_CLIENT)
        org_id = actor.organization_id
    return World(org_id, admin_id, user_id, plain)


def questions(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """(permission, entity type, entity id): about a third allowed, the rest denied."""
    out = []
    for _ in range(n):
        permission = rng.choice(PERMISSIONS)
        kind = permission.split(".")[0]
        out.append((permission, kind, str(rng.randrange(PROJECTS))))
    return out


def time_decision(held: AccessSet, rng: random.Random, runs: int) -> tuple[Timing, float]:
    asked = [(p, Entity(t, i)) for p, t, i in questions(rng, runs)]
    timing = Timing("decision (in-process, grants loaded)", "µs")
    allowed = 0
    for i in range(2):  # the first pass warms the memo and the interpreter
        for permission, entity in asked:
            started = time.perf_counter_ns()
            grant = held.decide(permission, entity)
            elapsed = time.perf_counter_ns() - started
            if i:
                timing.values.append(elapsed / 1000)
                allowed += grant is not None
    return timing, allowed / len(asked)


def time_load(app: Any, world: World, rng: random.Random, runs: int) -> Timing:
    timing = Timing("load grants + decision (in-process)", "ms")
    factory = app.state.session_factory
    asked = questions(rng, runs)
    for i, (permission, kind, entity_id) in enumerate([*asked[:20], *asked]):
        with factory() as session:
            user = session.get_one(User, world.user_id)
            started = time.perf_counter()
            access.access_of(session, user).decide(permission, Entity(kind, entity_id))
            elapsed = (time.perf_counter() - started) * 1000
            session.rollback()
        if i >= 20:
            timing.values.append(elapsed)
    return timing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_http(
    target: seeding.Target, world: World, rng: random.Random, runs: int, batch_runs: int
) -> list[Timing]:
    """Over loopback to ``usher serve`` in a process of its own (the client here must not share
    the server's interpreter: it would take turns with it for the GIL)."""
    port = free_port()
    env = {
        **os.environ,
        "USHER_DATABASE_URL": target.url,
        "USHER_ENV": "development",
        "USHER_SECRET_KEY": "bench-secret-key-not-for-production",
        "USHER_VAR_DIR": str(Path(tempfile.gettempdir()) / "usher-bench-var"),
    }
    usher = Path(sys.executable).with_name("usher")
    server = subprocess.Popen(
        [str(usher), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    single = Timing("HTTP check (POST /api/v1/access/check), round trip", "ms")
    single_server = Timing("… of which in the server (its Server-Timing)", "ms")
    batch = Timing("HTTP batch of 100 checks, round trip", "ms")
    batch_server = Timing("… of which in the server (its Server-Timing)", "ms")
    headers = {
        "Authorization": f"Bearer {world.admin_token}",
        "Content-Type": "application/json",
    }
    # http.client, one keep-alive connection: the least client-side work per request, so the
    # round trip is the server's time plus the loopback's.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(path: str, payload: Any) -> tuple[float, float, bytes]:
        data = json.dumps(payload).encode()
        started = time.perf_counter()
        connection.request("POST", path, body=data, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
        server_ms = float(response.getheader("server-timing", "app;dur=0").split("dur=")[1])
        return elapsed, server_ms, body

    try:
        for _ in range(200):
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}") as probe:
                    if probe.get("/healthz").status_code == 200:
                        break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise SystemExit("usher serve did not start")

        def body(q: tuple[str, str, str]) -> dict[str, str]:
            p, t, i = q
            return {"user_id": str(world.user_id), "permission": p, "entity": f"{t}:{i}"}

        for i, q in enumerate(questions(rng, runs + 50)):
            elapsed, server_ms, _ = post("/api/v1/access/check", body(q))
            if i >= 50:
                single.values.append(elapsed)
                single_server.values.append(server_ms)
        for i in range(batch_runs + 10):
            elapsed, server_ms, _ = post(
                "/api/v1/access/check/batch", {"checks": [body(q) for q in questions(rng, 100)]}
            )
            if i >= 10:
                batch.values.append(elapsed)
                batch_server.values.append(server_ms)
    finally:
        connection.close()
        server.terminate()
        server.wait(timeout=30)
    return [single, single_server, batch, batch_server]


def markdown(title: str, timings: Sequence[Timing]) -> str:
    lines = [
        f"#### {title}",
        "",
        "| measured | runs | p50 | p95 | p99 | max |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for t in timings:
        cells = " | ".join(f"{t.pct(p):.1f} {t.unit}" for p in (50, 95, 99))
        lines.append(f"| {t.name} | {len(t.values):,} | {cells} | {max(t.values):.1f} {t.unit} |")
    return "\n".join(lines)


def run_engine(backend: str, args: argparse.Namespace) -> None:
    target = _target(backend, args.postgres)
    seeding.create(target)
    app = seeding.build_app(target)
    rng = random.Random(args.seed)
    try:
        started = time.perf_counter()
        world = _org(app, "Acme", rng)
        _org(app, "Globex", rng)  # another organization's rows, to be left out
        seeding.analyze(app.state.engine)
        console.print(f"{target.title}: seeded in {time.perf_counter() - started:.0f} s")
        with app.state.session_factory() as session:
            user = session.get_one(User, world.user_id)
            held = access.access_of(session, user)
        assert len(held.grants) == TEAMS * BINDINGS_PER_TEAM + INDIVIDUAL, len(held.grants)
        load_before = os.getloadavg()
        decision, allowed = time_decision(held, rng, args.decisions)
        timings = [decision, time_load(app, world, rng, args.runs)]
        timings += time_http(target, world, rng, args.runs, args.batch_runs)
        load_after = os.getloadavg()
        version = "SQLite" if backend == "sqlite" else "PostgreSQL"
        with app.state.engine.connect() as conn:
            if backend == "sqlite":
                version += " " + str(conn.exec_driver_sql("select sqlite_version()").scalar())
            else:
                version += " " + str(conn.exec_driver_sql("show server_version").scalar())
        title = (
            f"{version} · a user in {TEAMS} teams with {len(held.grants)} bindings "
            f"({allowed:.0%} of questions allowed) · load avg {load_before[0]:.1f} → "
            f"{load_after[0]:.1f}"
        )
        print("\n" + markdown(title, timings))
    finally:
        app.state.engine.dispose()
        if not args.keep:
            seeding.drop(target)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--postgres", default=seeding.DEFAULT_POSTGRES, help="server URL")
    parser.add_argument("--decisions", type=int, default=100_000, help="in-process decisions")
    parser.add_argument("--runs", type=int, default=1000, help="single checks (and loads)")
    parser.add_argument("--batch-runs", type=int, default=200, help="batches of 100")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="leave the database behind")
    args = parser.parse_args(argv)
    command = " ".join([".venv/bin/python bench/access_check.py", *sys.argv[1:]])
    print(
        f"# access_check benchmark · {platform.node()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()}\n\n`{command}`"
    )
    for backend in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        run_engine(backend, args)


if __name__ == "__main__":
    main()
