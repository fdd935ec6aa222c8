"""Teams and roles in a real Chromium: an administrator invites someone with a team through the
Add user dialog, changes that pending user's teams (Actions > Add/Remove) and adds an
individual role on a registered entity type (its tab on the user's page); the person then
accepts in a browser of their own, and My account shows what the team and the role give."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.test_seed_walkthrough import (
    NEW_PASSWORD,
    add_dialog,
    new_context,
    rows,
    search,
    sign_in,
    watch_console,
)
from tests.fixtures.factories import PASSWORD, SignedIn

PROJECT = {
    "key": "project",
    "name": "Project",
    "description": "A project of the tracker.",
    "roles": [
        {"key": "viewer", "name": "Viewer", "permissions": ["project.read"]},
        {"key": "editor", "name": "Editor", "permissions": ["project.read", "project.edit"]},
    ],
}


def arrange(admin: SignedIn) -> dict[str, str]:
    """An application's entity type, and two custom teams; Platform may view every project."""
    api = admin.client
    assert api.post("/api/v1/entity-types", json=PROJECT).status_code == 201
    ids: dict[str, str] = {}
    for name, about in [("Platform", "Runs the servers."), ("Billing", "Sends the invoices.")]:
        r = api.post("/api/v1/teams", json={"name": name, "description": about})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    r = api.post(
        "/api/v1/role-bindings",
        json={"role": "project:viewer", "entity_id": "*", "team_id": ids["Platform"]},
    )
    assert r.status_code == 201, r.text
    return ids


def test_a_pending_users_teams_and_roles_show_on_their_account_once_they_accept(
    browser: Browser, live_server: str, admin: SignedIn
) -> None:
    arrange(admin)
    admin_context = new_context(browser)
    tab = admin_context.new_page()
    problems = watch_console(tab)
    sign_in(tab, live_server, admin.email, PASSWORD)

    # Invite Marie with the Platform team, by a shareable link.
    tab.goto(live_server + "/admin/users")
    tab.get_by_role("button", name="Add user").first.click()
    dialog = add_dialog(tab)
    dialog.get_by_label("First name").fill("Marie")
    dialog.get_by_label("Last name").fill("Curie")
    dialog.get_by_label("Organizational email").fill("marie.curie@acme.io")
    dialog.get_by_label("Platform", exact=True).check()
    dialog.get_by_label("Shareable link").check()
    dialog.get_by_role("button", name="Invite").click()
    shared = dialog.get_by_label("Registration link")
    expect(shared).to_have_value(re.compile(re.escape(live_server) + r"/register/\S+"))
    link = shared.input_value()
    dialog.get_by_role("button", name="Done").click()

    # Still pending, open her page.
    search(tab, "curie")
    expect(rows(tab)).to_have_count(1)
    expect(rows(tab).first).to_contain_text("Pending")
    rows(tab).first.get_by_role("link", name="Marie Curie").click()
    expect(tab.get_by_role("heading", name="Marie Curie")).to_be_visible()
    teams = tab.get_by_role("region", name="Teams")
    expect(teams).to_contain_text("Platform")

    # Teams: Actions > Add/Remove, by keyboard: the menu opens with the arrow key.
    actions = teams.get_by_role("button", name="Actions for the teams of Marie Curie")
    actions.focus()
    tab.keyboard.press("ArrowDown")
    item = tab.get_by_role("menuitem", name="Add/Remove")
    expect(item).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("heading", name="Add or remove teams")).to_be_visible()
    expect(tab.get_by_label("Platform", exact=True)).to_be_checked()
    expect(tab.get_by_label("Member (everyone)")).to_be_disabled()
    tab.get_by_label("Billing", exact=True).check()
    tab.get_by_role("button", name="Save teams").click()
    expect(tab.get_by_role("status")).to_have_text("The user's teams are saved.")
    expect(teams).to_contain_text("Billing")
    expect(teams).to_contain_text("Platform")

    # Individual roles: the Project tab, then Add role.
    roles = tab.get_by_role("region", name="Individual roles")
    tablist = roles.get_by_role("tablist", name="Entity types")
    expect(tablist).to_be_visible()
    tablist.get_by_role("tab", name="Project").click()
    expect(roles.get_by_role("tab", name="Project")).to_have_attribute("aria-selected", "true")
    panel = roles.get_by_role("tabpanel")
    expect(panel).to_contain_text("No project roles of their own.")
    panel.get_by_label("Role").select_option("project:editor")
    panel.get_by_label("Project id").fill("42")
    panel.get_by_role("button", name="Add role").click()
    expect(tab.get_by_role("status")).to_have_text("The role is added.")
    expect(panel.locator("tr[data-binding-id]")).to_have_count(1)
    expect(panel.locator("tr[data-binding-id]")).to_contain_text("Project 42")
    # The arrow keys move along the tabs.
    roles.get_by_role("tab", name="Project").focus()
    tab.keyboard.press("Home")
    expect(roles.get_by_role("tab").first).to_be_focused()

    # Marie accepts in her own browser; My account shows what she can access, and from where.
    marie_context = new_context(browser)
    marie = marie_context.new_page()
    marie_problems = watch_console(marie)
    marie.goto(link)
    marie.wait_for_url(live_server + "/register")
    marie.get_by_label("New password").fill(NEW_PASSWORD)
    marie.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    marie.get_by_role("button", name="Create account").click()
    marie.wait_for_url(live_server + "/account")
    access = marie.get_by_role("region", name="What you can access")
    editor = access.locator("tr").filter(has_text="Editor")
    expect(editor).to_contain_text("Project 42")
    expect(editor).to_contain_text("Your own")
    viewer = access.locator("tr").filter(has_text="Viewer")
    expect(viewer).to_contain_text("Every project")
    expect(viewer).to_contain_text("Team Platform")
    expect(marie.locator("main")).to_contain_text("Billing")

    assert problems == []
    assert marie_problems == []
    marie_context.close()
    admin_context.close()
