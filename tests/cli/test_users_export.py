"""``usher users export``: the same file as the API's export, to a file (with a progress bar on
stderr) or to standard output, with the list's filters and the acting admin's rights."""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.cli.conftest import Admin, Usher, error_line
from tests.fixtures.factories import db_session, seed_users
from usher.kit import clock
from usher.models import TeamMember
from usher.models.user import UserStatus


def acting(admin: Admin) -> str:
    return f"--org {admin.org_slug} --as {admin.email}"


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def emails(rows: list[list[str]]) -> set[str]:
    assert rows[0][2] == "Email"
    return {row[2] for row in rows[1:]}


@pytest.fixture
def acme(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI, client: TestClient
) -> tuple[Admin, dict[str, Any]]:
    """Ada (admin) and three seeded people: one in Engineering and in the team Crew, one with
    a formula for a name, one disabled."""
    admin = make_admin()
    unit = client.post("/api/v1/org-units", json={"name": "Engineering"}).json()["id"]
    team = client.post("/api/v1/teams", json={"name": "Crew"}).json()["id"]
    grace, _formula, _sam = seed_users(
        app,
        admin.org_id,
        [
            {
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": "grace@acme.io",
                "phone": "+12025550123",
                "org_unit_id": uuid.UUID(unit),
                "status": UserStatus.active,
            },
            {"first_name": "=1+1", "last_name": "@SUM(A1)", "email": "formula@acme.io"},
            {
                "first_name": "Sam",
                "last_name": "Seller",
                "email": "sam@acme.io",
                "status": UserStatus.disabled,
            },
        ],
    )
    with db_session(app) as session:
        session.add(TeamMember(team_id=uuid.UUID(team), user_id=uuid.UUID(grace)))
    return admin, {"unit": unit, "team": team, "grace": grace}


def test_exports_to_the_default_file_name(
    usher: Usher, acme: tuple[Admin, dict[str, Any]], tmp_path: Path, monkeypatch: Any
) -> None:
    admin, _ = acme
    monkeypatch.chdir(tmp_path)
    result = usher(f"users export {acting(admin)}")
    assert result.exit_code == 0, result.output
    name = f"users-acme-corp-{clock.now():%Y%m%d}.csv"
    assert result.stdout == ""
    assert result.stderr.strip() == f"Exported 4 users to {name}."
    rows = csv_rows((tmp_path / name).read_bytes())
    assert rows[0][:3] == ["First name", "Last name", "Email"]
    assert emails(rows) == {"ada@acme.io", "grace@acme.io", "formula@acme.io", "sam@acme.io"}
    by_email = {row[2]: row for row in rows[1:]}
    assert by_email["formula@acme.io"][:2] == ["'=1+1", "'@SUM(A1)"]
    assert by_email["grace@acme.io"][4] == "'+12025550123"
    assert by_email["grace@acme.io"][7] == "Engineering"
    assert by_email["grace@acme.io"][9] == "Crew"
    assert list(tmp_path.iterdir()) == [tmp_path / name]  # no .part left behind


def test_xlsx_from_the_file_extension_or_the_option(
    usher: Usher, acme: tuple[Admin, dict[str, Any]], tmp_path: Path
) -> None:
    admin, _ = acme
    by_extension = tmp_path / "people.xlsx"
    result = usher(f"users export {acting(admin)} --output {by_extension}")
    assert result.exit_code == 0, result.output
    rows = xlsx_rows(by_extension.read_bytes())
    assert len(rows) == 5
    assert ["'=1+1", "'@SUM(A1)"] in [row[:2] for row in rows]
    by_option = tmp_path / "people.data"
    result = usher(f"users export {acting(admin)} --format xlsx -o {by_option}")
    assert result.exit_code == 0, result.output
    assert xlsx_rows(by_option.read_bytes()) == rows


def test_standard_output_with_filters(usher: Usher, acme: tuple[Admin, dict[str, Any]]) -> None:
    admin, ids = acme
    cases = [
        ("--status active", {"ada@acme.io", "grace@acme.io"}),
        ("--status disabled --status pending", {"sam@acme.io", "formula@acme.io"}),
        ("--q hopper", {"grace@acme.io"}),
        (f"--org-unit {ids['unit']}", {"grace@acme.io"}),
        ("--team Crew", {"grace@acme.io"}),
        (f"--team {ids['team']} --q sam", set()),
    ]
    for options, expected in cases:
        result = usher(f"users export {acting(admin)} -o - {options}")
        assert result.exit_code == 0, (options, result.output)
        assert result.stderr == ""
        assert emails(csv_rows(result.stdout_bytes)) == expected, options


def test_xlsx_to_standard_output(usher: Usher, acme: tuple[Admin, dict[str, Any]]) -> None:
    admin, _ = acme
    result = usher(f"users export {acting(admin)} --format xlsx --output -")
    assert result.exit_code == 0, result.output
    assert len(xlsx_rows(result.stdout_bytes)) == 5


def test_a_member_is_refused(
    usher: Usher, acme: tuple[Admin, dict[str, Any]], tmp_path: Path
) -> None:
    admin, _ = acme
    target = tmp_path / "out.csv"
    result = usher(f"users export --org {admin.org_slug} --as grace@acme.io -o {target}")
    assert result.exit_code == 1
    assert error_line(result).startswith("Error: You do not have the users.read permission.")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--format pdf", "pdf"),
        ("--team Nobody", "Nobody"),
        ("--org-unit not-an-id", "--org-unit"),
        ("--status sleeping", "sleeping"),
    ],
)
def test_bad_input(
    usher: Usher, acme: tuple[Admin, dict[str, Any]], options: str, message: str
) -> None:
    admin, _ = acme
    result = usher(f"users export {acting(admin)} -o - {options}")
    assert result.exit_code != 0
    assert message in result.stderr
    assert result.stdout == ""


def test_an_unwritable_file_is_one_line(
    usher: Usher, acme: tuple[Admin, dict[str, Any]], tmp_path: Path
) -> None:
    admin, _ = acme
    result = usher(f"users export {acting(admin)} -o {tmp_path / 'missing' / 'out.csv'}")
    assert result.exit_code == 2
    assert error_line(result).startswith("Error: Cannot write ")
