"""Search finds users by any part of name, full name, email or phone digits — and nothing
else — in any letter case and any phone formatting."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.factories import SignedIn, seed_users

PEOPLE = [
    {
        "first_name": "Hedy",
        "last_name": "Lamarr",
        "email": "hedy.l@analytical.example",
        "phone": "+12025550123",
    },
    {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@navy.example",
        "personal_email": "amazing.grace@home.example",
        "phone": "+442079460958",
    },
    {"first_name": "Zoë", "last_name": "Ångström", "email": "zoe@physics.example"},
    {
        "first_name": "Alan",
        "last_name": "Turing",
        "email": "alan@bletchley.example",
        "phone": "+4915123456789",
    },
    {"first_name": "Katherine", "last_name": "Johnson", "email": "kj@nasa.example"},
]


@pytest.fixture
def people(app: FastAPI, admin: SignedIn) -> dict[str, str]:
    ids = seed_users(app, admin.extra["org_id"], PEOPLE)
    return {p["email"]: i for p, i in zip(PEOPLE, ids, strict=True)}


def emails(admin: SignedIn, **params: Any) -> set[str]:
    r = admin.client.get("/api/v1/users", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return {u["email"] for u in body["items"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("amar", {"hedy.l@analytical.example"}),
        ("LAMARR", {"hedy.l@analytical.example"}),
        ("hedy lam", {"hedy.l@analytical.example"}),
        ("  Hedy   Lamarr ", {"hedy.l@analytical.example"}),
        ("ada love", {"ada@acme.io"}),  # the admin, Ada Lovelace
        ("race hop", {"grace@navy.example"}),
        ("ngstr", {"zoe@physics.example"}),
        ("ÅNGSTRÖM", {"zoe@physics.example"}),
        ("zoë å", {"zoe@physics.example"}),
        ("@navy", {"grace@navy.example"}),
        ("AMAZING.GRACE@", {"grace@navy.example"}),
        ("bletchley.EX", {"alan@bletchley.example"}),
        ("555 01", {"hedy.l@analytical.example"}),
        ("(555) 01", {"hedy.l@analytical.example"}),
        ("+1202555", {"hedy.l@analytical.example"}),
        ("202-555-0123", {"hedy.l@analytical.example"}),
        ("20 7946", {"grace@navy.example"}),
        ("+49 151", {"alan@bletchley.example"}),
        ("example", {p["email"] for p in PEOPLE}),
        ("nobody", set()),
        ("lamarr hedy", set()),
        ("example 1202", set()),  # no match across two fields
        ("%", set()),
        ("_", set()),
    ],
)
def test_search(admin: SignedIn, people: dict[str, str], q: str, expected: set[str]) -> None:
    assert emails(admin, q=q) == expected


def test_short_queries_work_too(admin: SignedIn, people: dict[str, str]) -> None:
    assert emails(admin, q="kj") == {"kj@nasa.example"}
    assert "ada@acme.io" in emails(admin, q="a")


def test_search_follows_profile_changes(admin: SignedIn, people: dict[str, str]) -> None:
    uid = people["kj@nasa.example"]
    r = admin.client.patch(
        f"/api/v1/users/{uid}", json={"last_name": "Goble", "phone": "+1 212 555 0199"}
    )
    assert r.status_code == 200, r.text
    assert emails(admin, q="johnson") == set()
    assert emails(admin, q="goble") == {"kj@nasa.example"}
    assert emails(admin, q="0199") == {"kj@nasa.example"}


def test_deleted_users_leave_the_search(admin: SignedIn, people: dict[str, str]) -> None:
    assert (
        admin.client.delete(f"/api/v1/users/{people['alan@bletchley.example']}").status_code == 204
    )
    assert emails(admin, q="turing") == set()


def test_other_organizations_are_never_found(
    admin: SignedIn, people: dict[str, str], factory: Any
) -> None:
    other = factory.admin(name="Globex", email="hank@globex.io")
    assert emails(other, q="lamarr") == set()
    assert emails(other, q="example") == set()


FIELDS = st.sampled_from(["first", "last", "full", "email", "phone"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(person=st.sampled_from(PEOPLE), field=FIELDS, data=st.data())
def test_any_fragment_finds_its_user(
    admin: SignedIn, people: dict[str, str], person: dict[str, str], field: str, data: st.DataObject
) -> None:
    source = {
        "first": person["first_name"],
        "last": person["last_name"],
        "full": f"{person['first_name']} {person['last_name']}",
        "email": person["email"],
        "phone": person.get("phone", "")[1:],
    }[field]
    if not source:
        return
    start = data.draw(st.integers(0, len(source) - 1))
    end = data.draw(st.integers(start + 1, len(source)))
    fragment = source[start:end]
    if not fragment.strip():
        return
    fragment = data.draw(st.sampled_from([fragment, fragment.upper(), fragment.lower()]))
    assert person["email"] in emails(admin, q=fragment, limit=500)
