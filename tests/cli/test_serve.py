"""``usher serve``: the app under uvicorn from the console script."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.cli.server import free_port, is_up, usher_process, wait_for


def test_serve_starts_and_warns_about_a_schema_that_is_behind(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "USHER_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "USHER_VAR_DIR": str(tmp_path / "var"),
        "USHER_SECRET_KEY": "x",
        "USHER_ENV": "test",
    }

    with usher_process(["serve", "--port", str(port), "--no-worker"], env, tmp_path) as running:
        wait_for(is_up(f"{base}/healthz"), running)
        ready = httpx.get(f"{base}/readyz", timeout=5)

    assert ready.status_code == 503
    assert ready.json()["database"] == "migrations pending"
    assert "run `usher db upgrade`" in running.err()
    assert running.returncode in (0, -signal.SIGTERM), running.err()
    assert "Traceback" not in running.err()


def test_serve_refuses_a_bad_port(tmp_path: Path) -> None:
    with usher_process(["serve", "--port", "70000"], {}, tmp_path) as running:
        running.process.wait(timeout=15)

    assert running.returncode == 2
    assert "Invalid value for '--port'" in running.err()
