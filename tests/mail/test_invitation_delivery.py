"""Invitation email end to end: through the API, the outbox, the worker and a real SMTP
server, and back through the link it carries."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.fixtures.factories import PASSWORD, Factory, SignedIn, db_session, invite, token_of
from tests.fixtures.smtp import Received, SmtpServer, running_workers, wait_until
from usher.config import Settings
from usher.kit.tokens import hash_token
from usher.models import Invitation, OutboxMessage
from usher.models.outbox_message import OutboxStatus

LINK = re.compile(r"https?://\S+")


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:
    # Small batches, so concurrent workers interleave their claims.
    return {"smtp_url": smtp_server.url, "mail_batch_size": 5}


def email_invite(admin: SignedIn, email: str, **fields: Any) -> dict[str, Any]:
    r = invite(admin.client, email=email, invite_method="email", **fields)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def delivery(client: TestClient, user_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/users/{user_id}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()["invitation"]["delivery"]
    return found


def link_in(mail: Received) -> str:
    found = LINK.search(mail.part("plain"))
    assert found, mail.part("plain")
    return found.group(0)


def outbox_for(app: FastAPI, recipient: str) -> list[OutboxMessage]:
    with db_session(app) as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == recipient)
                .order_by(OutboxMessage.created_at)
            )
        )


@pytest.mark.parametrize("workers", [1, 2])
def test_invites_made_while_smtp_is_down_arrive_exactly_once_when_it_is_back(
    app: FastAPI, admin: SignedIn, smtp_server: SmtpServer, workers: int
) -> None:
    smtp_server.stop()
    users: dict[str, str] = {}
    with running_workers(app, workers) as running:
        for n in range(50):
            email = f"person{n:02d}@example.com"
            created = email_invite(admin, email, first_name=f"Person{n:02d}")
            # Answered inside the transaction that queued it: no worker has seen it yet.
            assert created["invitation"]["delivery"]["state"] == "queued"
            users[email] = created["id"]

        for email, user_id in users.items():
            retrying = wait_until(
                lambda uid=user_id: (d := delivery(admin.client, uid))["state"] == "retrying" and d,
                what=f"{email} to be retrying",
            )
            assert retrying["attempts"] > 0
            assert f"127.0.0.1:{smtp_server.port}" in retrying["last_error"]
            assert retrying["sent_at"] is None
        assert smtp_server.received == []

        smtp_server.start()
        smtp_server.wait_for(len(users))
        wait_until(
            lambda: all(delivery(admin.client, uid)["state"] == "sent" for uid in users.values()),
            what="every invitation sent",
        )
        worker_ids = {w.worker_id for w in running}

    # The workers have stopped: whatever arrived is all that will ever arrive.
    per_recipient = Counter(r for mail in smtp_server.received for r in mail.rcpt_tos)
    assert per_recipient == Counter(users.keys())
    assert Counter(mail.to for mail in smtp_server.received) == Counter(users.keys())
    for user_id in users.values():
        sent = delivery(admin.client, user_id)
        assert sent["state"] == "sent"
        assert sent["sent_at"] is not None
        assert sent["attempts"] >= 2  # at least one failed try, then the one that went
    with db_session(app) as session:
        senders = set(session.scalars(select(OutboxMessage.claimed_by)))
    # Only these workers sent (which of them took which message is up to the scheduler).
    assert senders and senders <= worker_ids


def test_emailed_invitation_registers_the_user(
    app: FastAPI, admin: SignedIn, factory: Factory, smtp_server: SmtpServer, settings: Settings
) -> None:
    created = email_invite(admin, "grace@acme.io", personal_email="grace.hopper@example.com")
    assert created["registration_url"] is None  # the link goes by mail only

    with running_workers(app):
        [mail] = smtp_server.wait_for(1)

    assert mail.rcpt_tos == ["grace.hopper@example.com"]
    assert mail.message["From"] == settings.mail_from
    assert mail.message["Message-ID"] and mail.message["Date"]
    assert mail.message.get_content_type() == "multipart/alternative"
    assert "Acme Corp" in mail.message["Subject"]
    link = link_in(mail)
    assert link.startswith(f"{settings.base_url}/register/")
    assert f'href="{link}"' in mail.part("html")

    visitor = factory.new_client()
    r = visitor.post(f"/api/v1/invitations/{token_of(link)}/accept", json={"password": PASSWORD})
    assert r.status_code == 200, r.text

    signed_in = factory.new_client()
    r = signed_in.post(
        "/api/v1/auth/login",
        json={"organization": admin.org_slug, "email": "grace@acme.io", "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    me = signed_in.get("/api/v1/me").json()
    assert me["email"] == "grace@acme.io"
    assert me["status"] == "active"
    assert me["registered_at"] is not None
    assert delivery(admin.client, created["id"])["state"] == "sent"


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        {"Forwarded": "for=203.0.113.9;host=evil.example;proto=https"},
    ],
    ids=["host", "x-forwarded-host", "forwarded"],
)
def test_forged_host_headers_never_reach_the_mailed_link(
    app: FastAPI,
    admin: SignedIn,
    smtp_server: SmtpServer,
    settings: Settings,
    headers: dict[str, str],
) -> None:
    r = admin.client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@acme.io",
            "invite_method": "email",
        },
    )
    assert r.status_code == 201, r.text

    with running_workers(app):
        [mail] = smtp_server.wait_for(1)

    assert link_in(mail).startswith("http://usher.test/register/")
    assert settings.base_url == "http://usher.test"
    assert "evil.example" not in mail.message.as_string()


def test_a_refused_recipient_fails_for_good_and_the_others_still_go(
    app: FastAPI, admin: SignedIn, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse("nobody@example.com")
    refused = email_invite(admin, "nobody@example.com")
    fine = email_invite(admin, "grace@example.com")

    with running_workers(app):
        assert [m.rcpt_tos for m in smtp_server.wait_for(1)] == [["grace@example.com"]]
        failed = wait_until(
            lambda: (d := delivery(admin.client, refused["id"]))["state"] == "failed" and d,
            what="the refused invitation to fail",
        )
        wait_until(
            lambda: delivery(admin.client, fine["id"])["state"] == "sent",
            what="the other invitation to be sent",
        )

    assert failed["attempts"] == 1  # refused for good: not retried
    assert failed["last_error"].startswith("SMTP 550")
    assert failed["sent_at"] is None
    [message] = outbox_for(app, "nobody@example.com")
    assert (message.status, message.body_text, message.body_html) == (OutboxStatus.failed, "", "")
    assert len(smtp_server.received) == 1


def test_a_resend_before_delivery_cancels_the_old_message(
    app: FastAPI, admin: SignedIn, factory: Factory, smtp_server: SmtpServer
) -> None:
    user_id = email_invite(admin, "grace@example.com")["id"]
    r = admin.client.post(f"/api/v1/users/{user_id}/invitation/resend")
    assert r.status_code == 200, r.text

    old, new = outbox_for(app, "grace@example.com")
    assert (old.status, old.body_text, old.body_html) == (OutboxStatus.cancelled, "", "")
    assert new.status == OutboxStatus.pending and new.body_text

    with running_workers(app):
        smtp_server.wait_for(1)
        wait_until(
            lambda: delivery(admin.client, user_id)["state"] == "sent",
            what="the new invitation to be sent",
        )

    [mail] = smtp_server.received  # the dead link was never mailed
    token = token_of(link_in(mail))
    with db_session(app) as session:
        live = session.scalars(
            select(Invitation).where(Invitation.outbox_message_id == new.id)
        ).one()
        assert live.token_hash == hash_token(token)
    sent = outbox_for(app, "grace@example.com")[1]
    assert (sent.status, sent.body_text, sent.body_html) == (OutboxStatus.sent, "", "")

    r = factory.new_client().post(
        f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD}
    )
    assert r.status_code == 200, r.text
