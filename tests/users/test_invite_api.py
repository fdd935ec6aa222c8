"""Inviting users: validation, uniqueness under concurrency, and who may do it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.fixtures.factories import Factory, SignedIn, db_session, invite
from usher.models import User


def test_profile_fields_are_stored_normalized(admin: SignedIn) -> None:
    unit = admin.client.post("/api/v1/org-units", json={"name": "Research"}).json()
    teams = admin.client.get("/api/v1/teams").json()
    org_admin = next(t for t in teams if t["key"] == "organization_admin")
    assert org_admin["description"]
    r = invite(
        admin.client,
        first_name="  Grace ",
        last_name="Hopper",
        gender="female",
        birthday="1906-12-09",
        email="grace@ACME.io",
        phone="(202) 555-0143",
        phone_region="us",
        org_unit_id=unit["id"],
        position="Rear Admiral",
        team_ids=[org_admin["id"]],
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["first_name"] == "Grace"
    assert body["gender"] == "female"
    assert body["birthday"] == "1906-12-09"
    assert body["email"] == "grace@acme.io"
    assert body["phone"] == "+12025550143"
    assert body["org_unit_id"] == unit["id"]
    assert [t["key"] for t in body["teams"]] == ["organization_admin"]


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"phone": "12345"}, "phone", "country code"),
        ({"phone": "+1 555"}, "phone", ""),
        ({"phone": "+44 20 0000 000"}, "phone", "not a valid phone number"),
        ({"phone": "202 555 0143", "phone_region": "ZZ"}, "phone_region", "Unknown country"),
        ({"email": "not-an-email"}, "email", ""),
        ({"personal_email": "x@"}, "personal_email", ""),
        ({"birthday": "2999-01-01"}, "birthday", "past"),
        ({"birthday": "1850-01-01"}, "birthday", "after"),
        ({"birthday": "2001-02-30"}, "birthday", ""),
        ({"gender": "robot"}, "gender", ""),
        ({"invite_method": "carrier-pigeon"}, "invite_method", ""),
        ({"first_name": ""}, "first_name", ""),
        ({"first_name": "x" * 101}, "first_name", ""),
        ({"last_name": "<script>"}, "last_name", ""),
        ({"team_ids": ["not-a-uuid"]}, "team_ids.0", ""),
        ({"status": "active"}, "status", ""),
    ],
)
def test_bad_input_is_a_422_that_names_the_field(
    app: FastAPI, admin: SignedIn, fields: dict[str, Any], field: str, says: str
) -> None:
    r = invite(admin.client, **fields)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422
    assert problem["code"] == "validation_failed"
    assert field in problem["errors"], problem
    assert says.lower() in " ".join(problem["errors"][field]).lower()
    with db_session(app) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1  # only the admin


def test_unknown_team_or_unit_is_422(admin: SignedIn) -> None:
    r = invite(admin.client, team_ids=["00000000-0000-0000-0000-000000000001"])
    assert r.status_code == 422
    assert "team_ids" in r.json()["errors"]
    r = invite(admin.client, org_unit_id="00000000-0000-0000-0000-000000000001")
    assert r.status_code == 422
    assert "org_unit_id" in r.json()["errors"]


def test_malformed_json_is_a_4xx_problem(admin: SignedIn) -> None:
    r = admin.client.post(
        "/api/v1/users", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/problem+json")


def test_inviting_an_existing_email_in_any_case_is_409(admin: SignedIn) -> None:
    assert invite(admin.client, email="grace@acme.io").status_code == 201
    r = invite(admin.client, email="GRACE@Acme.IO")
    assert r.status_code == 409
    assert r.json()["code"] == "email_taken"
    assert invite(admin.client, email="ADA@acme.io").status_code == 409  # the admin herself


def test_concurrent_invites_of_one_email_create_exactly_one_user(
    app: FastAPI, admin: SignedIn, factory: Factory
) -> None:
    spellings = [
        "grace@acme.io",
        "GRACE@acme.io",
        "Grace@Acme.io",
        "grace@ACME.IO",
        "gRaCe@acme.io",
        "GRACE@ACME.IO",
    ]
    # Each thread signs in through its own client so the requests really run side by side.
    clients = [factory.new_client() for _ in spellings]
    for c in clients:
        c.cookies.update(admin.client.cookies)
    barrier = threading.Barrier(len(spellings))
    statuses: list[int] = []

    def go(i: int) -> None:
        barrier.wait()
        statuses.append(invite(clients[i], email=spellings[i]).status_code)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(spellings))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [201] + [409] * (len(spellings) - 1)
    with db_session(app) as s:
        count = s.scalar(
            select(func.count()).select_from(User).where(func.lower(User.email) == "grace@acme.io")
        )
    assert count == 1


def test_the_same_email_may_exist_in_another_organization(
    admin: SignedIn, factory: Factory
) -> None:
    other = factory.admin(name="Globex", email="hank@globex.io")
    assert invite(admin.client, email="shared@example.com").status_code == 201
    assert invite(other.client, email="shared@example.com").status_code == 201


def test_invites_are_audited(app: FastAPI, admin: SignedIn) -> None:
    from usher.models import AuditEvent

    user = invite(admin.client, email="grace@acme.io").json()
    with db_session(app) as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "user.invited"))
        assert event is not None
        assert str(event.actor_id) == admin.user_id
        assert event.target_id == user["id"]
        assert event.details["method"] == "link"
        assert event.ip
