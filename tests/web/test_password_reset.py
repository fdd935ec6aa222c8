"""Forgotten password through the pages: asking for a link, the link, the new password."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from tests.fixtures.factories import PASSWORD, SignedIn, db_session
from tests.web.pages import cookie_attrs, csrf_for, page, reset_url_from, set_cookie
from usher.auth.passwords import POLICY_TEXT
from usher.models import OutboxMessage

NEW_PASSWORD = "marble orchard lantern 77"


def ask_for_reset(
    client: TestClient, *, organization: str = "acme-corp", email: str = "ada@acme.io"
) -> Response:
    csrf = csrf_for(client, "/forgot")
    response: Response = client.post(
        "/forgot",
        data={"csrf_token": csrf, "organization": organization, "email": email},
        follow_redirects=False,
    )
    return response


def reset_mails(app: FastAPI) -> list[str]:
    with db_session(app) as session:
        return list(
            session.scalars(
                select(OutboxMessage.body_text).where(OutboxMessage.kind == "password_reset")
            )
        )


def sign_in(client: TestClient, password: str) -> Response:
    csrf = csrf_for(client, "/login")
    response: Response = client.post(
        "/login",
        data={
            "csrf_token": csrf,
            "organization": "acme-corp",
            "email": "ada@acme.io",
            "password": password,
        },
        follow_redirects=False,
    )
    return response


def open_reset_form(client: TestClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert str(r.url).endswith("/reset")
    return page(r).csrf


@pytest.mark.parametrize(
    "organization, email",
    [
        ("acme-corp", "ada@acme.io"),
        ("acme-corp", "nobody@acme.io"),
        ("no-such-org", "ada@acme.io"),
    ],
)
def test_asking_for_a_link_always_answers_the_same(
    app: FastAPI, admin: SignedIn, client: TestClient, organization: str, email: str
) -> None:
    r = ask_for_reset(client, organization=organization, email=email)
    assert r.status_code == 303
    assert r.headers["location"] == "/forgot?sent=1"
    answer = page(client.get(r.headers["location"])).text
    assert (
        "If an active account with that email exists in that organization, "
        "a reset link is on its way." in answer
    )
    assert len(reset_mails(app)) == (
        1 if email == "ada@acme.io" and organization == "acme-corp" else 0
    )


def test_the_whole_reset_through_the_pages(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    ask_for_reset(client)
    (mail,) = reset_mails(app)
    path = reset_url_from(mail)
    token = path.rsplit("/", 1)[1]

    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/reset"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    cookie = cookie_attrs(set_cookie(r, "usher_reset"))
    assert cookie["value"] == token and cookie["path"] == "/reset" and "httponly" in cookie
    assert int(cookie["max-age"]) == 30 * 60

    r = client.get("/reset")
    assert r.status_code == 200
    assert token not in r.text
    assert r.headers["referrer-policy"] == "no-referrer"
    form = page(r)
    assert POLICY_TEXT in form.by_id("password-hint").text

    r = client.post(
        "/reset", data={"csrf_token": form.csrf, "password": "tiny", "password_confirm": "tiny"}
    )
    assert r.status_code == 422
    assert "Use at least 15 characters" in page(r).by_id("password-error").text

    r = client.post(
        "/reset",
        data={"csrf_token": form.csrf, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/login?done=reset&organization=acme-corp"
    assert cookie_attrs(set_cookie(r, "usher_reset"))["max-age"] == "0"
    signin = page(client.get(r.headers["location"]))
    assert "Your password has been changed. Sign in with it now." in signin.text
    assert signin.by_id("organization").attrs["value"] == "acme-corp"

    assert sign_in(client, PASSWORD).status_code == 401
    assert sign_in(client, NEW_PASSWORD).headers["location"] == "/account"
    # The session the admin had before the reset has ended.
    assert admin.client.get("/api/v1/me").status_code == 401

    # The link works once.
    with TestClient(app) as other:
        csrf = open_reset_form(other, path)
        r = other.post(
            "/reset",
            data={
                "csrf_token": csrf,
                "password": NEW_PASSWORD + "!",
                "password_confirm": NEW_PASSWORD + "!",
            },
        )
        assert r.status_code == 400
        assert "This reset link is missing, used or expired." in page(r).text


def test_a_reset_without_the_right_csrf_token_changes_nothing(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    ask_for_reset(client)
    path = reset_url_from(reset_mails(app)[0])
    open_reset_form(client, path)
    r = client.post(
        "/reset",
        data={"csrf_token": "forged", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert r.status_code == 403
    assert sign_in(client, PASSWORD).headers["location"] == "/account"
    # The link is still good.
    csrf = open_reset_form(client, path)
    r = client.post(
        "/reset",
        data={"csrf_token": csrf, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_an_unknown_reset_link_says_to_ask_again(client: TestClient) -> None:
    csrf = open_reset_form(client, "/reset/not-a-real-token")
    r = client.post(
        "/reset",
        data={"csrf_token": csrf, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert r.status_code == 400
    gone = page(r)
    assert "This reset link is missing, used or expired. Ask for a new one below." in gone.text
    assert gone.input_named("email")  # the form to ask again is right there
    assert cookie_attrs(set_cookie(r, "usher_reset"))["max-age"] == "0"


def test_the_reset_page_without_a_link_says_to_ask_again(client: TestClient) -> None:
    r = client.get("/reset")
    assert r.status_code == 400
    assert "This reset link is missing, used or expired." in page(r).text


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_reset_account": "1/minute"}])
def test_too_many_reset_requests_say_how_long_to_wait(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    assert ask_for_reset(client).status_code == 303
    r = ask_for_reset(client)
    assert r.status_code == 429
    assert "Too many attempts. Try again in" in page(r).text
    assert page(r).by_id("email").attrs["value"] == "ada@acme.io"
    assert len(reset_mails(app)) == 1


def test_blank_reset_request_names_the_fields(client: TestClient) -> None:
    r = ask_for_reset(client, organization="", email="")
    assert r.status_code == 422
    form = page(r)
    assert form.by_id("organization-error").text == "Enter your organization's sign-in name."
    assert form.by_id("email-error").text == "Enter your email address."
