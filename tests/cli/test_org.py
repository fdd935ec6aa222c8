"""``usher org create``: an organization with a pending first admin and their link."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.cli.conftest import Usher, error_line, token_of
from tests.fixtures.factories import accept

LINK = re.compile(r"http://usher\.test/register/\S+")


def test_text_output_names_the_slug_and_a_working_link(
    usher: Usher, engine: Engine, client: TestClient
) -> None:
    result = usher(
        "org create 'Acme Corp' --admin-email Ada@Acme.io "
        "--admin-first-name Ada --admin-last-name Lovelace"
    )

    assert result.exit_code == 0, result.output
    assert "slug acme-corp" in result.stdout
    match = LINK.search(result.stdout)
    assert match, result.stdout
    preview = client.get(f"/api/v1/invitations/{token_of(match.group())}")
    assert preview.status_code == 200, preview.text
    assert preview.json()["organization_slug"] == "acme-corp"
    assert preview.json()["email"] == "Ada@acme.io"
    assert preview.json()["first_name"] == "Ada"


def test_json_output_and_the_admin_is_an_organization_admin(
    usher: Usher, engine: Engine, client: TestClient
) -> None:
    result = usher("org create 'Acme Corp' --admin-email ada@acme.io --slug acme --json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"organization", "admin", "registration_url"}
    assert data["organization"]["name"] == "Acme Corp"
    assert data["organization"]["slug"] == "acme"
    assert data["admin"]["email"] == "ada@acme.io"
    assert accept(client, data["registration_url"]).status_code == 200
    me = client.get("/api/v1/me").json()
    assert me["id"] == data["admin"]["id"]
    assert me["is_org_admin"] is True
    assert me["organization"] == data["organization"]


def test_a_taken_slug_is_refused(usher: Usher, engine: Engine) -> None:
    assert usher("org create Acme --admin-email a@acme.io").exit_code == 0

    result = usher("org create ACME --admin-email b@acme.io")

    assert result.exit_code == 1
    assert "slug 'acme' already exists" in error_line(result)
    assert result.stdout == ""


def test_a_bad_email_is_a_usage_error_with_the_reason(usher: Usher, engine: Engine) -> None:
    result = usher("org create Acme --admin-email ada.acme.io")

    assert result.exit_code == 2
    assert error_line(result) == "Error: --admin-email: An email address must have an @-sign."
    # Nothing was half-made: the slug is still free.
    assert usher("org create Acme --admin-email ada@acme.io").exit_code == 0


def test_a_bad_slug_is_a_usage_error(usher: Usher, engine: Engine) -> None:
    result = usher("org create Acme --admin-email ada@acme.io --slug=-x-")

    assert result.exit_code == 2
    assert error_line(result).startswith("Error: --slug: Use 1 to 63 lower-case letters")


def test_a_missing_option_is_a_usage_error(usher: Usher, engine: Engine) -> None:
    result = usher("org create Acme")

    assert result.exit_code == 2
    assert "Missing option '--admin-email'" in result.stderr


def test_an_unmigrated_database_says_what_to_run(usher: Usher, tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"

    result = usher("org create Acme --admin-email ada@acme.io", env={"USHER_DATABASE_URL": empty})

    assert result.exit_code == 1
    assert "run `usher db upgrade` first" in error_line(result)


def test_a_bad_setting_names_its_variable(usher: Usher) -> None:
    bad = {"USHER_BASE_URL": "ftp://usher.test"}

    result = usher("org create Acme --admin-email ada@acme.io", env=bad)

    assert result.exit_code == 2
    assert error_line(result) == "Error: USHER_BASE_URL must be an http:// or https:// URL."
