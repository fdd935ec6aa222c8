"""Sign-in and password-reset requests are rate limited per IP and per account (organization +
email), answer 429 problem+json with Retry-After, and the refused attempt is audited."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.auth.conftest import EMAIL, FromIp, assert_problem, audit_events, forgot, login
from tests.fixtures.factories import SignedIn, db_session
from usher.models import OutboxMessage

WRONG = "granite lantern orbit 77"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    return dict(getattr(request, "param", {}))


def assert_rate_limited(r: httpx.Response, window_seconds: int) -> None:
    assert_problem(r, 429, "rate_limited")
    assert 1 <= int(r.headers["retry-after"]) <= window_seconds
    assert r.headers["retry-after"] in r.json()["detail"]


@pytest.mark.parametrize(
    "settings_overrides", [{"rate_limit_login_account": "3/minute"}], indirect=True
)
def test_one_account_is_blocked_whatever_the_ip_while_others_are_not(
    app: FastAPI, from_ip: FromIp, admin: SignedIn, member: SignedIn
) -> None:
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"]:
        assert login(from_ip(ip), password=WRONG).status_code == 401

    # A fourth IP, the right password, another spelling of the same account: still blocked.
    assert_rate_limited(login(from_ip("10.0.0.4")), 60)
    assert_rate_limited(login(from_ip("10.0.0.5"), email=" ADA@acme.IO"), 60)
    # Another account, even from an IP that took part, is not blocked.
    assert login(from_ip("10.0.0.1"), email=member.email).status_code == 200
    assert login(from_ip("10.0.0.1"), email="nobody@acme.io").status_code == 401

    events = audit_events(app, "auth.login")
    limited = [e for e in events if e.details.get("reason") == "rate_limited"]
    assert [(e.outcome, e.actor_label, e.ip) for e in limited] == [
        ("failure", EMAIL, "10.0.0.4"),
        ("failure", EMAIL, "10.0.0.5"),
    ]
    assert all(e.organization_id is not None for e in limited)


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_login_ip": "3/minute"}], indirect=True)
def test_one_ip_is_blocked_whatever_the_account(
    app: FastAPI, from_ip: FromIp, admin: SignedIn, member: SignedIn
) -> None:
    attacker = from_ip("203.0.113.9")
    for email in ["a@acme.io", "b@acme.io", "c@acme.io"]:
        assert login(attacker, email=email, password=WRONG).status_code == 401

    assert_rate_limited(login(attacker, email=member.email), 60)
    assert_rate_limited(login(attacker, organization="globex", email="x@globex.io"), 60)
    # Another IP signs in to the same accounts normally.
    assert login(from_ip("198.51.100.7"), email=member.email).status_code == 200
    assert login(from_ip("198.51.100.7")).status_code == 200

    limited = [
        e for e in audit_events(app, "auth.login") if e.details.get("reason") == "rate_limited"
    ]
    assert [(e.actor_label, e.ip) for e in limited] == [
        (member.email, "203.0.113.9"),
        ("x@globex.io", "203.0.113.9"),
    ]


@pytest.mark.parametrize(
    "settings_overrides", [{"rate_limit_login_account": "2 per 15 minutes"}], indirect=True
)
def test_retry_after_follows_the_window(from_ip: FromIp, admin: SignedIn) -> None:
    for _ in range(2):
        assert login(from_ip("10.0.0.1"), password=WRONG).status_code == 401
    r = login(from_ip("10.0.0.1"))
    assert_rate_limited(r, 15 * 60)
    # The window is 15 minutes: the wait is minutes, not seconds.
    assert int(r.headers["retry-after"]) > 60


@pytest.mark.parametrize(
    "settings_overrides", [{"rate_limit_reset_account": "2/minute"}], indirect=True
)
def test_password_reset_requests_are_limited_per_account(
    app: FastAPI, from_ip: FromIp, admin: SignedIn, member: SignedIn
) -> None:
    assert forgot(from_ip("10.0.0.1")).status_code == 202
    assert forgot(from_ip("10.0.0.2")).status_code == 202

    assert_rate_limited(forgot(from_ip("10.0.0.3")), 60)
    # Unknown accounts are limited the same way, so the 429 tells nothing about existence.
    assert forgot(from_ip("10.0.0.1"), email="nobody@acme.io").status_code == 202
    assert forgot(from_ip("10.0.0.1"), email="nobody@acme.io").status_code == 202
    assert_rate_limited(forgot(from_ip("10.0.0.2"), email="nobody@acme.io"), 60)
    assert forgot(from_ip("10.0.0.1"), email=member.email).status_code == 202

    with db_session(app) as s:
        sent = s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "password_reset")
        )
    assert sent == 3  # two for Ada, one for Grace; none for the refused request
    limited = [
        e
        for e in audit_events(app, "auth.password_reset_requested")
        if e.details.get("reason") == "rate_limited"
    ]
    assert [e.actor_label for e in limited] == [EMAIL, "nobody@acme.io"]


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_reset_ip": "2/minute"}], indirect=True)
def test_password_reset_requests_are_limited_per_ip(
    from_ip: FromIp, admin: SignedIn, member: SignedIn
) -> None:
    attacker = from_ip("203.0.113.9")
    assert forgot(attacker, email="a@acme.io").status_code == 202
    assert forgot(attacker, email="b@acme.io").status_code == 202
    assert_rate_limited(forgot(attacker, email=member.email), 60)
    assert forgot(from_ip("198.51.100.7"), email=member.email).status_code == 202
