"""Health and readiness endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_database_and_migrations(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


def test_readyz_is_503_when_migrations_are_pending(tmp_path: object) -> None:
    from pathlib import Path

    from usher.app import create_app
    from usher.config import Settings

    var = Path(str(tmp_path)) / "var"
    settings = Settings(
        env="test", var_dir=var, secret_key="k", database_url=f"sqlite:///{var / 'empty.db'}"
    )
    with TestClient(create_app(settings)) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["database"] == "migrations pending"
