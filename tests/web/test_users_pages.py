"""User Management through the pages: the list (search, status filter, sort, pages, empty
states), Add new user with both invite methods, the Edit form, the Action menu's posts, and who
may see any of it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from tests.fixtures.factories import (
    Factory,
    SignedIn,
    accept,
    db_session,
    invite,
    seed_users,
    token_of,
)
from tests.web.pages import Element, Page, page
from usher.kit import clock
from usher.models import OutboxMessage, Team, TeamMember, User, UserSession
from usher.models.user import UserStatus

LIST = "/admin/users"


# --- helpers --------------------------------------------------------------------------------


def csrf_of(client: TestClient, path: str = LIST) -> str:
    """The CSRF token on a page (every form of a page carries the same one)."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert found, r.text
    return found.group(1)


def rows(html: Page) -> list[Element]:
    return [e for e in html.all("tr") if e.attrs.get("data-user-id")]


def names(html: Page) -> list[str]:
    return [e.text for e in html.elements if "person__name" in (e.attrs.get("class") or "")]


def add_team(app: FastAPI, org_id: str, name: str, description: str = "") -> str:
    with db_session(app) as session:
        team = Team(organization_id=uuid.UUID(org_id), name=name, description=description)
        session.add(team)
        session.flush()
        return str(team.id)


def join_team(app: FastAPI, team_id: str, user_id: str) -> None:
    with db_session(app) as session:
        session.add(TeamMember(team_id=uuid.UUID(team_id), user_id=uuid.UUID(user_id)))


def user_row(app: FastAPI, email: str) -> User | None:
    with db_session(app) as session:
        found: User | None = session.scalar(
            select(User).where(func.lower(User.email) == email.lower())
        )
        return found


def directory(app: FastAPI, admin: SignedIn) -> dict[str, str]:
    """A few people in every status with phones, registration and activity."""
    now = clock.now()
    ids = seed_users(
        app,
        admin.extra["org_id"],
        [
            {"first_name": "Grace", "last_name": "Hopper", "email": "grace@acme.io",
             "phone": "+14155550101"},
            {"first_name": "Alan", "last_name": "Turing", "email": "alan@acme.io",
             "phone": "+442079460958", "status": UserStatus.active,
             "registered_at": now - timedelta(days=30),
             "last_activity_at": now - timedelta(hours=2)},
            {"first_name": "Donald", "last_name": "Knuth", "email": "don@acme.io",
             "status": UserStatus.disabled, "registered_at": now - timedelta(days=90),
             "last_activity_at": now - timedelta(days=10)},
        ],
    )  # fmt: skip
    team = add_team(app, admin.extra["org_id"], "Engineering", "Builds the product.")
    join_team(app, team, ids[1])
    return {"grace": ids[0], "alan": ids[1], "don": ids[2], "engineering": team}


def post(client: TestClient, path: str, data: dict[str, Any], **kwargs: Any) -> Response:
    response: Response = client.post(path, data=data, follow_redirects=False, **kwargs)
    return response


ADD = {
    "first_name": "Linus",
    "last_name": "Pauling",
    "gender": "male",
    "birthday": "1901-02-28",
    "email": "linus@acme.io",
    "phone_region": "US",
    "phone": "(415) 555-0142",
    "position": "Chemist",
}


# --- who may look ---------------------------------------------------------------------------


def test_the_administrator_menu_is_for_organization_admins_only(
    factory: Factory, admin: SignedIn
) -> None:
    html = page(admin.client.get("/account"))
    links = {a.attrs.get("href") for a in html.all("a")}
    assert {"/admin/users", "/admin/org-units", "/admin/audit", "/admin/settings"} <= links
    summary = html.by_tag("summary")
    assert summary.text == "Administrator"
    assert "Users" in html.text and "User Management" in html.text

    member = factory.member(admin)
    html = page(member.client.get("/account"))
    assert not [a for a in html.all("a") if (a.attrs.get("href") or "").startswith("/admin")]
    assert "Administrator" not in html.text


@pytest.mark.parametrize(
    "path", [LIST, LIST + "/table", LIST + "/new", "{user}", "{user}/edit", "{user}/delete"]
)
def test_members_get_a_403_page(factory: Factory, admin: SignedIn, path: str) -> None:
    member = factory.member(admin)
    r = member.client.get(path.replace("{user}", f"{LIST}/{admin.user_id}"))
    assert r.status_code == 403
    html = page(r)
    assert html.by_tag("h1").text == "Not permitted"
    assert "An Organization Admin can give it to you" in html.text
    assert "Traceback" not in r.text


def test_members_cannot_post_the_admin_forms(factory: Factory, admin: SignedIn) -> None:
    member = factory.member(admin)
    token = csrf_of(member.client, "/account")
    r = post(member.client, LIST + "/new", {"csrf_token": token, **ADD, "invite_method": "link"})
    assert r.status_code == 403
    r = post(member.client, f"{LIST}/{admin.user_id}/delete", {"csrf_token": token})
    assert r.status_code == 403
    assert user_row(member.client.app, "linus@acme.io") is None  # type: ignore[arg-type]
    assert user_row(member.client.app, admin.email) is not None  # type: ignore[arg-type]


def test_without_a_session_the_pages_send_you_to_sign_in(
    admin: SignedIn, client: TestClient, app: FastAPI
) -> None:
    r = client.get(LIST, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    # A session that has ended (here: revoked) says so on the sign-in page.
    with db_session(app) as session:
        for s in session.scalars(select(UserSession)):
            s.revoked_at = clock.now()
    r = admin.client.get(LIST, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?done=session_ended")
    # The cookie is gone with that answer; the search's fragment sends to sign-in too.
    r = admin.client.get(LIST + "/table?q=a", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")


def test_users_of_another_organization_are_not_found(factory: Factory, admin: SignedIn) -> None:
    other = factory.admin(name="Globex", email="hank@globex.io")
    token = csrf_of(admin.client)
    for path in [f"{LIST}/{other.user_id}", f"{LIST}/{other.user_id}/edit", f"{LIST}/nonsense"]:
        r = admin.client.get(path)
        assert r.status_code == 404, path
        assert page(r).by_tag("h1").text == "Not found"
    for action in ["disable", "delete", "resend", "link", "edit"]:
        r = post(admin.client, f"{LIST}/{other.user_id}/{action}", {"csrf_token": token})
        assert r.status_code == 404, action
    assert user_row(admin.client.app, "hank@globex.io").status == UserStatus.active  # type: ignore[arg-type, union-attr]


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_each_users_details(app: FastAPI, admin: SignedIn) -> None:
    ids = directory(app, admin)
    r = admin.client.get(LIST)
    assert r.status_code == 200
    html = page(r)
    assert html.by_tag("h1").text == "User Management"
    headers = [th.text for th in html.all("th")]
    assert headers[:7] == [
        "Name", "Email", "Phone number", "Registered", "Status", "Last activity", "Teams",
    ]  # fmt: skip
    assert names(html) == ["Ada Lovelace", "Alan Turing", "Donald Knuth", "Grace Hopper"]
    alan = next(row for row in rows(html) if row.attrs["data-user-id"] == ids["alan"])
    assert "alan@acme.io" in alan.text and "+44 20 7946 0958" in alan.text
    assert "Active" in alan.text and "Engineering" in alan.text
    grace = next(row for row in rows(html) if row.attrs["data-user-id"] == ids["grace"])
    assert "Pending" in grace.text and "Not yet" in grace.text and "Never" in grace.text
    don = next(row for row in rows(html) if row.attrs["data-user-id"] == ids["don"])
    assert "Disabled" in don.text
    # Times go out as <time datetime> for the script to show in local time.
    assert any(t.attrs.get("data-format") == "relative" for t in html.all("time"))
    assert "4 users" in html.text


def test_search_by_name_email_or_phone_keeps_the_query(app: FastAPI, admin: SignedIn) -> None:
    directory(app, admin)
    for q, expected in [
        ("hopper", ["Grace Hopper"]),
        ("ALAN@acme", ["Alan Turing"]),
        ("415 555 0101", ["Grace Hopper"]),
        ("+44 20 7946", ["Alan Turing"]),
    ]:
        html = page(admin.client.get(LIST, params={"q": q}))
        assert names(html) == expected, q
        assert html.by_id("q").attrs["value"] == q
        # The sort links keep the search.
        sort_link = next(a for a in html.all("a") if "sort=email" in (a.attrs.get("href") or ""))
        assert parse_qs(urlsplit(sort_link.attrs["href"] or "").query)["q"] == [q]

        r = admin.client.get(LIST + "/table", params={"q": q})
        assert r.status_code == 200
        assert r.headers["x-usher-fragment"] == "1"
        assert "<html" not in r.text and "<header" not in r.text
        part = Page(r.text)
        assert names(part) == expected
        row_next = [i.attrs["value"] for i in part.all("input") if i.attrs.get("name") == "next"]
        assert row_next and all(v and v.startswith(LIST + "?q=") for v in row_next)


def test_the_status_filter(app: FastAPI, admin: SignedIn) -> None:
    directory(app, admin)
    html = page(admin.client.get(LIST, params={"status": "pending"}))
    assert names(html) == ["Grace Hopper"]
    selected = [o for o in html.all("option") if "selected" in o.attrs and o.text == "Pending"]
    assert selected
    assert names(page(admin.client.get(LIST, params={"status": "disabled"}))) == ["Donald Knuth"]
    html = page(admin.client.get(LIST, params={"status": "active", "q": "a"}))
    assert names(html) == ["Ada Lovelace", "Alan Turing"]
    # A value the page never offers is no filter at all, not an error.
    assert len(names(page(admin.client.get(LIST, params={"status": "nope"})))) == 4


def test_sorting_by_column_headers(app: FastAPI, admin: SignedIn) -> None:
    directory(app, admin)
    html = page(admin.client.get(LIST, params={"sort": "email", "order": "desc"}))
    assert names(html) == ["Grace Hopper", "Donald Knuth", "Alan Turing", "Ada Lovelace"]
    th = next(t for t in html.all("th") if t.text == "Email")
    assert th.attrs["aria-sort"] == "descending"
    # Clicking the header again turns the order round.
    link = next(a for a in html.all("a") if a.text == "Email")
    assert parse_qs(urlsplit(link.attrs["href"] or "").query) == {"sort": ["email"]}

    html = page(admin.client.get(LIST, params={"sort": "registered_at"}))  # newest first
    assert names(html)[:2] == ["Ada Lovelace", "Alan Turing"]
    assert next(t for t in html.all("th") if t.text == "Registered").attrs["aria-sort"] == (
        "descending"
    )
    html = page(admin.client.get(LIST, params={"sort": "last_activity_at", "order": "asc"}))
    assert names(html)[0] == "Grace Hopper"  # never active sorts first
    # An unknown sort falls back to the name.
    html = page(admin.client.get(LIST, params={"sort": "password_hash"}))
    assert names(html)[0] == "Ada Lovelace"


def test_cursor_pages(app: FastAPI, admin: SignedIn) -> None:
    seed_users(
        app,
        admin.extra["org_id"],
        [{"first_name": f"Person{n:02d}", "email": f"p{n:02d}@acme.io"} for n in range(30)],
    )
    html = page(admin.client.get(LIST))
    assert len(rows(html)) == 25
    assert "Showing 1–25 of 31 users" in html.text  # noqa: RUF001 (the page's en dash)
    next_link = next(a for a in html.all("a") if a.attrs.get("rel") == "next")
    html = page(admin.client.get(next_link.attrs["href"] or ""))
    assert len(rows(html)) == 6
    assert "Showing 26–31 of 31 users" in html.text  # noqa: RUF001
    assert "Page 2 of 2" in html.text
    first = next(a for a in html.all("a") if a.text == "← Back to first page")
    assert first.attrs["href"] == LIST
    assert not [a for a in html.all("a") if a.attrs.get("rel") == "next"]

    # A cursor from another sort, or garbage, shows the first page and says so.
    html = page(admin.client.get(LIST, params={"cursor": "garbage", "page": "2"}))
    assert len(rows(html)) == 25
    assert "out of date" in html.text


def test_empty_states_say_what_to_do_next(app: FastAPI, admin: SignedIn) -> None:
    html = page(admin.client.get(LIST))
    assert "It is just you so far." in html.text
    add = [a for a in html.all("a") if a.attrs.get("href") == LIST + "/new"]
    assert add and all(a.attrs.get("data-open-dialog") == "add-user-dialog" for a in add)

    html = page(admin.client.get(LIST, params={"q": "zebra", "status": "pending"}))
    assert "No users match “zebra” with status Pending" in html.text
    clear = next(a for a in html.all("a") if a.text == "Clear the search")
    assert clear.attrs["href"] == LIST
    assert not rows(html)


# --- Add new user -----------------------------------------------------------------------------


def test_the_add_user_form_has_the_seed_sections(app: FastAPI, admin: SignedIn) -> None:
    add_team(app, admin.extra["org_id"], "Engineering", "Builds and runs the product.")
    html = page(admin.client.get(LIST))
    dialog = next(e for e in html.all("dialog") if e.attrs.get("id") == "add-user-dialog")
    assert "Add new user" in dialog.text
    legends = [e.text for e in html.all("legend")]
    assert legends == [
        "Basic information", "Contact information", "User information", "Teams", "Invite method",
    ]  # fmt: skip
    for name, label in [
        ("first_name", "First name"),
        ("last_name", "Last name"),
        ("gender", "Gender"),
        ("birthday", "Birthday (optional)"),
        ("email", "Organizational email"),
        ("phone_region", "Country (optional)"),
        ("phone", "Phone number (optional)"),
        ("org_unit_id", "Organization unit (optional)"),
        ("position", "Position (optional)"),
        ("personal_email", "Personal email address (optional)"),
    ]:
        assert html.label_for(name) == label
    for method, title, hint in [
        ("email", "Personal email", "We email the registration link."),
        ("link", "Shareable link", "You copy the link and send it yourself."),
    ]:
        radio = html.by_id(f"invite-{method}")
        assert html.by_id(radio.attrs["aria-labelledby"] or "").text == title
        assert html.by_id(radio.attrs["aria-describedby"] or "").text == hint
        assert html.label_for(f"invite-{method}") == f"{title} {hint}"
    # The country picker: regions with their calling codes.
    options = {o.attrs.get("value"): o.text for o in html.all("option")}
    assert options["GB"] == "United Kingdom (+44)" and options["US"] == "United States (+1)"
    # Each team's description is behind a focusable (i) button with a tooltip.
    tip = next(e for e in html.all("button") if e.attrs.get("aria-label") == "About Engineering")
    tooltip = html.by_id(tip.attrs["aria-describedby"] or "")
    assert tooltip.attrs["role"] == "tooltip" and tooltip.text == "Builds and runs the product."
    # Without the script the same form is a page of its own.
    html = page(admin.client.get(LIST + "/new"))
    assert html.by_tag("h1").text == "Add new user"
    assert html.by_id("first_name").attrs["name"] == "first_name"


def test_every_control_on_the_pages_has_a_label(app: FastAPI, admin: SignedIn) -> None:
    ids = directory(app, admin)
    for path in [LIST, LIST + "/new", f"{LIST}/{ids['grace']}/edit"]:
        html = page(admin.client.get(path))
        labelled = {e.attrs.get("for") for e in html.all("label")}
        for control in html.all("input") + html.all("select"):
            if control.attrs.get("type") == "hidden":
                continue
            assert control.attrs.get("id") in labelled, (path, control.attrs)


def test_add_user_with_personal_email(app: FastAPI, admin: SignedIn) -> None:
    team = add_team(app, admin.extra["org_id"], "Engineering")
    token = csrf_of(admin.client)
    r = post(
        admin.client,
        LIST + "/new",
        {"csrf_token": token, **ADD, "team_ids": [team], "invite_method": "email",
         "personal_email": "linus@example.com"},
    )  # fmt: skip
    assert r.status_code == 303, r.text
    user = user_row(app, "linus@acme.io")
    assert user is not None and user.status == UserStatus.pending
    assert user.phone == "+14155550142" and str(user.birthday) == "1901-02-28"
    assert r.headers["location"] == f"{LIST}/{user.id}?done=invited"
    with db_session(app) as session:
        mail = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
        assert mail is not None and mail.recipient == "linus@example.com"

    html = page(admin.client.get(r.headers["location"]))
    assert "The invitation is on its way." in html.text
    assert "Sent to" in html.text and "linus@example.com" in html.text
    assert "Queued" in html.text and "Personal email" in html.text
    assert "Engineering" in html.text
    assert "Invited" in html.text  # the audit trail


def test_add_user_with_a_shareable_link(app: FastAPI, admin: SignedIn) -> None:
    token = csrf_of(admin.client)
    r = post(admin.client, LIST + "/new", {"csrf_token": token, **ADD, "invite_method": "link"})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    html = page(r)
    link = html.by_id("registration-link").attrs["value"] or ""
    assert link.startswith("http://usher.test/register/")
    assert "readonly" in html.by_id("registration-link").attrs
    copy = next(b for b in html.all("button") if b.attrs.get("data-copy") == "registration-link")
    assert copy.text == "Copy"
    # The link works: the invited person registers with it.
    other = TestClient(app, base_url="http://testserver")
    assert accept(other, link).status_code == 200
    assert user_row(app, "linus@acme.io").status == UserStatus.active  # type: ignore[union-attr]


def test_the_script_gets_the_answer_as_a_fragment(app: FastAPI, admin: SignedIn) -> None:
    token = csrf_of(admin.client)
    headers = {"X-Usher-Fragment": "1"}
    r = post(
        admin.client,
        LIST + "/new",
        {"csrf_token": token, **ADD, "invite_method": "link"},
        headers=headers,
    )
    assert r.status_code == 200 and r.headers["x-usher-fragment"] == "1"
    assert "<html" not in r.text
    part = Page(r.text)
    assert "/register/" in (part.by_id("registration-link").attrs["value"] or "")
    assert any("data-add-another" in b.attrs for b in part.all("button"))

    r = post(admin.client, LIST + "/new", {"csrf_token": token, "first_name": "X"}, headers=headers)
    assert r.status_code == 422 and r.headers["x-usher-fragment"] == "1"
    part = Page(r.text)
    assert part.by_id("first_name").attrs["value"] == "X"
    assert part.by_id("email-error").text == "Enter the organizational email."
    # A fresh form for "Add another user".
    r = admin.client.get(LIST + "/new", headers=headers)
    assert r.headers["x-usher-fragment"] == "1" and "<form" in r.text and "<html" not in r.text


def test_wrong_input_is_shown_at_the_field_and_kept(app: FastAPI, admin: SignedIn) -> None:
    team = add_team(app, admin.extra["org_id"], "Engineering")
    token = csrf_of(admin.client)
    typed = {
        "csrf_token": token,
        "first_name": "   ",
        "last_name": "Pa<uling",
        "gender": "female",
        "birthday": "2999-01-01",
        "email": "linus@",
        "phone_region": "GB",
        "phone": "12",
        "position": "Chemist",
        "team_ids": [team],
        "invite_method": "link",
        "personal_email": "not an email",
    }
    r = post(admin.client, LIST + "/new", typed)
    assert r.status_code == 422
    html = page(r)
    errors = {
        e.attrs["id"][: -len("-error")]: e.text
        for e in html.all("p")
        if (e.attrs.get("id") or "").endswith("-error")
    }
    assert errors["first_name"] == "Enter the first name."
    assert "Names cannot contain <, >" in errors["last_name"]
    assert "birthday must be in the past" in errors["birthday"]
    assert "@-sign" in errors["email"]
    assert errors["phone"]
    assert "personal_email" in errors
    for name in errors:
        assert html.by_id(name).attrs.get("aria-invalid") == "true"
        assert f"{name}-error" in (html.by_id(name).attrs.get("aria-describedby") or "")
    # Nothing typed is lost.
    assert html.by_id("last_name").attrs["value"] == "Pa<uling"
    assert html.by_id("email").attrs["value"] == "linus@"
    assert html.by_id("phone").attrs["value"] == "12"
    assert html.by_id("position").attrs["value"] == "Chemist"
    assert html.by_id("birthday").attrs["value"] == "2999-01-01"
    assert html.by_id("personal_email").attrs["value"] == "not an email"
    assert "checked" in html.by_id(f"team-{team}").attrs
    assert "checked" in html.by_id("invite-link").attrs
    selected = [o.attrs.get("value") for o in html.all("option") if "selected" in o.attrs]
    assert "GB" in selected and "female" in selected
    assert user_row(app, "linus@") is None


def test_the_same_messages_as_the_api(app: FastAPI, admin: SignedIn) -> None:
    """The page's messages come from the API's own schema and service."""
    body = {"first_name": "A", "last_name": "B", "email": "a@b", "invite_method": "link"}
    api = invite(admin.client, **body).json()["errors"]["email"]
    token = csrf_of(admin.client)
    html = page(post(admin.client, LIST + "/new", {"csrf_token": token, **body}))
    assert html.by_id("email-error").text == " ".join(api)


def test_an_email_already_used_is_said_beside_the_field(app: FastAPI, admin: SignedIn) -> None:
    directory(app, admin)
    token = csrf_of(admin.client)
    r = post(
        admin.client,
        LIST + "/new",
        {"csrf_token": token, **ADD, "email": "GRACE@acme.io", "invite_method": "email"},
    )
    assert r.status_code == 409
    html = page(r)
    assert "already exists" in html.by_id("email-error").text
    assert html.by_id("first_name").attrs["value"] == "Linus"
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# --- posts need their CSRF token ------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused(app: FastAPI, admin: SignedIn) -> None:
    ids = directory(app, admin)
    grace = f"{LIST}/{ids['grace']}"
    for path, data in [
        (LIST + "/new", {**ADD, "invite_method": "link"}),
        (f"{grace}/edit", {**ADD}),
        (f"{grace}/resend", {}),
        (f"{grace}/link", {}),
        (f"{grace}/disable", {}),
        (f"{LIST}/{ids['don']}/enable", {}),
        (f"{grace}/delete", {}),
    ]:
        r = post(admin.client, path, data)
        assert r.status_code == 403, path
        assert "Please reload the page" in r.text
        r = post(admin.client, path, {**data, "csrf_token": "forged"})
        assert r.status_code == 403, path
    grace_now = user_row(app, "grace@acme.io")
    assert grace_now is not None and grace_now.first_name == "Grace"
    assert grace_now.status == UserStatus.pending
    assert user_row(app, "linus@acme.io") is None
    assert user_row(app, "don@acme.io").status == UserStatus.disabled  # type: ignore[union-attr]


# --- the Action menu ----------------------------------------------------------------------------


def test_each_row_has_an_action_menu(app: FastAPI, admin: SignedIn) -> None:
    ids = directory(app, admin)
    html = page(admin.client.get(LIST))
    button = html.by_id(f"actions-{ids['grace']}")
    assert button.attrs["aria-haspopup"] == "menu" and button.attrs["aria-expanded"] == "false"
    assert button.text == "Actions for Grace Hopper"
    menu = html.by_id(f"menu-{ids['grace']}")
    assert menu.attrs["role"] == "menu" and "hidden" in menu.attrs
    assert menu_items(html, ids["grace"]) == [
        "View", "Edit", "Resend invitation", "Copy new shareable link", "Disable", "Delete user",
    ]  # fmt: skip
    assert menu_items(html, ids["don"]) == ["View", "Edit", "Enable", "Delete user"]
    delete = next(
        a for a in html.all("a") if a.attrs.get("data-action") == f"{LIST}/{ids['grace']}/delete"
    )
    assert delete.text == "Delete user" and delete.attrs["data-name"] == "Grace Hopper"
    # The row's form carries the token and where to come back to.
    form = html.by_id(f"row-{ids['grace']}")
    assert form.attrs["method"] == "post"


def menu_items(html: Page, user_id: str) -> list[str]:
    """The items of a row's menu: the elements after it, up to the row's plain-page link."""
    start = html.elements.index(html.by_id(f"menu-{user_id}"))
    items: list[str] = []
    for element in html.elements[start + 1 :]:
        if "row-menu__fallback" in (element.attrs.get("class") or ""):
            return items
        if element.attrs.get("role") == "menuitem":
            items.append(element.text)
    raise AssertionError("no end to the menu")


def test_resend_invitation(app: FastAPI, admin: SignedIn) -> None:
    r = invite(admin.client, email="grace@acme.io", invite_method="email")
    user_id = r.json()["id"]
    token = csrf_of(admin.client)
    r = post(
        admin.client, f"{LIST}/{user_id}/resend", {"csrf_token": token, "next": LIST + "?q=gr"}
    )
    assert (r.status_code, r.headers["location"]) == (303, LIST + "?q=gr&done=resent")
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    html = page(admin.client.get(r.headers["location"]))
    assert "A new invitation is on its way." in html.text
    assert "Invitation sent again" in page(admin.client.get(f"{LIST}/{user_id}")).text

    r = post(
        admin.client, f"{LIST}/{user_id}/resend", {"csrf_token": token},
        headers={"X-Usher-Fragment": "1"},
    )  # fmt: skip
    assert r.status_code == 200 and "Invitation sent again to Grace Hopper" in r.text


def test_copy_new_shareable_link(app: FastAPI, admin: SignedIn) -> None:
    first = invite(admin.client, email="grace@acme.io").json()
    token = csrf_of(admin.client)
    r = post(admin.client, f"{LIST}/{first['id']}/link", {"csrf_token": token, "next": LIST})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    html = page(r)
    assert "New shareable link for Grace Hopper" in html.text
    link = html.by_id("registration-link").attrs["value"] or ""
    assert token_of(link) != token_of(first["registration_url"])
    other = TestClient(app, base_url="http://testserver")
    assert accept(other, first["registration_url"]).status_code == 410  # the old link died
    assert accept(other, link).status_code == 200


def test_actions_on_registered_users_are_refused_with_a_page(app: FastAPI, admin: SignedIn) -> None:
    ids = directory(app, admin)
    token = csrf_of(admin.client)
    r = post(admin.client, f"{LIST}/{ids['alan']}/resend", {"csrf_token": token, "next": LIST})
    assert r.status_code == 409
    html = page(r)
    assert html.by_tag("h2").text == "The invitation was not sent"
    assert "already registered" in html.text
    # The last Organization Admin cannot delete themselves.
    r = post(admin.client, f"{LIST}/{admin.user_id}/delete", {"csrf_token": token})
    assert r.status_code == 409
    assert "last active Organization Admin" in page(r).text
    assert user_row(app, admin.email) is not None


def test_disable_and_enable(app: FastAPI, factory: Factory, admin: SignedIn) -> None:
    member = factory.member(admin)
    token = csrf_of(admin.client)
    back = LIST + "?status=active&sort=email"
    r = post(admin.client, f"{LIST}/{member.user_id}/disable", {"csrf_token": token, "next": back})
    assert (r.status_code, r.headers["location"]) == (303, back + "&done=disabled")
    assert user_row(app, member.email).status == UserStatus.disabled  # type: ignore[union-attr]
    html = page(admin.client.get(r.headers["location"]))
    assert "The user is disabled" in html.text
    # The disabled member's open browser is turned away.
    r = member.client.get("/account", follow_redirects=False)
    assert r.headers["location"] == "/login?done=session_ended"

    r = post(admin.client, f"{LIST}/{member.user_id}/enable", {"csrf_token": token, "next": back})
    assert r.headers["location"] == back + "&done=enabled"
    assert user_row(app, member.email).status == UserStatus.active  # type: ignore[union-attr]


def test_a_return_address_elsewhere_is_ignored(app: FastAPI, admin: SignedIn) -> None:
    ids = directory(app, admin)
    token = csrf_of(admin.client)
    for evil in ["https://evil.example/admin/users", "//evil.example/admin/users", "/login"]:
        r = post(admin.client, f"{LIST}/{ids['alan']}/disable", {"csrf_token": token, "next": evil})
        assert r.headers["location"] == LIST + "?done=disabled", evil


def test_delete_asks_first_naming_the_user(app: FastAPI, factory: Factory, admin: SignedIn) -> None:
    member = factory.member(admin)
    r = admin.client.get(f"{LIST}/{member.user_id}/delete", params={"next": LIST + "?q=grace"})
    html = page(r)
    assert html.by_tag("h1").text == "Delete Grace Hopper?"
    assert "grace@acme.io" in html.text and "loses access immediately" in html.text
    token = html.input_named("next").attrs["value"]
    assert token == LIST + "?q=grace"

    r = post(
        admin.client,
        f"{LIST}/{member.user_id}/delete",
        {"csrf_token": csrf_of(admin.client), "next": f"{LIST}/{member.user_id}"},
    )
    # Back to the list, not to the deleted user's page.
    assert (r.status_code, r.headers["location"]) == (303, LIST + "?done=deleted")
    assert user_row(app, member.email) is None
    html = page(admin.client.get(r.headers["location"]))
    assert "The user was deleted. They lost access immediately." in html.text
    # The deleted user's open browser is turned away on its next click.
    r = member.client.get("/account", follow_redirects=False)
    assert r.headers["location"] == "/login?done=session_ended"
    assert admin.client.get(f"{LIST}/{member.user_id}").status_code == 404


# --- user detail and edit ---------------------------------------------------------------------


def test_the_user_detail_page(app: FastAPI, factory: Factory, admin: SignedIn) -> None:
    member = factory.member(admin)
    html = page(admin.client.get(f"{LIST}/{member.user_id}"))
    assert html.by_tag("h1").text == "Grace Hopper Active"
    for text in ["Registration and activity", "Registered", "Last activity", "Invitation",
                 "Shareable link", "Accepted", "Teams", "Audit trail", "Registered"]:  # fmt: skip
        assert text in html.text, text
    times = [t.attrs["datetime"] for t in html.all("time")]
    assert len(times) >= 3
    actions = [b.text for b in html.all("button") if b.attrs.get("form") == "user-actions"]
    assert actions == ["Disable"]
    assert html.by_id("user-actions").attrs["action"].endswith("/disable")  # type: ignore[union-attr]


def test_edit_a_user(app: FastAPI, admin: SignedIn) -> None:
    ids = directory(app, admin)
    path = f"{LIST}/{ids['alan']}/edit"
    html = page(admin.client.get(path))
    assert html.by_id("first_name").attrs["value"] == "Alan"
    assert html.by_id("phone").attrs["value"] == "+44 20 7946 0958"
    token = csrf_of(admin.client, path)
    data = {
        "csrf_token": token,
        "first_name": "Alan M.",
        "last_name": "Turing",
        "gender": "male",
        "birthday": "1912-06-23",
        "email": "alan.turing@acme.io",
        "personal_email": "",
        "phone_region": "GB",
        "phone": "020 7946 0000",
        "org_unit_id": "",
        "position": "Mathematician",
    }
    r = post(admin.client, path, data)
    assert (r.status_code, r.headers["location"]) == (303, f"{LIST}/{ids['alan']}?done=updated")
    user = user_row(app, "alan.turing@acme.io")
    assert user is not None and user.first_name == "Alan M." and user.phone == "+442079460000"
    html = page(admin.client.get(r.headers["location"]))
    assert "The changes are saved." in html.text and "Profile changed" in html.text

    # Wrong input: the message at the field, the typed values kept, nothing saved.
    r = post(admin.client, path, {**data, "email": "grace@acme.io", "position": "Boss"})
    assert r.status_code == 409
    html = page(r)
    assert "already exists" in html.by_id("email-error").text
    assert html.by_id("position").attrs["value"] == "Boss"
    r = post(admin.client, path, {**data, "first_name": "", "phone": "+1 12"})
    assert r.status_code == 422
    html = page(r)
    assert html.by_id("first_name-error").text == "Enter the first name."
    assert html.by_id("phone").attrs["value"] == "+1 12"
    assert user_row(app, "alan.turing@acme.io").position == "Mathematician"  # type: ignore[union-attr]
