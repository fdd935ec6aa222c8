"""Sign in, sign out and My account through the pages."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from tests.fixtures.factories import PASSWORD, Factory, SignedIn, db_session
from tests.web.pages import csrf_for, page
from usher.models import AuditEvent


def sign_in(
    client: TestClient,
    *,
    organization: str = "acme-corp",
    email: str = "ada@acme.io",
    password: str = PASSWORD,
) -> Response:
    csrf = csrf_for(client, "/login")
    response: Response = client.post(
        "/login",
        data={
            "csrf_token": csrf,
            "organization": organization,
            "email": email,
            "password": password,
        },
        follow_redirects=False,
    )
    return response


def login_failures(app: FastAPI) -> list[dict[str, object]]:
    with db_session(app) as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "auth.login", AuditEvent.outcome == "failure"
            )
        )
        return [e.details for e in events]


def test_sign_in_lands_on_my_account(admin: SignedIn, client: TestClient) -> None:
    r = sign_in(client)
    assert r.status_code == 303
    assert r.headers["location"] == "/account"

    r2 = client.get("/account")
    assert r2.status_code == 200
    account = page(r2)
    header = account.by_tag("header").text
    assert "Usher" in header and "Acme Corp" in header and "Sign out" in header
    assert "Ada Lovelace" in header
    details = account.by_tag("dl").text
    for expected in [
        "Ada Lovelace",
        "ada@acme.io",
        "Acme Corp",
        "acme-corp",
        "Active",
        "Organization Admin",
    ]:
        assert expected in details
    # Registration and activity times are <time> elements the script puts in local time.
    times = account.all("time")
    assert len(times) == 2
    assert all((t.attrs["datetime"] or "").endswith("+00:00") for t in times)
    assert all(t.text.endswith("UTC") for t in times)


def test_a_member_sees_their_own_account(
    factory: Factory, admin: SignedIn, client: TestClient
) -> None:
    factory.member(admin)
    sign_in(client, email="grace@acme.io")
    details = page(client.get("/account")).by_tag("dl").text
    assert "Grace Hopper" in details and "grace@acme.io" in details
    assert "Not in any team yet" in details
    assert "Ada" not in details


@pytest.mark.parametrize(
    "organization, email, password, reason",
    [
        ("acme-corp", "ada@acme.io", "wrong password entirely", "wrong_password"),
        ("acme-corp", "nobody@acme.io", PASSWORD, "unknown_user"),
        ("no-such-org", "ada@acme.io", PASSWORD, "unknown_organization"),
    ],
)
def test_every_failed_sign_in_answers_the_same_and_is_audited(
    app: FastAPI,
    admin: SignedIn,
    client: TestClient,
    organization: str,
    email: str,
    password: str,
    reason: str,
) -> None:
    r = sign_in(client, organization=organization, email=email, password=password)
    assert r.status_code == 401
    form = page(r)
    assert form.by_tag("body").text.count("The organization, email or password is incorrect.") == 1
    # What was typed stays, except the password.
    assert form.by_id("organization").attrs["value"] == organization
    assert form.by_id("email").attrs["value"] == email
    assert "value" not in form.by_id("password").attrs
    assert "usher_session" not in r.headers.get("set-cookie", "")
    # The refusal was caught to render the form, yet its audit event was committed.
    assert login_failures(app) == [{"reason": reason}]


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_login_account": "2/minute"}])
def test_too_many_attempts_say_how_long_to_wait(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    for _ in range(2):
        sign_in(client, password="wrong password entirely")
    r = sign_in(client)  # even the right password waits
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    text = page(r).text
    assert "Too many attempts. Try again in" in text and "seconds" in text
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login"


def test_blank_fields_are_named_without_asking_the_service(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    r = sign_in(client, organization=" ", email="", password="")
    assert r.status_code == 422
    form = page(r)
    assert form.by_id("organization-error").text == "Enter your organization's sign-in name."
    assert form.by_id("email-error").text == "Enter your email address."
    assert form.by_id("password-error").text == "Enter your password."
    assert login_failures(app) == []


@pytest.mark.parametrize("field", ["organization", "email"])
def test_control_characters_are_named_not_sent_to_the_database(
    app: FastAPI, admin: SignedIn, client: TestClient, field: str
) -> None:
    values = {"organization": "acme-corp", "email": "ada@acme.io", field: "ada\x00corp"}
    r = sign_in(client, organization=values["organization"], email=values["email"])
    assert r.status_code == 422
    assert "Remove the control characters" in page(r).by_id(f"{field}-error").text
    assert login_failures(app) == []


def test_sign_in_without_a_csrf_token_is_refused(admin: SignedIn, client: TestClient) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={"organization": "acme-corp", "email": "ada@acme.io", "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "Reload the page" in page(r).text
    assert "usher_session" not in r.headers.get("set-cookie", "")


def test_sign_out_ends_the_session(admin: SignedIn, client: TestClient) -> None:
    sign_in(client)
    old_session = client.cookies["usher_session"]
    csrf = csrf_for(client, "/account")

    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?done=signed_out"
    assert 'usher_session=""' in r.headers["set-cookie"]
    assert "You have signed out." in page(client.get(r.headers["location"])).text
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login"
    # The old cookie is dead on the server, not only forgotten by the browser.
    with TestClient(client.app) as other:
        other.cookies.set("usher_session", old_session)
        assert other.get("/api/v1/me").status_code == 401


def test_sign_out_without_a_csrf_token_is_refused(admin: SignedIn, client: TestClient) -> None:
    sign_in(client)
    r = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert any(a.attrs.get("href") == "/" for a in page(r).all("a"))
    assert client.get("/account").status_code == 200


def test_my_account_needs_sign_in(client: TestClient) -> None:
    r = client.get("/account", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"


def test_an_ended_session_is_told_and_its_cookie_cleared(
    admin: SignedIn, client: TestClient
) -> None:
    client.cookies.set("usher_session", "not-a-session")
    r = client.get("/account", follow_redirects=False)
    assert r.headers["location"] == "/login?done=session_ended"
    assert 'usher_session=""' in r.headers["set-cookie"]
    notice = page(client.get(r.headers["location"])).text
    assert "Your session has ended. Sign in again." in notice


def test_the_front_door_and_sign_in_page_lead_where_they_should(
    admin: SignedIn, client: TestClient
) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    sign_in(client)
    assert client.get("/", follow_redirects=False).headers["location"] == "/account"
    assert client.get("/login", follow_redirects=False).headers["location"] == "/account"


def test_the_sign_in_page_takes_the_organization_from_the_link_only(client: TestClient) -> None:
    r = client.get("/login?organization=acme-corp&done=<b>planted</b>")
    form = page(r)
    assert form.by_id("organization").attrs["value"] == "acme-corp"
    assert "planted" not in r.text
    assert not [e for e in form.elements if e.attrs.get("role") in ("status", "alert")]
    labels = {
        e.attrs["id"]: form.label_for(e.attrs["id"] or "")
        for e in form.all("input")
        if e.attrs.get("type") != "hidden"
    }
    assert labels == {"organization": "Organization", "email": "Email", "password": "Password"}
