"""Issue, resend, regenerate, revoke, preview and accept invitations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from usher.access.scope import OrgScope
from usher.access.service import require_somewhere, require_user, system_scope
from usher.audit.service import record
from usher.auth import passwords
from usher.auth.service import password_context
from usher.errors import Conflict, InvitationGone, NotFound
from usher.invitations import repository as inv_repo
from usher.kit import clock
from usher.kit.client import ClientInfo
from usher.kit.context import limiter_of, settings_of
from usher.kit.tokens import hash_token, new_token
from usher.mail import outbox
from usher.models import Invitation, Organization, OutboxMessage, User
from usher.models.invitation import InviteMethod
from usher.models.user import UserStatus
from usher.orgs import repository as orgs_repo
from usher.users import repository as users_repo


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str
    registration_url: str


@dataclass(frozen=True)
class InvitationPreview:
    first_name: str
    last_name: str
    email: str
    organization_name: str
    organization_slug: str
    expires_at: datetime


@dataclass(frozen=True)
class InvitationStatus:
    invitation: Invitation
    message: OutboxMessage | None
    state: str
    delivery: str  # not_applicable | queued | retrying | sent | failed | cancelled


def registration_url(session: Session, token: str) -> str:
    # Built from the configured base URL only, never from the request's Host headers.
    return f"{settings_of(session).base_url}/register/{token}"


def issue(
    session: Session,
    *,
    scope: OrgScope,
    user: User,
    method: InviteMethod,
    invited_by: User | None,
) -> IssuedInvitation:
    """A fresh link for a pending user; any link they had before dies now."""
    if user.status != UserStatus.pending:
        raise Conflict(f"{user.email} has already registered; there is nothing to invite.")
    now = clock.now()
    for old in inv_repo.open_for_user(session, scope, user.id):
        old.superseded_at = now
        outbox.cancel(session, old.outbox_message_id)
    # A new link answers any request for one.
    user.invitation_requested_at = None
    org = orgs_repo.get(session, scope)
    token = new_token()
    url = registration_url(session, token)
    invitation = Invitation(
        organization_id=scope.organization_id,
        user_id=user.id,
        method=method,
        token_hash=hash_token(token),
        expires_at=now + timedelta(days=org.invitation_expiry_days),
        invited_by_id=invited_by.id if invited_by else None,
    )
    if method == InviteMethod.email:
        to = user.personal_email or user.email
        message = outbox.enqueue_template(
            session,
            organization_id=org.id,
            kind="invitation",
            to=to,
            template="invitation",
            context={
                "user": user,
                "organization": org,
                "url": url,
                "expires_at": invitation.expires_at,
                "inviter_name": invited_by.full_name if invited_by else None,
            },
        )
        invitation.sent_to = to
        invitation.outbox_message_id = message.id
    session.add(invitation)
    session.flush()
    return IssuedInvitation(invitation=invitation, token=token, registration_url=url)


def _pending_user(session: Session, scope: OrgScope, user_id: uuid.UUID) -> User:
    user = users_repo.get(session, scope, user_id)
    if user is None:
        raise NotFound("No such user in this organization.")
    if user.status != UserStatus.pending:
        raise Conflict(
            f"{user.email} has already registered; invitations only go to pending users."
        )
    return user


def resend(
    session: Session, actor: User, *, user_id: uuid.UUID, client: ClientInfo
) -> IssuedInvitation:
    """Mail a new link (expiry renewed); the old link dies."""
    scope, _user = require_user(session, actor, "users.manage", user_id)
    user = _pending_user(session, scope, user_id)
    issued = issue(session, scope=scope, user=user, method=InviteMethod.email, invited_by=actor)
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="invitation.resent",
        client=client,
        target=user,
        details={"sent_to": issued.invitation.sent_to},
    )
    return issued


SEND_BATCH = 500


@dataclass(frozen=True)
class FirstLinks:
    sent: int
    remaining: int


def send_first_links(
    session: Session, actor: User, *, client: ClientInfo, limit: int = SEND_BATCH
) -> FirstLinks:
    """Mail a registration link to pending users who never had one (an import created them
    without inviting), at most ``limit`` at a time, oldest first; call again for the rest."""
    reach = require_somewhere(session, actor, "users.manage")
    scope = reach.scope
    limiter_of(session).hit(settings_of(session).rate_limit_invite_ip, "invite-ip", client.ip)
    users = inv_repo.never_invited(session, scope, units=reach.units, limit=limit)
    for user in users:
        issue(session, scope=scope, user=user, method=InviteMethod.email, invited_by=actor)
    remaining = inv_repo.count_never_invited(session, scope, units=reach.units)
    if users:
        record(
            session,
            organization_id=scope.organization_id,
            actor=actor,
            action="invitations.first_links_sent",
            client=client,
            details={"sent": len(users), "remaining": remaining},
        )
    return FirstLinks(sent=len(users), remaining=remaining)


def regenerate_link(
    session: Session, actor: User, *, user_id: uuid.UUID, client: ClientInfo
) -> IssuedInvitation:
    """A new shareable link for the admin to copy; the old link dies."""
    scope, _user = require_user(session, actor, "users.manage", user_id)
    user = _pending_user(session, scope, user_id)
    issued = issue(session, scope=scope, user=user, method=InviteMethod.link, invited_by=actor)
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="invitation.link_regenerated",
        client=client,
        target=user,
    )
    return issued


def revoke(
    session: Session, actor: User, *, user_id: uuid.UUID, delete_user: bool, client: ClientInfo
) -> None:
    """Kill the user's open link; keep the pending user or delete them, as the caller says."""
    scope, _user = require_user(session, actor, "users.manage", user_id)
    user = _pending_user(session, scope, user_id)
    open_invitations = revoke_open(session, scope, user)
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="invitation.revoked",
        client=client,
        target=user,
        details={"delete_user": delete_user, "revoked": len(open_invitations)},
    )
    if delete_user:
        record(
            session,
            organization_id=scope.organization_id,
            actor=actor,
            action="user.deleted",
            client=client,
            target=user,
            details={"reason": "invitation revoked"},
        )
        session.delete(user)
    session.flush()


def revoke_open(session: Session, scope: OrgScope, user: User) -> Sequence[Invitation]:
    """Kill every open link of the user; mail not yet sent with one is cancelled."""
    now = clock.now()
    open_invitations = inv_repo.open_for_user(session, scope, user.id)
    for invitation in open_invitations:
        invitation.revoked_at = now
        outbox.cancel(session, invitation.outbox_message_id)
    return open_invitations


def status_of(session: Session, scope: OrgScope, user_id: uuid.UUID) -> InvitationStatus | None:
    found = inv_repo.latest_for_user(session, scope, user_id)
    if found is None:
        return None
    invitation, message = found
    if message is None:
        delivery = "not_applicable"
    elif message.status == "pending":
        delivery = "retrying" if message.attempts else "queued"
    elif message.status == "sending":
        delivery = "sending"
    else:
        delivery = message.status.value
    return InvitationStatus(invitation, message, invitation.state(clock.now()), delivery)


def _open_invitation(session: Session, token: str) -> tuple[Invitation, User, Organization]:
    invitation = inv_repo.get_by_token_hash(session, hash_token(token))
    if invitation is None:
        raise NotFound("This invitation link is not valid. Check that it was copied whole.")
    state = invitation.state(clock.now())
    if state != "open":
        raise InvitationGone(_GONE_MESSAGES[state], reason=state)
    scope = system_scope(invitation.organization_id)
    user = users_repo.get(session, scope, invitation.user_id)
    assert user is not None  # invitations are deleted with their user
    return invitation, user, orgs_repo.get(session, scope)


_GONE_MESSAGES = {
    "accepted": "This invitation has already been used. Sign in instead.",
    "revoked": "This invitation was withdrawn by an administrator.",
    "superseded": "A newer invitation replaced this one. Use the most recent link you received.",
    "expired": "This invitation has expired. Ask an administrator for a new one.",
}


def preview(session: Session, token: str) -> InvitationPreview:
    """What the registration page shows; reading it does not use up the link."""
    _invitation, user, org = _open_invitation(session, token)
    return InvitationPreview(
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        organization_name=org.name,
        organization_slug=org.slug,
        expires_at=_invitation.expires_at,
    )


def accept(session: Session, *, token: str, password: str, client: ClientInfo) -> User:
    """Set the password and activate the user; the link is used up in the same step."""
    invitation, user, org = _open_invitation(session, token)
    passwords.check_policy(password, context=password_context(user, org))
    password_hash = passwords.hash_password(password)
    now = clock.now()
    if not inv_repo.consume(session, invitation.id, now):
        session.refresh(invitation)
        raise InvitationGone(
            _GONE_MESSAGES.get(invitation.state(now), _GONE_MESSAGES["accepted"]),
            reason=invitation.state(now),
        )
    session.refresh(user)
    if user.status != UserStatus.pending:
        raise InvitationGone(_GONE_MESSAGES["accepted"], reason="accepted")
    user.status = UserStatus.active
    user.password_hash = password_hash
    user.registered_at = now
    record(
        session,
        organization_id=org.id,
        actor=user,
        action="invitation.accepted",
        client=client,
        target=user,
        details={"method": invitation.method.value},
    )
    session.flush()
    return user


# --- asking for a new invitation from a dead link -----------------------------------------

# Links whose holder may ask the admins for a new one: the person is still waiting to join.
# Worded for the admins' email: "a link that no longer works (...)".
_REQUESTABLE = {
    "expired": "it has expired",
    "revoked": "it was withdrawn",
    "superseded": "a newer link replaced it",
}
# Within this time a second ask is answered the same but mails nobody again.
REQUEST_QUIET_PERIOD = timedelta(days=1)


@dataclass(frozen=True)
class InvitationRequest:
    organization_name: str
    admins_notified: int  # 0 when the person had already asked within the quiet period

    @property
    def message(self) -> str:
        # The same words whether the admins were mailed now or on an earlier ask.
        return (
            f"The administrators of {self.organization_name} have been asked to send you a "
            "new invitation. It will reach you by email or from one of them directly."
        )


def request_new_invitation(
    session: Session, *, token: str, client: ClientInfo
) -> InvitationRequest:
    """The holder of an expired, revoked or superseded link asks the organization's admins
    for a new one: they are mailed (once a day at most) and the user's row is marked."""
    settings = settings_of(session)
    limiter = limiter_of(session)
    limiter.hit(settings.rate_limit_invitation_request_ip, "invitation-request-ip", client.ip)
    invitation = inv_repo.get_by_token_hash(session, hash_token(token))
    if invitation is None:
        raise NotFound("This invitation link is not valid. Check that it was copied whole.")
    scope = system_scope(invitation.organization_id)
    user = users_repo.get(session, scope, invitation.user_id)
    assert user is not None  # invitations are deleted with their user
    limiter.hit(
        settings.rate_limit_invitation_request_account, "invitation-request-account", str(user.id)
    )
    state = invitation.state(clock.now())
    if user.status == UserStatus.active or state == "accepted":
        raise Conflict(_GONE_MESSAGES["accepted"], reason="accepted")
    if user.status != UserStatus.pending:
        raise Conflict(
            "This account has been disabled, so it cannot be invited again. "
            "Contact an administrator of your organization.",
            reason="disabled",
        )
    if state not in _REQUESTABLE:
        raise Conflict("This invitation still works: open the link to register.", reason="open")
    org = orgs_repo.get(session, scope)
    now = clock.now()
    admins: Sequence[User] = ()
    if inv_repo.mark_invitation_requested(
        session, scope, user.id, now=now, asked_before=now - REQUEST_QUIET_PERIOD
    ):
        admins = users_repo.active_org_admins(session, scope)
        url = f"{settings.base_url}/admin/users/{user.id}"
        for admin in admins:
            outbox.enqueue_template(
                session,
                organization_id=org.id,
                kind="invitation_requested",
                to=admin.email,
                template="invitation_requested",
                context={
                    "admin": admin,
                    "user": user,
                    "organization": org,
                    "url": url,
                    "why": _REQUESTABLE[state],
                },
            )
    session.expire(user, ["invitation_requested_at"])
    record(
        session,
        organization_id=org.id,
        actor=user,
        action="invitation.requested",
        client=client,
        target=user,
        details={"link": state, "admins_notified": len(admins)},
    )
    return InvitationRequest(organization_name=org.name, admins_notified=len(admins))
