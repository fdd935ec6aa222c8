"""Invitations are rate limited per inviting admin and per IP."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.fixtures.factories import SignedIn, db_session, invite
from usher.models import User


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"rate_limit_invite_account": "3/minute"}


def test_invites_over_the_limit_get_429_with_retry_after(app: FastAPI, admin: SignedIn) -> None:
    for i in range(3):
        assert invite(admin.client, email=f"u{i}@acme.io").status_code == 201
    r = invite(admin.client, email="u3@acme.io")
    assert r.status_code == 429
    assert r.json()["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) >= 1
    with db_session(app) as s:
        assert (
            s.scalar(select(func.count()).select_from(User).where(User.email == "u3@acme.io")) == 0
        )
