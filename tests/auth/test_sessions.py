"""Sessions end after the idle timeout and after the absolute lifetime, whatever the activity."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select

from tests.auth.conftest import assert_problem, cookie_value, login, me_with_cookie
from tests.fixtures.factories import Factory, SignedIn, db_session
from usher.config import Settings
from usher.kit import clock
from usher.kit.tokens import hash_token
from usher.models import UserSession


def _move_session(app: FastAPI, value: str, **shift: timedelta) -> UserSession:
    """Move a session's timestamps back in time, as if that much time had passed."""
    with db_session(app) as s:
        row = s.scalar(select(UserSession).where(UserSession.token_hash == hash_token(value)))
        assert row is not None
        for column, delta in shift.items():
            setattr(row, column, getattr(row, column) - delta)
        return row


def _session(app: FastAPI, value: str) -> UserSession:
    with db_session(app) as s:
        row = s.scalar(select(UserSession).where(UserSession.token_hash == hash_token(value)))
        assert row is not None
        return row


def test_a_new_session_lives_for_the_absolute_lifetime(
    app: FastAPI, settings: Settings, factory: Factory, admin: SignedIn
) -> None:
    r = login(factory.new_client())
    row = _session(app, cookie_value(r))
    lifetime = timedelta(hours=settings.session_absolute_hours)
    assert abs((row.expires_at - row.created_at) - lifetime) < timedelta(minutes=1)
    assert f"max-age={int(lifetime.total_seconds())}" in r.headers["set-cookie"].lower()


def test_an_idle_session_ends(
    app: FastAPI, settings: Settings, factory: Factory, admin: SignedIn
) -> None:
    value = cookie_value(login(factory.new_client()))
    idle = timedelta(minutes=settings.session_idle_minutes)

    _move_session(app, value, last_seen_at=idle + timedelta(seconds=1))

    assert_problem(me_with_cookie(app, value), 401, "not_authenticated")


def test_activity_within_the_idle_timeout_keeps_the_session(
    app: FastAPI, settings: Settings, factory: Factory, admin: SignedIn
) -> None:
    value = cookie_value(login(factory.new_client()))
    idle = timedelta(minutes=settings.session_idle_minutes)
    almost = idle - timedelta(minutes=2)

    # Twice "almost idle": the request in between counts as activity and moves last_seen_at,
    # so the session is still alive after more than the idle timeout in total.
    _move_session(app, value, last_seen_at=almost)
    assert me_with_cookie(app, value).status_code == 200
    _move_session(app, value, last_seen_at=almost)
    assert me_with_cookie(app, value).status_code == 200


def test_activity_does_not_extend_the_absolute_lifetime(
    app: FastAPI, settings: Settings, factory: Factory, admin: SignedIn
) -> None:
    value = cookie_value(login(factory.new_client()))
    expires_at = _session(app, value).expires_at
    lifetime = timedelta(hours=settings.session_absolute_hours)

    assert me_with_cookie(app, value).status_code == 200
    assert _session(app, value).expires_at == expires_at

    # Created a whole lifetime ago and used a moment ago: still over.
    _move_session(app, value, created_at=lifetime, expires_at=lifetime + timedelta(seconds=1))
    with db_session(app) as s:
        row = s.scalar(select(UserSession).where(UserSession.token_hash == hash_token(value)))
        assert row is not None
        row.last_seen_at = clock.now()
    assert_problem(me_with_cookie(app, value), 401, "not_authenticated")
