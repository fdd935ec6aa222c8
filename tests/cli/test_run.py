"""``usher run``: the first start creates one organization and says how to sign in."""

from __future__ import annotations

import io
import re
import signal
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import Engine

from tests.cli.conftest import Usher, token_of
from tests.cli.server import free_port, is_up, usher_process, wait_for
from usher.cli.run import Bootstrap, bootstrap, development_base_url, welcome
from usher.config import Settings
from usher.db.engine import session_factory, unit_of_work
from usher.kit.ratelimit import RateLimiter


def first_start(engine: Engine, settings: Settings, **names: str) -> Bootstrap:
    sessions = session_factory(engine, settings=settings, limiter=RateLimiter())
    with unit_of_work(sessions) as session:
        return bootstrap(
            session,
            org_name=names.get("org_name", "Example Org"),
            admin_email=names.get("admin_email", "admin@example.com"),
        )


def rendered(settings: Settings, result: Bootstrap, width: int = 200) -> str:
    buffer = io.StringIO()
    welcome(Console(file=buffer, width=width, color_system=None), settings, result)
    return buffer.getvalue()


def test_first_start_creates_the_organization_once(
    engine: Engine, settings: Settings, client: TestClient
) -> None:
    made = first_start(engine, settings)
    again = first_start(engine, settings, org_name="Other Org")

    assert made.created
    assert made.org_slug == "example-org"
    assert made.admin_email == "admin@example.com"
    assert made.registration_url and made.registration_url.startswith("http://usher.test/register/")
    preview = client.get(f"/api/v1/invitations/{token_of(made.registration_url)}")
    assert preview.status_code == 200
    assert preview.json()["organization_slug"] == "example-org"
    assert not again.created
    assert again.existing_organizations == 1


def test_first_start_leaves_an_existing_organization_alone(
    usher: Usher, engine: Engine, settings: Settings
) -> None:
    assert usher("org create Acme --admin-email ada@acme.io").exit_code == 0

    result = first_start(engine, settings)

    assert not result.created
    assert result.existing_organizations == 1


def test_the_welcome_says_how_to_sign_in(engine: Engine, settings: Settings) -> None:
    text = rendered(settings, first_start(engine, settings))

    assert re.search(r"^http://usher\.test/register/\S+$", text, re.MULTILINE)
    assert "http://usher.test/login" in text
    assert "organization example-org, email admin@example.com" in text
    assert "POST http://usher.test/api/v1/auth/login" in text
    assert '{"organization": "example-org", "email": "admin@example.com", "password": "…"}' in text
    assert f"{settings.var_dir}/mail/*.eml" in text


def test_a_narrow_terminal_wraps_the_text_but_keeps_the_link_whole(
    engine: Engine, settings: Settings, client: TestClient
) -> None:
    text = rendered(settings, first_start(engine, settings), width=60)

    link = re.search(r"^http://usher\.test/register/\S+$", text, re.MULTILINE)
    assert link, text
    assert client.get(f"/api/v1/invitations/{token_of(link.group())}").status_code == 200
    assert "admin@example.com" in text
    assert "/api/v1/auth/login" in text
    assert all(len(line) <= 60 for line in text.splitlines() if line != link.group())


def test_the_welcome_on_a_later_start_says_how_to_get_a_link(
    engine: Engine, settings: Settings
) -> None:
    first_start(engine, settings)
    text = rendered(settings, first_start(engine, settings))

    assert "already exist" in text
    assert "usher org create" in text
    assert "/register/" not in text


def test_the_welcome_names_smtp_when_it_is_set(engine: Engine, settings: Settings) -> None:
    with_smtp = settings.model_copy(update={"smtp_url": "smtp://mail.test:25"})

    text = rendered(with_smtp, first_start(engine, settings))

    assert "USHER_SMTP_URL" in text
    assert ".eml" not in text


def test_links_point_at_the_server_when_no_base_url_is_set() -> None:
    assert development_base_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert development_base_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert development_base_url("::1", 8000) == "http://[::1]:8000"
    assert development_base_url("localhost", 8001) == "http://localhost:8001"


def test_run_migrates_bootstraps_and_serves(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "USHER_DATABASE_URL": database_url,
        "USHER_VAR_DIR": str(tmp_path / "var"),
        "USHER_SECRET_KEY": "x",
        "USHER_ENV": "test",
        "USHER_BOOTSTRAP_ORG": "Launch Org",
        "USHER_BOOTSTRAP_ADMIN_EMAIL": "boss@launch.io",
    }
    base = f"http://127.0.0.1:{port}"

    with usher_process(["run", "--port", str(port)], env, tmp_path) as running:
        wait_for(is_up(f"{base}/healthz"), running)
        link = re.search(rf"^{re.escape(base)}/register/\S+$", running.out(), re.MULTILINE)
        assert link, running.out()
        preview = httpx.get(f"{base}/api/v1/invitations/{token_of(link.group())}", timeout=5)
        assert preview.status_code == 200
        assert preview.json()["organization_slug"] == "launch-org"
        assert preview.json()["email"] == "boss@launch.io"
        assert httpx.get(f"{base}/readyz", timeout=5).json()["database"] == "ok"

    # Uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells why it ended.
    assert running.returncode in (0, -signal.SIGTERM), running.err()
    assert "Application shutdown complete" in running.err()
    assert "mail is written to" in running.err()
    assert "Traceback" not in running.err()
