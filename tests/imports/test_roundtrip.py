"""An export imports back as a no-op, in CSV and in XLSX: same people, same fields, same teams,
formula-looking values included."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from tests.fixtures.factories import SignedIn, db_session, invite
from tests.imports.test_import_api import problems, run_jobs, upload, users_of
from usher.models import OrgUnit


@pytest.fixture
def people(app: FastAPI, admin: SignedIn) -> None:
    org_id = uuid.UUID(str(admin.extra["org_id"]))
    with db_session(app) as session:
        eng = OrgUnit(organization_id=org_id, name="Engineering")
        session.add(eng)
        session.flush()
        platform = OrgUnit(organization_id=org_id, name="Platform", parent_id=eng.id)
        other_platform = OrgUnit(organization_id=org_id, name="Platform")  # same name, top level
        session.add_all([platform, other_platform])
        session.flush()
        platform_id = platform.id
    team = admin.client.post("/api/v1/teams", json={"name": "=Ops; crew", "description": ""})
    assert team.status_code == 201, team.text
    plain = admin.client.post("/api/v1/teams", json={"name": "Mentors", "description": ""})
    specs: list[dict[str, Any]] = [
        {
            "first_name": "=HYPERLINK(1)",
            "last_name": "-Hopper",
            "email": "grace@acme.io",
            "personal_email": "grace.h@example.org",
            "phone": "+1 202 555 0143",
            "gender": "female",
            "birthday": "1906-12-09",
            "position": "@Admiral",
            "org_unit_id": str(platform_id),
            "team_ids": [plain.json()["id"], team.json()["id"]],
        },
        {"first_name": "Alan", "last_name": "Turing", "email": "alan@acme.io"},
    ]
    for spec in specs:
        r = invite(admin.client, **spec)
        assert r.status_code == 201, r.text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_as_a_no_op(
    app: FastAPI, admin: SignedIn, people: None, fmt: str
) -> None:
    org_id = str(admin.extra["org_id"])
    before = users_of(app, org_id)
    exported = admin.client.get("/api/v1/users/export", params={"format": fmt})
    assert exported.status_code == 200, exported.text
    r = upload(admin.client, exported.content, filename=f"users.{fmt}")
    assert r.status_code == 202, r.text
    assert not [c for c in r.json()["columns"] if c["how"] == "unknown"], r.json()["columns"]
    run_jobs(app)
    done = admin.client.get(f"/api/v1/imports/{r.json()['id']}").json()
    assert done["status"] == "completed", (done, problems(admin.client, done["id"]))
    assert done["counts"]["unchanged"] == len(before), done["counts"]
    assert done["counts"]["created"] == 0
    assert done["counts"]["updated"] == 0
    assert problems(admin.client, done["id"]) == []
    assert users_of(app, org_id) == before
