"""Teams, roles and access through the pages: the Teams list and a team's page (create, rename,
describe, delete; members Add/Remove; roles Grant/Revoke), a user's Teams (Add/Remove) and
Individual roles (a tab per entity type), My account's "What you can access", and who may do
any of it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from tests.fixtures.factories import Factory, SignedIn, db_session, invite
from tests.web.pages import Page, page
from usher.models import RoleBinding, Team, TeamMember

TEAMS = "/admin/teams"
USERS = "/admin/users"
PROJECT = {
    "key": "project",
    "name": "Project",
    "description": "A project of the tracker.",
    "roles": [
        {"key": "viewer", "name": "Viewer", "permissions": ["project.read"]},
        {"key": "editor", "name": "Editor", "permissions": ["project.read", "project.edit"]},
    ],
}


def csrf_of(client: TestClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert found, r.text
    return found.group(1)


def post(client: TestClient, path: str, data: dict[str, Any]) -> Response:
    response: Response = client.post(path, data=data, follow_redirects=False)
    return response


def team_named(app: FastAPI, name: str) -> Team | None:
    with db_session(app) as session:
        found: Team | None = session.scalar(select(Team).where(Team.name == name))
        return found


def members_of(app: FastAPI, team_id: str) -> set[str]:
    with db_session(app) as session:
        rows = session.scalars(
            select(TeamMember.user_id).where(TeamMember.team_id == uuid.UUID(team_id))
        )
        return {str(u) for u in rows}


def create_team(admin: SignedIn, name: str, description: str = "") -> str:
    token = csrf_of(admin.client, TEAMS)
    r = post(admin.client, TEAMS, {"csrf_token": token, "name": name, "description": description})
    assert r.status_code == 303, r.text
    found = re.search(r"/admin/teams/([0-9a-f-]{36})\?done=created", r.headers["location"])
    assert found, r.headers["location"]
    return found.group(1)


def register_project(admin: SignedIn) -> None:
    r = admin.client.post("/api/v1/entity-types", json=PROJECT)
    assert r.status_code == 201, r.text


def invited(admin: SignedIn, email: str = "grace@acme.io", **fields: Any) -> str:
    r = invite(admin.client, email=email, **fields)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def csrf(html: Page) -> str:
    """The page's CSRF token (every form of a page carries the same one)."""
    value = next(e for e in html.all("input") if e.attrs.get("name") == "csrf_token").attrs["value"]
    assert value
    return value


def alert(html: Page) -> str:
    found = [e.text for e in html.elements if e.attrs.get("role") == "alert"]
    assert found, html.text
    return found[0]


# --- the list -------------------------------------------------------------------------------


def test_the_list_shows_each_team_with_its_description_kind_and_member_count(
    admin: SignedIn,
) -> None:
    invited(admin)
    r = admin.client.get(TEAMS)
    assert r.status_code == 200
    html = page(r)
    assert html.by_tag("h1").text == "Teams"
    rows = {e.attrs["data-team-id"]: e.text for e in html.all("tr") if e.attrs.get("data-team-id")}
    texts = list(rows.values())
    # The predefined teams first, Organization Admin leading, then the custom ones.
    assert [t.split(" ")[0] for t in texts][:4] == ["Organization", "User", "Auditor", "Member"]
    member = next(t for t in texts if t.startswith("Member"))
    assert "Predefined" in member and "2 members" in member  # Ada and the invited Grace
    admin_row = next(t for t in texts if t.startswith("Organization Admin"))
    assert "1 member" in admin_row
    # Each description is behind an (i) button that names its team.
    about = html.by_id(f"about-{next(iter(rows))}")
    assert about.attrs["role"] == "tooltip" and about.text
    assert any(b.attrs.get("aria-label") == "About Member" for b in html.all("button"))
    # The New team form, its fields labelled.
    assert html.label_for("new-name") == "Name"
    assert html.label_for("new-description").startswith("Description")


def test_create_a_custom_team_and_see_its_page(app: FastAPI, admin: SignedIn) -> None:
    team_id = create_team(admin, "  Platform   crew ", "Keeps the lights on.")
    r = admin.client.get(f"{TEAMS}/{team_id}?done=created")
    html = page(r)
    assert html.by_id("team-title").text == "Platform crew Custom"
    assert "Keeps the lights on." in html.text
    assert "The team is created" in html.text
    assert "No members yet." in html.text and "The team holds no roles yet." in html.text
    listed = page(admin.client.get(TEAMS))
    assert "Platform crew" in listed.text


def test_a_taken_or_empty_name_is_shown_beside_the_field_with_what_was_typed(
    admin: SignedIn,
) -> None:
    create_team(admin, "Platform")
    token = csrf_of(admin.client, TEAMS)
    r = post(admin.client, TEAMS, {"csrf_token": token, "name": "platform", "description": "Mine"})
    assert r.status_code == 409
    html = page(r)
    name = html.by_id("new-name")
    assert name.attrs["value"] == "platform"
    assert name.attrs.get("aria-invalid") == "true"
    assert "already exists" in html.by_id("new-name-error").text
    assert html.by_id("new-description").text == "Mine"
    assert "Check the field marked below." in alert(html)

    r = post(admin.client, TEAMS, {"csrf_token": token, "name": "   ", "description": "x" * 1001})
    assert r.status_code == 422
    html = page(r)
    assert "Give the team a name." in html.by_id("new-name-error").text


def test_rename_describe_and_delete_a_custom_team(app: FastAPI, admin: SignedIn) -> None:
    team_id = create_team(admin, "Platform")
    here = f"{TEAMS}/{team_id}"
    token = csrf_of(admin.client, here)
    r = post(
        admin.client,
        here + "/edit",
        {"csrf_token": token, "name": "Infra", "description": "Servers."},
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"{here}?done=updated#team-title"
    html = page(admin.client.get(r.headers["location"]))
    assert html.by_id("team-title").text.startswith("Infra")
    assert "Servers." in html.text and "saved" in html.text

    # A refused rename keeps what was typed.
    create_team(admin, "Billing")
    r = post(
        admin.client,
        here + "/edit",
        {"csrf_token": token, "name": "Billing", "description": "Typed"},
    )
    assert r.status_code == 409
    html = page(r)
    assert html.by_id("edit-name").attrs["value"] == "Billing"
    assert html.by_id("edit-description").text == "Typed"
    assert "already exists" in html.by_id("edit-name-error").text
    assert team_named(app, "Infra") is not None

    r = post(admin.client, here + "/delete", {"csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, f"{TEAMS}?done=deleted")
    assert "The team is deleted" in page(admin.client.get(r.headers["location"])).text
    assert team_named(app, "Infra") is None
    assert admin.client.get(here).status_code == 404


def test_a_predefined_team_cannot_be_renamed_or_deleted(app: FastAPI, admin: SignedIn) -> None:
    auditor = team_named(app, "Auditor")
    assert auditor is not None
    here = f"{TEAMS}/{auditor.id}"
    html = page(admin.client.get(here))
    assert not html.has_id("edit-name")
    assert "Predefined" in html.by_id("team-title").text
    token = csrf_of(admin.client, here)
    r = post(admin.client, here + "/delete", {"csrf_token": token})
    assert r.status_code == 409
    assert "predefined team" in alert(page(r))
    assert team_named(app, "Auditor") is not None


def test_add_members_by_email_and_remove_them(app: FastAPI, admin: SignedIn) -> None:
    grace = invited(admin, "grace@acme.io")
    alan = invited(admin, "alan@acme.io", first_name="Alan", last_name="Turing")
    team_id = create_team(admin, "Platform")
    here = f"{TEAMS}/{team_id}"
    token = csrf_of(admin.client, here)
    r = post(
        admin.client,
        here + "/members",
        {"csrf_token": token, "emails": "GRACE@acme.io,\n alan@acme.io"},
    )
    assert (r.status_code, r.headers["location"]) == (303, f"{here}?done=added#members-title")
    assert members_of(app, team_id) == {grace, alan}
    html = page(admin.client.get(here))
    assert {e.attrs["data-member-id"] for e in html.all("tr") if e.attrs.get("data-member-id")} == {
        grace,
        alan,
    }
    assert html.by_id("members-title").text == "Members (2)"

    # An address that is nobody here is said beside the field, and nobody is added.
    r = post(
        admin.client,
        here + "/members",
        {"csrf_token": token, "emails": "alan@acme.io nobody@acme.io"},
    )
    assert r.status_code == 422
    html = page(r)
    assert "nobody@acme.io" in html.by_id("add-emails-error").text
    assert html.by_id("add-emails").text == "alan@acme.io nobody@acme.io"

    r = post(admin.client, f"{here}/members/{grace}/remove", {"csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, f"{here}?done=removed#members-title")
    assert members_of(app, team_id) == {alan}
    # Removing someone who is not in the team is a 404 page, not a crash.
    r = post(admin.client, f"{here}/members/{grace}/remove", {"csrf_token": token})
    assert r.status_code == 404
    assert "Traceback" not in r.text


def test_the_last_organization_admin_cannot_leave_and_says_why(
    app: FastAPI, admin: SignedIn
) -> None:
    team = team_named(app, "Organization Admin")
    assert team is not None
    here = f"{TEAMS}/{team.id}"
    token = csrf_of(admin.client, here)
    r = post(admin.client, f"{here}/members/{admin.user_id}/remove", {"csrf_token": token})
    assert r.status_code == 409
    assert "last active Organization Admin" in alert(page(r))
    assert admin.user_id in members_of(app, str(team.id))


def test_grant_and_revoke_a_role_of_a_team(app: FastAPI, admin: SignedIn) -> None:
    register_project(admin)
    team_id = create_team(admin, "Platform")
    here = f"{TEAMS}/{team_id}"
    html = page(admin.client.get(here))
    # The role picker is grouped by entity type.
    groups = [g.attrs["label"] for g in html.all("optgroup")]
    assert "Project" in groups and "Organization" in groups
    token = csrf(html)
    r = post(
        admin.client,
        here + "/roles",
        {"csrf_token": token, "role": "project:editor", "entity_id": "42"},
    )
    assert (r.status_code, r.headers["location"]) == (303, f"{here}?done=granted#roles-title")
    html = page(admin.client.get(here))
    rows = [e for e in html.all("tr") if e.attrs.get("data-binding-id")]
    assert len(rows) == 1 and "Editor" in rows[0].text and "Project 42" in rows[0].text

    # Bad input comes back at its field, with the choice kept.
    r = post(
        admin.client,
        here + "/roles",
        {"csrf_token": token, "role": "project:editor", "entity_id": "has space"},
    )
    assert r.status_code == 422
    html = page(r)
    assert html.by_id("grant-entity").attrs["value"] == "has space"
    assert html.by_id("grant-entity").attrs.get("aria-invalid") == "true"
    selected = [o for o in html.all("option") if "selected" in o.attrs]
    assert [o.attrs["value"] for o in selected] == ["project:editor"]
    r = post(admin.client, here + "/roles", {"csrf_token": token, "role": "", "entity_id": "1"})
    assert r.status_code == 422
    assert "Choose a role." in page(r).by_id("grant-role-error").text
    # Granting it twice says so.
    r = post(
        admin.client,
        here + "/roles",
        {"csrf_token": token, "role": "project:editor", "entity_id": "42"},
    )
    assert r.status_code == 409
    assert "already holds" in alert(page(r))

    binding = rows[0].attrs["data-binding-id"]
    r = post(admin.client, f"{here}/roles/{binding}/revoke", {"csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, f"{here}?done=revoked#roles-title")
    with db_session(app) as session:
        assert session.get(RoleBinding, uuid.UUID(str(binding))) is None


def test_a_predefined_teams_own_role_is_fixed(app: FastAPI, admin: SignedIn) -> None:
    team = team_named(app, "Auditor")
    assert team is not None
    html = page(admin.client.get(f"{TEAMS}/{team.id}"))
    rows = [e for e in html.all("tr") if e.attrs.get("data-binding-id")]
    assert len(rows) == 1 and "Fixed" in rows[0].text and "The whole organization" in rows[0].text
    assert not [f for f in html.all("form") if "/revoke" in (f.attrs.get("action") or "")]


# --- who may ----------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(app: FastAPI, admin: SignedIn) -> None:
    team_id = create_team(admin, "Platform")
    for path, data in [
        (TEAMS, {"name": "Sneaky"}),
        (f"{TEAMS}/{team_id}/delete", {}),
        (f"{TEAMS}/{team_id}/members", {"emails": admin.email}),
        (f"{USERS}/{admin.user_id}/teams", {"team_ids": team_id}),
        (f"{USERS}/{admin.user_id}/roles", {"role": "organization:auditor", "entity_id": "*"}),
    ]:
        r = post(admin.client, path, data)
        assert r.status_code == 403, path
        assert page(r).by_tag("h1").text == "Please reload the page"
    assert team_named(app, "Sneaky") is None
    assert team_named(app, "Platform") is not None
    assert members_of(app, team_id) == set()


@pytest.mark.parametrize("path", [TEAMS, "{team}", f"{USERS}/{{user}}/teams"])
def test_a_member_without_rights_gets_the_403_page(
    app: FastAPI, factory: Factory, admin: SignedIn, path: str
) -> None:
    member = factory.member(admin)
    team = team_named(app, "Auditor")
    assert team is not None
    r = member.client.get(
        path.replace("{team}", f"{TEAMS}/{team.id}").replace("{user}", admin.user_id)
    )
    assert r.status_code == 403
    html = page(r)
    assert html.by_tag("h1").text == "Not permitted"
    assert "Traceback" not in r.text


def test_a_member_cannot_post_the_team_forms(
    app: FastAPI, factory: Factory, admin: SignedIn
) -> None:
    team_id = create_team(admin, "Platform")
    member = factory.member(admin)
    token = csrf_of(member.client, "/account")
    for path, data in [
        (TEAMS, {"name": "Mine"}),
        (f"{TEAMS}/{team_id}/members", {"emails": member.email}),
        (f"{TEAMS}/{team_id}/delete", {}),
        (f"{USERS}/{member.user_id}/teams", {"team_ids": team_id}),
    ]:
        r = post(member.client, path, {"csrf_token": token, **data})
        assert r.status_code == 403, path
    assert team_named(app, "Mine") is None
    assert members_of(app, team_id) == set()


def test_teams_of_another_organization_are_not_found(factory: Factory, admin: SignedIn) -> None:
    other = factory.admin(name="Globex", email="hank@globex.io")
    theirs = create_team(other, "Secret")
    assert admin.client.get(f"{TEAMS}/{theirs}").status_code == 404
    assert admin.client.get(f"{TEAMS}/nonsense").status_code == 404
    token = csrf_of(admin.client, TEAMS)
    for action in ["edit", "delete", "members", "roles"]:
        r = post(admin.client, f"{TEAMS}/{theirs}/{action}", {"csrf_token": token, "name": "x"})
        assert r.status_code == 404, action


# --- a user's teams and individual roles ------------------------------------------------------


def test_a_users_teams_change_with_add_remove(app: FastAPI, admin: SignedIn) -> None:
    platform = create_team(admin, "Platform", "Runs the servers.")
    billing = create_team(admin, "Billing")
    grace = invited(admin, team_ids=[platform])
    detail = f"{USERS}/{grace}"
    html = page(admin.client.get(detail))
    # Actions > Add/Remove, and a plain link for a browser without the script.
    assert html.by_id("teams-actions").attrs["aria-haspopup"] == "menu"
    assert [a.text for a in html.all("a") if a.attrs.get("role") == "menuitem"] == ["Add/Remove"]
    assert "Platform" in html.by_id("teams-title").text or "Platform" in html.text

    html = page(admin.client.get(detail + "/teams"))
    boxes = {
        e.attrs.get("value"): e for e in html.all("input") if e.attrs.get("type") == "checkbox"
    }
    assert "checked" in boxes[platform].attrs and "checked" not in boxes[billing].attrs
    assert html.label_for(f"team-{billing}") == "Billing"
    everyone = [
        e for e in html.all("input") if e.attrs.get("type") == "checkbox" and "disabled" in e.attrs
    ]
    assert len(everyone) == 1 and "checked" in everyone[0].attrs  # Member: always

    r = post(admin.client, detail + "/teams", {"csrf_token": csrf(html), "team_ids": [billing]})
    assert (r.status_code, r.headers["location"]) == (303, f"{detail}?done=teams#teams-title")
    assert members_of(app, billing) == {grace} and members_of(app, platform) == set()
    assert "The user's teams are saved." in page(admin.client.get(r.headers["location"])).text


def test_a_refused_team_change_keeps_the_choice_and_says_why(app: FastAPI, admin: SignedIn) -> None:
    org_admin = team_named(app, "Organization Admin")
    assert org_admin is not None
    path = f"{USERS}/{admin.user_id}/teams"
    token = csrf_of(admin.client, path)
    r = post(admin.client, path, {"csrf_token": token, "team_ids": []})
    assert r.status_code == 409
    html = page(r)
    assert "last active Organization Admin" in alert(html)
    assert "checked" not in html.by_id(f"team-{org_admin.id}").attrs
    r = post(admin.client, path, {"csrf_token": token, "team_ids": ["not-a-team"]})
    assert r.status_code == 422


def test_individual_roles_have_a_tab_per_entity_type(app: FastAPI, admin: SignedIn) -> None:
    register_project(admin)
    grace = invited(admin)
    detail = f"{USERS}/{grace}"
    html = page(admin.client.get(detail + "?tab=project"))
    tabs = [e for e in html.elements if e.attrs.get("role") == "tab"]
    assert sorted(t.text for t in tabs) == ["Organization", "Organization unit", "Project", "Team"]
    assert [t.text for t in tabs if t.attrs["aria-selected"] == "true"] == ["Project"]
    assert html.by_id("tab-project").attrs["href"] == f"{detail}?tab=project#roles-title"
    panel = html.by_id("roles-panel")
    assert panel.attrs["role"] == "tabpanel" and panel.attrs["aria-labelledby"] == "tab-project"
    assert "No project roles of their own." in panel.text
    options = [
        str(o.attrs["value"])
        for o in html.all("option")
        if (o.attrs.get("value") or "").startswith("project:")
    ]
    assert sorted(options) == ["project:editor", "project:viewer"]

    token = csrf(html)
    r = post(
        admin.client,
        detail + "/roles",
        {"csrf_token": token, "role": "project:viewer", "entity_id": "7", "tab": "project"},
    )
    assert (r.status_code, r.headers["location"]) == (
        303,
        f"{detail}?tab=project&done=role_added#roles-title",
    )
    html = page(admin.client.get(r.headers["location"]))
    rows = [e for e in html.all("tr") if e.attrs.get("data-binding-id")]
    assert len(rows) == 1 and "Viewer" in rows[0].text and "Project 7" in rows[0].text
    assert "The role is added." in html.text
    assert html.by_id("tab-project").text == "Project 1"

    # Wrong input stays in the form, marked at its field, on the same tab.
    r = post(
        admin.client,
        detail + "/roles",
        {"csrf_token": token, "role": "project:editor", "entity_id": "", "tab": "project"},
    )
    assert r.status_code == 422
    html = page(r)
    assert html.by_id("add-entity").attrs.get("aria-invalid") == "true"
    assert html.has_id("add-entity-error")
    assert [o.attrs["value"] for o in html.all("option") if "selected" in o.attrs] == [
        "project:editor"
    ]

    binding = rows[0].attrs["data-binding-id"]
    r = post(
        admin.client, f"{detail}/roles/{binding}/remove", {"csrf_token": token, "tab": "project"}
    )
    assert (r.status_code, r.headers["location"]) == (
        303,
        f"{detail}?tab=project&done=role_removed#roles-title",
    )
    with db_session(app) as session:
        assert session.get(RoleBinding, uuid.UUID(str(binding))) is None
    # Another user's binding is not removed through this user's page.
    r = post(admin.client, f"{detail}/roles/{binding}/remove", {"csrf_token": token})
    assert r.status_code == 404


# --- My account ----------------------------------------------------------------------------------


def test_my_account_shows_what_the_user_can_access_and_from_where(
    app: FastAPI, factory: Factory, admin: SignedIn
) -> None:
    register_project(admin)
    member = factory.member(admin)
    team_id = create_team(admin, "Platform")
    here = f"{TEAMS}/{team_id}"
    token = csrf_of(admin.client, here)
    assert (
        post(
            admin.client, here + "/members", {"csrf_token": token, "emails": member.email}
        ).status_code
        == 303
    )
    assert (
        post(
            admin.client,
            here + "/roles",
            {"csrf_token": token, "role": "project:viewer", "entity_id": "*"},
        ).status_code
        == 303
    )
    detail = f"{USERS}/{member.user_id}"
    r = post(
        admin.client,
        detail + "/roles",
        {"csrf_token": token, "role": "project:editor", "entity_id": "42"},
    )
    assert r.status_code == 303

    html = page(member.client.get("/account"))
    section = html.by_id("access-title")
    assert section.text == "What you can access"
    rows = [e.text for e in html.all("tr")][1:]
    assert any("Editor" in t and "Project 42" in t and "Your own" in t for t in rows), rows
    assert any("Viewer" in t and "Every project" in t and "Team Platform" in t for t in rows), rows

    # The admin's own access comes from the Organization Admin team.
    html = page(admin.client.get("/account"))
    rows = [e.text for e in html.all("tr")][1:]
    assert any("The whole organization" in t and "Team Organization Admin" in t for t in rows)
