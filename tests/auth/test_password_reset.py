"""Forgot password and reset: the same answer for every email, a link built from the configured
base URL only, single use, expiry, sessions ended, and the password rules on the new one."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.auth.conftest import (
    EMAIL,
    assert_problem,
    audit_events,
    cookie_value,
    forgot,
    login,
    me_with_cookie,
    set_status,
)
from tests.fixtures.factories import PASSWORD, Factory, SignedIn, db_session
from usher.config import Settings
from usher.kit import clock
from usher.kit.tokens import hash_token
from usher.models import OutboxMessage, PasswordReset
from usher.models.user import UserStatus

NEW_PASSWORD = "copper kettles hum softly"
LINK = re.compile(r"(https?://[^\s\"'<>]+)/reset/([A-Za-z0-9_-]+)")


def reset_mails(app: FastAPI) -> list[OutboxMessage]:
    with db_session(app) as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "password_reset")
                .order_by(OutboxMessage.created_at)
            )
        )


def request_link(app: FastAPI, client: TestClient, email: str = EMAIL, **kwargs: object) -> str:
    """Ask for a reset link and return the token the mail carries."""
    before = len(reset_mails(app))
    assert forgot(client, email=email, **kwargs).status_code == 202  # type: ignore[arg-type]
    mail = reset_mails(app)[before]
    match = LINK.search(mail.body_text)
    assert match is not None, mail.body_text
    return match.group(2)


def reset(client: TestClient, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return client.post("/api/v1/auth/password/reset", json={"token": token, "password": password})


def test_forgot_answers_the_same_for_known_and_unknown_accounts(
    app: FastAPI, client: TestClient, admin: SignedIn, member: SignedIn, pending_email: str
) -> None:
    set_status(app, member.email, UserStatus.disabled)
    answers = [
        forgot(client),
        forgot(client, email="nobody@acme.io"),
        forgot(client, organization="globex"),
        forgot(client, email=pending_email),
        forgot(client, email=member.email),
    ]
    assert {r.status_code for r in answers} == {202}
    assert len({r.content for r in answers}) == 1
    assert len({r.headers["content-type"] for r in answers}) == 1
    # Only the active account got a mail.
    assert [m.recipient for m in reset_mails(app)] == [EMAIL]


def test_the_mail_carries_a_link_on_the_configured_base_url(
    app: FastAPI, settings: Settings, client: TestClient, admin: SignedIn
) -> None:
    token = request_link(app, client)

    [mail] = reset_mails(app)
    assert mail.recipient == EMAIL
    assert f"{settings.base_url}/reset/{token}" in mail.body_text
    assert f"{settings.base_url}/reset/{token}" in mail.body_html
    assert settings.base_url == "http://usher.test"
    # Stored only as its hash, and alive for the configured minutes.
    with db_session(app) as s:
        row = s.scalar(select(PasswordReset))
        assert row is not None
        assert row.token_hash == hash_token(token)
        assert token not in repr(row.__dict__)
    lifetime = timedelta(minutes=settings.password_reset_minutes)
    assert abs((row.expires_at - row.created_at) - lifetime) < timedelta(minutes=1)


FORGED_HOSTS = [
    {"host": "evil.example"},
    {"x-forwarded-host": "evil.example", "x-forwarded-proto": "https"},
    {"forwarded": "host=evil.example;proto=https"},
    {"host": "evil.example", "x-forwarded-host": "evil.example", "x-host": "evil.example"},
]


def test_a_forged_host_header_never_reaches_the_link(
    app: FastAPI, client: TestClient, admin: SignedIn
) -> None:
    for headers in FORGED_HOSTS:
        request_link(app, client, headers=headers)

    mails = reset_mails(app)
    assert len(mails) == len(FORGED_HOSTS)
    for mail in mails:
        links = [m.group(1) for m in LINK.finditer(mail.body_text + mail.body_html)]
        assert links and set(links) == {"http://usher.test"}
        assert "evil" not in mail.body_text + mail.body_html


def test_reset_changes_the_password_and_ends_every_session(
    app: FastAPI, factory: Factory, admin: SignedIn
) -> None:
    c = factory.new_client()
    old_session = cookie_value(login(c))
    token = request_link(app, c)

    r = reset(factory.new_client(), token)

    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert admin.client.get("/api/v1/me").status_code == 401
    assert me_with_cookie(app, old_session).status_code == 401
    assert_problem(login(factory.new_client(), password=PASSWORD), 401, "invalid_credentials")
    assert login(factory.new_client(), password=NEW_PASSWORD).status_code == 200
    [event] = audit_events(app, "auth.password_reset")
    assert event.outcome == "success" and event.actor_label == EMAIL


def test_a_reset_link_works_once(app: FastAPI, client: TestClient, admin: SignedIn) -> None:
    token = request_link(app, client)
    assert reset(client, token).status_code == 200

    again = reset(client, token, "another fine passphrase here")

    assert_problem(again, 400, "reset_link_invalid")
    assert login(client, password="another fine passphrase here").status_code == 401
    assert login(client, password=NEW_PASSWORD).status_code == 200


def test_using_one_link_ends_the_other_links_mailed_earlier(
    app: FastAPI, client: TestClient, admin: SignedIn
) -> None:
    older = request_link(app, client)
    newer = request_link(app, client)
    assert older != newer

    assert reset(client, newer).status_code == 200

    assert_problem(reset(client, older, "another fine passphrase here"), 400, "reset_link_invalid")
    assert login(client, password=NEW_PASSWORD).status_code == 200


def test_an_expired_reset_link_is_refused(
    app: FastAPI, client: TestClient, admin: SignedIn
) -> None:
    token = request_link(app, client)
    with db_session(app) as s:
        for row in s.scalars(select(PasswordReset)):
            row.expires_at = clock.now() - timedelta(seconds=1)

    assert_problem(reset(client, token), 400, "reset_link_invalid")
    assert login(client, password=PASSWORD).status_code == 200


WEAK = [
    ("short one", "at least 15 characters"),
    ("passwordpassword", "Too easy to guess"),
    ("lovelace piano meadow", "name, email or organization"),
    ("acme corp forever and ever", "name, email or organization"),
    ("piano meadow ada@acme.io", "name, email or organization"),
]


def test_a_weak_new_password_is_refused_with_the_reason_and_the_link_still_works(
    app: FastAPI, client: TestClient, admin: SignedIn
) -> None:
    token = request_link(app, client)

    for password, reason in WEAK:
        body = assert_problem(reset(client, token, password), 422, "validation_failed")
        assert reason in " ".join(body["errors"]["password"]), password
        assert reason in body["detail"]

    assert login(client, password=PASSWORD).status_code == 200
    assert reset(client, token).status_code == 200
    assert login(client, password=NEW_PASSWORD).status_code == 200


def test_a_new_password_of_any_alphabet_and_no_composition_rules_is_accepted(
    app: FastAPI, client: TestClient, admin: SignedIn
) -> None:
    token = request_link(app, client)
    passphrase = "пароль из многих слов"
    assert reset(client, token, passphrase).status_code == 200
    assert login(client, password=passphrase).status_code == 200


def test_an_unknown_reset_link_is_refused(client: TestClient, admin: SignedIn) -> None:
    for token in ["x", "not-a-real-token-" + "a" * 40]:
        assert_problem(reset(client, token), 400, "reset_link_invalid")


def test_a_link_of_a_user_disabled_since_is_refused(
    app: FastAPI, client: TestClient, admin: SignedIn, member: SignedIn
) -> None:
    token = request_link(app, client, email=member.email)
    set_status(app, member.email, UserStatus.disabled)
    assert_problem(reset(client, token), 400, "reset_link_invalid")
