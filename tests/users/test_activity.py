"""Last activity follows authenticated use, written at most once a minute."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import FastAPI

from tests.fixtures.factories import SignedIn, db_session
from usher.kit import clock
from usher.models import User


def _activity(app: FastAPI, user_id: str) -> object:
    with db_session(app) as s:
        user = s.get(User, uuid.UUID(user_id))
        assert user is not None
        return user.last_activity_at


def test_last_activity_is_throttled(app: FastAPI, admin: SignedIn) -> None:
    first = _activity(app, admin.user_id)
    assert first is not None
    for _ in range(3):
        assert admin.client.get("/api/v1/me").status_code == 200
    assert _activity(app, admin.user_id) == first  # no write on every request

    with db_session(app) as s:
        user = s.get(User, uuid.UUID(admin.user_id))
        assert user is not None
        user.last_activity_at = clock.now() - timedelta(minutes=5)
        stale = user.last_activity_at
    admin.client.get("/api/v1/me")
    fresh = _activity(app, admin.user_id)
    assert isinstance(fresh, type(stale)) and fresh > stale
    listed = admin.client.get("/api/v1/users", params={"q": "ada@acme.io"}).json()["items"][0]
    assert listed["last_activity_at"] is not None
