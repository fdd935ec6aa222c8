"""The administrator pages (organization units, audit log, settings) and asking for a new
invitation from the page of a dead link."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select, update

import tests.browser.conftest as browser_fixtures
from tests.fixtures.factories import Factory, SignedIn, db_session, invite, token_of
from tests.web.pages import Page, cookie_attrs, csrf_for, page, set_cookie
from usher.kit import clock
from usher.models import AuditEvent, Invitation, Organization, OrgUnit, OutboxMessage, User

ADMIN_PAGES = ["/admin/org-units", "/admin/audit", "/admin/settings"]

# Chromium and the app on a real socket, for the one test in a browser (tests/browser). Not its
# settings: mailed links here point at http://usher.test, as everywhere else.
playwright = browser_fixtures.playwright
browser = browser_fixtures.browser
live_port = browser_fixtures.live_port
live_server = browser_fixtures.live_server


def add_unit(client: TestClient, name: str, parent: str | None = None) -> str:
    r = client.post("/api/v1/org-units", json={"name": name, "parent_id": parent})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def unit_names(app: FastAPI) -> dict[str, str | None]:
    """Name → the parent's name."""
    with db_session(app) as s:
        units = {u.id: u for u in s.scalars(select(OrgUnit))}
        return {u.name: units[u.parent_id].name if u.parent_id else None for u in units.values()}


def csrf_on(client: TestClient, path: str) -> str:
    """The CSRF token of the forms on a page with several (every form carries the same one)."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    tokens = {e.attrs["value"] for e in page(r).all("input") if e.attrs.get("name") == "csrf_token"}
    assert len(tokens) == 1
    return str(tokens.pop())


def post_form(client: TestClient, path: str, data: dict[str, str], *, form_page: str) -> Response:
    return client.post(
        path, data={"csrf_token": csrf_on(client, form_page), **data}, follow_redirects=False
    )


def follow(client: TestClient, r: Response) -> Page:
    assert r.status_code == 303, r.text
    r2 = client.get(r.headers["location"])
    assert r2.status_code == 200, r2.text
    return page(r2)


def notice(p: Page) -> str:
    found = [e.text for e in p.all("div") if "alert--notice" in (e.attrs.get("class") or "")]
    assert len(found) == 1, found
    return found[0]


def alert(p: Page) -> str:
    found = [e.text for e in p.all("div") if "alert--error" in (e.attrs.get("class") or "")]
    assert len(found) == 1, found
    return found[0]


# --- who may look -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_members_get_a_403_page_not_the_admin_page(
    admin: SignedIn, factory: Factory, path: str
) -> None:
    member = factory.member(admin)
    r = member.client.get(path)
    assert r.status_code == 403
    refused = page(r)
    assert refused.by_id("page-title").text == "Not permitted"
    assert "Only members of the Organization Admin team can open this page" in refused.text
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/org-units", {"name": "Mine"}),
        ("/admin/org-units/move", {"unit_id": "", "parent_id": ""}),
        ("/admin/settings", {"name": "Taken over", "invitation_expiry_days": "90"}),
    ],
)
def test_members_cannot_post_to_admin_forms(
    app: FastAPI, admin: SignedIn, factory: Factory, path: str, data: dict[str, str]
) -> None:
    member = factory.member(admin)
    r = post_form(member.client, path, data, form_page="/account")
    assert r.status_code == 403
    with db_session(app) as s:
        assert s.scalar(select(func.count()).select_from(OrgUnit)) == 0
        assert s.scalar(select(Organization.name)) == "Acme Corp"


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_strangers_are_sent_to_sign_in(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    client.cookies.set("usher_session", "ended-long-ago")
    r = client.get(path, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?done=session_ended")


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_have_the_security_headers_and_no_inline_code(
    admin: SignedIn, path: str
) -> None:
    r = admin.client.get(path)
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    document = page(r)
    assert all((s.attrs.get("src") or "").startswith("/static/") for s in document.all("script"))
    assert not document.all("style")
    assert all("style" not in e.attrs for e in document.elements)
    stylesheets = [link.attrs["href"] for link in document.all("link")]
    assert any((href or "").startswith("/static/admin.css") for href in stylesheets)


def test_the_admin_script_and_stylesheet_are_served(client: TestClient) -> None:
    for path, kind in (("/static/admin.js", "javascript"), ("/static/admin.css", "text/css")):
        r = client.get(path)
        assert r.status_code == 200 and kind in r.headers["content-type"]


def test_every_input_has_a_label(admin: SignedIn) -> None:
    add_unit(admin.client, "Engineering")
    for path in ADMIN_PAGES:
        document = page(admin.client.get(path))
        for element in document.all("input") + document.all("select"):
            if element.attrs.get("type") == "hidden":
                continue
            assert document.label_for(element.attrs["id"] or ""), (path, element)


# --- organization units -------------------------------------------------------------------


def test_the_tree_shows_units_nested_with_their_user_counts(admin: SignedIn) -> None:
    eng = add_unit(admin.client, "Engineering")
    web = add_unit(admin.client, "Web", eng)
    add_unit(admin.client, "Sales")
    for i in range(2):
        assert invite(admin.client, email=f"d{i}@acme.io", org_unit_id=web).status_code == 201

    tree = page(admin.client.get("/admin/org-units"))

    eng_item = tree.by_id(f"unit-{eng}")
    web_item = tree.by_id(f"unit-{web}")
    assert "Engineering No users · 1 sub-unit" in eng_item.text
    assert "Web 2 users" in eng_item.text  # nested inside
    assert "Web 2 users" in web_item.text
    assert "Only an empty unit can be deleted: first move its users to another unit." in (
        web_item.text
    )
    # The top level lists Engineering before Sales; the pickers indent Web under Engineering.
    names = [e.text for e in tree.all("span") if e.attrs.get("class") == "unit__name"]
    assert names == ["Engineering", "Web", "Sales"]
    options = [o.text for o in tree.all("option") if o.attrs.get("value") == web]
    assert len(options) == 3  # the add form, and both pickers of the move form
    web_option = next(o for o in tree.all("option") if o.attrs.get("value") == web)
    assert web_option.attrs["data-path"] == f"{eng} {web}"


def test_an_empty_tree_says_what_to_do(admin: SignedIn) -> None:
    tree = page(admin.client.get("/admin/org-units"))
    assert "No units yet." in tree.text
    assert "Add unit" in tree.text
    assert not tree.has_id("move-title")  # nothing to move yet


def test_add_a_unit_inside_another(app: FastAPI, admin: SignedIn) -> None:
    eng = add_unit(admin.client, "Engineering")
    r = post_form(
        admin.client,
        "/admin/org-units",
        {"name": "  Platform  team ", "parent_id": eng},
        form_page="/admin/org-units",
    )
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.startswith("/admin/org-units?done=added&unit=")
    new_id = parse_qs(urlsplit(location).query)["unit"][0]
    assert location.endswith(f"#unit-{new_id}")
    shown = follow(admin.client, r)
    assert notice(shown) == "“Platform team” was added."
    assert "is-focus" in (shown.by_id(f"unit-{new_id}").attrs["class"] or "")
    assert unit_names(app) == {"Engineering": None, "Platform team": "Engineering"}


@pytest.mark.parametrize(
    ("name", "parent", "field", "says"),
    [
        ("", "", "new-name", "Give the unit a name of 1 to 200 characters."),
        ("x" * 201, "", "new-name", "Give the unit a name of 1 to 200 characters."),
        ("Ok", "not-a-unit", "new-parent", "Choose a unit from the list."),
        ("Ok", str(uuid.uuid4()), "new-parent", "No such organization unit."),
    ],
)
def test_adding_with_bad_input_says_so_beside_the_field_and_keeps_it(
    app: FastAPI, admin: SignedIn, name: str, parent: str, field: str, says: str
) -> None:
    r = post_form(
        admin.client,
        "/admin/org-units",
        {"name": name, "parent_id": parent},
        form_page="/admin/org-units",
    )
    assert r.status_code == 422
    form = page(r)
    assert form.by_id(f"{field}-error").text == says
    element = form.by_id(field)
    assert element.attrs["aria-invalid"] == "true"
    assert f"{field}-error" in (element.attrs["aria-describedby"] or "")
    assert "autofocus" in element.attrs
    assert form.by_id("new-name").attrs["value"] == name
    assert alert(form) == "Check the field marked below."
    assert unit_names(app) == {}


def test_rename_a_unit(app: FastAPI, admin: SignedIn) -> None:
    eng = add_unit(admin.client, "Engineering")
    r = post_form(
        admin.client,
        f"/admin/org-units/{eng}/rename",
        {"name": "Research & Development"},
        form_page="/admin/org-units",
    )
    assert r.headers["location"] == f"/admin/org-units?done=renamed&unit={eng}#unit-{eng}"
    assert notice(follow(admin.client, r)) == "The unit is now called “Research & Development”."
    assert unit_names(app) == {"Research & Development": None}


def test_a_refused_rename_opens_that_unit_with_the_error_beside_its_name(
    app: FastAPI, admin: SignedIn
) -> None:
    eng = add_unit(admin.client, "Engineering")
    sales = add_unit(admin.client, "Sales")
    r = post_form(
        admin.client,
        f"/admin/org-units/{eng}/rename",
        {"name": "   "},
        form_page="/admin/org-units",
    )
    assert r.status_code == 422
    form = page(r)
    assert "Give the unit a name" in form.by_id(f"name-{eng}-error").text
    assert form.by_id(f"name-{eng}").attrs["value"] == "   "
    assert "autofocus" in form.by_id(f"name-{eng}").attrs
    opened = [d for d in form.all("details") if "open" in d.attrs]
    assert len(opened) == 1 and "Engineering" in opened[0].text
    assert not form.has_id(f"name-{sales}-error")
    assert any(a.attrs.get("href") == f"#unit-{eng}" for a in form.all("a"))
    assert unit_names(app) == {"Engineering": None, "Sales": None}


def test_move_a_unit_and_back_to_the_top(app: FastAPI, admin: SignedIn) -> None:
    eng = add_unit(admin.client, "Engineering")
    web = add_unit(admin.client, "Web")
    moving = page(admin.client.get(f"/admin/org-units?move={web}"))
    chosen = [o for o in moving.all("option") if "selected" in o.attrs]
    assert [o.attrs["value"] for o in chosen] == ["", web, ""]  # add form, unit, new place

    r = post_form(
        admin.client,
        "/admin/org-units/move",
        {"unit_id": web, "parent_id": eng},
        form_page="/admin/org-units",
    )
    assert notice(follow(admin.client, r)) == "“Web” was moved."
    assert unit_names(app) == {"Engineering": None, "Web": "Engineering"}

    r = post_form(
        admin.client,
        "/admin/org-units/move",
        {"unit_id": web, "parent_id": ""},
        form_page="/admin/org-units",
    )
    assert r.status_code == 303
    assert unit_names(app) == {"Engineering": None, "Web": None}


def test_moving_a_unit_into_its_own_branch_is_refused_with_a_clear_message(
    app: FastAPI, admin: SignedIn
) -> None:
    eng = add_unit(admin.client, "Engineering")
    web = add_unit(admin.client, "Web", eng)
    r = post_form(
        admin.client,
        "/admin/org-units/move",
        {"unit_id": eng, "parent_id": web},
        form_page="/admin/org-units",
    )
    assert r.status_code == 409
    form = page(r)
    says = (
        "“Web” is inside “Engineering”, so “Engineering” cannot be moved under it. "
        "Choose a unit outside it, or the top level."
    )
    assert form.by_id("move-parent-error").text == says
    assert form.by_id("move-parent").attrs["aria-invalid"] == "true"
    chosen = {
        o.attrs["value"] for o in form.all("option") if "selected" in o.attrs and o.attrs["value"]
    }
    assert chosen == {eng, web}  # what was chosen is still chosen
    assert unit_names(app) == {"Engineering": None, "Web": "Engineering"}


@pytest.mark.parametrize(
    ("unit_id", "says"),
    [
        ("", "Choose the unit to move."),
        ("junk", "Choose a unit from the list."),
        (str(uuid.uuid4()), "That unit no longer exists."),
    ],
)
def test_moving_without_a_real_unit_says_so(admin: SignedIn, unit_id: str, says: str) -> None:
    add_unit(admin.client, "Engineering")
    r = post_form(
        admin.client,
        "/admin/org-units/move",
        {"unit_id": unit_id, "parent_id": ""},
        form_page="/admin/org-units",
    )
    assert r.status_code in (404, 422)
    assert page(r).by_id("move-unit-error").text == says


def test_delete_an_empty_unit(app: FastAPI, admin: SignedIn) -> None:
    eng = add_unit(admin.client, "Engineering")
    tree = page(admin.client.get("/admin/org-units"))
    delete_form = next(
        f for f in tree.all("form") if f.attrs.get("action") == f"/admin/org-units/{eng}/delete"
    )
    assert "Engineering" in (delete_form.attrs["data-confirm"] or "")
    r = post_form(admin.client, f"/admin/org-units/{eng}/delete", {}, form_page="/admin/org-units")
    assert r.headers["location"] == "/admin/org-units?done=deleted"
    assert notice(follow(admin.client, r)) == "The unit was deleted."
    assert unit_names(app) == {}


def test_a_unit_that_is_not_empty_is_kept_and_the_page_says_why(
    app: FastAPI, admin: SignedIn
) -> None:
    eng = add_unit(admin.client, "Engineering")
    add_unit(admin.client, "Web", eng)
    assert invite(admin.client, org_unit_id=eng).status_code == 201
    tree = page(admin.client.get("/admin/org-units"))
    assert not any(
        f.attrs.get("action") == f"/admin/org-units/{eng}/delete" for f in tree.all("form")
    )

    # Posted anyway (an old page, another tab): refused, with the reason at the unit.
    r = post_form(admin.client, f"/admin/org-units/{eng}/delete", {}, form_page="/admin/org-units")
    assert r.status_code == 409
    refused = page(r)
    says = (
        "“Engineering” still has 1 sub-unit and 1 user. Only an empty unit can be deleted: "
        "move or delete its sub-units and move its users to another unit first."
    )
    assert refused.by_id(f"delete-error-{eng}").text == says
    assert alert(refused).startswith(says)
    assert "Engineering" in unit_names(app)


def test_another_organizations_unit_is_not_found(admin: SignedIn, factory: Factory) -> None:
    other = factory.admin(name="Globex", email="hank@globex.io")
    theirs = add_unit(other.client, "Globex HQ")
    for action, data in (("rename", {"name": "Mine"}), ("delete", {})):
        r = post_form(
            admin.client, f"/admin/org-units/{theirs}/{action}", data, form_page="/admin/org-units"
        )
        assert r.status_code == 404
        assert page(r).by_id("page-title").text == "Not found"
    assert "Globex HQ" in other.client.get("/admin/org-units").text


def test_unit_forms_without_csrf_are_refused(app: FastAPI, admin: SignedIn) -> None:
    eng = add_unit(admin.client, "Engineering")
    for path, data in (
        ("/admin/org-units", {"name": "X"}),
        (f"/admin/org-units/{eng}/rename", {"name": "X"}),
        ("/admin/org-units/move", {"unit_id": eng, "parent_id": ""}),
        (f"/admin/org-units/{eng}/delete", {}),
    ):
        r = admin.client.post(path, data=data, follow_redirects=False)
        assert r.status_code == 403, path
        assert "Reload the page" in page(r).text
    assert unit_names(app) == {"Engineering": None}


# --- audit log ----------------------------------------------------------------------------


def audit_rows(p: Page) -> list[str]:
    return [row.text for row in p.all("tr")[1:]]


def test_the_audit_log_lists_events_newest_first_in_local_time(admin: SignedIn) -> None:
    eng = add_unit(admin.client, "Engineering")
    admin.client.patch(f"/api/v1/org-units/{eng}", json={"name": "R&D"})

    log = page(admin.client.get("/admin/audit"))

    rows = audit_rows(log)
    assert "org_unit.renamed" in rows[0] and "org_unit.created" in rows[1]
    assert "Name Engineering → R&D" in rows[0]  # a <dl>: "Name:" on screen
    times = log.all("time")
    assert times and all(t.attrs.get("datetime") for t in times)
    assert times[0].text.endswith("UTC")  # until usher.js puts it in the viewer's zone
    first = [t.attrs["datetime"] or "" for t in times]
    assert first == sorted(first, reverse=True)
    # Actor, action and target are links that filter the log.
    hrefs = {a.attrs.get("href") for a in log.all("a")}
    assert "/admin/audit?actor=ada%40acme.io" in hrefs
    assert "/admin/audit?action=org_unit.renamed" in hrefs
    assert f"/admin/audit?target={eng}" in hrefs


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=ADA@acme.io", {"org_unit.created", "invitation.accepted", "user.invited"}),
        ("actor=system", {"organization.created"}),
        ("action=org_unit.created", {"org_unit.created"}),
        ("action=org_unit.created+user.invited", {"org_unit.created", "user.invited"}),
        ("target=grace@acme.io", {"user.invited"}),
        ("action=no.such.action", set()),
    ],
)
def test_the_audit_log_filters(admin: SignedIn, query: str, expected: set[str]) -> None:
    add_unit(admin.client, "Engineering")
    assert invite(admin.client).status_code == 201
    log = page(admin.client.get(f"/admin/audit?{query}"))
    actions = {a.text for a in log.all("a") if (a.attrs.get("class") or "") == "code"}
    assert actions == expected
    if not expected:
        assert "No events match these filters." in log.text


def test_the_audit_log_filters_by_target_id(admin: SignedIn) -> None:
    eng = add_unit(admin.client, "Engineering")
    add_unit(admin.client, "Sales")
    admin.client.patch(f"/api/v1/org-units/{eng}", json={"name": "R&D"})
    log = page(admin.client.get(f"/admin/audit?target={eng}"))
    assert len(audit_rows(log)) == 2
    assert all("Sales" not in row for row in audit_rows(log))


def test_the_time_range_is_read_in_the_viewers_time_zone(admin: SignedIn) -> None:
    add_unit(admin.client, "Engineering")
    tokyo = ZoneInfo("Asia/Tokyo")
    an_hour_ago_in_tokyo = (datetime.now(UTC) - timedelta(hours=1)).astimezone(tokyo)
    since = an_hour_ago_in_tokyo.strftime("%Y-%m-%dT%H:%M")

    in_tokyo = page(admin.client.get(f"/admin/audit?since={since}&tz=Asia/Tokyo"))
    as_utc = page(admin.client.get(f"/admin/audit?since={since}"))  # nine hours later

    assert len(audit_rows(in_tokyo)) >= 2
    assert audit_rows(as_utc) == []
    assert in_tokyo.input_named("since").attrs["value"] == since
    assert in_tokyo.input_named("tz").attrs["value"] == "Asia/Tokyo"


def test_a_to_date_includes_that_whole_day(admin: SignedIn) -> None:
    add_unit(admin.client, "Engineering")
    today = datetime.now(UTC).date().isoformat()
    assert len(audit_rows(page(admin.client.get(f"/admin/audit?until={today}&tz=UTC")))) >= 2


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ("since=yesterday", "since", "Enter a date, or a date and time"),
        ("until=2025-13-01", "until", "Enter a date, or a date and time"),
        (
            "since=2025-05-02T10:00&until=2025-05-01T10:00",
            "until",
            "Choose a time after the “From” time.",
        ),
    ],
)
def test_a_bad_time_is_shown_at_its_field(
    admin: SignedIn, query: str, field: str, says: str
) -> None:
    r = admin.client.get(f"/admin/audit?{query}")
    assert r.status_code == 422
    log = page(r)
    assert says in log.by_id(f"{field}-error").text
    assert log.by_id(field).attrs["aria-invalid"] == "true"
    assert audit_rows(log) == []


def test_the_audit_log_pages_with_a_cursor(app: FastAPI, admin: SignedIn) -> None:
    with db_session(app) as s:
        org_id = s.scalar(select(Organization.id))
        start = clock.now() - timedelta(hours=2)
        for i in range(60):
            s.add(
                AuditEvent(
                    organization_id=org_id,
                    actor_label="bot@acme.io",
                    action="test.event",
                    target_label=f"thing {i:02d}",
                    details={"n": i},
                    created_at=start + timedelta(seconds=i),
                )
            )
    first = page(admin.client.get("/admin/audit?action=test.event"))
    rows = audit_rows(first)
    assert len(rows) == 50
    assert "thing 59" in rows[0] and "thing 10" in rows[-1]
    older = next(a for a in first.all("a") if a.attrs.get("rel") == "next")
    href = older.attrs["href"] or ""
    assert "action=test.event" in href and "cursor=" in href

    second = page(admin.client.get(href))
    rows = audit_rows(second)
    assert len(rows) == 10
    assert "thing 09" in rows[0] and "thing 00" in rows[-1]
    assert not any(a.attrs.get("rel") == "next" for a in second.all("a"))
    newest = next(a for a in second.all("a") if "Newest events" in a.text)
    assert newest.attrs["href"] == "/admin/audit?action=test.event"


def test_a_broken_cursor_says_to_start_again(admin: SignedIn) -> None:
    r = admin.client.get("/admin/audit?cursor=garbage")
    assert r.status_code == 422
    log = page(r)
    assert "Start again from the newest events." in alert(log)
    assert any("Newest events" in a.text for a in log.all("a"))


def test_the_audit_log_is_the_viewers_organization_only(admin: SignedIn, factory: Factory) -> None:
    add_unit(admin.client, "Engineering")
    other = factory.admin(name="Globex", email="hank@globex.io")
    log = other.client.get("/admin/audit").text
    assert "ada@acme.io" not in log and "Engineering" not in log
    assert "hank@globex.io" in log


# --- settings -----------------------------------------------------------------------------


def org_settings(app: FastAPI) -> tuple[str, int]:
    with db_session(app) as s:
        org = s.scalars(select(Organization).where(Organization.slug == "acme-corp")).one()
        return org.name, org.invitation_expiry_days


def test_settings_show_and_save(app: FastAPI, admin: SignedIn) -> None:
    form = page(admin.client.get("/admin/settings"))
    assert form.by_id("name").attrs["value"] == "Acme Corp"
    assert form.by_id("invitation_expiry_days").attrs["value"] == "7"
    assert "acme-corp" in form.text

    r = post_form(
        admin.client,
        "/admin/settings",
        {"name": " Acme  Inc ", "invitation_expiry_days": "14"},
        form_page="/admin/settings",
    )
    assert r.headers["location"] == "/admin/settings?done=saved"
    saved = follow(admin.client, r)
    assert notice(saved) == "Settings saved. New invitation links stay valid for 14 days."
    assert saved.by_id("name").attrs["value"] == "Acme Inc"
    assert org_settings(app) == ("Acme Inc", 14)
    with db_session(app) as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "organization.updated")
        ).one()
        assert event.details["changes"] == {
            "name": ["Acme Corp", "Acme Inc"],
            "invitation_expiry_days": [7, 14],
        }
    # The next invitation uses the new expiry.
    r = invite(admin.client)
    with db_session(app) as s:
        invitation = s.scalars(
            select(Invitation).where(Invitation.user_id == uuid.UUID(r.json()["id"]))
        ).one()
        assert invitation.expires_at - invitation.created_at > timedelta(days=13)


@pytest.mark.parametrize(
    ("name", "days", "field", "says"),
    [
        ("Acme Corp", "0", "invitation_expiry_days", "Choose from 1 to 90 days."),
        ("Acme Corp", "91", "invitation_expiry_days", "Choose from 1 to 90 days."),
        ("Acme Corp", "two weeks", "invitation_expiry_days", "Enter a whole number of days"),
        ("Acme Corp", "", "invitation_expiry_days", "Enter a whole number of days"),
        ("   ", "7", "name", "Give the organization a name of 1 to 200 characters."),
        ("x" * 201, "7", "name", "Give the organization a name of 1 to 200 characters."),
    ],
)
def test_bad_settings_are_refused_at_the_field_and_kept(
    app: FastAPI, admin: SignedIn, name: str, days: str, field: str, says: str
) -> None:
    r = post_form(
        admin.client,
        "/admin/settings",
        {"name": name, "invitation_expiry_days": days},
        form_page="/admin/settings",
    )
    assert r.status_code == 422
    form = page(r)
    assert says in form.by_id(f"{field}-error").text
    assert form.by_id(field).attrs["aria-invalid"] == "true"
    assert "autofocus" in form.by_id(field).attrs
    assert form.by_id("name").attrs["value"] == name
    assert form.by_id("invitation_expiry_days").attrs["value"] == days
    assert org_settings(app) == ("Acme Corp", 7)


def test_settings_without_csrf_are_refused(app: FastAPI, admin: SignedIn) -> None:
    r = admin.client.post(
        "/admin/settings", data={"name": "Hacked", "invitation_expiry_days": "90"}
    )
    assert r.status_code == 403
    assert org_settings(app) == ("Acme Corp", 7)


# --- asking for a new invitation from the page of a dead link -----------------------------


def invited(admin: SignedIn) -> tuple[str, str]:
    r = invite(admin.client)
    assert r.status_code == 201, r.text
    return r.json()["id"], token_of(r.json()["registration_url"])


def expire(app: FastAPI) -> None:
    with db_session(app) as s:
        s.execute(update(Invitation).values(expires_at=clock.now() - timedelta(minutes=1)))


def requests_mailed(app: FastAPI) -> list[OutboxMessage]:
    with db_session(app) as s:
        return list(
            s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invitation_requested"))
        )


def requested_at(app: FastAPI, user_id: str) -> Any:
    with db_session(app) as s:
        return s.scalar(select(User.invitation_requested_at).where(User.id == uuid.UUID(user_id)))


def open_dead_link(client: TestClient, token: str) -> Response:
    r = client.get(f"/register/{token}")
    assert r.status_code == 410, r.text
    return r


def ask_button(p: Page) -> str:
    """The ask form's CSRF token, after checking the form is there as it should be."""
    [form] = [f for f in p.all("form") if f.attrs.get("action") == "/register/ask"]
    assert form.attrs["method"] == "post"
    assert "Ask for a new invitation" in form.text
    return p.csrf


def test_an_expired_link_offers_to_ask_and_asking_tells_the_admins(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    user_id, token = invited(admin)
    expire(app)
    r = open_dead_link(client, token)
    gone = page(r)
    assert gone.by_id("page-title").text == "Invitation expired"
    csrf = ask_button(gone)
    # The link's cookie stays for the ask (it opens nothing now).
    assert "usher_register" not in r.headers.get("set-cookie", "")

    r = client.post("/register/ask", data={"csrf_token": csrf}, follow_redirects=False)

    assert (r.status_code, r.headers["location"]) == (303, "/register/asked")
    assert cookie_attrs(set_cookie(r, "usher_register"))["max-age"] == "0"
    asked = page(client.get("/register/asked"))
    assert asked.by_id("page-title").text == "New invitation requested"
    assert "have been asked to send you a new invitation" in asked.text
    assert not any(f.attrs.get("action") == "/register/ask" for f in asked.all("form"))
    [mail] = requests_mailed(app)
    assert mail.recipient == "ada@acme.io"
    assert f"http://usher.test/admin/users/{user_id}" in mail.body_text
    assert requested_at(app, user_id) is not None


def test_asking_twice_answers_the_same_and_mails_once(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    _user_id, token = invited(admin)
    expire(app)
    answers = []
    for _ in range(2):
        csrf = ask_button(page(open_dead_link(client, token)))
        r = client.post("/register/ask", data={"csrf_token": csrf})
        answers.append((r.status_code, page(r).by_id("page-title").text, str(r.url)))
    assert (
        answers[0]
        == answers[1]
        == (200, "New invitation requested", "http://testserver/register/asked")
    )
    assert len(requests_mailed(app)) == 1


@pytest.mark.parametrize("how", ["revoke", "link"])
def test_withdrawn_and_replaced_links_offer_to_ask_too(
    app: FastAPI, admin: SignedIn, client: TestClient, how: str
) -> None:
    user_id, token = invited(admin)
    r = admin.client.post(f"/api/v1/users/{user_id}/invitation/{how}")
    assert r.status_code in (200, 204)
    csrf = ask_button(page(open_dead_link(client, token)))
    r = client.post("/register/ask", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.headers["location"] == "/register/asked"
    assert len(requests_mailed(app)) == 1


def test_used_and_unknown_links_do_not_offer_to_ask(
    app: FastAPI, admin: SignedIn, factory: Factory
) -> None:
    _user_id, token = invited(admin)
    assert (
        factory.new_client()
        .post(f"/api/v1/invitations/{token}/accept", json={"password": "violet tractor anthem 42"})
        .status_code
        == 200
    )
    with TestClient(app) as other:
        used = page(open_dead_link(other, token))
        assert not any(f.attrs.get("action") == "/register/ask" for f in used.all("form"))
        r = other.get("/register/not-a-real-token")
        assert r.status_code == 404
        assert not any(f.attrs.get("action") == "/register/ask" for f in page(r).all("form"))
        # Posted anyway with an unknown link: the plain "not valid" page, nothing sent.
        other.cookies.set("usher_register", "not-a-real-token", path="/register")
        r = other.post("/register/ask", data={"csrf_token": csrf_for(other, "/login")})
        assert r.status_code == 404
        assert page(r).by_id("page-title").text == "Invitation link not valid"
    assert requests_mailed(app) == []


def test_asking_without_csrf_is_refused(app: FastAPI, admin: SignedIn, client: TestClient) -> None:
    user_id, token = invited(admin)
    expire(app)
    open_dead_link(client, token)
    r = client.post("/register/ask", data={}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(
        "/register/ask", data={"csrf_token": "forged"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert r.status_code == 403
    assert requested_at(app, user_id) is None
    assert requests_mailed(app) == []


def test_asking_without_the_link_asks_for_the_link(client: TestClient) -> None:
    r = client.post("/register/ask", data={"csrf_token": csrf_for(client, "/login")})
    assert r.status_code == 400
    assert page(r).by_id("page-title").text == "Open your invitation link"


def test_asking_from_a_link_that_still_works_goes_to_the_form(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    _user_id, token = invited(admin)
    csrf = page(client.get(f"/register/{token}")).csrf  # the registration form
    r = client.post("/register/ask", data={"csrf_token": csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/register")
    assert requests_mailed(app) == []


def test_a_disabled_account_cannot_ask(app: FastAPI, admin: SignedIn, client: TestClient) -> None:
    user_id, token = invited(admin)
    admin.client.post(f"/api/v1/users/{user_id}/disable")
    csrf = ask_button(page(open_dead_link(client, token)))
    r = client.post("/register/ask", data={"csrf_token": csrf})
    assert r.status_code == 409
    refused = page(r)
    assert refused.by_id("page-title").text == "Account disabled"
    assert not any(f.attrs.get("action") == "/register/ask" for f in refused.all("form"))
    assert requests_mailed(app) == []


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_invitation_request_ip": "1/hour"}])
def test_asking_too_often_says_how_long_to_wait(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    _user_id, token = invited(admin)
    expire(app)
    csrf = ask_button(page(open_dead_link(client, token)))
    assert client.post("/register/ask", data={"csrf_token": csrf}).status_code == 200
    csrf = ask_button(page(open_dead_link(client, token)))
    r = client.post("/register/ask", data={"csrf_token": csrf})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    limited = page(r)
    assert limited.by_id("page-title").text == "Please wait a moment"
    assert "Try again in" in alert(limited)
    ask_button(limited)  # still offered, for later
    assert len(requests_mailed(app)) == 1


# --- in a real browser --------------------------------------------------------------------


@pytest.mark.browser
def test_admin_pages_by_keyboard_in_a_browser(
    app: FastAPI, admin: SignedIn, live_server: str, browser: Browser
) -> None:
    """Keyboard alone: add a unit, open a unit's forms, move and delete; the script runs under
    the Content-Security-Policy, reads the viewer's zone and keeps a unit out of its branch;
    a narrow screen needs no sideways scrolling."""
    eng = add_unit(admin.client, "Engineering")
    web = add_unit(admin.client, "Web", eng)
    context = browser.new_context(timezone_id="Asia/Tokyo")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    try:
        tab.goto(live_server + "/login")
        tab.get_by_label("Organization").fill(admin.org_slug)
        tab.get_by_label("Email").fill(admin.email)
        tab.get_by_label("Password").fill(admin.password)
        tab.keyboard.press("Enter")
        tab.wait_for_url(live_server + "/account")

        tab.goto(live_server + "/admin/org-units")
        tab.locator("#new-name").focus()
        tab.keyboard.type("Sales")
        tab.keyboard.press("Enter")
        expect(tab.get_by_role("status")).to_have_text("“Sales” was added.")

        toggle = tab.locator(f"#unit-{web} > .unit summary")
        toggle.focus()
        tab.keyboard.press("Enter")
        rename = tab.locator(f"#name-{web}")
        expect(rename).to_be_visible()
        tab.keyboard.press("Tab")
        expect(rename).to_be_focused()
        tab.keyboard.press("Shift+Tab")
        expect(toggle).to_be_focused()
        outline = toggle.evaluate("e => getComputedStyle(e).outlineStyle")
        assert outline == "solid"  # focus is visible

        # Choosing Engineering greys out Engineering and Web as its new place.
        tab.locator("#move-unit").select_option(eng)
        expect(tab.locator(f"#move-parent option[value='{eng}']")).to_be_disabled()
        expect(tab.locator(f"#move-parent option[value='{web}']")).to_be_disabled()
        tab.locator("#move-unit").select_option(web)
        expect(tab.locator(f"#move-parent option[value='{eng}']")).to_be_enabled()
        tab.locator("#move-parent").select_option("")
        tab.locator("#move-parent").focus()
        tab.keyboard.press("Tab")
        tab.keyboard.press("Enter")  # the Move unit button
        expect(tab.get_by_role("status")).to_have_text("“Web” was moved.")
        assert unit_names(app)["Web"] is None

        tab.once("dialog", lambda dialog: dialog.accept())
        sales = tab.locator(".unit-tree__item", has_text="Sales")
        sales.locator("summary").click()
        sales.get_by_role("button", name="Delete Sales").click()
        expect(tab.get_by_role("status")).to_have_text("The unit was deleted.")

        tab.goto(live_server + "/admin/audit")
        expect(tab.locator("input[name=tz]")).to_have_value("Asia/Tokyo")
        first_time = tab.locator("tbody time").first
        expect(first_time).not_to_contain_text("UTC")
        expect(first_time).to_have_attribute("title", re.compile(r"UTC$"))
        tab.get_by_label("Action").fill("org_unit.deleted")
        tab.get_by_label("Action").press("Enter")
        expect(tab.locator("tbody tr")).to_have_count(1)
        assert parse_qs(urlsplit(tab.url).query)["tz"] == ["Asia/Tokyo"]

        tab.set_viewport_size({"width": 360, "height": 760})
        for path in ADMIN_PAGES:
            tab.goto(live_server + path)
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (path, overflow)
        assert problems == []
    finally:
        context.close()
