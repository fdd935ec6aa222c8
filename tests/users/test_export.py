"""Export of the User Management list (GET /api/v1/users/export): the list's filters and the
list's rights, CSV and XLSX read back with ``csv`` and openpyxl, formula-looking cells
neutralized, one audit event per export, and every user once however the batches fall."""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.fixtures.factories import Factory, SignedIn, accept, db_session, invite, seed_users
from usher.kit import clock
from usher.kit.client import CLI_CLIENT
from usher.kit.spreadsheet import SheetFormat
from usher.models import Team, TeamMember, User
from usher.models.user import Gender, UserStatus
from usher.users import export as users_export
from usher.users.service import UserFilters

EXPORT = "/api/v1/users/export"
HEADER = [
    "First name",
    "Last name",
    "Email",
    "Personal email",
    "Phone",
    "Gender",
    "Birthday",
    "Org unit",
    "Position",
    "Teams",
    "Status",
    "Registered",
    "Last activity",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ["csv", "xlsx"]


# --- reading the files back ------------------------------------------------------------------


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(codecs.BOM_UTF8)
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def read_xlsx(content: bytes) -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet is not None
    rows: list[list[str]] = []
    for row in sheet.iter_rows():
        for cell in row:
            # Every cell is text: none is a formula, a number or a date.
            assert cell.value is None or cell.data_type == "s", (cell.coordinate, cell.value)
        rows.append(["" if c.value is None else str(c.value) for c in row])
    return rows


def read(fmt: str, content: bytes) -> list[list[str]]:
    return read_csv(content) if fmt == "csv" else read_xlsx(content)


def export(client: TestClient, fmt: str = "csv", **params: Any) -> list[dict[str, str]]:
    r = client.get(EXPORT, params={"format": fmt, **params})
    assert r.status_code == 200, r.text
    rows = read(fmt, r.content)
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def emails(client: TestClient, fmt: str = "csv", **params: Any) -> list[str]:
    return [row["Email"] for row in export(client, fmt, **params)]


def listed(client: TestClient, **params: Any) -> set[str]:
    r = client.get("/api/v1/users", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return {u["email"] for u in r.json()["items"]}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


# --- an organization to export ---------------------------------------------------------------


class Acme:
    def __init__(self, app: FastAPI, admin: SignedIn) -> None:
        self.app = app
        self.admin = admin
        c = admin.client
        self.engineering = ok(c.post("/api/v1/org-units", json={"name": "Engineering"}), 201)["id"]
        self.platform = ok(
            c.post("/api/v1/org-units", json={"name": "Platform", "parent_id": self.engineering}),
            201,
        )["id"]
        self.sales = ok(c.post("/api/v1/org-units", json={"name": "Sales"}), 201)["id"]
        self.zebra = ok(c.post("/api/v1/teams", json={"name": "Zebra Crew"}), 201)["id"]
        self.alpha = ok(c.post("/api/v1/teams", json={"name": "Alpha Squad"}), 201)["id"]
        teams = ok(c.get("/api/v1/teams"))
        self.member_team = next(t["id"] for t in teams if t["key"] == "member")
        org_id = admin.extra["org_id"]
        registered = datetime(2024, 3, 1, 9, 30, 15, tzinfo=UTC)
        active = datetime(2024, 5, 2, 17, 0, 0, 123456, tzinfo=UTC)
        ids = seed_users(
            app,
            org_id,
            [
                {
                    "first_name": "Grace",
                    "last_name": "Hopper",
                    "email": "grace@acme.io",
                    "personal_email": "amazing.grace@home.example",
                    "phone": "+12025550123",
                    "gender": Gender.female,
                    "birthday": date(1906, 12, 9),
                    "org_unit_id": uuid.UUID(self.platform),
                    "position": "Rear Admiral",
                    "status": UserStatus.active,
                    "registered_at": registered,
                    "last_activity_at": active,
                },
                {
                    "first_name": "Alan",
                    "last_name": "Turing",
                    "email": "alan@acme.io",
                    "org_unit_id": uuid.UUID(self.engineering),
                    "status": UserStatus.pending,
                },
                {
                    "first_name": "Sam",
                    "last_name": "Seller",
                    "email": "sam@acme.io",
                    "org_unit_id": uuid.UUID(self.sales),
                    "status": UserStatus.disabled,
                    "gender": Gender.male,
                },
                {"first_name": "Nora", "last_name": "Nowhere", "email": "nora@acme.io"},
            ],
        )
        self.grace, self.alan, self.sam, self.nora = ids
        self.join(self.zebra, self.grace)
        self.join(self.alpha, self.grace)
        self.join(self.member_team, self.grace)
        self.join(self.zebra, self.sam)

    def join(self, team_id: str, user_id: str) -> None:
        with db_session(self.app) as session:
            session.add(TeamMember(team_id=uuid.UUID(team_id), user_id=uuid.UUID(user_id)))


@pytest.fixture
def acme(app: FastAPI, admin: SignedIn) -> Acme:
    return Acme(app, admin)


# --- the file ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_column_as_the_import_reads_it(acme: Acme, fmt: str) -> None:
    rows = {row["Email"]: row for row in export(acme.admin.client, fmt)}
    assert set(rows) == {
        "ada@acme.io",
        "grace@acme.io",
        "alan@acme.io",
        "sam@acme.io",
        "nora@acme.io",
    }
    assert rows["grace@acme.io"] == {
        "First name": "Grace",
        "Last name": "Hopper",
        "Email": "grace@acme.io",
        "Personal email": "amazing.grace@home.example",
        "Phone": "'+12025550123",  # E.164 starts with +, which a spreadsheet would compute
        "Gender": "female",
        "Birthday": "1906-12-09",
        "Org unit": "Engineering / Platform",
        "Position": "Rear Admiral",
        "Teams": "Alpha Squad; Zebra Crew",  # by name, and never the Member team
        "Status": "active",
        "Registered": "2024-03-01T09:30:15Z",
        "Last activity": "2024-05-02T17:00:00Z",
    }
    assert rows["alan@acme.io"] == {
        **dict.fromkeys(HEADER, ""),
        "First name": "Alan",
        "Last name": "Turing",
        "Email": "alan@acme.io",
        "Gender": "unspecified",
        "Org unit": "Engineering",
        "Status": "pending",
    }
    assert rows["sam@acme.io"]["Teams"] == "Zebra Crew"
    assert rows["sam@acme.io"]["Status"] == "disabled"
    assert rows["nora@acme.io"]["Org unit"] == ""


def test_csv_is_utf8_with_a_bom_and_crlf(acme: Acme, app: FastAPI) -> None:
    seed_users(
        app,
        acme.admin.extra["org_id"],
        [
            {
                "first_name": "Zoë",
                "last_name": "Ångström",
                "email": "zoe@acme.io",
                "position": 'Head of "Things", and\nmore',
            }
        ],
    )
    r = acme.admin.client.get(EXPORT)
    assert r.content.startswith(codecs.BOM_UTF8 + b"First name,Last name,Email,")
    assert b"\r\n" in r.content
    assert b'"Head of ""Things"", and\nmore"' in r.content  # RFC 4180 quoting
    row = next(r for r in export(acme.admin.client) if r["Email"] == "zoe@acme.io")
    assert (row["First name"], row["Last name"]) == ("Zoë", "Ångström")
    assert row["Position"] == 'Head of "Things", and\nmore'


FORMULAS = [
    # (first name, last name, position) as stored -> as exported
    (("=1+1", "+SUM(A1:A9)", "-2+3"), ("'=1+1", "'+SUM(A1:A9)", "'-2+3")),
    (("@cmd", "\tTabbed", "\rCarriage"), ("'@cmd", "'\tTabbed", "'\rCarriage")),
    (
        ('=HYPERLINK("http://x")', "'=quoted", "Plain"),
        ('\'=HYPERLINK("http://x")', "''=quoted", "Plain"),
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_looking_cells_are_neutralized(acme: Acme, app: FastAPI, fmt: str) -> None:
    specs = [
        {
            "first_name": first,
            "last_name": last,
            "position": position,
            "email": f"formula{i}@acme.io",
        }
        for i, ((first, last, position), _) in enumerate(FORMULAS)
    ]
    seed_users(app, acme.admin.extra["org_id"], specs)
    with db_session(app) as session:
        team = Team(
            organization_id=uuid.UUID(acme.admin.extra["org_id"]), name="=cmd|' /C calc'!A0"
        )
        session.add(team)
        session.flush()
        team_id = str(team.id)
    acme.join(team_id, acme.nora)
    rows = {row["Email"]: row for row in export(acme.admin.client, fmt)}
    for i, (_, expected) in enumerate(FORMULAS):
        row = rows[f"formula{i}@acme.io"]
        if fmt == "xlsx":  # XML reads a carriage return as a line feed
            expected = tuple(cell.replace("\r", "\n") for cell in expected)
        assert (row["First name"], row["Last name"], row["Position"]) == expected
    assert rows["nora@acme.io"]["Teams"] == "'=cmd|' /C calc'!A0"
    # Nothing in the whole file starts as a formula would.
    content = acme.admin.client.get(EXPORT, params={"format": fmt}).content
    for line in read(fmt, content):
        for cell in line:
            assert cell[:1] not in {"=", "+", "-", "@", "\t", "\r", "\n"}, cell


def test_a_filter_that_matches_nobody_gives_the_header_alone(acme: Acme) -> None:
    for fmt in FORMATS:
        assert export(acme.admin.client, fmt, q="nobody at all") == []


# --- the same users as the list ---------------------------------------------------------------


FILTERS: list[dict[str, Any]] = [
    {},
    {"q": "grace"},
    {"q": "hop"},
    {"q": "20255"},
    {"q": "a"},
    {"status": "active"},
    {"status": ["pending", "disabled"]},
    {"org_unit": "engineering"},  # with Platform beneath it
    {"org_unit": "platform"},
    {"org_unit": "sales", "status": "active"},
    {"team": "zebra"},
    {"team": ["zebra", "alpha"]},
    {"team": "zebra", "q": "sam", "status": "disabled"},
]


def _resolved(acme: Acme, params: dict[str, Any]) -> dict[str, Any]:
    names = {
        "engineering": acme.engineering,
        "platform": acme.platform,
        "sales": acme.sales,
        "zebra": acme.zebra,
        "alpha": acme.alpha,
    }
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, list):
            out[key] = [names.get(v, v) for v in value]
        else:
            out[key] = names.get(value, value)
    return out


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: repr(p) if p else "none")
def test_every_filter_exports_what_the_list_shows(acme: Acme, params: dict[str, Any]) -> None:
    params = _resolved(acme, params)
    exported = emails(acme.admin.client, **params)
    assert len(exported) == len(set(exported))
    assert set(exported) == listed(acme.admin.client, **params)
    assert set(exported) == set(emails(acme.admin.client, "xlsx", **params))


def test_filters_narrow_as_expected(acme: Acme) -> None:
    c = acme.admin.client
    assert set(emails(c, org_unit=acme.engineering)) == {"grace@acme.io", "alan@acme.io"}
    assert set(emails(c, team=acme.zebra)) == {"grace@acme.io", "sam@acme.io"}
    assert set(emails(c, status=["pending", "disabled"])) == {
        "alan@acme.io",
        "sam@acme.io",
        "nora@acme.io",
    }
    assert emails(c, q="hopper") == ["grace@acme.io"]


def test_a_unit_scoped_reader_exports_only_their_units(
    acme: Acme, factory: Factory, app: FastAPI
) -> None:
    invited = ok(invite(acme.admin.client, email="val@acme.io", org_unit_id=acme.sales), 201)
    viewer_client = factory.new_client()
    ok(accept(viewer_client, invited["registration_url"]))
    binding = {"role": "org_unit:viewer", "entity_id": acme.engineering, "user_id": invited["id"]}
    ok(acme.admin.client.post("/api/v1/role-bindings", json=binding), 201)
    assert set(emails(viewer_client)) == {"grace@acme.io", "alan@acme.io"}
    assert set(emails(viewer_client, "xlsx")) == {"grace@acme.io", "alan@acme.io"}
    assert emails(viewer_client, org_unit=acme.sales) == []  # asked for, not theirs
    assert emails(viewer_client, q="sam") == []


def test_another_organization_never_appears(acme: Acme, factory: Factory, app: FastAPI) -> None:
    globex = factory.admin(name="Globex", email="hank@globex.io")
    seed_users(app, globex.extra["org_id"], [{"email": "gina@globex.io", "first_name": "Grace"}])
    acme_emails = set(emails(acme.admin.client))
    assert not any(e.endswith("@globex.io") for e in acme_emails)
    assert set(emails(globex.client)) == {"hank@globex.io", "gina@globex.io"}
    assert set(emails(globex.client, q="grace")) == {"gina@globex.io"}
    # Acme's unit and team, asked for by Globex: nobody of Acme comes with them.
    assert emails(globex.client, org_unit=acme.engineering) == []
    assert emails(globex.client, team=acme.zebra) == []


# --- refusals -----------------------------------------------------------------------------------


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_a_member_is_refused(acme: Acme, factory: Factory) -> None:
    member = factory.member(acme.admin, email="mo@acme.io")
    for fmt in FORMATS:
        assert_problem(member.client.get(EXPORT, params={"format": fmt}), 403, "not_permitted")
    events = ok(acme.admin.client.get("/api/v1/audit-events", params={"action": "users.exported"}))
    assert events["items"] == []


def test_nobody_signed_in_is_refused(app: FastAPI, acme: Acme) -> None:
    with TestClient(app) as anonymous:
        assert_problem(anonymous.get(EXPORT), 401, "not_authenticated")


@pytest.mark.parametrize(
    "params",
    [
        {"format": "pdf"},
        {"format": ""},
        {"format": "CSV "},
        {"status": "sleeping"},
        {"org_unit": "engineering"},
        {"team": "not-an-id"},
        {"q": "x" * 201},
    ],
)
def test_bad_input_is_a_422(acme: Acme, params: dict[str, str]) -> None:
    body = assert_problem(acme.admin.client.get(EXPORT, params=params), 422, "validation_failed")
    assert [field.split(".")[0] for field in body["errors"]] == list(params)


# --- the response --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "media_type"), [("csv", "text/csv; charset=utf-8"), ("xlsx", XLSX)]
)
def test_a_download_named_for_the_organization_and_day(
    acme: Acme, fmt: str, media_type: str
) -> None:
    r = acme.admin.client.get(EXPORT, params={"format": fmt})
    assert r.status_code == 200
    assert r.headers["content-type"] == media_type
    day = clock.now().strftime("%Y%m%d")
    assert r.headers["content-disposition"] == f'attachment; filename="users-acme-corp-{day}.{fmt}"'
    assert r.headers["cache-control"] == "no-store"


def test_csv_is_the_default(acme: Acme) -> None:
    r = acme.admin.client.get(EXPORT)
    assert r.headers["content-type"] == "text/csv; charset=utf-8"


def test_each_export_is_audited_once(acme: Acme) -> None:
    c = acme.admin.client
    export(c, "xlsx", q="a", status="active", team=acme.zebra, org_unit=acme.engineering)
    export(c)
    events = ok(c.get("/api/v1/audit-events", params={"action": "users.exported"}))["items"]
    assert [e["details"] for e in events] == [
        {"format": "csv", "rows": 5, "filters": {}},
        {
            "format": "xlsx",
            "rows": 1,
            "filters": {
                "q": "a",
                "status": ["active"],
                "org_unit": acme.engineering,
                "team": [acme.zebra],
            },
        },
    ]
    assert all(e["actor"] == "ada@acme.io" for e in events)


# --- batches -------------------------------------------------------------------------------------


def test_many_batches_give_every_user_once_in_the_order_added(
    acme: Acme, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_export, "BATCH_SIZE", 3)
    more = [{"email": f"user{i:02d}@acme.io", "first_name": f"U{i:02d}"} for i in range(20)]
    seed_users(app, acme.admin.extra["org_id"], more)
    for fmt in FORMATS:
        exported = emails(acme.admin.client, fmt)
        assert len(exported) == 25 == len(set(exported))
        assert [e for e in exported if e.startswith("user")] == [m["email"] for m in more]
        assert set(emails(acme.admin.client, fmt, q="user1")) == {
            f"user1{i}@acme.io" for i in range(10)
        }


def test_renaming_during_an_export_neither_skips_nor_repeats(acme: Acme, app: FastAPI) -> None:
    people = [{"email": f"p{i}@acme.io", "first_name": f"P{i}"} for i in range(9)]
    seed_users(app, acme.admin.extra["org_id"], people)
    with db_session(app) as session:
        actor = session.scalar(select(User).where(User.email == "ada@acme.io"))
        assert actor is not None
        started = users_export.start_export(
            session, actor, filters=UserFilters(), format=SheetFormat.csv, client=CLI_CLIENT
        )
    rows = users_export.export_rows(app.state.session_factory, started, batch_size=2)
    seen = [next(rows)[2] for _ in range(6)]
    with db_session(app) as session:
        for user in session.scalars(select(User).where(User.email.in_([seen[0], "p8@acme.io"]))):
            # To the other end of any name order.
            user.first_name = "Zz" if user.email == seen[0] else "Aa"
    seen += [row[2] for row in rows]
    assert len(seen) == len(set(seen)) == started.total == 14
