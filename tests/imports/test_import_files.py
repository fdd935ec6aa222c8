"""Real-world files import end to end: every encoding, delimiter and format, and the user
exports of Okta, Google Workspace and Microsoft Entra and a hand-typed sheet, without editing."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from openpyxl import Workbook
from sqlalchemy import select

from tests.fixtures.factories import SignedIn, db_session
from tests.imports.header_sets import ENTRA_USERS, GOOGLE_WORKSPACE_USERS, OKTA_USERS
from tests.imports.test_import_api import problems, run_jobs, upload
from usher.models import OrgUnit, User

PEOPLE = [
    ("Zoë", "Müller-Lüdenscheidt", "zoe@acme.io", "+49 30 901820", "Ingénieure"),
    ("François", "Nuñez", "francois@acme.io", "+33 1 42 68 53 00", "Directeur €"),
]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)


def people_rows() -> list[list[str]]:
    return [["First name", "Last name", "E-mail", "Mobile phone", "Job title"]] + [
        list(p) for p in PEOPLE
    ]


def import_and_read(app: FastAPI, admin: SignedIn, data: bytes, **form: Any) -> dict[str, Any]:
    r = upload(admin.client, data, **form)
    assert r.status_code == 202, r.text
    run_jobs(app)
    done = admin.client.get(f"/api/v1/imports/{r.json()['id']}").json()
    assert done["status"] == "completed", (done, problems(admin.client, done["id"]))
    return done  # type: ignore[no-any-return]


def stored(app: FastAPI) -> dict[str, User]:
    with db_session(app) as session:
        users = session.scalars(select(User)).all()
        for u in users:
            session.expunge(u)
        return {u.email: u for u in users}


def assert_people(app: FastAPI) -> None:
    users = stored(app)
    for first, last, email, _phone, position in PEOPLE:
        assert users[email].first_name == first
        assert users[email].last_name == last
        assert users[email].position == position
    assert users["zoe@acme.io"].phone == "+4930901820"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # Python writes a BOM (little-endian here)
        ("utf-16-be", None),
        ("cp1252", "cp1252"),
    ],
)
def test_every_encoding_imports(
    app: FastAPI, admin: SignedIn, encoding: str, expected: str | None
) -> None:
    data = csv_bytes(people_rows(), encoding=encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # with its byte-order mark
    done = import_and_read(app, admin, data)
    if expected:
        assert done["encoding"] == expected
    assert done["counts"]["created"] == 2
    assert_people(app)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_every_delimiter_imports(app: FastAPI, admin: SignedIn, delimiter: str) -> None:
    done = import_and_read(app, admin, csv_bytes(people_rows(), delimiter=delimiter))
    assert done["delimiter"] == delimiter
    assert_people(app)


def test_quoted_fields_with_embedded_newlines_and_quotes(app: FastAPI, admin: SignedIn) -> None:
    data = (
        b"First name,Last name,Email,Job title\r\n"
        b'"Grace ""Amazing""",Hopper,grace@acme.io,"Rear\nadmiral"\r\n'
        b'Alan,Turing,alan@acme.io,"Codebreaker, mathematician"\r\n'
    )
    import_and_read(app, admin, data)
    users = stored(app)
    assert users["grace@acme.io"].first_name == 'Grace "Amazing"'
    assert users["grace@acme.io"].position == "Rear admiral"
    assert users["alan@acme.io"].position == "Codebreaker, mathematician"


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_number_phones_and_date_cells(app: FastAPI, admin: SignedIn) -> None:
    data = xlsx_bytes(
        {
            "Users": [
                ["First name", "Last name", "Email", "Mobile", "Date of birth"],
                ["Grace", "Hopper", "grace@acme.io", 12025550143, date(1906, 12, 9)],
                ["Alan", "Turing", "alan@acme.io", "+44 20 7946 0958", "1912-06-23"],
            ]
        }
    )
    done = import_and_read(app, admin, data, filename="people.xlsx", phone_region="US")
    assert done["format"] == "xlsx"
    users = stored(app)
    assert users["grace@acme.io"].phone == "+12025550143"
    assert users["grace@acme.io"].birthday == date(1906, 12, 9)
    assert users["alan@acme.io"].birthday == date(1912, 6, 23)


def test_xlsx_reads_the_named_sheet(app: FastAPI, admin: SignedIn) -> None:
    data = xlsx_bytes(
        {
            "Readme": [["This workbook lists our people"]],
            "People": [["First name", "Last name", "Email"], ["Grace", "Hopper", "grace@acme.io"]],
        }
    )
    done = import_and_read(app, admin, data, filename="people.xlsx", sheet="People")
    assert done["sheet"] == "People"
    assert "grace@acme.io" in stored(app)
    wrong = upload(admin.client, data, filename="people.xlsx", sheet="Staff")
    assert wrong.status_code == 422
    assert "People" in wrong.json()["errors"]["file"][0]


def export_row(headers: list[str], values: dict[str, str]) -> list[str]:
    assert set(values) <= set(headers), set(values) - set(headers)
    return [values.get(h, "") for h in headers]


@pytest.fixture
def units(app: FastAPI, admin: SignedIn) -> dict[str, uuid.UUID]:
    with db_session(app) as session:
        org_id = uuid.UUID(str(admin.extra["org_id"]))
        eng = OrgUnit(organization_id=org_id, name="Engineering")
        session.add(eng)
        session.flush()
        platform = OrgUnit(organization_id=org_id, name="Platform", parent_id=eng.id)
        session.add(platform)
        session.flush()
        return {"Engineering": eng.id, "Platform": platform.id}


def test_an_okta_export_imports_without_editing(
    app: FastAPI, admin: SignedIn, units: dict[str, uuid.UUID]
) -> None:
    row = {
        "login": "grace@acme.io",
        "firstName": "Grace",
        "lastName": "Hopper",
        "email": "grace@acme.io",
        "title": "Rear admiral",
        "displayName": "Grace Hopper",
        "secondEmail": "grace.hopper@example.org",
        "mobilePhone": "+1 202 555 0143",
        "department": "Engineering",
        "manager": "Ada Lovelace",
        "managerId": "00u1",
        "employeeNumber": "42",
    }
    data = csv_bytes([OKTA_USERS, export_row(OKTA_USERS, row)])
    done = import_and_read(app, admin, data, filename="okta.csv")
    assert [c["field"] for c in done["columns"] if c["field"]]
    grace = stored(app)["grace@acme.io"]
    assert (grace.first_name, grace.last_name, grace.position) == (
        "Grace",
        "Hopper",
        "Rear admiral",
    )
    assert grace.personal_email == "grace.hopper@example.org"
    assert grace.phone == "+12025550143"
    assert grace.org_unit_id == units["Engineering"]
    manager = next(c for c in done["columns"] if c["header"] == "manager")
    assert manager["field"] is None
    assert manager["note"]


def test_a_google_workspace_export_imports_without_editing(
    app: FastAPI, admin: SignedIn, units: dict[str, uuid.UUID]
) -> None:
    row = {
        "First Name [Required]": "Grace",
        "Last Name [Required]": "Hopper",
        "Email Address [Required]": "grace@acme.io",
        "Password [Required]": "****",
        "Org Unit Path [Required]": "/Engineering/Platform",
        "Status [READ ONLY]": "Active",
        "Recovery Email": "grace.hopper@example.org",
        "Mobile Phone": "+44 7911 123456",
        "Employee Title": "Rear admiral",
        "Manager Email": "ada@acme.io",
        "Department": "Engineering",
    }
    data = csv_bytes([GOOGLE_WORKSPACE_USERS, export_row(GOOGLE_WORKSPACE_USERS, row)])
    import_and_read(app, admin, data, filename="google.csv")
    grace = stored(app)["grace@acme.io"]
    assert (grace.first_name, grace.last_name, grace.position) == (
        "Grace",
        "Hopper",
        "Rear admiral",
    )
    assert grace.personal_email == "grace.hopper@example.org"
    assert grace.phone == "+447911123456"
    assert grace.org_unit_id in (units["Platform"], units["Engineering"])


def test_a_microsoft_entra_export_imports_without_editing(
    app: FastAPI, admin: SignedIn, units: dict[str, uuid.UUID]
) -> None:
    rows = [
        {
            "userPrincipalName": "grace@acme.io",
            "displayName": "Grace Hopper",
            "surname": "Hopper",
            "mail": "grace@acme.io",
            "givenName": "Grace",
            "objectId": "8e4b0c1e-0000-4000-8000-000000000001",
            "userType": "Member",
            "jobTitle": "Rear admiral",
            "department": "Platform",
            "accountEnabled": "True",
            "mobile": "+1 202 555 0143",
        },
        {  # mail is empty: the user principal name stands in
            "userPrincipalName": "alan@acme.io",
            "displayName": "Alan Turing",
            "surname": "Turing",
            "givenName": "Alan",
            "userType": "Member",
        },
    ]
    data = csv_bytes([ENTRA_USERS, *(export_row(ENTRA_USERS, r) for r in rows)])
    import_and_read(app, admin, data, filename="entra.csv")
    users = stored(app)
    assert users["grace@acme.io"].org_unit_id == units["Platform"]
    assert users["grace@acme.io"].position == "Rear admiral"
    assert users["alan@acme.io"].last_name == "Turing"


def test_a_hand_typed_sheet_imports(
    app: FastAPI, admin: SignedIn, units: dict[str, uuid.UUID]
) -> None:
    data = (
        "first name; SURNAME ;Email Address;phone number;Sex;DOB;Org unit;Position\n"
        "Grace;Hopper;Grace@ACME.io;+1 (202) 555-0143;f;09.12.1906;Engineering / Platform;Admiral\n"
        "Alan ;Turing;alan@acme.io;;M;1912-06-23;;\n"
    ).encode("cp1252")
    import_and_read(app, admin, data, filename="Staff list.csv")
    users = stored(app)
    grace = users["Grace@acme.io"]
    assert grace.gender.value == "female"
    assert grace.birthday == date(1906, 12, 9)
    assert grace.org_unit_id == units["Platform"]
    assert users["alan@acme.io"].first_name == "Alan"
    assert users["alan@acme.io"].gender.value == "male"


def test_a_near_miss_header_is_suggested_not_applied(app: FastAPI, admin: SignedIn) -> None:
    data = b"Frist name,Last name,Email\nGrace,Hopper,grace@acme.io\n"
    r = upload(admin.client, data, action="upload")
    assert r.status_code == 202
    frist = r.json()["columns"][0]
    assert frist["field"] is None
    assert frist["suggestion"] == "first_name"
    assert "First name" in frist["note"]
