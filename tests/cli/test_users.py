"""``usher users invite``: the same invitation rules as ``POST /api/v1/users``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.cli.conftest import Admin, Usher, error_line
from tests.fixtures.factories import accept

GRACE = "--first-name Grace --last-name Hopper --email grace@acme.io"


def as_admin(admin: Admin) -> str:
    return f"users invite --org {admin.org_slug} --as {admin.email}"


def test_invite_by_link_prints_a_link_that_registers_the_user(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI
) -> None:
    admin = make_admin()

    result = usher(
        f"{as_admin(admin)} {GRACE} --method link --position Engineer --phone",
        "+44 20 7946 0958",
    )

    assert result.exit_code == 0, result.output
    assert "status pending" in result.stdout
    link = re.search(r"http://usher\.test/register/\S+", result.stdout)
    assert link, result.stdout
    with TestClient(app) as grace:
        assert accept(grace, link.group()).status_code == 200
        me = grace.get("/api/v1/me").json()
    assert me["email"] == "grace@acme.io"
    assert me["organization"]["slug"] == admin.org_slug
    assert me["is_org_admin"] is False
    assert me["id"] in result.stdout


def test_invite_by_email_queues_the_mail(
    usher: Usher, make_admin: Callable[..., Admin], client: TestClient
) -> None:
    admin = make_admin()
    admin_id = client.get("/api/v1/me").json()["id"]

    result = usher(
        f"{as_admin(admin)} {GRACE} --personal-email grace@home.example --gender female "
        "--birthday 1906-12-09 --json"
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "pending"
    assert data["registration_url"] is None
    assert data["invitation"]["method"] == "email"
    assert data["invitation"]["sent_to"] == "grace@home.example"
    # The API (signed in as the admin) sees the same user and the queued mail.
    seen = client.get(f"/api/v1/users/{data['id']}")
    assert seen.status_code == 200, seen.text
    assert seen.json()["birthday"] == "1906-12-09"
    assert seen.json()["gender"] == "female"
    assert seen.json()["invited_by_id"] == admin_id
    assert seen.json()["invitation"]["delivery"]["state"] == "queued"


def test_text_output_for_email_says_where_it_goes(
    usher: Usher, make_admin: Callable[..., Admin]
) -> None:
    result = usher(f"{as_admin(make_admin())} {GRACE}")

    assert result.exit_code == 0, result.output
    assert "queued for grace@acme.io" in result.stdout
    assert "/register/" not in result.stdout


def test_a_member_who_is_not_an_admin_is_refused(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI
) -> None:
    admin = make_admin()
    made = usher(f"{as_admin(admin)} {GRACE} --method link --json")
    with TestClient(app) as grace:
        assert accept(grace, json.loads(made.stdout)["registration_url"]).status_code == 200

    result = usher(
        f"users invite --org {admin.org_slug} --as grace@acme.io "
        "--first-name Alan --last-name Turing --email alan@acme.io"
    )

    assert result.exit_code == 1
    assert error_line(result).startswith(
        "Error: You do not have the users.manage permission. An Organization Admin can give it"
    )


def test_an_admin_who_has_not_registered_is_refused(usher: Usher, engine: Engine) -> None:
    assert usher("org create Acme --admin-email ada@acme.io").exit_code == 0

    result = usher(f"users invite --org acme --as ada@acme.io {GRACE}")

    assert result.exit_code == 1
    # Not yet registered: pending users hold nothing until they accept.
    assert "You do not have the users.manage permission" in error_line(result)


def test_a_taken_email_is_refused(usher: Usher, make_admin: Callable[..., Admin]) -> None:
    admin = make_admin()
    first = usher(f"{as_admin(admin)} {GRACE}")
    assert first.exit_code == 0, first.output

    result = usher(f"{as_admin(admin)} --first-name G --last-name H --email GRACE@acme.io")

    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: A user with the email GRACE@acme.io already exists in this organization."
    )


def test_a_bad_phone_is_a_usage_error_with_the_reason(
    usher: Usher, make_admin: Callable[..., Admin]
) -> None:
    admin = make_admin()

    result = usher(f"{as_admin(admin)} {GRACE} --phone '020 7946 0958'")

    assert result.exit_code == 2
    assert error_line(result).startswith("Error: --phone: Add the country code")
    # Nothing was made: the same email can be invited once the number is fixed.
    fixed = usher(f"{as_admin(admin)} {GRACE} --phone '020 7946 0958' --phone-region GB --json")
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.stdout)["phone"] == "+442079460958"


def test_several_bad_fields_are_named_on_one_line(usher: Usher, engine: Engine) -> None:
    result = usher(
        "users invite --org acme --as ada@acme.io "
        "--first-name ' ' --last-name H --email nope --birthday 2999-01-01"
    )

    assert result.exit_code == 2
    line = error_line(result)
    assert "--first-name: String should have at least 1 character." in line
    assert "--email: " in line
    assert "--birthday: A birthday must be in the past." in line


def test_an_unknown_organization_or_admin_is_named(
    usher: Usher, make_admin: Callable[..., Admin]
) -> None:
    admin = make_admin()

    no_org = usher(f"users invite --org nope --as {admin.email} {GRACE}")
    no_admin = usher(f"users invite --org {admin.org_slug} --as who@acme.io {GRACE}")

    assert no_org.exit_code == 1
    assert error_line(no_org) == "Error: No organization with the slug 'nope'."
    assert no_admin.exit_code == 1
    assert "No user with the email who@acme.io" in error_line(no_admin)


def test_an_admin_of_another_organization_cannot_invite_here(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI
) -> None:
    make_admin("Acme Corp", "ada@acme.io")
    other = usher("org create Globex --admin-email hank@globex.io --json")
    with TestClient(app) as hank:
        assert accept(hank, json.loads(other.stdout)["registration_url"]).status_code == 200

    result = usher(f"users invite --org acme-corp --as hank@globex.io {GRACE}")

    assert result.exit_code == 1
    assert "No user with the email hank@globex.io in the organization 'acme-corp'" in (
        error_line(result)
    )
