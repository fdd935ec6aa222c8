"""Every API route against every kind of caller, from one table: the predefined teams, a member
of a custom team, an admin of another organization and nobody at all. A route added without a
row fails the suite, and so does a row whose route is gone.

Expectations are written one letter per actor, in the order of ``ACTORS``:

    A  allowed: the row's own success status (``ok``)
    D  denied: 403 not_permitted
    N  404 not_found: the path names the first organization's object
    V  422 validation_failed: the body names the first organization's object (a body id is
       validated, not looked up as the resource)

Every non-public route answers 401 to a caller without a session or token; public rows are
called without one and must answer ``ok``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from tests.access.conftest import ACTORS, World, build_world, grant, ok
from tests.fixtures.factories import PASSWORD, Factory, token_of

NO_BODY = object()
Request = tuple[str, Any]  # the URL and the JSON body (or NO_BODY)
CODES = {"D": (403, "not_permitted"), "N": (404, "not_found"), "V": (422, "validation_failed")}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: str  # one letter per actor in ACTORS, or "public"
    ok: int
    request: Callable[[World], Request]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


# --- building requests: fixed objects for reads, throwaway ones for what a call destroys ------


def fixed(url: Callable[[World], str], body: Any = NO_BODY) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        return url(w), body(w) if callable(body) else body

    return build


def _pending(w: World) -> str:
    """A throwaway pending user in Backend (so a scoped reader sees them too)."""
    return str(w.invite(org_unit_id=w.backend_id)["id"])


def _throwaway_team_with_member(w: World) -> Request:
    team = w.team()
    w.add_to_team(team, w.pending_id)
    return f"/api/v1/teams/{team}/members/{w.pending_id}", NO_BODY


def _throwaway_binding(w: World) -> Request:
    user = _pending(w)
    binding = ok(grant(w.admin, "org_unit:viewer", w.sales_id, user_id=user), 201)
    return f"/api/v1/role-bindings/{binding['id']}", NO_BODY


def _throwaway_type(w: World) -> Request:
    key = f"gadget{next(w._serial)}"
    ok(w.admin.post("/api/v1/entity-types", json={"key": key, "name": "Gadget"}), 201)
    return f"/api/v1/entity-types/{key}", NO_BODY


def _throwaway_role(w: World) -> Request:
    key = f"temp{next(w._serial)}"
    body = {"name": "Temp", "permissions": ["project.read"]}
    ok(w.admin.put(f"/api/v1/entity-types/project/roles/{key}", json=body), 201)
    return f"/api/v1/entity-types/project/roles/{key}", NO_BODY


def _dead_link(w: World) -> Request:
    invited = w.invite()
    ok(w.admin.post(f"/api/v1/users/{invited['id']}/invitation/link"))  # supersedes the first
    return f"/api/v1/invitations/{token_of(invited['registration_url'])}/request-new", NO_BODY


def _open_link(suffix: str, body: Any = NO_BODY) -> Callable[[World], Request]:
    def build(w: World) -> Request:
        token = token_of(w.invite()["registration_url"])
        return f"/api/v1/invitations/{token}{suffix}", body

    return build


def _login(w: World) -> Request:
    m = w.member
    return "/api/v1/auth/login", {
        "organization": m.org_slug,
        "email": m.email,
        "password": PASSWORD,
    }


def _on_pending(suffix: str, body: Any = NO_BODY) -> Callable[[World], Request]:
    return lambda w: (f"/api/v1/users/{_pending(w)}{suffix}", body)


@dataclass(frozen=True)
class Multipart:
    """A form upload instead of a JSON body."""

    files: dict[str, tuple[str, bytes, str]]
    data: dict[str, str]


PEOPLE_CSV = b"First name,Last name,Email\nGrace,Hopper,grace.import@example.org\n"


def _upload(w: World) -> Multipart:
    return Multipart({"file": ("people.csv", PEOPLE_CSV, "text/csv")}, {"action": "upload"})


def _import(suffix: str) -> Callable[[World], Request]:
    """A fresh import uploaded by the first organization's admin, then ``suffix`` on it."""

    def build(w: World) -> Request:
        made = ok(
            w.admin.post("/api/v1/imports", files=_upload(w).files, data={"action": "upload"}), 202
        )
        return f"/api/v1/imports/{made['id']}{suffix}", NO_BODY

    return build


def _check(w: World) -> dict[str, Any]:
    return {"user_id": w.pending_id, "permission": "users.read", "entity": "organization"}


SELF = "AAAAAA"
TABLE: list[Row] = [
    # auth: public doors, and what every signed-in caller may do for themself
    Row("POST", "/api/v1/auth/login", "public", 200, _login),
    Row(
        "POST",
        "/api/v1/auth/password/forgot",
        "public",
        202,
        fixed(
            lambda w: "/api/v1/auth/password/forgot",
            lambda w: {
                "organization": w.org_admin.org_slug,
                "email": w.member.email,
            },
        ),
    ),
    Row(
        "POST",
        "/api/v1/auth/password/reset",
        "public",
        400,  # reset_link_invalid: the door is open, the made-up token is not
        fixed(lambda w: "/api/v1/auth/password/reset", {"token": "made-up", "password": PASSWORD}),
    ),
    Row("GET", "/api/v1/me", SELF, 200, fixed(lambda w: "/api/v1/me")),
    Row("POST", "/api/v1/tokens", SELF, 201, fixed(lambda w: "/api/v1/tokens", {"name": "ci"})),
    Row("POST", "/api/v1/auth/logout", SELF, 204, fixed(lambda w: "/api/v1/auth/logout")),
    # invitations: the registration door
    Row("GET", "/api/v1/invitations/{token}", "public", 200, _open_link("")),
    Row(
        "POST",
        "/api/v1/invitations/{token}/accept",
        "public",
        200,
        _open_link("/accept", {"password": PASSWORD}),
    ),
    Row("POST", "/api/v1/invitations/{token}/request-new", "public", 202, _dead_link),
    # users
    Row(
        "POST",
        "/api/v1/users",
        "AADDDA",
        201,
        fixed(
            lambda w: "/api/v1/users",
            lambda w: {
                "first_name": "New",
                "last_name": "Person",
                "email": w.email("new"),
                "invite_method": "link",
            },
        ),
    ),
    Row("GET", "/api/v1/users", "AAADAA", 200, fixed(lambda w: "/api/v1/users")),
    Row("GET", "/api/v1/users/export", "AAADAA", 200, fixed(lambda w: "/api/v1/users/export")),
    Row(
        "POST",
        "/api/v1/users/invitations/send-first",
        "AADDDA",
        200,
        fixed(lambda w: "/api/v1/users/invitations/send-first"),
    ),
    Row(
        "GET",
        "/api/v1/users/{user_id}",
        "AAADAN",
        200,
        fixed(lambda w: f"/api/v1/users/{w.pending_id}"),
    ),
    Row(
        "PATCH",
        "/api/v1/users/{user_id}",
        "AADDDN",
        200,
        fixed(lambda w: f"/api/v1/users/{w.pending_id}", {"position": "Engineer"}),
    ),
    Row("POST", "/api/v1/users/{user_id}/disable", "AADDDN", 200, _on_pending("/disable")),
    Row("POST", "/api/v1/users/{user_id}/enable", "AADDDN", 200, _on_pending("/enable")),
    Row("DELETE", "/api/v1/users/{user_id}", "AADDDN", 204, _on_pending("")),
    Row(
        "POST",
        "/api/v1/users/{user_id}/invitation/resend",
        "AADDDN",
        200,
        _on_pending("/invitation/resend"),
    ),
    Row(
        "POST",
        "/api/v1/users/{user_id}/invitation/link",
        "AADDDN",
        200,
        _on_pending("/invitation/link"),
    ),
    Row(
        "POST",
        "/api/v1/users/{user_id}/invitation/revoke",
        "AADDDN",
        204,
        _on_pending("/invitation/revoke", {"delete_user": False}),
    ),
    Row(
        "PUT",
        "/api/v1/users/{user_id}/teams",
        "AADDDN",
        200,
        lambda w: (f"/api/v1/users/{w.pending_id}/teams", {"team_ids": [w.team()]}),
    ),
    Row(
        "GET",
        "/api/v1/users/{user_id}/access",
        "AAADAN",
        200,
        fixed(lambda w: f"/api/v1/users/{w.pending_id}/access"),
    ),
    # bulk import
    Row("POST", "/api/v1/imports", "AADDDA", 202, fixed(lambda w: "/api/v1/imports", _upload)),
    Row("GET", "/api/v1/imports", "AAADAA", 200, fixed(lambda w: "/api/v1/imports")),
    Row("GET", "/api/v1/imports/{import_id}", "AAADNN", 200, _import("")),
    Row("POST", "/api/v1/imports/{import_id}/dry-run", "AADDDN", 202, _import("/dry-run")),
    Row("POST", "/api/v1/imports/{import_id}/apply", "AADDDN", 202, _import("/apply")),
    Row("GET", "/api/v1/imports/{import_id}/problems", "AAADNN", 200, _import("/problems")),
    Row("GET", "/api/v1/imports/{import_id}/rejected", "AAADNN", 200, _import("/rejected")),
    # the organization and its units
    Row("GET", "/api/v1/organization", SELF, 200, fixed(lambda w: "/api/v1/organization")),
    Row(
        "PATCH",
        "/api/v1/organization",
        "ADDDDA",
        200,
        fixed(lambda w: "/api/v1/organization", {"invitation_expiry_days": 9}),
    ),
    Row("GET", "/api/v1/org-units", SELF, 200, fixed(lambda w: "/api/v1/org-units")),
    Row(
        "POST",
        "/api/v1/org-units",
        "AADDDA",
        201,
        fixed(lambda w: "/api/v1/org-units", lambda w: {"name": w.email("unit")}),
    ),
    Row(
        "PATCH",
        "/api/v1/org-units/{unit_id}",
        "AADDDN",
        200,
        lambda w: (f"/api/v1/org-units/{w.unit(w.email('u'))}", {"name": w.email("renamed")}),
    ),
    Row(
        "DELETE",
        "/api/v1/org-units/{unit_id}",
        "AADDDN",
        204,
        lambda w: (f"/api/v1/org-units/{w.unit(w.email('u'))}", NO_BODY),
    ),
    # audit
    Row("GET", "/api/v1/audit-events", "ADADDA", 200, fixed(lambda w: "/api/v1/audit-events")),
    # teams
    Row("GET", "/api/v1/teams", SELF, 200, fixed(lambda w: "/api/v1/teams")),
    Row(
        "POST",
        "/api/v1/teams",
        "AADDDA",
        201,
        fixed(lambda w: "/api/v1/teams", lambda w: {"name": w.email("team")}),
    ),
    Row(
        "GET",
        "/api/v1/teams/{team_id}",
        "AAADDN",
        200,
        fixed(lambda w: f"/api/v1/teams/{w.custom_team_id}"),
    ),
    Row(
        "PATCH",
        "/api/v1/teams/{team_id}",
        "AADDDN",
        200,
        lambda w: (f"/api/v1/teams/{w.team()}", {"description": "Renamed"}),
    ),
    Row(
        "DELETE",
        "/api/v1/teams/{team_id}",
        "AADDDN",
        204,
        lambda w: (f"/api/v1/teams/{w.team()}", NO_BODY),
    ),
    Row(
        "POST",
        "/api/v1/teams/{team_id}/members",
        "AADDDN",
        200,
        lambda w: (f"/api/v1/teams/{w.team()}/members", {"user_ids": [w.pending_id]}),
    ),
    Row(
        "DELETE",
        "/api/v1/teams/{team_id}/members/{user_id}",
        "AADDDN",
        204,
        _throwaway_team_with_member,
    ),
    # entity types and roles
    Row("GET", "/api/v1/entity-types", "AAADDA", 200, fixed(lambda w: "/api/v1/entity-types")),
    Row(
        "POST",
        "/api/v1/entity-types",
        "ADDDDA",
        201,
        fixed(lambda w: "/api/v1/entity-types", {"key": "ticket", "name": "Ticket"}),
    ),
    Row(
        "GET",
        "/api/v1/entity-types/{key}",
        "AAADDN",
        200,
        fixed(lambda w: "/api/v1/entity-types/project"),
    ),
    Row(
        "PATCH",
        "/api/v1/entity-types/{key}",
        "ADDDDN",
        200,
        fixed(lambda w: "/api/v1/entity-types/project", {"description": "Our projects"}),
    ),
    Row("DELETE", "/api/v1/entity-types/{key}", "ADDDDN", 204, _throwaway_type),
    Row(
        "PUT",
        "/api/v1/entity-types/{key}/roles/{role_key}",
        "ADDDDN",
        201,
        fixed(
            lambda w: f"/api/v1/entity-types/project/roles/r{next(w._serial)}",
            {"name": "Reviewer", "permissions": ["project.read", "project.review"]},
        ),
    ),
    Row(
        "DELETE",
        "/api/v1/entity-types/{key}/roles/{role_key}",
        "ADDDDN",
        204,
        _throwaway_role,
    ),
    # role bindings
    Row("GET", "/api/v1/role-bindings", "AAADDA", 200, fixed(lambda w: "/api/v1/role-bindings")),
    Row(
        "POST",
        "/api/v1/role-bindings",
        "AADDDV",
        201,
        lambda w: (
            "/api/v1/role-bindings",
            {"role": "org_unit:viewer", "entity_id": w.sales_id, "user_id": _pending(w)},
        ),
    ),
    Row("DELETE", "/api/v1/role-bindings/{binding_id}", "AADDDN", 204, _throwaway_binding),
    # the permission check, asked about someone else (about oneself anyone may ask)
    Row(
        "POST",
        "/api/v1/access/check",
        "AAADDN",
        200,
        fixed(lambda w: "/api/v1/access/check", _check),
    ),
    Row(
        "POST",
        "/api/v1/access/check/batch",
        "AAADDN",
        200,
        fixed(lambda w: "/api/v1/access/check/batch", lambda w: {"checks": [_check(w)] * 3}),
    ),
]
# Signing out ends the caller's session, so it goes last.
ORDERED = sorted(TABLE, key=lambda row: row.key == ("POST", "/api/v1/auth/logout"))


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves under /api/v1."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        path = context.path
        if isinstance(context.original_route, APIRoute) and path and path.startswith("/api/v1/"):
            found |= {(method, path) for method in context.methods or ()}
    return found


def test_every_route_has_a_row(app: FastAPI) -> None:
    rows = {row.key for row in TABLE}
    missing = sorted(api_routes(app) - rows)
    assert not missing, f"Routes without a row in the access table: {missing}"


def test_every_row_names_a_route(app: FastAPI) -> None:
    keys = [row.key for row in TABLE]
    assert len(keys) == len(set(keys)), "a route has two rows"
    stale = sorted(set(keys) - api_routes(app))
    assert not stale, f"Rows for routes that no longer exist: {stale}"


def test_every_row_says_something_for_every_actor() -> None:
    for row in TABLE:
        assert row.expect == "public" or (
            len(row.expect) == len(ACTORS) and set(row.expect) <= {"A", *CODES}
        ), row.key


def _send(client: TestClient, row: Row, request: Request) -> Any:
    url, body = request
    if body is NO_BODY:
        return client.request(row.method, url)
    if isinstance(body, Multipart):
        return client.request(row.method, url, files=body.files, data=body.data)
    return client.request(row.method, url, json=body)


def _mismatch(row: Row, letter: str, response: Any) -> str | None:
    if letter == "A":
        if response.status_code == row.ok:
            return None
        want = f"{row.ok}"
    else:
        status, code = CODES[letter]
        if response.status_code == status and response.json().get("code") == code:
            return None
        want = f"{status} {code}"
    return f"{row.method} {row.path}: want {want}, got {response.status_code} {response.text[:300]}"


@pytest.mark.parametrize("actor", ACTORS)
def test_each_actor_is_answered_as_the_table_says(factory: Factory, actor: str) -> None:
    world = build_world(factory)  # a fresh organization per actor: some rows change it
    client = world.actor(actor).client
    failures = []
    for row in ORDERED:
        if row.expect == "public":
            continue
        letter = row.expect[ACTORS.index(actor)]
        failure = _mismatch(row, letter, _send(client, row, row.request(world)))
        if failure:
            failures.append(failure)
    assert not failures, "\n".join(failures)


def test_without_a_session_only_the_public_rows_answer(factory: Factory) -> None:
    world = build_world(factory)
    anonymous = factory.new_client()
    failures = []
    for row in ORDERED:
        r = _send(anonymous, row, row.request(world))
        anonymous.cookies.clear()  # signing in or registering sets a session cookie
        want = row.ok if row.expect == "public" else 401
        if r.status_code != want:
            failures.append(f"{row.method} {row.path}: want {want}, got {r.status_code} {r.text}")
    assert not failures, "\n".join(failures)
