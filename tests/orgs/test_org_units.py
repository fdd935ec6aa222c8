"""Organization units through the API: rename, move (never into a loop) and delete (only when
empty), each audited, scoped to the caller's organization and for Organization Admins only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.fixtures.factories import Factory, SignedIn, db_session, invite
from usher.models import AuditEvent, OrgUnit


def add_unit(client: TestClient, name: str, parent: dict[str, Any] | None = None) -> Any:
    r = client.post(
        "/api/v1/org-units", json={"name": name, "parent_id": parent["id"] if parent else None}
    )
    assert r.status_code == 201, r.text
    return r.json()


def units(client: TestClient) -> dict[str, Any]:
    """Name → the unit, as the API lists them."""
    return {u["name"]: u for u in client.get("/api/v1/org-units").json()}


def events(app: FastAPI, action: str) -> list[AuditEvent]:
    with db_session(app) as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.created_at, AuditEvent.id)
            )
        )


@pytest.fixture
def tree(admin: SignedIn) -> dict[str, Any]:
    """Engineering > Web > Frontend, and Sales at the top."""
    c = admin.client
    eng = add_unit(c, "Engineering")
    web = add_unit(c, "Web", eng)
    front = add_unit(c, "Frontend", web)
    sales = add_unit(c, "Sales")
    return {"eng": eng, "web": web, "front": front, "sales": sales}


# --- rename -------------------------------------------------------------------------------


def test_rename_tidies_the_name_and_is_audited(
    app: FastAPI, admin: SignedIn, tree: dict[str, Any]
) -> None:
    r = admin.client.patch(f"/api/v1/org-units/{tree['web']['id']}", json={"name": "  Web  Apps "})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": tree["web"]["id"], "name": "Web Apps", "parent_id": tree["eng"]["id"]}
    assert "Web Apps" in units(admin.client)
    [event] = events(app, "org_unit.renamed")
    assert event.actor_label == admin.email
    assert (event.target_type, event.target_id) == ("org_unit", tree["web"]["id"])
    assert event.details == {"changes": {"name": ["Web", "Web Apps"]}}


def test_renaming_to_the_same_name_records_nothing(
    app: FastAPI, admin: SignedIn, tree: dict[str, Any]
) -> None:
    r = admin.client.patch(f"/api/v1/org-units/{tree['web']['id']}", json={"name": "Web"})
    assert r.status_code == 200
    assert events(app, "org_unit.renamed") == []


# --- move ---------------------------------------------------------------------------------


def test_move_under_another_unit_and_back_to_the_top(
    app: FastAPI, admin: SignedIn, tree: dict[str, Any]
) -> None:
    url = f"/api/v1/org-units/{tree['web']['id']}"
    r = admin.client.patch(url, json={"parent_id": tree["sales"]["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["parent_id"] == tree["sales"]["id"]
    # Its sub-unit went with it.
    assert units(admin.client)["Frontend"]["parent_id"] == tree["web"]["id"]

    r = admin.client.patch(url, json={"parent_id": None})
    assert r.status_code == 200
    assert r.json()["parent_id"] is None

    moved = events(app, "org_unit.moved")
    assert [e.details["changes"]["parent"] for e in moved] == [
        ["Engineering", "Sales"],
        ["Sales", None],
    ]
    assert moved[0].details["changes"]["parent_id"] == [tree["eng"]["id"], tree["sales"]["id"]]


def test_rename_and_move_in_one_request(admin: SignedIn, tree: dict[str, Any]) -> None:
    r = admin.client.patch(
        f"/api/v1/org-units/{tree['front']['id']}",
        json={"name": "UI", "parent_id": tree["eng"]["id"]},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["parent_id"]) == ("UI", tree["eng"]["id"])


def test_leaving_parent_out_keeps_the_unit_where_it_is(
    admin: SignedIn, tree: dict[str, Any]
) -> None:
    r = admin.client.patch(f"/api/v1/org-units/{tree['web']['id']}", json={"name": "Webb"})
    assert r.json()["parent_id"] == tree["eng"]["id"]


@pytest.mark.parametrize(
    ("unit", "new_parent", "says"),
    [
        ("eng", "eng", "“Engineering” cannot be moved under itself."),
        ("eng", "web", "“Web” is inside “Engineering”"),
        ("eng", "front", "“Frontend” is inside “Engineering”"),
        ("web", "front", "“Frontend” is inside “Web”"),
    ],
)
def test_a_unit_cannot_move_under_itself_or_its_descendants(
    app: FastAPI, admin: SignedIn, tree: dict[str, Any], unit: str, new_parent: str, says: str
) -> None:
    before = units(admin.client)
    r = admin.client.patch(
        f"/api/v1/org-units/{tree[unit]['id']}", json={"parent_id": tree[new_parent]["id"]}
    )
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "conflict"
    assert says in body["detail"]
    assert says in body["errors"]["parent_id"][0]
    assert units(admin.client) == before
    assert events(app, "org_unit.moved") == []


def test_moving_beside_a_sibling_is_not_a_loop(admin: SignedIn, tree: dict[str, Any]) -> None:
    # Sales is no relative of Web: moving Web's child under Sales, then Sales under Web, is fine.
    c = admin.client
    assert (
        c.patch(
            f"/api/v1/org-units/{tree['front']['id']}", json={"parent_id": tree["sales"]["id"]}
        ).status_code
        == 200
    )
    r = c.patch(f"/api/v1/org-units/{tree['sales']['id']}", json={"parent_id": tree["web"]["id"]})
    assert r.status_code == 200, r.text


# --- delete -------------------------------------------------------------------------------


def test_an_empty_unit_is_deleted_and_audited(
    app: FastAPI, admin: SignedIn, tree: dict[str, Any]
) -> None:
    r = admin.client.delete(f"/api/v1/org-units/{tree['front']['id']}")
    assert r.status_code == 204, r.text
    assert "Frontend" not in units(admin.client)
    [event] = events(app, "org_unit.deleted")
    assert (event.target_id, event.target_label) == (tree["front"]["id"], "Frontend")
    # Now Web is empty too.
    assert admin.client.delete(f"/api/v1/org-units/{tree['web']['id']}").status_code == 204


def test_a_unit_with_sub_units_is_not_deleted(
    app: FastAPI, admin: SignedIn, tree: dict[str, Any]
) -> None:
    r = admin.client.delete(f"/api/v1/org-units/{tree['eng']['id']}")
    assert r.status_code == 409
    body = r.json()
    assert body["detail"] == (
        "“Engineering” still has 1 sub-unit. "
        "Only an empty unit can be deleted: move or delete its sub-units first."
    )
    assert (body["sub_units"], body["members"]) == (1, 0)
    assert "Engineering" in units(admin.client)
    assert events(app, "org_unit.deleted") == []


def test_a_unit_with_users_is_not_deleted(admin: SignedIn, tree: dict[str, Any]) -> None:
    for i in range(2):
        r = invite(admin.client, email=f"dev{i}@acme.io", org_unit_id=tree["front"]["id"])
        assert r.status_code == 201, r.text
    r = admin.client.delete(f"/api/v1/org-units/{tree['front']['id']}")
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "“Frontend” still has 2 users. "
        "Only an empty unit can be deleted: move its users to another unit first."
    )
    assert r.json()["members"] == 2
    r = admin.client.delete(f"/api/v1/org-units/{tree['web']['id']}")
    assert "move or delete its sub-units" in r.json()["detail"]


# --- bad input, other organizations, wrong roles ------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": None}, None),
        ({"name": "Ok\x00"}, "name"),
        ({"parent_id": "not-an-id"}, "parent_id"),
        ({"parent_id": str(uuid.uuid4())}, "parent_id"),
        ({"name": "Ok", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_that_names_the_field(
    admin: SignedIn, tree: dict[str, Any], body: dict[str, Any], field: str | None
) -> None:
    r = admin.client.patch(f"/api/v1/org-units/{tree['web']['id']}", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_failed"
    if field:
        assert field in r.json()["errors"]
    assert units(admin.client)["Web"]["parent_id"] == tree["eng"]["id"]


def test_a_malformed_id_in_the_path_is_a_422(admin: SignedIn) -> None:
    assert admin.client.patch("/api/v1/org-units/nope", json={"name": "X"}).status_code == 422
    assert admin.client.delete("/api/v1/org-units/nope").status_code == 422


def test_another_organizations_units_are_not_found(
    app: FastAPI, admin: SignedIn, factory: Factory, tree: dict[str, Any]
) -> None:
    other = factory.admin(name="Globex", email="hank@globex.io")
    theirs = add_unit(other.client, "Globex HQ")
    for unit_id in (tree["web"]["id"], str(uuid.uuid4())):
        url = f"/api/v1/org-units/{unit_id}"
        assert other.client.patch(url, json={"name": "Mine"}).status_code == 404
        assert other.client.delete(url).status_code == 404
    # Nor can one of ours go under one of theirs.
    r = admin.client.patch(
        f"/api/v1/org-units/{tree['web']['id']}", json={"parent_id": theirs["id"]}
    )
    assert r.status_code == 422
    assert "parent_id" in r.json()["errors"]
    with db_session(app) as s:
        web = s.get(OrgUnit, uuid.UUID(tree["web"]["id"]))
        assert (web.name, str(web.parent_id)) == ("Web", tree["eng"]["id"])


def test_members_cannot_change_units(
    admin: SignedIn, factory: Factory, tree: dict[str, Any]
) -> None:
    member = factory.member(admin)
    url = f"/api/v1/org-units/{tree['front']['id']}"
    assert member.client.patch(url, json={"name": "Mine"}).status_code == 403
    assert member.client.patch(url, json={"parent_id": None}).status_code == 403
    assert member.client.delete(url).status_code == 403
    assert "Frontend" in units(admin.client)


def test_strangers_must_sign_in(client: TestClient, tree: dict[str, Any]) -> None:
    url = f"/api/v1/org-units/{tree['front']['id']}"
    assert client.patch(url, json={"name": "Mine"}).status_code == 401
    assert client.delete(url).status_code == 401
