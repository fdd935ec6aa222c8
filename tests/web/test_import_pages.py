"""User Management → Import through the pages: upload, the column mapping with its samples and
suggestions, the dry-run report filtered by kind of problem, the apply, the result with the
rejected rows to download; and the refusals: bad files, forms without their token, people who
may not import, imports of another organization."""

from __future__ import annotations

import codecs
import csv
import io
import re
import uuid
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from tests.fixtures.factories import Factory, SignedIn, accept, db_session, invite
from tests.web.pages import Element, Page, page
from usher.imports.runner import ImportRunner
from usher.models import User, UserImport
from usher.models.user import UserStatus
from usher.models.user_import import ImportStatus

LIST = "/admin/users"
IMPORT = LIST + "/import"

# A near-miss header ("Frist name"), a header known by an alias ("Surname", "Work email",
# "Job title"), one Usher ignores with a reason ("Display name") and one it does not know.
PEOPLE = (
    "Frist name,Surname,Work email,Job title,Display name,Shoe size\n"
    "Grace,Hopper,grace@acme.io,Rear admiral,Grace Hopper,38\n"
    "Alan,Turing,alan@acme,Mathematician,Alan Turing,44\n"
    "Linus,Pauling,linus@acme.io,Chemist,Linus Pauling,43\n"
    "Edsger,Dijkstra,,Professor,Edsger Dijkstra,45\n"
)


# --- helpers --------------------------------------------------------------------------------


def csrf_of(client: TestClient, path: str = IMPORT) -> str:
    """The CSRF token on a page (every form of a page carries the same one)."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert found, r.text
    return found.group(1)


def post(client: TestClient, path: str, data: Any, **kwargs: Any) -> Response:
    response: Response = client.post(path, data=data, follow_redirects=False, **kwargs)
    return response


def upload(
    client: TestClient,
    content: str | bytes,
    *,
    filename: str = "people.csv",
    token: str | None = None,
    **form: str,
) -> Response:
    data = content.encode() if isinstance(content, str) else content
    fields = {"csrf_token": token or csrf_of(client), **form}
    return post(client, IMPORT, fields, files={"file": (filename, data, "text/csv")})


def uploaded(client: TestClient, content: str | bytes = PEOPLE, **kwargs: Any) -> str:
    """Upload a file; the address of its import page (the mapping step)."""
    r = upload(client, content, **kwargs)
    assert r.status_code == 303, r.text
    location = str(r.headers["location"])
    assert re.fullmatch(IMPORT + r"/[0-9a-f-]{36}", location), location
    return location


def run_jobs(app: FastAPI) -> int:
    """Run what the import worker would, here and now."""
    runner = ImportRunner(app.state.session_factory, app.state.settings)
    ran = 0
    while runner.run_once():
        ran += 1
    return ran


def mapping_rows(html: Page) -> dict[str, Element]:
    return {str(e.attrs["data-column"]): e for e in html.all("tr") if "data-column" in e.attrs}


def selects(html: Page) -> list[Element]:
    return [e for e in html.all("select") if e.attrs.get("name") == "column"]


def selected(html: Page) -> dict[str, str]:
    """Each column's header → the field its select has chosen ("" for Not imported)."""
    chosen: dict[str, str] = {}
    current = None
    for e in html.elements:
        if e.tag == "select" and e.attrs.get("name") == "column":
            current = html.label_for(str(e.attrs["id"]))
            chosen[current] = ""
        elif e.tag == "select":
            current = None
        elif e.tag == "option" and current is not None and "selected" in e.attrs:
            chosen[current] = str(e.attrs["value"])
    return chosen


def cell(row: Element, html: Page, label: str) -> str:
    """The text of a row's cell with this data-label (the parser keeps no nesting, so find the
    cells by their order after the row)."""
    start = html.elements.index(row)
    for e in html.elements[start + 1 :]:
        if e.tag == "tr":
            break
        if e.tag == "td" and e.attrs.get("data-label") == label:
            return e.text
    raise AssertionError(f"no {label} cell in {row.attrs}")


def counts(html: Page) -> dict[str, str]:
    return {str(e.attrs["data-count"]): e.text for e in html.all("dd") if "data-count" in e.attrs}


def problem_rows(html: Page) -> list[tuple[str, str, str, str]]:
    return [
        (
            cell(row, html, "Row"),
            cell(row, html, "Column"),
            cell(row, html, "Problem"),
            cell(row, html, "What to fix"),
        )
        for row in html.all("tr")
        if "data-kind" in row.attrs
    ]


def start_dry_run(client: TestClient, here: str, **changes: str) -> Response:
    """Submit the mapping step as the browser would: every select as it stands, but for the
    ``changes`` (header → field)."""
    html = page(client.get(here))
    chosen = selected(html)
    chosen.update(changes)
    data = {
        "csrf_token": csrf_of(client, here),
        "action": "dry_run",
        "column": list(chosen.values()),
        "invite": "none",
        "phone_region": "",
    }
    return post(client, here + "/run", data)


def checked(app: FastAPI, client: TestClient, content: str = PEOPLE) -> str:
    """An uploaded file with its dry run done; the address of its page."""
    here = uploaded(client, content)
    r = start_dry_run(client, here)
    assert (r.status_code, r.headers["location"]) == (303, here)
    assert run_jobs(app) == 1
    return here


def apply_form(html: Page) -> dict[str, str]:
    """The hidden fields of the apply form, as the page sends them."""
    return {
        str(e.attrs["name"]): str(e.attrs.get("value") or "")
        for e in html.all("input")
        if e.attrs.get("type") == "hidden" and e.attrs.get("name") != "csrf_token"
    }


def users_by_email(app: FastAPI, org_id: str) -> dict[str, User]:
    with db_session(app) as session:
        found = session.scalars(select(User).where(User.organization_id == uuid.UUID(org_id)))
        return {u.email: u for u in found}


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def reader_of_a_unit(factory: Factory, admin: SignedIn) -> SignedIn:
    """Someone who may read the users of one unit (org_unit:viewer), not manage them."""
    unit = admin.client.post("/api/v1/org-units", json={"name": "Research"}).json()["id"]
    invited = invite(admin.client, email="val@acme.io", first_name="Val").json()
    c = factory.new_client()
    assert accept(c, invited["registration_url"]).status_code == 200
    binding = {"role": "org_unit:viewer", "entity_id": unit, "user_id": invited["id"]}
    assert admin.client.post("/api/v1/role-bindings", json=binding).status_code == 201
    return SignedIn(c, admin.org_slug, "val@acme.io", "", invited["id"])


# --- the button and the upload form -------------------------------------------------------


def test_user_management_has_an_import_button_for_those_who_manage_users(
    factory: Factory, admin: SignedIn
) -> None:
    html = page(admin.client.get(LIST))
    buttons = [a for a in html.all("a") if a.attrs.get("href") == IMPORT]
    assert [a.text for a in buttons] == ["Import"]
    assert "data-import-users" in buttons[0].attrs

    # Someone who only reads users sees the list without the button, and the page refuses.
    reader = reader_of_a_unit(factory, admin)
    html = page(reader.client.get(LIST))
    assert html.by_tag("h1").text == "User Management"
    assert not [a for a in html.all("a") if a.attrs.get("href") == IMPORT]
    r = reader.client.get(IMPORT)
    assert r.status_code == 403
    assert page(r).by_tag("h1").text == "Not permitted"


def test_the_upload_form_is_labelled_and_lists_the_recent_imports(admin: SignedIn) -> None:
    r = admin.client.get(IMPORT)
    assert r.status_code == 200
    html = page(r)
    assert html.by_tag("h1").text == "Import users"
    form = next(f for f in html.all("form") if f.attrs.get("action") == IMPORT)
    assert form.attrs["method"] == "post"
    assert form.attrs["enctype"] == "multipart/form-data"
    file = html.by_id("file")
    assert (file.attrs["type"], file.attrs["name"]) == ("file", "file")
    assert html.label_for("file") == "File"
    assert file.attrs["aria-describedby"] == "file-hint"
    assert ".csv" in str(file.attrs["accept"]) and ".xlsx" in str(file.attrs["accept"])
    assert html.label_for("sheet") == "Sheet"
    assert not html.has_id("recent-title")

    here = uploaded(admin.client)
    html = page(admin.client.get(IMPORT))
    assert html.by_id("recent-title").text == "Recent imports"
    links = [a for a in html.all("a") if a.attrs.get("href") == here]
    assert [a.text for a in links] == ["people.csv"]
    assert "Uploaded" in html.text


# --- the mapping step ---------------------------------------------------------------------


def test_the_mapping_step_shows_each_column_its_samples_and_the_match(admin: SignedIn) -> None:
    here = uploaded(admin.client)
    r = admin.client.get(here)
    assert r.status_code == 200
    html = page(r)
    assert html.by_tag("h1").text == "Import people.csv"
    assert "CSV" in html.by_tag("main").text and "separated by commas" in html.text
    assert html.by_id("mapping-title").text == "2. Columns"

    rows = mapping_rows(html)
    assert list(rows) == [
        "Frist name", "Surname", "Work email", "Job title", "Display name", "Shoe size",
    ]  # fmt: skip
    # The sample: the first rows' values of each column.
    assert cell(rows["Frist name"], html, "Sample") == "Grace · Alan · Linus"
    assert cell(rows["Work email"], html, "Sample") == "grace@acme.io · alan@acme · linus@acme.io"
    # Matched fields are preselected, the near miss with its suggestion, the rest not imported.
    assert selected(html) == {
        "Frist name": "first_name",
        "Surname": "last_name",
        "Work email": "email",
        "Job title": "position",
        "Display name": "",
        "Shoe size": "",
    }
    note = cell(rows["Frist name"], html, "Note")
    assert note.startswith("Suggested:") and "First name" in note
    assert cell(rows["Display name"], html, "Note").startswith("Display name: ignored")
    assert "does not know this column" in cell(rows["Shoe size"], html, "Note")
    # Each select is named by its column and described by its note.
    first = selects(html)[0]
    assert html.label_for(str(first.attrs["id"])) == "Frist name"
    assert html.by_id(str(first.attrs["aria-describedby"])).text == note
    # Every control has its label; the options are there.
    labelled = {e.attrs.get("for") for e in html.all("label")}
    for control in html.all("input") + html.all("select"):
        if control.attrs.get("type") != "hidden":
            assert control.attrs.get("id") in labelled, control.attrs
    assert "Create them pending" in html.label_for("invite-none")
    buttons = [b.text for b in html.all("button")]
    assert "Check the file (dry run)" in buttons


def test_an_xlsx_file_goes_to_the_mapping_step_too(admin: SignedIn) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Staff"
    sheet.append(["First name", "Last name", "Email"])
    sheet.append(["Grace", "Hopper", "grace@acme.io"])
    buffer = io.BytesIO()
    book.save(buffer)
    here = uploaded(admin.client, buffer.getvalue(), filename="staff.xlsx")
    html = page(admin.client.get(here))
    assert "XLSX" in html.text and "sheet Staff" in html.text
    assert selected(html) == {
        "First name": "first_name",
        "Last name": "last_name",
        "Email": "email",
    }


# --- dry run, report, apply, result -------------------------------------------------------


def test_the_dry_run_reports_counts_and_problems_filterable_by_kind(
    app: FastAPI, admin: SignedIn
) -> None:
    here = uploaded(admin.client)
    # "Shoe size" changed to nothing (as it was), "Display name" stays ignored; the position
    # column is taken out by hand.
    r = start_dry_run(admin.client, here, **{"Job title": ""})
    assert (r.status_code, r.headers["location"]) == (303, here)

    # Queued: the page follows the progress (the script polls the API, a noscript refresh).
    html = page(admin.client.get(here))
    progress = html.by_id("progress-title")
    assert progress.text == "Checking…"
    box = next(e for e in html.elements if "data-import-progress" in e.attrs)
    assert box.attrs["data-status-url"] == "/api/v1/imports/" + here.rsplit("/", 1)[1]
    assert any(
        str(s.attrs.get("src", "")).startswith("/static/import.js") for s in html.all("script")
    )
    assert any(e.attrs.get("role") == "status" for e in html.all("p"))

    assert run_jobs(app) == 1
    html = page(admin.client.get(here))
    assert html.by_id("report-title").text == "3. Dry run: nothing was written yet"
    assert counts(html) == {"rows": "4", "create": "2", "update": "0", "unchanged": "0",
                            "invalid": "2"}  # fmt: skip
    problems = problem_rows(html)
    assert len(problems) == 2
    row, column, kind, message = problems[0]
    assert (row, column, kind) == ("3", "Work email", "Bad email")
    assert "@-sign" in message
    assert problems[1][:3] == ("5", "Work email", "Missing value")
    assert "Problems (2)" in html.by_id("problems-title").text

    # The filter: a link per kind, with its count; the one shown is marked current.
    filters = {
        a.text: a for a in html.all("a") if str(a.attrs.get("href")).startswith(here + "?kind=")
    }
    assert set(filters) == {"Bad email (1)", "Missing value (1)"}
    everything = next(a for a in html.all("a") if a.attrs.get("href") == here)
    assert everything.text == "All (2)" and everything.attrs.get("aria-current") == "true"
    html = page(admin.client.get(str(filters["Bad email (1)"].attrs["href"])))
    assert [p[:3] for p in problem_rows(html)] == [("3", "Work email", "Bad email")]
    current = [a for a in html.all("a") if a.attrs.get("aria-current") == "true"]
    assert [a.text for a in current if a.attrs.get("data-kind")] == ["Bad email (1)"]
    assert "Bad email: 1 of 2" in html.by_id("problems-title").text
    # A kind that does not exist shows every problem.
    html = page(admin.client.get(here, params={"kind": "nonsense"}))
    assert len(problem_rows(html)) == 2

    # Nothing was written, and the import kept the column taken out by hand.
    assert set(users_by_email(app, admin.extra["org_id"])) == {admin.email}
    with db_session(app) as session:
        imp = session.get(UserImport, uuid.UUID(here.rsplit("/", 1)[1]))
        assert imp is not None and imp.status == ImportStatus.checked
        assert imp.mapping == {"A": "first_name", "D": ""}


def test_apply_the_valid_rows_only_then_download_the_rejected_ones(
    app: FastAPI, admin: SignedIn
) -> None:
    here = checked(app, admin.client)
    html = page(admin.client.get(here))
    assert "2 row(s) have problems" in html.by_id("invalid-note").text
    valid_only = html.by_id("valid_only")
    assert valid_only.attrs["type"] == "checkbox" and "required" in valid_only.attrs
    assert html.label_for("valid_only") == "Import the valid rows only"
    # The rejected rows can be read before the apply already.
    link = next(a for a in html.all("a") if "data-rejected-download" in a.attrs)
    assert link.attrs["href"] == here + "/rejected" and "download" in link.attrs

    form = apply_form(html)
    assert form == {"action": "apply", "invite": "none", "phone_region": ""}
    token = csrf_of(admin.client, here)
    r = post(admin.client, here + "/run", {**form, "valid_only": "on", "csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, here)
    assert page(admin.client.get(here)).by_id("progress-title").text == "Importing…"
    assert run_jobs(app) == 1

    html = page(admin.client.get(here))
    assert html.by_id("result-title").text == "4. Imported"
    assert "The import is done" in html.text
    assert counts(html) == {"rows": "4", "created": "2", "updated": "0", "unchanged": "0",
                            "rejected": "2"}  # fmt: skip
    assert len(problem_rows(html)) == 2  # the report stays
    link = next(a for a in html.all("a") if "data-rejected-download" in a.attrs)
    assert link.text == "Download the rejected rows (2)"

    r = admin.client.get(str(link.attrs["href"]))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="people-rejected.csv"'
    rows = read_csv(r.content)
    assert rows[0] == [
        "Frist name", "Surname", "Work email", "Job title", "Display name", "Shoe size", "Reason",
    ]  # fmt: skip
    assert [row[:6] for row in rows[1:]] == [
        ["Alan", "Turing", "alan@acme", "Mathematician", "Alan Turing", "44"],
        ["Edsger", "Dijkstra", "", "Professor", "Edsger Dijkstra", "45"],
    ]
    assert rows[1][6].startswith("Work email: ") and "@-sign" in rows[1][6]
    assert rows[2][6].startswith("Work email: ")

    people = users_by_email(app, admin.extra["org_id"])
    assert set(people) == {admin.email, "grace@acme.io", "linus@acme.io"}
    grace = people["grace@acme.io"]
    assert (grace.first_name, grace.last_name, grace.position) == (
        "Grace",
        "Hopper",
        "Rear admiral",
    )
    assert grace.status == UserStatus.pending

    # Applied: no form brings it back to the mapping step or runs it again.
    html = page(admin.client.get(here, params={"step": "mapping"}))
    assert not html.has_id("mapping-title") and html.has_id("result-title")
    r = post(admin.client, here + "/run", {**form, "valid_only": "on", "csrf_token": token})
    assert r.status_code == 409
    assert "applied already" in page(r).text


def test_apply_with_bad_rows_imports_nothing_and_says_why(app: FastAPI, admin: SignedIn) -> None:
    here = checked(app, admin.client)
    form = apply_form(page(admin.client.get(here)))
    r = post(admin.client, here + "/run", {**form, "csrf_token": csrf_of(admin.client, here)})
    assert r.status_code == 303
    run_jobs(app)
    html = page(admin.client.get(here))
    assert html.by_id("failed-title").text == "Nothing was imported"
    alert = next(e for e in html.all("div") if e.attrs.get("role") == "alert")
    assert "2 row(s) have problems, so nothing was imported" in alert.text
    assert set(users_by_email(app, admin.extra["org_id"])) == {admin.email}
    again = next(a for a in html.all("a") if a.text == "Check the columns and try again")
    assert again.attrs["href"] == here + "?step=mapping"
    html = page(admin.client.get(str(again.attrs["href"])))
    assert html.by_id("mapping-title").text == "2. Columns"
    assert selected(html)["Frist name"] == "first_name"  # the mapping it ran with


def test_a_mapping_the_service_refuses_is_said_and_the_choices_kept(
    app: FastAPI, admin: SignedIn
) -> None:
    here = uploaded(admin.client)
    r = start_dry_run(admin.client, here, **{"Work email": "", "Shoe size": "phone"})
    assert r.status_code == 422
    html = page(r)
    alert = next(e for e in html.all("div") if e.attrs.get("role") == "alert")
    assert alert.text.startswith("No column holds the organizational email")
    assert selected(html)["Work email"] == "" and selected(html)["Shoe size"] == "phone"
    # Two columns for one field.
    r = start_dry_run(admin.client, here, **{"Display name": "first_name"})
    assert r.status_code == 422
    assert "both mapped to first_name" in page(r).text
    with db_session(app) as session:
        imp = session.get(UserImport, uuid.UUID(here.rsplit("/", 1)[1]))
        assert imp is not None and imp.status == ImportStatus.uploaded and imp.mapping == {}
    # A run already queued cannot be started again.
    assert start_dry_run(admin.client, here).status_code == 303
    html = page(admin.client.get(here, params={"step": "mapping"}))
    assert html.has_id("progress-title") and not html.has_id("mapping-title")
    token = csrf_of(admin.client, here)
    r = post(admin.client, here + "/run", {"csrf_token": token, "action": "dry_run"})
    assert r.status_code == 409
    assert "already running" in page(r).text


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "says"),
    [
        (
            "logo.png",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
            "a PNG image, not CSV or XLSX",
        ),
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a PDF document"),
        ("staff.xlsx", b"PK\x03\x04not a workbook", "holds no readable workbook"),
        ("empty.csv", b"", "The file is empty."),
    ],
)
def test_a_file_that_is_not_a_table_is_refused_beside_the_file_field(
    app: FastAPI, admin: SignedIn, filename: str, content: bytes, says: str
) -> None:
    r = upload(admin.client, content, filename=filename, sheet="Typed")
    assert r.status_code == 422
    html = page(r)
    error = html.by_id("file-error")
    assert says in error.text
    file = html.by_id("file")
    assert file.attrs["aria-invalid"] == "true"
    assert file.attrs["aria-describedby"] == "file-hint file-error"
    assert "Check the field marked below" in html.text
    assert html.by_id("sheet").attrs["value"] == "Typed"  # what was typed is kept
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(UserImport)) == 0


@pytest.mark.parametrize("settings_overrides", [{"import_max_bytes": 1024}])
def test_a_file_over_the_size_limit_is_refused_beside_the_file_field(
    app: FastAPI, admin: SignedIn
) -> None:
    r = upload(admin.client, PEOPLE * 5)
    assert r.status_code == 413
    html = page(r)
    assert html.by_id("file-error").text.startswith("The file is larger than")
    assert html.by_id("file").attrs["aria-invalid"] == "true"
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(UserImport)) == 0


def test_no_file_and_a_file_without_an_email_column(admin: SignedIn) -> None:
    token = csrf_of(admin.client)
    r = post(admin.client, IMPORT, {"csrf_token": token}, files={"sheet": (None, "")})
    assert r.status_code == 422
    assert page(r).by_id("file-error").text == "Choose a CSV or Excel file to import."
    r = upload(admin.client, "First name,Last name\nGrace,Hopper\n", token=token)
    assert r.status_code == 422
    html = page(r)
    alert = next(e for e in html.all("div") if e.attrs.get("role") == "alert")
    assert alert.text.startswith("No column holds the organizational email")
    assert not html.has_id("file-error")


def test_forms_without_the_csrf_token_are_refused(app: FastAPI, admin: SignedIn) -> None:
    here = uploaded(admin.client)
    for token in (None, "forged"):
        data = {"csrf_token": token} if token else {}
        r = post(
            admin.client, IMPORT, data, files={"file": ("people.csv", PEOPLE.encode(), "text/csv")}
        )
        assert r.status_code == 403
        assert "Please reload the page" in r.text
        r = post(admin.client, here + "/run", {**data, "action": "dry_run"})
        assert r.status_code == 403
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(UserImport)) == 1
        imp = session.scalars(select(UserImport)).one()
        assert imp.status == ImportStatus.uploaded


def test_a_member_can_neither_upload_nor_see_an_import(
    app: FastAPI, factory: Factory, admin: SignedIn
) -> None:
    here = checked(app, admin.client)
    member = factory.member(admin)
    token = csrf_of(member.client, "/account")
    r = upload(member.client, PEOPLE, token=token)
    assert r.status_code == 403
    assert page(r).by_tag("h1").text == "Not permitted"
    for path in (IMPORT, here, here + "/rejected"):
        assert member.client.get(path).status_code == 403, path
    r = post(member.client, here + "/run", {"csrf_token": token, "action": "apply"})
    assert r.status_code == 403
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(UserImport)) == 1

    # Nor does someone who only reads users upload or start one.
    reader = reader_of_a_unit(factory, admin)
    token = csrf_of(reader.client, "/account")
    assert upload(reader.client, PEOPLE, token=token).status_code == 403
    r = post(reader.client, here + "/run", {"csrf_token": token, "action": "apply"})
    assert r.status_code == 403


def test_another_organizations_import_is_not_found(
    app: FastAPI, factory: Factory, admin: SignedIn
) -> None:
    here = checked(app, admin.client)
    globex = factory.admin(name="Globex", email="hank@globex.io")
    for path in (here, here + "?step=mapping", here + "/rejected", IMPORT + "/nonsense"):
        r = globex.client.get(path)
        assert r.status_code == 404, path
        assert page(r).by_tag("h1").text == "Not found"
    token = csrf_of(globex.client)
    r = post(globex.client, here + "/run", {"csrf_token": token, "action": "apply"})
    assert r.status_code == 404
    # Globex's list of imports does not show Acme's.
    assert here not in globex.client.get(IMPORT).text
    with db_session(app) as session:
        imp = session.get(UserImport, uuid.UUID(here.rsplit("/", 1)[1]))
        assert imp is not None and imp.status == ImportStatus.checked


def test_signed_out_goes_to_sign_in(client: TestClient, app: FastAPI, admin: SignedIn) -> None:
    here = uploaded(admin.client)
    for path in (IMPORT, here, here + "/rejected"):
        r = client.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login"), path


def test_the_result_sends_registration_links_to_the_new_users_on_request(
    app: FastAPI, admin: SignedIn
) -> None:
    from sqlalchemy import select

    from tests.fixtures.factories import db_session
    from usher.models import OutboxMessage

    here = checked(app, admin.client)
    form = apply_form(page(admin.client.get(here)))
    token = csrf_of(admin.client, here)
    post(admin.client, here + "/run", {**form, "valid_only": "on", "csrf_token": token})
    run_jobs(app)
    html = page(admin.client.get(here))
    button = next(b for b in html.all("button") if b.text == "Send registration links")
    assert button is not None
    r = post(admin.client, here + "/send-links", {"csrf_token": token})
    assert r.status_code == 303
    assert r.headers["location"] == here + "?sent=2&remaining=0"
    html = page(admin.client.get(r.headers["location"]))
    assert "2 registration link(s) are on their way." in html.text
    with db_session(app) as session:
        assert sorted(session.scalars(select(OutboxMessage.recipient)).all()) == [
            "grace@acme.io",
            "linus@acme.io",
        ]
    assert post(admin.client, here + "/send-links", {}).status_code == 403  # no CSRF token
