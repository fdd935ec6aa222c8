"""Browser tests: the app served by uvicorn on a loopback port, driven by Debian's Chromium
through Playwright (never a downloaded browser)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def settings_overrides(live_port: int) -> dict[str, object]:
    return {"base_url": f"http://127.0.0.1:{live_port}"}


@pytest.fixture
def live_server(app: FastAPI, live_port: int) -> Iterator[str]:
    """The test app on a real socket; the base URL of every mailed link points here."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=live_port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{live_port}"
    server.should_exit = True
    thread.join(timeout=10)


# One Playwright for the whole run, however many modules take these fixtures (tests/web
# re-exports them under its own names): the sync API cannot run two at once in one thread.
_shared: dict[str, Any] = {"users": 0}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not _shared["users"]:
        _shared["instance"] = sync_playwright().start()
    _shared["users"] += 1
    try:
        yield _shared["instance"]
    finally:
        _shared["users"] -= 1
        if not _shared["users"]:
            _shared.pop("instance").stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (cookies, storage); a second one is a second person."""
    ctx = browser.new_context()
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()
