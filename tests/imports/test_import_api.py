"""Bulk import through the API: dry run, apply (all or nothing, or valid rows only), the report
by row, column and reason, idempotency, and the rules on who may import what."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from tests.fixtures.factories import Factory, SignedIn, db_session
from usher.imports.runner import ImportRunner
from usher.kit import clock
from usher.models import AuditEvent, Invitation, OrgUnit, OutboxMessage, Team, TeamMember, User
from usher.models.user_import import UserImport

HEADER = "First name,Last name,Email,Phone,Gender,Birthday,Department,Job title,Teams\n"


def run_jobs(app: FastAPI, **kwargs: Any) -> int:
    """Run what the import worker would, here and now."""
    runner = ImportRunner(app.state.session_factory, app.state.settings, **kwargs)
    ran = 0
    while runner.run_once():
        ran += 1
    return ran


def upload(
    client: TestClient,
    content: str | bytes,
    *,
    filename: str = "people.csv",
    headers: dict[str, str] | None = None,
    **form: Any,
) -> Any:
    data = content.encode() if isinstance(content, str) else content
    fields = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in form.items()}
    return client.post(
        "/api/v1/imports",
        files={"file": (filename, data, "text/csv")},
        data=fields,
        headers=headers or {},
    )


def imported(app: FastAPI, client: TestClient, content: str | bytes, **form: Any) -> dict[str, Any]:
    r = upload(client, content, **form)
    assert r.status_code == 202, r.text
    run_jobs(app)
    done = client.get(f"/api/v1/imports/{r.json()['id']}")
    assert done.status_code == 200
    return done.json()  # type: ignore[no-any-return]


def problems(client: TestClient, import_id: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/imports/{import_id}/problems", params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def users_of(app: FastAPI, org_id: str) -> dict[str, dict[str, Any]]:
    with db_session(app) as session:
        rows = session.scalars(select(User).where(User.organization_id == uuid.UUID(org_id))).all()
        return {
            u.email: {
                "first_name": u.first_name,
                "last_name": u.last_name,
                "phone": u.phone,
                "gender": u.gender.value,
                "birthday": u.birthday.isoformat() if u.birthday else None,
                "position": u.position,
                "org_unit_id": u.org_unit_id,
                "status": u.status.value,
                "search_text": u.search_text,
            }
            for u in rows
        }


@pytest.fixture
def org_id(admin: SignedIn) -> str:
    return str(admin.extra["org_id"])


@pytest.fixture
def engineering(app: FastAPI, org_id: str) -> uuid.UUID:
    with db_session(app) as session:
        unit = OrgUnit(organization_id=uuid.UUID(org_id), name="Engineering")
        session.add(unit)
        session.flush()
        return unit.id


GOOD = HEADER + (
    "Grace,Hopper,grace@acme.io,+1 202 555 0143,F,1906-12-09,Engineering,Rear admiral,\n"
    "Alan,Turing,alan@acme.io,+44 20 7946 0958,male,1912-06-23,,Mathematician,\n"
)


def test_dry_run_reports_and_writes_nothing_then_apply_creates_pending_users(
    app: FastAPI, admin: SignedIn, org_id: str, engineering: uuid.UUID
) -> None:
    before = users_of(app, org_id)
    checked = imported(app, admin.client, GOOD, action="dry_run")
    assert checked["status"] == "checked"
    assert checked["counts"] == {
        "rows": 2,
        "create": 2,
        "update": 0,
        "unchanged": 0,
        "invalid": 0,
        "warnings": 0,
    }
    assert checked["progress"] == {"rows_done": 2, "rows_total": 2, "percent": 100.0, "phase": None}
    assert users_of(app, org_id) == before

    r = admin.client.post(f"/api/v1/imports/{checked['id']}/apply")
    assert r.status_code == 202
    assert r.json()["status"] == "queued"
    run_jobs(app)
    done = admin.client.get(f"/api/v1/imports/{checked['id']}").json()
    assert done["status"] == "completed", done
    assert done["counts"]["created"] == 2
    users = users_of(app, org_id)
    assert users["grace@acme.io"] == {
        "first_name": "Grace",
        "last_name": "Hopper",
        "phone": "+12025550143",
        "gender": "female",
        "birthday": "1906-12-09",
        "position": "Rear admiral",
        "org_unit_id": engineering,
        "status": "pending",
        "search_text": "grace hopper\x1fgrace@acme.io\x1f\x1f12025550143",
    }
    assert users["alan@acme.io"]["org_unit_id"] is None
    # Created pending without a word to anyone (invite=none, the default).
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert (
            session.scalar(
                select(func.count())
                .select_from(Invitation)
                .join(User, User.id == Invitation.user_id)
                .where(User.email != admin.email)
            )
            == 0
        )
    # They are found by the list's search at once.
    found = admin.client.get("/api/v1/users", params={"q": "hopp"}).json()["items"]
    assert [u["email"] for u in found] == ["grace@acme.io"]


def test_one_audit_event_per_import_with_its_counts_and_the_files_hash(
    app: FastAPI, admin: SignedIn
) -> None:
    import hashlib

    done = imported(app, admin.client, GOOD.replace(",Engineering,", ",,"))
    with db_session(app) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "users.imported")
        ).all()
        assert len(events) == 1
        details = events[0].details
        assert events[0].actor_label == admin.email
        assert events[0].target_id == done["id"]
    assert (
        details["file_sha256"]
        == hashlib.sha256(GOOD.replace(",Engineering,", ",,").encode()).hexdigest()
    )
    assert details["counts"]["created"] == 2
    assert details["counts"]["rows"] == 2


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    app: FastAPI, admin: SignedIn, org_id: str, engineering: uuid.UUID
) -> None:
    first = imported(app, admin.client, GOOD)
    assert first["counts"]["created"] == 2
    after_first = users_of(app, org_id)
    second = imported(app, admin.client, GOOD)
    assert second["status"] == "completed"
    assert second["counts"]["unchanged"] == 2
    assert second["counts"]["created"] == 0
    assert second["counts"]["updated"] == 0
    assert users_of(app, org_id) == after_first


def test_updates_touch_only_the_columns_in_the_file(
    app: FastAPI, admin: SignedIn, org_id: str, engineering: uuid.UUID
) -> None:
    imported(app, admin.client, GOOD)
    done = imported(app, admin.client, "E-mail,Job title\nGRACE@acme.io,Commodore\n")
    assert done["status"] == "completed", done
    assert done["counts"]["updated"] == 1
    grace = users_of(app, org_id)["grace@acme.io"]
    assert grace["position"] == "Commodore"
    assert grace["first_name"] == "Grace"
    assert grace["phone"] == "+12025550143"
    assert grace["org_unit_id"] == engineering
    # Matched in another letter case: said as a warning, the stored email kept.
    [warning] = problems(admin.client, done["id"])
    assert warning == {
        "row": 2,
        "column": "E-mail",
        "field": "email",
        "kind": "email_case",
        "severity": "warning",
        "message": "Matches the existing user grace@acme.io (letters in another case); "
        "their email is kept as it is.",
    }


BAD = HEADER + (
    "Grace,Hopper,grace@acme.io,+1 202 555 0143,F,1906-12-09,,,\n"  # 2: fine
    "Alan,Turing,not-an-email,,,,,,\n"  # 3
    "Ada,Lovelace,ada.l@acme.io,12345,,,,,\n"  # 4
    "Edsger,Dijkstra,edsger@acme.io,,,2999-01-01,,,\n"  # 5
    "Barbara,Liskov,barbara@acme.io,,robot,,,,\n"  # 6
    "Grace,Again,GRACE@acme.io,,,,,,\n"  # 7
    "Ken,Thompson,ken@acme.io,,,,Nowhere,,\n"  # 8
    "Dennis,Ritchie,dennis@acme.io,,,,,,Ghosts\n"  # 9
    "Linus,Torvalds,linus@acme.io,,,31/12/1969,,,\n"  # 10
    ",Knuth,don@acme.io,,,,,,\n"  # 11
)


def test_every_kind_of_error_is_named_by_row_column_and_reason(
    app: FastAPI, admin: SignedIn, org_id: str
) -> None:
    before = users_of(app, org_id)
    done = imported(app, admin.client, BAD)
    assert done["status"] == "failed"
    assert done["error"] == (
        "9 row(s) have problems, so nothing was imported. Fix them and import again, or "
        "import the valid rows only."
    )
    assert users_of(app, org_id) == before  # all or nothing: not even row 2
    found = {
        (p["row"], p["column"], p["kind"]): p["message"] for p in problems(admin.client, done["id"])
    }
    assert found == {
        (3, "Email", "bad_email"): "An email address must have an @-sign.",
        (4, "Phone", "bad_phone"): "Add the country code (for example +44 20 7946 0958) or give "
        "phone_region (for example GB).",
        (5, "Birthday", "future_date"): "2999-01-01 is in the future.",
        (6, "Gender", "bad_gender"): "Unknown gender 'robot': use female, male, other or "
        "unspecified (or F, M, O, U).",
        (7, "Email", "duplicate_in_file"): "GRACE@acme.io is also on row 2.",
        (8, "Department", "unknown_org_unit"): "No organization unit is called 'Nowhere'. Create "
        "it first, or import with 'create missing org units'.",
        (9, "Teams", "unknown_team"): "No team is called 'Ghosts'.",
        (10, "Birthday", "bad_date"): "Write the date as YYYY-MM-DD (for example 1990-04-21), "
        "not '31/12/1969'.",
        (11, "First name", "missing_value"): "First name is empty; a new user needs one.",
    }
    assert done["problem_counts"]["bad_email"] == 1
    only_dates = problems(admin.client, done["id"], kind="bad_date")
    assert [p["row"] for p in only_dates] == [10]


def test_valid_only_imports_the_good_rows_and_the_rejected_rows_download_as_csv(
    app: FastAPI, admin: SignedIn, org_id: str
) -> None:
    done = imported(app, admin.client, BAD, valid_only=True)
    assert done["status"] == "completed", done
    assert done["counts"]["created"] == 1
    assert done["counts"]["rejected"] == 9
    assert set(users_of(app, org_id)) == {admin.email, "grace@acme.io"}
    r = admin.client.get(f"/api/v1/imports/{done['id']}/rejected")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="people-rejected.csv"' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == [*HEADER.strip().split(","), "Reason"]
    assert len(rows) == 10
    assert rows[1][:3] == ["Alan", "Turing", "not-an-email"]
    assert rows[1][-1] == "Email: An email address must have an @-sign."
    # The rejected file, fixed, imports.
    fixed = "\n".join(",".join(row[:-1]) for row in rows[:2]).replace(
        "not-an-email", "alan@acme.io"
    )
    again = imported(app, admin.client, fixed + "\n")
    assert again["status"] == "completed", again
    assert "alan@acme.io" in users_of(app, org_id)


def test_an_idempotency_key_returns_the_first_result(app: FastAPI, admin: SignedIn) -> None:
    key = {"Idempotency-Key": "import-2026-11-23"}
    first = upload(admin.client, GOOD.replace(",Engineering,", ",,"), headers=key)
    assert first.status_code == 202
    run_jobs(app)
    again = upload(admin.client, GOOD.replace(",Engineering,", ",,"), headers=key)
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "completed"
    assert run_jobs(app) == 0
    other = upload(admin.client, "Email\nsomeone@acme.io\n", headers=key)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(UserImport)) == 1


def test_teams_by_name_and_missing_org_units_created_on_request(
    app: FastAPI, admin: SignedIn, org_id: str, engineering: uuid.UUID
) -> None:
    r = admin.client.post("/api/v1/teams", json={"name": "Platform", "description": ""})
    assert r.status_code == 201, r.text
    content = (
        "Email,First name,Last name,Org Unit Path,Teams\n"
        "grace@acme.io,Grace,Hopper,/Engineering/Compilers,platform; Member\n"
        "alan@acme.io,Alan,Turing,Research,\n"
    )
    done = imported(app, admin.client, content, create_org_units=True)
    assert done["status"] == "completed", done
    assert done["counts"]["org_units_created"] == 2
    with db_session(app) as session:
        units = {u.name: u for u in session.scalars(select(OrgUnit)).all()}
        assert units["Compilers"].parent_id == engineering
        assert units["Research"].parent_id is None
        grace = session.scalar(select(User).where(User.email == "grace@acme.io"))
        assert grace is not None
        assert grace.org_unit_id == units["Compilers"].id
        teams = session.scalars(
            select(Team.name).join(TeamMember).where(TeamMember.user_id == grace.id)
        ).all()
        assert teams == ["Platform"]
    # Removing the team through the Teams column, with the rest unchanged.
    content2 = "Email,Teams\ngrace@acme.io,\n"
    done2 = imported(app, admin.client, content2)
    assert done2["counts"]["updated"] == 1
    with db_session(app) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(TeamMember)
                .join(User)
                .where(User.email == "grace@acme.io")
            )
            == 0
        )


def test_invite_by_email_queues_a_registration_mail_for_each_new_user(
    app: FastAPI, admin: SignedIn
) -> None:
    done = imported(app, admin.client, GOOD.replace(",Engineering,", ",,"), invite="email")
    assert done["counts"]["invited"] == 2
    with db_session(app) as session:
        recipients = sorted(session.scalars(select(OutboxMessage.recipient)).all())
    assert recipients == ["alan@acme.io", "grace@acme.io"]


def test_a_database_error_mid_apply_leaves_nothing_and_the_retry_succeeds(
    app: FastAPI, admin: SignedIn, org_id: str
) -> None:
    before = users_of(app, org_id)
    r = upload(admin.client, GOOD.replace(",Engineering,", ",,"))
    engine = app.state.engine
    fired: list[str] = []

    def fail_once(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE USERS ") and not fired:
            fired.append(statement)
            raise OperationalError(statement, {}, Exception("injected: connection lost"))

    event.listen(engine, "before_cursor_execute", fail_once)
    try:
        assert run_jobs(app) == 1
    finally:
        event.remove(engine, "before_cursor_execute", fail_once)
    assert fired
    state = admin.client.get(f"/api/v1/imports/{r.json()['id']}").json()
    assert state["status"] == "queued"
    assert "injected: connection lost" in state["error"]
    assert users_of(app, org_id) == before  # the users inserted before the error rolled back
    with db_session(app) as session:
        job = session.get(UserImport, uuid.UUID(r.json()["id"]))
        assert job is not None
        job.next_attempt_at = clock.now()  # skip the back-off
    assert run_jobs(app) == 1
    state = admin.client.get(f"/api/v1/imports/{r.json()['id']}").json()
    assert state["status"] == "completed", state
    assert set(users_of(app, org_id)) == {admin.email, "grace@acme.io", "alan@acme.io"}


def test_an_import_whose_worker_died_is_taken_over_when_its_lease_runs_out(
    app: FastAPI, admin: SignedIn, org_id: str
) -> None:
    from datetime import timedelta

    r = upload(admin.client, GOOD.replace(",Engineering,", ",,"))
    with db_session(app) as session:
        job = session.get(UserImport, uuid.UUID(r.json()["id"]))
        assert job is not None
        job.status = "running"  # type: ignore[assignment]
        job.claimed_by = "dead-worker"
        job.lease_expires_at = clock.now() + timedelta(minutes=1)
    assert run_jobs(app) == 0  # still held
    with db_session(app) as session:
        job = session.get(UserImport, uuid.UUID(r.json()["id"]))
        assert job is not None
        job.lease_expires_at = clock.now() - timedelta(seconds=1)
    assert run_jobs(app) == 1
    assert admin.client.get(f"/api/v1/imports/{r.json()['id']}").json()["status"] == "completed"
    assert len(users_of(app, org_id)) == 3


@pytest.mark.parametrize(
    ("content", "form", "field", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), {}, "file", None),
        (
            "Name,Phone\nGrace,+12025550143\n",
            {},
            "mapping",
            "No column holds the organizational email",
        ),
        ("Email\ngrace@acme.io\n", {"mapping": "not json"}, "mapping", "JSON object"),
        ("Email\ngrace@acme.io\n", {"phone_region": "ZZ"}, "phone_region", "Unknown country"),
        ("Email\ngrace@acme.io\n", {"invite": "sms"}, None, None),
        (b"", {}, "file", "empty"),
    ],
)
def test_bad_uploads_get_a_422_that_says_what_to_fix(
    app: FastAPI,
    admin: SignedIn,
    content: Any,
    form: dict[str, Any],
    field: str | None,
    message: str | None,
) -> None:
    r = upload(admin.client, content, **form)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    if field:
        assert field in body["errors"], body
    if message:
        assert message in " ".join(body["errors"][field])
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(UserImport)) == 0


@pytest.mark.parametrize("settings_overrides", [{"import_max_bytes": 2048}])
def test_a_file_over_the_size_limit_is_refused_with_413(app: FastAPI, admin: SignedIn) -> None:
    r = upload(admin.client, "Email\n" + "someone@acme.io\n" * 500)
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"]


@pytest.mark.parametrize("settings_overrides", [{"import_max_rows": 3}])
def test_a_file_over_the_row_limit_fails_with_a_clear_error(
    app: FastAPI, admin: SignedIn, org_id: str
) -> None:
    content = "Email,First name,Last name\n" + "".join(f"u{i}@acme.io,U,{i}\n" for i in range(4))
    done = imported(app, admin.client, content)
    assert done["status"] == "failed"
    assert done["error"] == (
        "The file has more than 3 rows, the most one import may hold. Split it into several files."
    )
    assert len(users_of(app, org_id)) == 1


def test_explicit_mapping_overrides_the_headers(app: FastAPI, admin: SignedIn, org_id: str) -> None:
    content = "Given,Family,Mail,Boss\nGrace,Hopper,grace@acme.io,ada@acme.io\n"
    r = upload(
        admin.client,
        content,
        action="upload",
        mapping='{"Given": "first_name", "Family": "last_name", "Mail": "email", "Boss": ""}',
    )
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "uploaded"
    assert [c["field"] for c in body["columns"]] == ["first_name", "last_name", "email", None]
    assert body["sample"] == [["Grace", "Hopper", "grace@acme.io", "ada@acme.io"]]
    assert run_jobs(app) == 0  # an upload alone queues nothing
    assert admin.client.post(f"/api/v1/imports/{body['id']}/apply").status_code == 202
    run_jobs(app)
    assert users_of(app, org_id)["grace@acme.io"]["last_name"] == "Hopper"


def test_who_may_import(app: FastAPI, admin: SignedIn, factory: Factory) -> None:
    member = factory.member(admin)
    assert upload(member.client, GOOD).status_code == 403
    mine = upload(admin.client, GOOD, action="upload").json()["id"]
    assert member.client.get(f"/api/v1/imports/{mine}").status_code == 403
    other = factory.admin(name="Globex", email="hank@globex.io")
    assert other.client.get(f"/api/v1/imports/{mine}").status_code == 404
    assert other.client.post(f"/api/v1/imports/{mine}/apply").status_code == 404
    assert other.client.get(f"/api/v1/imports/{mine}/rejected").status_code == 404
    assert [i["id"] for i in other.client.get("/api/v1/imports").json()["items"]] == []
    assert [i["id"] for i in admin.client.get("/api/v1/imports").json()["items"]] == [mine]


def test_the_other_kinds_of_error_are_named_too(
    app: FastAPI, admin: SignedIn, org_id: str, engineering: uuid.UUID
) -> None:
    with db_session(app) as session:
        for name in ("Support", "Support"):  # two units of one name, under different parents
            parent = OrgUnit(organization_id=uuid.UUID(org_id), name=f"Parent {uuid.uuid4()}")
            session.add(parent)
            session.flush()
            session.add(OrgUnit(organization_id=uuid.UUID(org_id), name=name, parent_id=parent.id))
    content = (
        "First name,Last name,Email,Personal email,Birthday,Department,Job title\n"
        "<script>,Hopper,grace@acme.io,,,,\n"  # 2
        f"Alan,Turing,alan@acme.io,,,,{'x' * 201}\n"  # 3
        "Ada,Lovelace,ada.l@acme.io,ada@,,,\n"  # 4
        "Edsger,Dijkstra,edsger@acme.io,,1800-01-01,,\n"  # 5
        "Ken,Thompson,ken@acme.io,,,Support,\n"  # 6
        "Dennis,Ritchie,dennis@acme.io,,,,,surplus\n"  # 7
        ",,,,,,\n"  # 8: blank, skipped
        "Linus,,linus@acme.io,,,,\n"  # 9
    )
    done = imported(app, admin.client, content, action="dry_run")
    assert done["status"] == "checked"
    assert done["counts"]["rows"] == 7
    assert done["counts"]["invalid"] == 7
    found = {
        (p["row"], p["column"], p["kind"]): p["message"] for p in problems(admin.client, done["id"])
    }
    assert found == {
        (2, "First name", "bad_name"): "Names cannot contain <, > or control characters.",
        (3, "Job title", "too_long"): "At most 200 characters (this has 201).",
        (4, "Personal email", "bad_email"): "There must be something after the @-sign.",
        (5, "Birthday", "bad_date"): "A birthday must be after 1900-01-01.",
        (6, "Department", "ambiguous_org_unit"): "2 organization units are called 'Support': "
        "write its path, for example 'Parent / Support'.",
        (7, None, "extra_cells"): "The row has 8 cells but the header only 7 columns: is a value "
        "missing its quotes?",
        (9, "Last name", "missing_value"): "Last name is empty; a new user needs one.",
    }


def test_a_unit_admin_imports_into_their_units_only(
    app: FastAPI, admin: SignedIn, factory: Factory, org_id: str, engineering: uuid.UUID
) -> None:
    unit_admin = factory.member(admin, email="unit.admin@acme.io")
    r = admin.client.post(
        "/api/v1/role-bindings",
        json={
            "role": "org_unit:user_admin",
            "entity_id": str(engineering),
            "user_id": unit_admin.user_id,
        },
    )
    assert r.status_code == 201, r.text
    content = (
        "First name,Last name,Email,Department\n"
        "Grace,Hopper,grace@acme.io,Engineering\n"
        "Alan,Turing,alan@acme.io,\n"
    )
    done = imported(app, unit_admin.client, content, valid_only=True)
    assert done["status"] == "completed", done
    assert done["counts"]["created"] == 1
    [refused] = problems(unit_admin.client, done["id"])
    assert (refused["row"], refused["kind"]) == (3, "not_permitted")
    assert set(users_of(app, org_id)) == {admin.email, unit_admin.email, "grace@acme.io"}
    # Their imports are theirs: another admin's are not listed to them.
    assert [i["id"] for i in unit_admin.client.get("/api/v1/imports").json()["items"]] == [
        done["id"]
    ]


@pytest.mark.postgres_only  # row locks are PostgreSQL's; SQLite serializes write transactions
def test_workers_skip_an_import_another_is_claiming(app: FastAPI, admin: SignedIn) -> None:
    import threading

    first = upload(admin.client, "Email,First name,Last name\na@acme.io,A,A\n").json()["id"]
    second = upload(admin.client, "Email,First name,Last name\nb@acme.io,B,B\n").json()["id"]
    with db_session(app) as session:
        # Another worker is mid-claim on the older import.
        session.execute(
            select(UserImport).where(UserImport.id == uuid.UUID(first)).with_for_update()
        )
        ran: list[int] = []
        runner = ImportRunner(app.state.session_factory, app.state.settings)
        thread = threading.Thread(target=lambda: ran.append(runner.run_once()))
        thread.start()
        thread.join(30)  # bounded: a claim that waited for the lock would fail here
        assert ran == [1]
        state = admin.client.get(f"/api/v1/imports/{second}").json()["status"]
        assert state == "completed"
    assert admin.client.get(f"/api/v1/imports/{first}").json()["status"] == "queued"
    assert run_jobs(app) == 1
    assert admin.client.get(f"/api/v1/imports/{first}").json()["status"] == "completed"


def test_finished_imports_are_deleted_after_the_retention(
    app: FastAPI, admin: SignedIn, org_id: str
) -> None:
    from datetime import timedelta

    old = imported(app, admin.client, GOOD.replace(",Engineering,", ",,"))
    fresh = imported(app, admin.client, "Email\nnew@acme.io\n", action="upload")
    with db_session(app) as session:
        job = session.get(UserImport, uuid.UUID(old["id"]))
        assert job is not None
        job.finished_at = clock.now() - timedelta(days=31)
    runner = ImportRunner(app.state.session_factory, app.state.settings)
    assert runner.delete_old_imports() == 1
    assert admin.client.get(f"/api/v1/imports/{old['id']}").status_code == 404
    assert admin.client.get(f"/api/v1/imports/{fresh['id']}").status_code == 200
    assert len(users_of(app, org_id)) == 3  # the users the import made stay, of course


def test_the_form_also_takes_map_pairs_and_a_dry_run_flag(
    app: FastAPI, admin: SignedIn, org_id: str
) -> None:
    content = "Given,Family,Contact\nGrace,Hopper,grace@acme.io\n"
    r = admin.client.post(
        "/api/v1/imports",
        files={"file": ("people.csv", content.encode(), "text/csv")},
        data={"map": ["Given=first_name", "Family=last_name", "Contact=email"], "dry_run": "true"},
    )
    assert r.status_code == 202, r.text
    assert r.json()["action"] == "dry_run"
    assert [c["field"] for c in r.json()["columns"]] == ["first_name", "last_name", "email"]
    run_jobs(app)
    assert admin.client.get(f"/api/v1/imports/{r.json()['id']}").json()["status"] == "checked"
    assert set(users_of(app, org_id)) == {admin.email}
    bad = admin.client.post(
        "/api/v1/imports",
        files={"file": ("people.csv", content.encode(), "text/csv")},
        data={"map": ["Given"]},
    )
    assert bad.status_code == 422
    assert "column=field" in bad.json()["errors"]["map"][0]
