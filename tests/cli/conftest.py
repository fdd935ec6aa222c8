"""Run the real ``usher`` command in-process against the test database."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.fixtures.factories import accept
from usher.cli.main import app as cli_app


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str | None]:
    return {
        "USHER_DATABASE_URL": database_url,
        "USHER_VAR_DIR": str(tmp_path / "var"),
        "USHER_BASE_URL": "http://usher.test",
        "USHER_SECRET_KEY": "x",
        "USHER_ENV": "test",
        "USHER_SMTP_URL": None,
        "USHER_REDIS_URL": None,
        "USHER_BOOTSTRAP_ORG": None,
        "USHER_BOOTSTRAP_ADMIN_EMAIL": None,
    }


Usher = Callable[..., Result]


@pytest.fixture
def usher(cli_env: dict[str, str | None]) -> Usher:
    """``usher("org create Acme --json", *more_args, env={...})`` runs the command line;
    exceptions escape, so a bug shows as one rather than as an exit code."""

    def run(command: str, *more: str, env: dict[str, str | None] | None = None) -> Result:
        args = [*shlex.split(command), *more]
        result = CliRunner().invoke(
            cli_app, args, env={**cli_env, **(env or {})}, catch_exceptions=False
        )
        assert "Traceback" not in result.output
        return result

    return run


def error_line(result: Result) -> str:
    """The one line a refused command writes to stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@dataclass
class Admin:
    org_slug: str
    email: str
    org_id: str


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def make_admin(usher: Usher, client: TestClient) -> Callable[..., Admin]:
    """An organization made by ``usher org create`` whose admin registered through the API
    (``client`` is left signed in as that admin)."""

    def make(name: str = "Acme Corp", email: str = "ada@acme.io") -> Admin:
        result = usher("org create --json --admin-email", email, name)
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        r = accept(client, data["registration_url"])
        assert r.status_code == 200, r.text
        return Admin(data["organization"]["slug"], email, data["organization"]["id"])

    return make
