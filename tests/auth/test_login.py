"""Sign in and out: a new server-side session at every sign-in, the cookie's attributes, /me,
the same answer for every kind of refusal, and an audit event for every attempt."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.auth.conftest import (
    COOKIE,
    EMAIL,
    ORG,
    assert_problem,
    audit_events,
    cookie_value,
    login,
    me_with_cookie,
    set_cookie_headers,
    set_status,
)
from tests.fixtures.factories import PASSWORD, Factory, SignedIn, db_session
from usher.kit.tokens import hash_token
from usher.models import UserSession
from usher.models.user import UserStatus

WRONG = "granite lantern orbit 77"


def test_sign_in_sets_a_session_cookie_and_me_answers(factory: Factory, admin: SignedIn) -> None:
    c = factory.new_client()
    assert c.get("/api/v1/me").status_code == 401

    r = login(c)

    assert r.status_code == 200, r.text
    assert r.json()["email"] == EMAIL
    assert r.json()["organization"]["slug"] == ORG
    assert r.headers["cache-control"] == "no-store"
    me = c.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == admin.user_id
    assert me.json()["is_org_admin"] is True


def test_the_cookie_is_httponly_samesite_lax_path_root_and_not_secure_in_development(
    factory: Factory, admin: SignedIn
) -> None:
    r = login(factory.new_client())

    [header] = [h for h in set_cookie_headers(r) if h.startswith(f"{COOKIE}=")]
    attributes = [a.strip().lower() for a in header.split(";")[1:]]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes
    assert not any(a.startswith("domain=") for a in attributes)


def test_slug_and_email_are_matched_whatever_their_case(factory: Factory, admin: SignedIn) -> None:
    r = login(factory.new_client(), organization=" ACME-Corp ", email=" Ada@ACME.io ")
    assert r.status_code == 200, r.text


def test_every_sign_in_gets_a_new_cookie_value(
    app: FastAPI, factory: Factory, admin: SignedIn
) -> None:
    """Decision: a later sign-in does not end earlier sessions (other devices and tabs stay
    signed in); each keeps its own server-side session until logout, idle timeout, absolute
    lifetime or a password reset. The value is never reused or taken from the request."""
    c = factory.new_client()
    first = cookie_value(login(c))
    second = cookie_value(login(c))

    assert first != second
    assert me_with_cookie(app, first).status_code == 200
    assert me_with_cookie(app, second).status_code == 200
    with db_session(app) as s:
        hashes = set(s.scalars(select(UserSession.token_hash)))
    assert {hash_token(first), hash_token(second)} <= hashes


def test_a_cookie_value_planted_before_sign_in_is_never_adopted(
    app: FastAPI, factory: Factory, admin: SignedIn
) -> None:
    planted = "attacker-chosen-session-value-0123456789"
    c = factory.new_client()
    c.cookies.set(COOKIE, planted)

    issued = cookie_value(login(c))

    assert issued != planted
    assert me_with_cookie(app, planted).status_code == 401


def test_logout_ends_the_session_on_the_server(
    app: FastAPI, factory: Factory, admin: SignedIn
) -> None:
    c = factory.new_client()
    value = cookie_value(login(c))
    other_device = cookie_value(login(factory.new_client()))

    r = c.post("/api/v1/auth/logout")

    assert r.status_code == 204
    cleared = [h for h in set_cookie_headers(r) if h.startswith(f"{COOKIE}=")]
    assert cleared and "max-age=0" in cleared[0].lower()
    # The old value, replayed by someone who kept it, no longer works.
    assert_problem(me_with_cookie(app, value), 401, "not_authenticated")
    assert c.get("/api/v1/me").status_code == 401
    # Logging out here does not sign out the other device.
    assert me_with_cookie(app, other_device).status_code == 200
    with db_session(app) as s:
        row = s.scalar(select(UserSession).where(UserSession.token_hash == hash_token(value)))
        assert row is not None and row.revoked_at is not None
    [event] = audit_events(app, "auth.logout")
    assert event.actor_label == EMAIL


def test_logout_without_a_session_is_401(client: TestClient) -> None:
    assert_problem(client.post("/api/v1/auth/logout"), 401, "not_authenticated")


def test_a_disabled_user_loses_their_open_sessions(
    app: FastAPI, factory: Factory, admin: SignedIn, member: SignedIn
) -> None:
    value = cookie_value(login(factory.new_client(), email=member.email))
    set_status(app, member.email, UserStatus.disabled)
    assert me_with_cookie(app, value).status_code == 401


def _refusals(app: FastAPI, factory: Factory, pending_email: str) -> dict[str, httpx.Response]:
    set_status(app, "grace@acme.io", UserStatus.disabled)
    c = factory.new_client()
    cases = {
        "wrong_password": login(c, password=WRONG),
        "unknown_user": login(c, email="nobody@acme.io"),
        "unknown_organization": login(c, organization="globex"),
        "pending_user": login(c, email=pending_email),
        "disabled_user_right_password": login(c, email="grace@acme.io"),
    }
    assert all(COOKIE not in r.headers.get("set-cookie", "") for r in cases.values())
    return cases


def test_every_refusal_answers_exactly_the_same(
    app: FastAPI, factory: Factory, member: SignedIn, pending_email: str
) -> None:
    with db_session(app) as s:
        sessions_before = s.scalar(select(func.count()).select_from(UserSession))
    cases = _refusals(app, factory, pending_email)

    with db_session(app) as s:  # no refusal started a session
        assert s.scalar(select(func.count()).select_from(UserSession)) == sessions_before
    first = cases["wrong_password"]
    assert_problem(first, 401, "invalid_credentials")
    for name, r in cases.items():
        assert r.status_code == first.status_code, name
        assert r.content == first.content, name
        assert r.headers["content-type"] == first.headers["content-type"], name


def test_every_attempt_is_audited_with_its_outcome(
    app: FastAPI, factory: Factory, member: SignedIn, pending_email: str
) -> None:
    assert login(factory.new_client()).status_code == 200
    _refusals(app, factory, pending_email)

    events = audit_events(app, "auth.login")
    assert [(e.outcome, e.details.get("reason")) for e in events] == [
        ("success", None),
        ("failure", "wrong_password"),
        ("failure", "unknown_user"),
        ("failure", "unknown_organization"),
        ("failure", "user_pending"),  # not "wrong_password": a pending user has none yet
        ("failure", "user_disabled"),
    ]
    assert events[0].actor_id is not None and str(events[0].actor_id) == events[0].target_id
    assert [e.actor_label for e in events] == [
        EMAIL,
        EMAIL,
        "nobody@acme.io",
        EMAIL,
        pending_email,
        "grace@acme.io",
    ]
    assert all(e.ip == "testclient" for e in events)
    assert events[3].organization_id is None
    assert all(e.organization_id is not None for e in events[:3] + events[4:])


def test_near_misses_of_the_password_are_refused(factory: Factory, admin: SignedIn) -> None:
    c = factory.new_client()
    for password in [PASSWORD.upper(), PASSWORD + " ", PASSWORD[:-1], " " + PASSWORD]:
        assert_problem(login(c, password=password), 401, "invalid_credentials")
