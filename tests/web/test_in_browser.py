"""The pages in a real Chromium: the script runs under the Content-Security-Policy, the hints
react to typing, times turn local, and a person registers and signs out with the mouse."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

import tests.browser.conftest as browser_fixtures
from tests.fixtures.factories import PASSWORD, make_org

# The browser fixtures of tests/browser: Chromium, a fresh profile, the app on a real socket.
playwright = browser_fixtures.playwright
browser = browser_fixtures.browser
context = browser_fixtures.context
live_port = browser_fixtures.live_port
live_server = browser_fixtures.live_server
settings_overrides = browser_fixtures.settings_overrides

pytestmark = pytest.mark.browser


def watch_console(tab: Page) -> list[str]:
    """Errors the page logs, CSP violations among them (Chromium reports them as errors)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_register_and_sign_out_in_a_browser(
    app: FastAPI, live_server: str, context: BrowserContext
) -> None:
    created = make_org(app)
    tab = context.new_page()
    problems = watch_console(tab)

    tab.goto(live_server + urlsplit(created.registration_url).path)
    assert urlsplit(tab.url).path == "/register"
    expect(tab.get_by_label("First name")).to_have_value("Ada")
    expect(tab.get_by_label("Email")).to_have_js_property("readOnly", True)

    password = tab.get_by_label("New password")
    password.fill("violet")
    expect(tab.locator("#password-meter")).to_be_visible()
    expect(tab.locator("#password-meter .meter__text")).to_contain_text(
        "6 of 15 characters: 9 more to go."
    )
    password.fill(PASSWORD)
    expect(tab.locator("#password-meter .meter__text")).to_contain_text("long enough")

    confirm = tab.get_by_label("Repeat the password")
    confirm.fill(PASSWORD[:-1])
    expect(tab.locator("#password_confirm-match")).to_have_text(
        "The passwords are not the same yet."
    )
    confirm.fill(PASSWORD)
    expect(tab.locator("#password_confirm-match")).to_have_text("✓ The passwords match.")

    show = tab.get_by_role("button", name="Show passwords")
    show.click()
    expect(password).to_have_attribute("type", "text")
    expect(tab.get_by_role("button", name="Hide passwords")).to_have_attribute(
        "aria-pressed", "true"
    )

    tab.get_by_role("button", name="Create account").click()
    tab.wait_for_url(live_server + "/account")
    expect(tab.get_by_role("heading", name="My account")).to_be_visible()
    registered = tab.locator("time").first
    # The script has put it in local time, keeping the UTC text as its tooltip.
    expect(registered).not_to_contain_text("UTC")
    expect(registered).to_have_attribute("title", re.compile(r"UTC$"))

    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url(live_server + "/login?done=signed_out")
    expect(tab.get_by_role("status")).to_have_text("You have signed out.")
    assert problems == []
