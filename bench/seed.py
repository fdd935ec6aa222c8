"""Fresh benchmark databases: created, migrated, then filled with generated organizations.

SQLite gets a file under ``bench/.data/``; PostgreSQL a database ``usher_bench_<n>`` on the
server given. Organizations, their first admin, units and teams go through the services; the
users are bulk-inserted with Core ``executemany``, one transaction per batch.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from fastapi import FastAPI
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.engine import make_url

from bench.generate import People, memberships
from usher.app import create_app
from usher.config import Settings
from usher.db.base import Base
from usher.db.engine import get_engine, normalize_url, unit_of_work
from usher.db.maintenance import refresh_statistics
from usher.db.migrate import upgrade
from usher.invitations.service import accept
from usher.kit.client import CLI_CLIENT
from usher.models import Organization, OrgUnit, Team, User
from usher.orgs.service import create_org_unit, create_organization

DATA_DIR = Path(__file__).parent / ".data"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD = "violet tractor anthem 42"
UNITS = {
    "Engineering": ("Platform", "Mobile", "Data", "Security"),
    "Sales": ("EMEA", "Americas", "APAC"),
    "Customer Success": ("Support", "Onboarding"),
    "Operations": ("Logistics", "Facilities", "Warehouse North", "Warehouse South"),
    "Finance": ("Accounting", "Payroll"),
    "People": ("Recruiting", "HR Operations"),
    "Marketing": ("Brand", "Growth"),
    "Legal": (),
}
TEAMS = (
    "On-call",
    "Mentors",
    "Release Managers",
    "Security Champions",
    "First Aiders",
    "Works Council",
    "Hiring Committee",
    "Book Club",
    "Platform Guild",
    "Design Reviewers",
    "Quarterly Planning",
    "Key Accounts",
    "Travel Approvers",
    "Fire Wardens",
    "Diversity Council",
    "Beta Testers",
)


@dataclass(frozen=True)
class OrgSpec:
    name: str
    slug: str
    domains: tuple[tuple[str, float], ...]
    admin: tuple[str, str]


MAIN = OrgSpec(
    "Northwind",
    "northwind",
    (("northwind.example", 80), ("northwind-labs.example", 12), ("nw-ext.example", 8)),
    ("Ada", "Lovelace"),
)
OTHER = OrgSpec("Contoso", "contoso", (("contoso.example", 100),), ("Grace", "Hopper"))


@dataclass(frozen=True)
class Target:
    """One benchmark database: where it lives and how to reach it."""

    backend: str  # "sqlite" | "postgresql"
    url: str
    label: str  # the SQLite file, or the PostgreSQL database name
    server: str = ""  # PostgreSQL: the URL to connect to for CREATE / DROP DATABASE

    @property
    def title(self) -> str:
        return "SQLite" if self.backend == "sqlite" else "PostgreSQL"


@dataclass(frozen=True)
class Seeded:
    """What the timings need to know about the organization under test."""

    organization_id: uuid.UUID
    admin_id: uuid.UUID
    department_ids: tuple[uuid.UUID, ...]
    team_ids: tuple[uuid.UUID, ...]
    users: int


def sqlite_target(users: int, data_dir: Path = DATA_DIR) -> Target:
    path = (data_dir / f"usher_bench_{users}.db").resolve()
    return Target("sqlite", f"sqlite:///{path}", str(path))


def postgres_target(server_url: str, users: int) -> Target:
    name = f"usher_bench_{users}"
    server = make_url(normalize_url(server_url))
    url = server.set(database=name).render_as_string(hide_password=False)
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    return Target("postgresql", url, name, dsn)


def exists(target: Target) -> bool:
    if target.backend == "sqlite":
        return Path(target.label).exists()
    with psycopg.connect(target.server, autocommit=True) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.label,)
        ).fetchone()
    return row is not None


def drop(target: Target) -> None:
    get_engine(target.url).dispose()
    if target.backend == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(target.label + suffix).unlink(missing_ok=True)
        return
    with psycopg.connect(target.server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.label}" WITH (FORCE)')


def create(target: Target) -> None:
    """An empty database at the newest migration (any earlier one is dropped first)."""
    drop(target)
    if target.backend == "postgresql":
        with psycopg.connect(target.server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{target.label}"')
    upgrade(target.url)


def build_app(target: Target) -> FastAPI:
    """The real app on this database; its session factory is what the timings use."""
    var_dir = Path(tempfile.gettempdir()) / "usher-bench-var"
    settings = Settings(
        env="development",
        database_url=target.url,
        var_dir=var_dir,
        secret_key="bench-secret-key-not-for-production",
    )
    return create_app(settings)


PROGRESS_COLUMNS = (
    TextColumn("[bold]{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TextColumn("{task.fields[rate]}"),
    TimeElapsedColumn(),
    TimeRemainingColumn(),
)


def progress_bar() -> Progress:
    return Progress(
        *PROGRESS_COLUMNS,
        console=Console(stderr=True),  # stdout carries the figures
    )


def seed(
    app: FastAPI,
    target: Target,
    *,
    users: int,
    other_users: int,
    rng_seed: int = 42,
    batch: int = 5000,
    statistics: bool = True,
) -> Seeded:
    """Both organizations and their users, then (unless told not to) planner statistics."""
    rng = random.Random(rng_seed)
    now = datetime.now(UTC)
    with progress_bar() as progress, search_index_built_after(app.state.engine):
        seeded = _seed_org(app, MAIN, rng, now, users, batch, progress)
        _seed_org(app, OTHER, rng, now, other_users, batch, progress)
    if statistics:
        analyze(app.state.engine)
    return seeded


@contextmanager
def search_index_built_after(engine: Engine) -> Iterator[None]:
    """Load without the search index, then build it in one go, as bulk loads are done.

    Kept during the load, it costs most of the time: FTS5 in SQLite 3.40 flushes its pending
    terms at every statement savepoint and whenever a rowid is not larger than the last, so
    each trigger insert with a random ``search_key`` writes a segment (~0.5 ms a row); the
    pg_trgm GIN index adds ~0.2 ms a row. The definitions are read from the database and
    restored verbatim, so the schema under test is the migrated one.
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            found = conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE tablename = 'users' AND indexdef LIKE '%gin_trgm_ops%'"
                )
            ).all()
            for name, _ in found:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
        yield
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            for _, definition in found:
                conn.exec_driver_sql(definition)
        return
    with engine.begin() as conn:
        found = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'users' AND sql LIKE '%INSERT INTO users_search%' "
                "AND sql LIKE '%AFTER INSERT ON users%'"
            )
        ).all()
        for name, _ in found:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    with engine.begin() as conn:
        # Ascending rowids let FTS5 keep its pending terms in memory between flushes.
        conn.exec_driver_sql(
            "INSERT INTO users_search(rowid, search_text) "
            "SELECT search_key, search_text FROM users "
            "WHERE search_key NOT IN (SELECT rowid FROM users_search) ORDER BY search_key"
        )
        for _, definition in found:
            conn.exec_driver_sql(definition)


def _seed_org(
    app: FastAPI,
    spec: OrgSpec,
    rng: random.Random,
    now: datetime,
    count: int,
    batch: int,
    progress: Progress,
) -> Seeded:
    factory = app.state.session_factory
    admin_email = f"{spec.admin[0]}.{spec.admin[1]}@{spec.domains[0][0]}".lower()
    with unit_of_work(factory) as session:
        created = create_organization(
            session,
            name=spec.name,
            slug=spec.slug,
            admin_email=admin_email,
            admin_first_name=spec.admin[0],
            admin_last_name=spec.admin[1],
            client=CLI_CLIENT,
        )
        token = created.registration_url.rstrip("/").rsplit("/", 1)[1]
        admin = accept(session, token=token, password=PASSWORD, client=CLI_CLIENT)
        org_id, admin_id = created.organization.id, admin.id
    departments: list[uuid.UUID] = []
    units: list[uuid.UUID] = []
    with unit_of_work(factory) as session:
        actor = session.get_one(User, admin_id)
        for name, children in UNITS.items():
            parent = create_org_unit(session, actor, name=name, parent_id=None, client=CLI_CLIENT)
            departments.append(parent.id)
            units.append(parent.id)
            for child in children:
                unit = create_org_unit(
                    session, actor, name=child, parent_id=parent.id, client=CLI_CLIENT
                )
                units.append(unit.id)
        teams = [Team(organization_id=org_id, name=name, description="") for name in TEAMS]
        session.add_all(teams)
        session.flush()
        team_ids = [t.id for t in teams]
    rng.shuffle(units)  # which units are big is left to chance
    people = People(
        rng,
        organization_id=org_id,
        org_domains=spec.domains,
        unit_ids=units,
        inviter_id=admin_id,
        now=now,
        taken_emails=[admin_email],
    )
    _load(app.state.engine, people, rng, team_ids, count, batch, progress, spec.name)
    return Seeded(org_id, admin_id, tuple(departments), tuple(team_ids), count)


def _load(
    engine: Engine,
    people: People,
    rng: random.Random,
    team_ids: Sequence[uuid.UUID],
    count: int,
    batch: int,
    progress: Progress,
    label: str,
) -> None:
    users_table = Base.metadata.tables["users"]
    members_table = Base.metadata.tables["team_members"]
    task = progress.add_task(f"{label} users", total=count, rate="")
    started = datetime.now(UTC)
    done = 0
    for rows in people.batches(count, batch):
        members = memberships(rng, [r["id"] for r in rows], team_ids)
        with engine.begin() as conn:
            conn.execute(insert(users_table), rows)
            if members:
                conn.execute(insert(members_table), members)
        done += len(rows)
        seconds = max((datetime.now(UTC) - started).total_seconds(), 1e-6)
        progress.update(task, advance=len(rows), rate=f"{done / seconds:,.0f} rows/s")


def analyze(engine: Engine) -> None:
    """Planner statistics as a running Usher has them: PostgreSQL's autovacuum, and on SQLite
    the sampled ANALYZE that every worker runs when it starts and every hour."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return
    refresh_statistics(engine)
    with engine.connect() as conn:
        # Outside any transaction (the raw connection is in autocommit mode).
        raw: Any = conn.connection.dbapi_connection
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def find_seeded(app: FastAPI) -> Seeded | None:
    """The main organization of an earlier, kept run (for ``--reuse``)."""
    with unit_of_work(app.state.session_factory) as session:
        org = session.scalar(select(Organization).where(Organization.slug == MAIN.slug))
        if org is None:
            return None
        admin_email = f"{MAIN.admin[0]}.{MAIN.admin[1]}@{MAIN.domains[0][0]}".lower()
        admin_id = session.scalar(
            select(User.id).where(User.organization_id == org.id, User.email == admin_email)
        )
        departments = session.scalars(
            select(OrgUnit.id)
            .where(OrgUnit.organization_id == org.id, OrgUnit.parent_id.is_(None))
            .order_by(OrgUnit.created_at, OrgUnit.id)
        ).all()
        team_ids = session.scalars(
            select(Team.id).where(Team.organization_id == org.id, Team.key.is_(None))
        ).all()
        count = session.scalar(
            select(func.count()).select_from(User).where(User.organization_id == org.id)
        )
    if admin_id is None:
        return None
    return Seeded(org.id, admin_id, tuple(departments), tuple(team_ids), int(count or 1) - 1)
