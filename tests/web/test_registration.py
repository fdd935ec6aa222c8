"""Registration through the pages: the invitation link, the locked form, CSRF, the password
policy, and links that no longer work."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.fixtures.factories import PASSWORD, Factory, SignedIn, db_session, invite, make_org
from tests.web.pages import cookie_attrs, csrf_for, page, set_cookie
from usher.auth.passwords import POLICY_TEXT
from usher.kit import clock
from usher.models import AuditEvent, Invitation, User, UserSession
from usher.models.user import UserStatus


def link_path(registration_url: str) -> str:
    return urlsplit(registration_url).path


def user_by_email(app: FastAPI, email: str) -> User:
    with db_session(app) as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user  # type: ignore[no-any-return]


def open_form(client: TestClient, path: str) -> str:
    """Follow the invitation link into the form; the form's CSRF token."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert str(r.url).endswith("/register")
    return page(r).csrf


def test_full_registration_through_the_pages(app: FastAPI, client: TestClient) -> None:
    created = make_org(app)
    path = link_path(created.registration_url)
    token = path.rsplit("/", 1)[1]

    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/register"

    r = client.get("/register")
    assert r.status_code == 200
    assert token not in r.text
    form = page(r)
    for field_id, label, value in [
        ("first_name", "First name", "Ada"),
        ("last_name", "Last name", "Lovelace"),
        ("organization", "Organization", "Acme Corp"),
        ("email", "Email", "ada@acme.io"),
    ]:
        element = form.by_id(field_id)
        assert element.attrs["value"] == value
        assert "readonly" in element.attrs
        assert "name" not in element.attrs  # shown, never taken from the browser
        assert form.label_for(field_id) == label
    assert POLICY_TEXT in form.by_id("password-hint").text
    assert form.by_id("password").attrs["aria-describedby"] == "password-hint"
    assert form.label_for("password") and form.label_for("password_confirm")

    r = client.post(
        "/register",
        data={"csrf_token": form.csrf, "password": PASSWORD, "password_confirm": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/account"
    assert "usher_session" in r.headers["set-cookie"]
    register_cookie = cookie_attrs(set_cookie(r, "usher_register"))
    assert register_cookie["max-age"] == "0" and register_cookie["path"] == "/register"

    r = client.get("/account")
    assert r.status_code == 200
    account = page(r)
    assert "Ada Lovelace" in account.text
    assert "ada@acme.io" in account.text
    assert "Acme Corp" in account.text
    assert "Active" in account.text
    assert "Organization Admin" in account.text

    user = user_by_email(app, "ada@acme.io")
    assert user.status == UserStatus.active
    assert user.registered_at is not None
    with db_session(app) as session:
        invitation = session.scalar(select(Invitation).where(Invitation.user_id == user.id))
        assert invitation is not None and invitation.accepted_at is not None
        assert (
            session.scalar(
                select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
            )
            == 1
        )


def test_the_link_moves_its_token_into_a_short_lived_cookie(
    app: FastAPI, client: TestClient
) -> None:
    created = make_org(app)
    path = link_path(created.registration_url)
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/register"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    cookie = cookie_attrs(set_cookie(r, "usher_register"))
    assert cookie["value"] == path.rsplit("/", 1)[1]
    assert cookie["path"] == "/register"
    assert cookie["samesite"].lower() == "lax"
    assert "httponly" in cookie
    assert "secure" not in cookie  # plain HTTP in this test; see test_security for HTTPS
    assert 0 < int(cookie["max-age"]) <= 3600

    r = client.get("/register")
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"


def test_reading_the_form_does_not_use_up_the_invitation(app: FastAPI, client: TestClient) -> None:
    created = make_org(app)
    path = link_path(created.registration_url)
    for _ in range(2):
        open_form(client, path)
        assert client.get("/register").status_code == 200
    # A second browser (a mail scanner, say) opening it changes nothing either.
    with TestClient(app) as scanner:
        open_form(scanner, path)
    assert user_by_email(app, "ada@acme.io").status == UserStatus.pending
    api = client.get(f"/api/v1/invitations/{path.rsplit('/', 1)[1]}")
    assert api.status_code == 200


@pytest.mark.parametrize("token", [None, "", "not-the-token", "other-browser"])
def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    app: FastAPI, client: TestClient, token: str | None
) -> None:
    created = make_org(app)
    path = link_path(created.registration_url)
    open_form(client, path)
    data = {"password": PASSWORD, "password_confirm": PASSWORD}
    if token == "other-browser":
        # A valid token, but for another browser's cookie: tokens do not travel.
        with TestClient(app) as other:
            data["csrf_token"] = open_form(other, path)
    elif token is not None:
        data["csrf_token"] = token

    r = client.post("/register", data=data, follow_redirects=False)

    assert r.status_code == 403
    refused = page(r)
    assert "Reload the page" in refused.text
    assert any(a.attrs.get("href") == "/register" for a in refused.all("a"))
    assert "usher_session" not in r.headers.get("set-cookie", "")
    assert user_by_email(app, "ada@acme.io").status == UserStatus.pending
    # The link still works, and with the right token the same browser registers.
    csrf = open_form(client, path)
    r = client.post("/register", data=data | {"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303


def test_a_cross_site_post_is_refused_even_with_a_token(app: FastAPI, client: TestClient) -> None:
    created = make_org(app)
    csrf = open_form(client, link_path(created.registration_url))
    r = client.post(
        "/register",
        data={"csrf_token": csrf, "password": PASSWORD, "password_confirm": PASSWORD},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert user_by_email(app, "ada@acme.io").status == UserStatus.pending


def test_a_weak_password_shows_its_reason_and_keeps_the_link(
    app: FastAPI, client: TestClient
) -> None:
    created = make_org(app)
    csrf = open_form(client, link_path(created.registration_url))

    r = client.post(
        "/register", data={"csrf_token": csrf, "password": "short", "password_confirm": "short"}
    )
    assert r.status_code == 422
    form = page(r)
    assert "Use at least 15 characters (this one has 5)." in form.by_id("password-error").text
    password = form.by_id("password")
    assert password.attrs["aria-invalid"] == "true"
    assert "password-error" in (password.attrs["aria-describedby"] or "")
    assert "value" not in password.attrs  # a refused password is never echoed back
    assert form.by_id("email").attrs["value"] == "ada@acme.io"

    r = client.post(
        "/register",
        data={
            "csrf_token": form.csrf,
            "password": "ada lovelace acme corp",
            "password_confirm": "ada lovelace acme corp",
        },
    )
    assert r.status_code == 422
    assert "name, email or organization" in page(r).by_id("password-error").text
    assert user_by_email(app, "ada@acme.io").status == UserStatus.pending

    r = client.post(
        "/register",
        data={"csrf_token": form.csrf, "password": PASSWORD, "password_confirm": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert user_by_email(app, "ada@acme.io").status == UserStatus.active


def test_passwords_that_differ_are_refused_beside_the_confirmation(
    app: FastAPI, client: TestClient
) -> None:
    created = make_org(app)
    csrf = open_form(client, link_path(created.registration_url))
    r = client.post(
        "/register",
        data={"csrf_token": csrf, "password": PASSWORD, "password_confirm": PASSWORD + "!"},
    )
    assert r.status_code == 422
    assert "not the same" in page(r).by_id("password_confirm-error").text
    assert user_by_email(app, "ada@acme.io").status == UserStatus.pending


# --- links that no longer open the form ---------------------------------------------------


def test_a_used_link_says_so_and_offers_sign_in(app: FastAPI, client: TestClient) -> None:
    created = make_org(app)
    path = link_path(created.registration_url)
    csrf = open_form(client, path)
    client.post(
        "/register", data={"csrf_token": csrf, "password": PASSWORD, "password_confirm": PASSWORD}
    )

    with TestClient(app) as other:
        r = other.get(path)
    assert r.status_code == 410
    gone = page(r)
    assert gone.by_id("page-title").text == "Invitation already used"
    assert "Sign in" in gone.text
    assert any(a.attrs.get("href") == "/login" for a in gone.all("a"))
    register_cookie = cookie_attrs(set_cookie(r, "usher_register"))
    assert register_cookie["max-age"] == "0"


def test_a_post_after_the_link_was_used_elsewhere_says_so(app: FastAPI, client: TestClient) -> None:
    created = make_org(app)
    path = link_path(created.registration_url)
    csrf = open_form(client, path)
    with TestClient(app) as other:
        other_csrf = open_form(other, path)
        r = other.post(
            "/register",
            data={"csrf_token": other_csrf, "password": PASSWORD, "password_confirm": PASSWORD},
            follow_redirects=False,
        )
        assert r.status_code == 303

    r = client.post(
        "/register",
        data={
            "csrf_token": csrf,
            "password": PASSWORD + " two",
            "password_confirm": PASSWORD + " two",
        },
    )
    assert r.status_code == 410
    assert "already been used" in page(r).text
    with db_session(app) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "invitation.accepted")
            )
            == 1
        )


def test_an_expired_link_says_so(app: FastAPI, client: TestClient) -> None:
    created = make_org(app)
    with db_session(app) as session:
        session.execute(update(Invitation).values(expires_at=clock.now() - timedelta(minutes=1)))
    r = client.get(link_path(created.registration_url))
    assert r.status_code == 410
    gone = page(r)
    assert gone.by_id("page-title").text == "Invitation expired"
    assert "Ask an administrator for a new one" in gone.text


def invited(factory: Factory, admin: SignedIn) -> tuple[str, str]:
    r = invite(admin.client)
    assert r.status_code == 201, r.text
    return r.json()["id"], link_path(r.json()["registration_url"])


def test_a_revoked_link_says_so(factory: Factory, admin: SignedIn, client: TestClient) -> None:
    user_id, path = invited(factory, admin)
    r = admin.client.post(f"/api/v1/users/{user_id}/invitation/revoke")
    assert r.status_code == 204, r.text
    r = client.get(path)
    assert r.status_code == 410
    assert page(r).by_id("page-title").text == "Invitation withdrawn"


def test_a_superseded_link_says_so_and_the_new_one_works(
    factory: Factory, admin: SignedIn, client: TestClient
) -> None:
    user_id, old_path = invited(factory, admin)
    r = admin.client.post(f"/api/v1/users/{user_id}/invitation/link")
    assert r.status_code == 200, r.text
    new_path = link_path(r.json()["registration_url"])

    r = client.get(old_path)
    assert r.status_code == 410
    gone = page(r)
    assert gone.by_id("page-title").text == "Invitation replaced by a newer one"
    assert "most recent link" in gone.text

    form = page(client.get(new_path))
    assert form.by_id("email").attrs["value"] == "grace@acme.io"


def test_an_unknown_link_says_it_is_not_valid(app: FastAPI, client: TestClient) -> None:
    r = client.get("/register/not-a-real-token")
    assert r.status_code == 404
    gone = page(r)
    assert gone.by_id("page-title").text == "Invitation link not valid"
    assert "copied whole" in gone.text


def test_the_form_without_a_link_asks_for_the_link(app: FastAPI, client: TestClient) -> None:
    r = client.get("/register")
    assert r.status_code == 400
    assert page(r).by_id("page-title").text == "Open your invitation link"
    csrf = csrf_for(client, "/login")  # the same browser's token, from any of its forms
    r = client.post(
        "/register", data={"csrf_token": csrf, "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert r.status_code == 400
    assert "Open the link from your invitation again" in page(r).text
