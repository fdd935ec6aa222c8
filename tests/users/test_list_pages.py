"""Filters, sorts and cursor pages are exact: every matching row once, in order, even with rows
inserted and deleted between page requests."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from tests.fixtures.factories import SignedIn, seed_users
from usher.models.user import UserStatus

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _spec(i: int, rng: random.Random) -> dict[str, Any]:
    status = rng.choice(
        [UserStatus.pending, UserStatus.active, UserStatus.active, UserStatus.disabled]
    )
    registered = BASE + timedelta(days=rng.randint(0, 5)) if status != UserStatus.pending else None
    activity = (
        BASE + timedelta(hours=rng.randint(0, 3)) if registered and rng.random() < 0.7 else None
    )
    return {
        "first_name": rng.choice(["Ann", "Bob", "Cleo", "Dev", "Émile"]),  # many ties
        "last_name": rng.choice(["Ames", "Berg", "Cruz"]),
        "email": f"user{i:03d}@{rng.choice(['a', 'b'])}.example",
        "status": status,
        "registered_at": registered,
        "last_activity_at": activity,
    }


@pytest.fixture
def seeded(app: FastAPI, admin: SignedIn) -> list[str]:
    rng = random.Random(7)
    return seed_users(app, admin.extra["org_id"], [_spec(i, rng) for i in range(60)])


def walk(admin: SignedIn, params: dict[str, Any], between: Any = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for page_no in range(1000):
        r = admin.client.get(
            "/api/v1/users", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        rows += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return rows
        if between:
            between(page_no)
    raise AssertionError("the walk did not end")


def _key(row: dict[str, Any], sort: str) -> Any:
    if sort == "name":
        return (f"{row['first_name']} {row['last_name']}".casefold(),)
    if sort == "email":
        return (row["email"].lower(),)
    value = row[sort]
    return (value is not None, datetime.fromisoformat(value) if value else None)


SORTS = ["name", "email", "registered_at", "last_activity_at", "created_at"]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_walking_all_pages_gives_every_row_once_in_order(
    admin: SignedIn, seeded: list[str], sort: str, order: str
) -> None:
    rows = walk(admin, {"sort": sort, "order": order, "limit": 7})
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 61  # the seeded users and the admin
    keys = [(*_key(r, sort), uuid.UUID(r["id"]).hex) for r in rows]
    if sort in ("registered_at", "last_activity_at"):
        keys = [(k[0], k[1] or BASE, k[2]) for k in keys]
    assert keys == sorted(keys, reverse=order == "desc")


@pytest.mark.parametrize("sort", ["name", "registered_at"])
def test_rows_inserted_and_deleted_between_pages(
    app: FastAPI, admin: SignedIn, seeded: list[str], sort: str
) -> None:
    rng = random.Random(11)
    deleted: set[str] = set()
    inserted: set[str] = set()

    def churn(page_no: int) -> None:
        victim = rng.choice([i for i in seeded if i not in deleted])
        assert admin.client.delete(f"/api/v1/users/{victim}").status_code == 204
        deleted.add(victim)
        inserted.update(
            seed_users(
                app, admin.extra["org_id"], [_spec(1000 + page_no * 2 + k, rng) for k in range(2)]
            )
        )

    rows = walk(admin, {"sort": sort, "order": "desc", "limit": 6}, between=churn)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "a row came twice"
    survivors = (set(seeded) | {admin.user_id}) - deleted
    assert survivors <= set(ids), "a row that was there all along was skipped"
    assert set(ids) <= survivors | deleted | inserted


def test_filters_and_total(admin: SignedIn, seeded: list[str]) -> None:
    everyone = walk(admin, {"limit": 500})
    for status in ("pending", "active", "disabled"):
        r = admin.client.get("/api/v1/users", params={"status": status, "limit": 5}).json()
        expected = [u for u in everyone if u["status"] == status]
        assert r["total"] == len(expected)
        assert all(u["status"] == status for u in r["items"])
    both = admin.client.get(
        "/api/v1/users", params=[("status", "pending"), ("status", "disabled"), ("limit", "500")]
    ).json()
    assert {u["status"] for u in both["items"]} <= {"pending", "disabled"}
    assert both["total"] == len([u for u in everyone if u["status"] != "active"])
    searched = admin.client.get(
        "/api/v1/users", params={"q": "@a.example", "status": "active", "limit": 500}
    ).json()
    assert searched["total"] == len(
        [u for u in everyone if u["status"] == "active" and u["email"].endswith("@a.example")]
    )


def test_org_unit_filter_includes_sub_units_and_team_filter(admin: SignedIn, app: FastAPI) -> None:
    c = admin.client
    eng = c.post("/api/v1/org-units", json={"name": "Engineering"}).json()
    web = c.post("/api/v1/org-units", json={"name": "Web", "parent_id": eng["id"]}).json()
    sales = c.post("/api/v1/org-units", json={"name": "Sales"}).json()
    a = seed_users(
        app,
        admin.extra["org_id"],
        [
            {"email": "e1@x.example", "org_unit_id": uuid.UUID(eng["id"])},
            {"email": "w1@x.example", "org_unit_id": uuid.UUID(web["id"])},
            {"email": "s1@x.example", "org_unit_id": uuid.UUID(sales["id"])},
        ],
    )
    assert a
    got = c.get("/api/v1/users", params={"org_unit": eng["id"]}).json()
    assert {u["email"] for u in got["items"]} == {"e1@x.example", "w1@x.example"}
    assert {u["org_unit"]["name"] for u in got["items"]} == {"Engineering", "Web"}
    got = c.get("/api/v1/users", params={"org_unit": web["id"]}).json()
    assert {u["email"] for u in got["items"]} == {"w1@x.example"}
    admins = [t for t in c.get("/api/v1/teams").json() if t["key"] == "organization_admin"]
    got = c.get("/api/v1/users", params={"team": admins[0]["id"]}).json()
    assert [u["email"] for u in got["items"]] == ["ada@acme.io"]
    assert got["items"][0]["teams"][0]["name"] == "Organization Admin"


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "password_hash"},
        {"order": "sideways"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "garbage"},
        {"cursor": "eyJ4IjoxfQ"},
        {"status": "sleeping"},
        {"org_unit": "nope"},
        {"team": "nope"},
        {"q": "x" * 201},
    ],
)
def test_bad_list_parameters_are_422(admin: SignedIn, params: dict[str, Any]) -> None:
    r = admin.client.get("/api/v1/users", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_cursor_from_another_sort_is_refused(admin: SignedIn, seeded: list[str]) -> None:
    first = admin.client.get("/api/v1/users", params={"sort": "email", "limit": 3}).json()
    r = admin.client.get("/api/v1/users", params={"sort": "name", "cursor": first["next_cursor"]})
    assert r.status_code == 422
    assert "cursor" in r.json()["errors"]


def test_rows_carry_what_the_list_shows(admin: SignedIn) -> None:
    item = admin.client.get("/api/v1/users").json()["items"][0]
    assert set(item) >= {
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "registered_at",
        "status",
        "last_activity_at",
        "teams",
        "org_unit",
        "position",
    }


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_search_results_page_exactly_too(
    admin: SignedIn, seeded: list[str], sort: str, order: str
) -> None:
    everyone = walk(admin, {"sort": sort, "order": order, "limit": 500})
    expected = [u["id"] for u in everyone if u["email"].endswith("@a.example")]
    rows = walk(admin, {"q": "@a.exa", "sort": sort, "order": order, "limit": 4})
    assert [r["id"] for r in rows] == expected


@pytest.fixture(params=["walk the sort index", "matches first"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The list picks its plan from the total: force each, the answers must not change."""
    from usher.users import listing

    threshold = 0 if request.param == "walk the sort index" else 10**9
    monkeypatch.setattr(listing, "WALK_FROM_MATCHES", threshold)
    return str(request.param)


@pytest.fixture
def arranged(app: FastAPI, admin: SignedIn) -> dict[str, Any]:
    """60 people in a unit tree and two teams, for the filters in both plans."""
    from tests.fixtures.factories import db_session
    from usher.models import Team, TeamMember

    c = admin.client
    eng = c.post("/api/v1/org-units", json={"name": "Engineering"}).json()
    web = c.post("/api/v1/org-units", json={"name": "Web", "parent_id": eng["id"]}).json()
    sales = c.post("/api/v1/org-units", json={"name": "Sales"}).json()
    units = [None, uuid.UUID(eng["id"]), uuid.UUID(web["id"]), uuid.UUID(sales["id"])]
    rng = random.Random(5)
    specs = []
    for i in range(60):
        spec = _spec(i, rng)
        spec["org_unit_id"] = units[i % 4]
        specs.append(spec)
    ids = seed_users(app, admin.extra["org_id"], specs)
    org_id = uuid.UUID(str(admin.extra["org_id"]))
    with db_session(app) as session:
        red = Team(organization_id=org_id, name="Red", description="")
        blue = Team(organization_id=org_id, name="Blue", description="")
        session.add_all([red, blue])
        session.flush()
        for n, user_id in enumerate(ids):
            if n % 3 == 0:
                session.add(TeamMember(team_id=red.id, user_id=uuid.UUID(user_id)))
            if n % 5 == 0:
                session.add(TeamMember(team_id=blue.id, user_id=uuid.UUID(user_id)))
        red_id, blue_id = str(red.id), str(blue.id)
    return {"ids": ids, "eng": eng["id"], "web": web["id"], "red": red_id, "blue": blue_id}


def _haystack(u: dict[str, Any]) -> str:
    return f"{u['first_name']} {u['last_name']} {u['email']}".casefold()


@pytest.mark.parametrize("sort", ["name", "last_activity_at"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_both_plans_give_the_same_exact_pages(
    admin: SignedIn, arranged: dict[str, Any], plan: str, sort: str, order: str
) -> None:
    everyone = walk(admin, {"sort": sort, "order": order, "limit": 500})
    teams_of = {u["id"]: {t["id"] for t in u["teams"]} for u in everyone}
    unit_of = {u["id"]: (u["org_unit"] or {}).get("id") for u in everyone}
    eng_tree = {arranged["eng"], arranged["web"]}
    cases: list[tuple[list[tuple[str, str]], Any]] = [
        ([("team", arranged["red"])], lambda u: arranged["red"] in teams_of[u["id"]]),
        (
            [("team", arranged["red"]), ("team", arranged["blue"])],
            lambda u: teams_of[u["id"]] & {arranged["red"], arranged["blue"]},
        ),
        ([("org_unit", arranged["eng"])], lambda u: unit_of[u["id"]] in eng_tree),
        (
            [("org_unit", arranged["eng"]), ("team", arranged["blue"]), ("status", "active")],
            lambda u: (
                unit_of[u["id"]] in eng_tree
                and arranged["blue"] in teams_of[u["id"]]
                and u["status"] == "active"
            ),
        ),
        ([("q", "berg")], lambda u: u["last_name"] == "Berg"),
        (
            [("q", "ann"), ("team", arranged["red"])],
            lambda u: (
                "ann" in f"{u['first_name']} {u['last_name']}".casefold()
                and arranged["red"] in teams_of[u["id"]]
            ),
        ),
        ([("status", "pending")], lambda u: u["status"] == "pending"),
        # 1-2 characters: no trigram index; SQLite has its own plans for them.
        ([("q", "an")], lambda u: "an" in _haystack(u)),
        (
            [("q", "É"), ("team", arranged["blue"])],
            lambda u: "é" in _haystack(u) and arranged["blue"] in teams_of[u["id"]],
        ),
    ]
    for params, keep in cases:
        expected = [u["id"] for u in everyone if keep(u)]
        assert expected, params
        query = [*params, ("sort", sort), ("order", order), ("limit", "4")]
        first = admin.client.get("/api/v1/users", params=query).json()
        assert first["total"] == len(expected), params
        rows: list[str] = []
        cursor = None
        while True:
            r = admin.client.get(
                "/api/v1/users", params=[*query, *([("cursor", cursor)] if cursor else [])]
            ).json()
            rows += [u["id"] for u in r["items"]]
            cursor = r["next_cursor"]
            if not cursor:
                break
        assert rows == expected, (plan, params)
