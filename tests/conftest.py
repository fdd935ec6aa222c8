"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when USHER_TEST_DATABASE_URL is
set), settings, the app, HTTP clients and data factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from usher.app import create_app
from usher.config import Settings
from usher.db.base import Base
from usher.db.engine import get_engine, normalize_url
from usher.db.migrate import upgrade

pytest_plugins = ["tests.fixtures.factories", "tests.fixtures.smtp"]

TEST_DATABASE_URL = os.environ.get("USHER_TEST_DATABASE_URL", "")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (USHER_TEST_NO_SKIP=1) a skipped test is a failed run: nothing may be left out."""
    if not os.environ.get("USHER_TEST_NO_SKIP"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(
                f"USHER_TEST_NO_SKIP: {skipped} test(s) skipped; failing the run", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of PostgreSQL-only behaviour (row locks) run in the PostgreSQL pass only."""
    if (
        TEST_DATABASE_URL
        and make_url(normalize_url(TEST_DATABASE_URL)).get_backend_name() == "postgresql"
    ):
        return
    kept = [i for i in items if i.get_closest_marker("postgres_only") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def pytest_report_header() -> str:
    backend = (
        make_url(normalize_url(TEST_DATABASE_URL)).get_backend_name()
        if TEST_DATABASE_URL
        else "sqlite"
    )
    return f"usher test database: {backend}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this run's own, built by the Alembic migrations (not create_all)."""
    if TEST_DATABASE_URL:
        import psycopg

        server = make_url(normalize_url(TEST_DATABASE_URL))
        name = f"usher_test_{uuid.uuid4().hex[:10]}"
        admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        url = server.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
        get_engine(url).dispose()
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    else:
        path = tmp_path_factory.mktemp("db") / "usher.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    return get_engine(database_url)


@pytest.fixture(scope="session")
def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from empty tables (tests commit for real, so no rollback trick)."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            conn.execute(text("UPDATE org_units SET parent_id = NULL"))  # a self-reference
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, database_url: str, settings_overrides: dict[str, object]) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "base_url": "http://usher.test",
        "var_dir": tmp_path / "var",
        "secret_key": "test-secret-key",
        "rate_limit_login_ip": "1000/minute",
        "rate_limit_login_account": "1000/minute",
        "rate_limit_reset_ip": "1000/minute",
        "rate_limit_reset_account": "1000/minute",
        "rate_limit_invite_ip": "1000/minute",
        "rate_limit_invite_account": "1000/minute",
        "mail_poll_seconds": 0.05,
        "mail_retry_base_seconds": 0.05,
        "mail_retry_max_seconds": 0.2,
    }
    values.update(settings_overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c
