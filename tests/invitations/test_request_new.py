"""Asking for a new invitation from a dead link (API): the admins are mailed once a day at most,
the user's row is marked until a new invitation is issued, and only real, pending invitees of
expired, revoked or superseded links may ask."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.fixtures.factories import Factory, SignedIn, accept, db_session, invite, token_of
from usher.invitations import service as invitations
from usher.kit import clock
from usher.kit.client import ClientInfo
from usher.models import AuditEvent, Invitation, OutboxMessage, User

ANSWER = (
    "The administrators of Acme Corp have been asked to send you a new invitation. "
    "It will reach you by email or from one of them directly."
)


def invited(admin: SignedIn, email: str = "grace@acme.io", **fields: Any) -> tuple[str, str]:
    """A pending user invited with a shareable link: their id and the link's token."""
    r = invite(admin.client, email=email, **fields)
    assert r.status_code == 201, r.text
    return r.json()["id"], token_of(r.json()["registration_url"])


def expire(app: FastAPI, user_id: str) -> None:
    with db_session(app) as s:
        s.execute(
            update(Invitation)
            .where(Invitation.user_id == uuid.UUID(user_id))
            .values(expires_at=clock.now() - timedelta(minutes=1))
        )


def ask(client: TestClient, token: str) -> Any:
    return client.post(f"/api/v1/invitations/{token}/request-new")


def requests_mailed(app: FastAPI) -> list[OutboxMessage]:
    with db_session(app) as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "invitation_requested")
                .order_by(OutboxMessage.created_at, OutboxMessage.recipient)
            )
        )


def requested_at(app: FastAPI, user_id: str) -> Any:
    with db_session(app) as s:
        return s.scalar(select(User.invitation_requested_at).where(User.id == uuid.UUID(user_id)))


def audit(app: FastAPI) -> list[AuditEvent]:
    with db_session(app) as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "invitation.requested")
                .order_by(AuditEvent.created_at, AuditEvent.id)
            )
        )


def test_an_expired_link_asks_the_admins_and_marks_the_user(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    user_id, token = invited(admin)
    expire(app, user_id)

    r = ask(client, token)

    assert r.status_code == 202, r.text
    assert r.json() == {"message": ANSWER}
    assert r.headers["cache-control"] == "no-store"
    [mail] = requests_mailed(app)
    assert mail.recipient == admin.email
    assert mail.subject == "Grace Hopper asks for a new invitation to Acme Corp"
    for body in (mail.body_text, mail.body_html):
        assert f"http://usher.test/admin/users/{user_id}" in body
        assert "grace@acme.io" in body
        assert "it has expired" in body
        assert token not in body
    assert requested_at(app, user_id) is not None
    [event] = audit(app)
    assert (event.actor_label, event.target_id) == ("grace@acme.io", user_id)
    assert event.details == {"link": "expired", "admins_notified": 1}

    # The admins see the mark, in the user's record and in the list.
    shown = admin.client.get(f"/api/v1/users/{user_id}").json()
    assert shown["invitation_requested_at"] is not None
    listed = {u["id"]: u for u in admin.client.get("/api/v1/users").json()["items"]}
    assert listed[user_id]["invitation_requested_at"] == shown["invitation_requested_at"]
    assert listed[admin.user_id]["invitation_requested_at"] is None


def test_asking_again_the_same_day_answers_the_same_and_mails_nobody(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    user_id, token = invited(admin)
    expire(app, user_id)
    first = ask(client, token)
    marked = requested_at(app, user_id)

    again = ask(client, token)

    assert again.status_code == first.status_code == 202
    assert again.json() == first.json()
    assert len(requests_mailed(app)) == 1
    assert requested_at(app, user_id) == marked
    assert [e.details["admins_notified"] for e in audit(app)] == [1, 0]


def test_a_day_later_the_admins_are_told_again(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    user_id, token = invited(admin)
    expire(app, user_id)
    ask(client, token)
    with db_session(app) as s:
        s.execute(
            update(User)
            .where(User.id == uuid.UUID(user_id))
            .values(invitation_requested_at=clock.now() - timedelta(days=1, minutes=1))
        )
    assert ask(client, token).status_code == 202
    assert len(requests_mailed(app)) == 2


def test_every_active_admin_is_told_and_nobody_else(
    app: FastAPI, admin: SignedIn, factory: Factory, client: TestClient
) -> None:
    admin_team = next(
        t["id"]
        for t in admin.client.get("/api/v1/teams").json()
        if t["key"] == "organization_admin"
    )
    r = invite(admin.client, email="linus@acme.io", team_ids=[admin_team])
    assert accept(factory.new_client(), r.json()["registration_url"]).status_code == 200
    invite(admin.client, email="pending-admin@acme.io", team_ids=[admin_team])
    factory.member(admin, email="member@acme.io")
    user_id, token = invited(admin)
    expire(app, user_id)

    assert ask(client, token).status_code == 202

    assert sorted(m.recipient for m in requests_mailed(app)) == ["ada@acme.io", "linus@acme.io"]
    assert audit(app)[0].details["admins_notified"] == 2


def test_a_revoked_link_may_ask(app: FastAPI, admin: SignedIn, client: TestClient) -> None:
    user_id, token = invited(admin)
    assert admin.client.post(f"/api/v1/users/{user_id}/invitation/revoke").status_code == 204
    assert ask(client, token).status_code == 202
    [mail] = requests_mailed(app)
    assert "it was withdrawn" in mail.body_text


def test_a_superseded_link_may_ask(app: FastAPI, admin: SignedIn, client: TestClient) -> None:
    user_id, token = invited(admin)
    assert admin.client.post(f"/api/v1/users/{user_id}/invitation/link").status_code == 200
    assert ask(client, token).status_code == 202
    [mail] = requests_mailed(app)
    assert "a newer link replaced it" in mail.body_text


@pytest.mark.parametrize("how", ["link", "resend"])
def test_a_new_invitation_clears_the_mark(
    app: FastAPI, admin: SignedIn, client: TestClient, how: str
) -> None:
    user_id, token = invited(admin, personal_email="grace@home.example")
    expire(app, user_id)
    ask(client, token)
    assert requested_at(app, user_id) is not None

    r = admin.client.post(f"/api/v1/users/{user_id}/invitation/{how}")

    assert r.status_code == 200, r.text
    assert requested_at(app, user_id) is None
    assert admin.client.get(f"/api/v1/users/{user_id}").json()["invitation_requested_at"] is None
    if how == "link":  # and when that link dies too, asking mails the admins again at once
        expire(app, user_id)
        assert ask(client, token_of(r.json()["registration_url"])).status_code == 202
        assert len(requests_mailed(app)) == 2


# --- who may not ask ----------------------------------------------------------------------


def test_an_unknown_token_is_404(app: FastAPI, client: TestClient) -> None:
    r = ask(client, "not-a-real-token")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert requests_mailed(app) == []


def test_a_link_that_still_works_is_409(app: FastAPI, admin: SignedIn, client: TestClient) -> None:
    user_id, token = invited(admin)
    r = ask(client, token)
    assert r.status_code == 409
    assert (r.json()["reason"], r.json()["detail"]) == (
        "open",
        "This invitation still works: open the link to register.",
    )
    assert requested_at(app, user_id) is None
    assert requests_mailed(app) == [] and audit(app) == []


def test_a_used_link_is_409(app: FastAPI, admin: SignedIn, factory: Factory) -> None:
    r = invite(admin.client)
    token = token_of(r.json()["registration_url"])
    assert accept(factory.new_client(), r.json()["registration_url"]).status_code == 200
    r = ask(factory.new_client(), token)
    assert r.status_code == 409
    assert r.json()["reason"] == "accepted"
    assert requests_mailed(app) == []


def test_an_older_link_of_someone_who_registered_is_409(
    app: FastAPI, admin: SignedIn, factory: Factory
) -> None:
    user_id, old_token = invited(admin)
    r = admin.client.post(f"/api/v1/users/{user_id}/invitation/link")
    assert accept(factory.new_client(), r.json()["registration_url"]).status_code == 200
    r = ask(factory.new_client(), old_token)
    assert r.status_code == 409
    assert "Sign in instead" in r.json()["detail"]
    assert requests_mailed(app) == []


def test_a_disabled_user_cannot_ask(app: FastAPI, admin: SignedIn, client: TestClient) -> None:
    user_id, token = invited(admin)
    assert admin.client.post(f"/api/v1/users/{user_id}/disable").status_code == 200
    r = ask(client, token)
    assert r.status_code == 409
    assert r.json()["reason"] == "disabled"
    assert requested_at(app, user_id) is None
    assert requests_mailed(app) == []


def test_a_deleted_users_link_is_unknown(app: FastAPI, admin: SignedIn, client: TestClient) -> None:
    user_id, token = invited(admin)
    assert admin.client.delete(f"/api/v1/users/{user_id}").status_code == 204
    assert ask(client, token).status_code == 404


def test_an_over_long_token_is_422(client: TestClient) -> None:
    assert ask(client, "x" * 201).status_code == 422


# --- rate limits and races ----------------------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_invitation_request_account": "2/day"}])
def test_asking_too_often_for_one_account_is_429(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    user_id, token = invited(admin)
    expire(app, user_id)
    assert [ask(client, token).status_code for _ in range(2)] == [202, 202]
    r = ask(client, token)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert len(requests_mailed(app)) == 1


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_invitation_request_ip": "2/hour"}])
def test_asking_too_often_from_one_address_is_429_even_for_unknown_links(
    app: FastAPI, admin: SignedIn, client: TestClient
) -> None:
    assert ask(client, "guess-1").status_code == 404
    assert ask(client, "guess-2").status_code == 404
    user_id, token = invited(admin)
    expire(app, user_id)
    assert ask(client, token).status_code == 429
    assert requests_mailed(app) == []


@pytest.mark.parametrize(
    "settings_overrides", [{"rate_limit_invitation_request_account": "100/day"}]
)
def test_concurrent_asks_mail_the_admins_once(app: FastAPI, admin: SignedIn) -> None:
    user_id, token = invited(admin)
    expire(app, user_id)
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def one_ask(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            with db_session(app) as session:
                invitations.request_new_invitation(
                    session, token=token, client=ClientInfo(ip=f"10.0.0.{n}")
                )
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=one_ask, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == []
    assert len(requests_mailed(app)) == 1
    assert sorted(e.details["admins_notified"] for e in audit(app)) == [0, 0, 0, 1]
