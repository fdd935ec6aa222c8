"""The Export button of User Management: there for those who may read users, it downloads the
list as it is searched and filtered now, as CSV or XLSX."""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from html import unescape
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.fixtures.factories import Factory, SignedIn, db_session, seed_users
from tests.web.pages import Page, page
from usher.kit import clock
from usher.models import Team, TeamMember
from usher.models.user import UserStatus

LIST = "/admin/users"


def export_links(html: Page) -> dict[str, str]:
    return {
        str(a.attrs["data-export"]): unescape(str(a.attrs["href"]))
        for a in html.all("a")
        if a.attrs.get("data-export")
    }


def csv_emails(content: bytes) -> set[str]:
    assert content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0][2] == "Email"
    return {row[2] for row in rows[1:]}


def xlsx_emails(content: bytes) -> set[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "Email"
    return {str(row[2]) for row in rows[1:]}


@pytest.fixture
def people(app: FastAPI, admin: SignedIn) -> dict[str, str]:
    ids = seed_users(
        app,
        admin.extra["org_id"],
        [
            {
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": "grace@acme.io",
                "status": UserStatus.active,
            },
            {"first_name": "Grant", "last_name": "Pending", "email": "grant@acme.io"},
            {
                "first_name": "=HYPERLINK(1)",
                "last_name": "X",
                "email": "sneaky@acme.io",
                "status": UserStatus.active,
            },
        ],
    )
    return dict(zip(["grace", "grant", "sneaky"], ids, strict=True))


def test_the_button_downloads_the_list_as_it_is_filtered(
    admin: SignedIn, people: dict[str, str]
) -> None:
    c = admin.client
    links = export_links(page(c.get(LIST)))
    assert links == {"csv": f"{LIST}/export?format=csv", "xlsx": f"{LIST}/export?format=xlsx"}
    r = c.get(links["csv"])
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    day = clock.now().strftime("%Y%m%d")
    assert r.headers["content-disposition"] == f'attachment; filename="users-acme-corp-{day}.csv"'
    assert csv_emails(r.content) == {
        "ada@acme.io",
        "grace@acme.io",
        "grant@acme.io",
        "sneaky@acme.io",
    }
    assert b"'=HYPERLINK(1)" in r.content

    # Searched and filtered: the links keep both, and so does the file.
    links = export_links(page(c.get(LIST, params={"q": "gra", "status": "active"})))
    assert links["csv"] == f"{LIST}/export?format=csv&q=gra&status=active"
    assert csv_emails(c.get(links["csv"]).content) == {"grace@acme.io"}
    r = c.get(links["xlsx"])
    assert r.headers["content-disposition"].endswith(f'-{day}.xlsx"')
    assert xlsx_emails(r.content) == {"grace@acme.io"}


def test_the_results_the_search_swaps_in_carry_the_links_too(
    admin: SignedIn, people: dict[str, str]
) -> None:
    links = export_links(page(admin.client.get(LIST + "/table", params={"q": "grant"})))
    assert links["xlsx"] == f"{LIST}/export?format=xlsx&q=grant"
    assert xlsx_emails(admin.client.get(links["xlsx"]).content) == {"grant@acme.io"}


def test_team_and_org_unit_in_the_address_are_kept(
    app: FastAPI, admin: SignedIn, people: dict[str, str]
) -> None:
    unit = admin.client.post("/api/v1/org-units", json={"name": "Engineering"}).json()["id"]
    with db_session(app) as session:
        team = Team(organization_id=uuid.UUID(admin.extra["org_id"]), name="Crew")
        session.add(team)
        session.flush()
        session.add(TeamMember(team_id=team.id, user_id=uuid.UUID(people["grace"])))
        team_id = str(team.id)
    r = admin.client.patch(f"/api/v1/users/{people['grant']}", json={"org_unit_id": unit})
    assert r.status_code == 200, r.text
    r = admin.client.get(f"{LIST}/export", params={"format": "csv", "team": team_id})
    assert csv_emails(r.content) == {"grace@acme.io"}
    r = admin.client.get(f"{LIST}/export", params={"format": "csv", "org_unit": unit})
    assert csv_emails(r.content) == {"grant@acme.io"}


@pytest.mark.parametrize(
    "params",
    [{"format": "pdf"}, {}, {"format": "csv", "team": "crew"}, {"format": "csv", "org_unit": "x"}],
)
def test_bad_addresses_get_an_error_page(admin: SignedIn, params: dict[str, Any]) -> None:
    r = admin.client.get(f"{LIST}/export", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")


def test_members_see_no_button_and_get_a_403(factory: Factory, admin: SignedIn) -> None:
    member = factory.member(admin)
    assert export_links(page(member.client.get("/account"))) == {}
    r = member.client.get(f"{LIST}/export", params={"format": "csv"})
    assert r.status_code == 403
    assert page(r).by_tag("h1").text == "Not permitted"


def test_signed_out_goes_to_sign_in(client: TestClient, admin: SignedIn) -> None:
    r = client.get(f"{LIST}/export?format=csv", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
