"""Without USHER_SMTP_URL, mail is written as .eml files under var/mail/ and logged."""

from __future__ import annotations

import email
import email.policy
import logging
from email.message import EmailMessage

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tests.fixtures.factories import SignedIn, db_session, invite
from usher.config import Settings
from usher.mail.worker import MailWorker
from usher.models import OutboxMessage
from usher.models.outbox_message import OutboxStatus


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"smtp_url": ""}  # whatever the environment says


def test_without_smtp_url_an_invitation_lands_in_the_mail_dir(
    app: FastAPI, admin: SignedIn, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    r = invite(admin.client, email="grace@example.com", invite_method="email")
    assert r.status_code == 201, r.text
    caplog.set_level(logging.INFO, logger="usher.mail")

    assert MailWorker(app.state.session_factory, settings).run_once() == 1

    [path] = settings.mail_dir.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "grace@example.com"
    assert message["From"] == settings.mail_from
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert f"{settings.base_url}/register/" in text.get_content()  # type: ignore[attr-defined]

    [line] = [
        r.getMessage()
        for r in caplog.records
        if r.name == "usher.mail" and str(path) in r.getMessage()
    ]
    assert "grace@example.com" in line

    with db_session(app) as session:
        [row] = session.scalars(select(OutboxMessage)).all()
        assert (row.status, row.body_text, row.sent_at is not None) == (OutboxStatus.sent, "", True)
