"""No password or token, right or wrong, ends up in an audit event, a stored row or the logs."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tests.auth.conftest import COOKIE, cookie_value, forgot, login
from tests.fixtures.factories import PASSWORD, Factory, SignedIn, db_session
from usher.db.base import Base
from usher.models import AuditEvent, OutboxMessage

WRONG = "wrong horse battery staple 1"
NEW_PASSWORD = "copper kettles hum softly"
BAD_NEW_PASSWORD = "short secret"


def every_stored_value(app: FastAPI, *, skip: set[str]) -> str:
    """Every column of every table, as text (the outbox, which must carry the reset link,
    is left to its own assertions)."""
    dump: list[str] = []
    with db_session(app) as s:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            for row in s.execute(text(f"SELECT * FROM {table.name}")):
                dump.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(dump)


@pytest.fixture
def secrets_in_use(
    app: FastAPI, factory: Factory, admin: SignedIn, caplog: pytest.LogCaptureFixture
) -> dict[str, str]:
    """Run every sign-in flow with logging at DEBUG (SQL and its parameters included) and
    return each secret that went over the wire."""
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy holds its own loggers at WARNING; open them to see statements and parameters.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    c = factory.new_client()
    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG,
        "new password": NEW_PASSWORD,
        "refused new password": BAD_NEW_PASSWORD,
    }

    assert login(c, password=WRONG).status_code == 401
    assert login(c, email="nobody@acme.io", password=WRONG).status_code == 401
    secrets["session"] = cookie_value(login(c))
    secrets["api token"] = c.post("/api/v1/tokens", json={"name": "ci"}).json()["token"]
    assert (
        c.get("/api/v1/me", headers={"Authorization": f"Bearer {secrets['api token']}"}).status_code
        == 200
    )
    assert (
        c.get("/api/v1/me", headers={"Authorization": "Bearer ush_wrong-token-value"}).status_code
        == 401
    )

    assert forgot(c).status_code == 202
    with db_session(app) as s:
        mail = s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "password_reset"))
        assert mail is not None
    match = re.search(r"/reset/([A-Za-z0-9_-]+)", mail.body_text)
    assert match is not None
    secrets["reset token"] = match.group(1)
    reset = "/api/v1/auth/password/reset"
    assert (
        c.post(
            reset, json={"token": secrets["reset token"], "password": BAD_NEW_PASSWORD}
        ).status_code
        == 422
    )
    assert (
        c.post(reset, json={"token": secrets["reset token"], "password": NEW_PASSWORD}).status_code
        == 200
    )
    assert (
        c.post(reset, json={"token": "guessed-token", "password": NEW_PASSWORD}).status_code == 400
    )
    assert login(c, password=NEW_PASSWORD).status_code == 200
    secrets["second session"] = c.cookies[COOKIE]
    assert c.post("/api/v1/auth/logout").status_code == 204
    return secrets


def test_no_secret_in_audit_events_stored_rows_or_logs(
    app: FastAPI, caplog: pytest.LogCaptureFixture, secrets_in_use: dict[str, str]
) -> None:
    with db_session(app) as s:
        events = s.scalars(select(AuditEvent)).all()
        audit = "\n".join(
            repr({c.key: getattr(e, c.key) for c in AuditEvent.__table__.columns}) for e in events
        )
    assert {"auth.login", "api_token.created", "auth.password_reset", "auth.logout"} <= {
        e.action for e in events
    }
    stored = every_stored_value(app, skip={"outbox_messages"})
    assert "ada@acme.io" in stored  # the dump does hold the data
    records = caplog.get_records("setup") + caplog.get_records("call")
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)
    # SQL and its parameters were logged (the unknown email typed in is there), so the check
    # means something.
    assert "SELECT" in logged and "nobody@acme.io" in logged

    for name, secret in secrets_in_use.items():
        assert secret not in audit, f"{name} in an audit event"
        assert secret not in stored, f"{name} in a table"
        assert secret not in logged, f"{name} in the logs"


def test_a_500_does_not_log_the_request_body(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """The catch-all handler logs the traceback; the body with the password is not in it."""
    caplog.set_level(logging.DEBUG)

    @app.post("/boom-test-only")
    def boom(body: dict[str, str]) -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/boom-test-only", json={"password": PASSWORD})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "boom" in caplog.text
    assert PASSWORD not in caplog.text
