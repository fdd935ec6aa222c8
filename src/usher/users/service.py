"""Invite users and read them; the rules live here, every door calls these functions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from usher.access.scope import OrgScope
from usher.access.service import require_user_manager
from usher.audit.service import record
from usher.errors import EmailTaken, NotFound, ValidationFailed
from usher.invitations import service as invitations
from usher.kit.client import ClientInfo
from usher.kit.context import limiter_of, settings_of
from usher.models import Team, User
from usher.models.user import UserStatus
from usher.orgs import repository as orgs_repo
from usher.users import repository as users_repo
from usher.users.schemas import UserCreate


@dataclass(frozen=True)
class UserDetail:
    user: User
    teams: Sequence[Team]
    invitation: invitations.InvitationStatus | None


@dataclass(frozen=True)
class InviteResult:
    detail: UserDetail
    registration_url: str | None


def invite_user(
    session: Session, actor: User, *, data: UserCreate, client: ClientInfo
) -> InviteResult:
    """Create a pending user and invite them by personal email or by a shareable link."""
    scope = require_user_manager(session, actor)
    settings = settings_of(session)
    limiter_of(session).hit(settings.rate_limit_invite_ip, "invite-ip", client.ip)
    limiter_of(session).hit(settings.rate_limit_invite_account, "invite-account", str(actor.id))
    user = create_pending_user(session, scope, data=data, invited_by=actor)
    issued = invitations.issue(session, scope=scope, user=user, method=data.invite_method,
                               invited_by=actor)
    record(session, organization_id=scope.organization_id, actor=actor, action="user.invited",
           client=client, target=user,
           details={"method": data.invite_method.value, "sent_to": issued.invitation.sent_to,
                    "teams": [str(t) for t in data.team_ids]})
    url = issued.registration_url if data.invite_method == "link" else None
    return InviteResult(detail=get_detail(session, scope, user.id), registration_url=url)


def create_pending_user(
    session: Session, scope: OrgScope, *, data: UserCreate, invited_by: User | None,
    teams: Sequence[Team] = (),
) -> User:
    if users_repo.find_by_email(session, scope, data.email) is not None:
        raise _email_taken(data.email)
    if data.org_unit_id and orgs_repo.get_org_unit(session, scope, data.org_unit_id) is None:
        raise ValidationFailed.field("org_unit_id", "No such organization unit.")
    found_teams = list(teams) or list(orgs_repo.get_teams(session, scope, data.team_ids))
    missing = set(data.team_ids) - {t.id for t in found_teams}
    if missing:
        raise ValidationFailed.field(
            "team_ids", f"No such team: {', '.join(sorted(str(m) for m in missing))}."
        )
    user = User(
        organization_id=scope.organization_id,
        first_name=data.first_name, last_name=data.last_name, gender=data.gender,
        birthday=data.birthday, email=data.email, personal_email=data.personal_email,
        phone=data.phone, org_unit_id=data.org_unit_id, position=data.position,
        status=UserStatus.pending, invited_by_id=invited_by.id if invited_by else None,
    )
    session.add(user)
    try:
        # The unique index on (organization, lower(email)) settles races between requests.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _email_taken(data.email) from None
    users_repo.add_to_teams(session, user, found_teams)
    session.flush()
    return user


def _email_taken(email: str) -> EmailTaken:
    return EmailTaken(
        f"A user with the email {email} already exists in this organization.",
        errors={"email": ["A user with this email already exists in this organization."]},
    )


def get_detail(session: Session, scope: OrgScope, user_id: uuid.UUID) -> UserDetail:
    user = users_repo.get(session, scope, user_id)
    if user is None:
        raise NotFound("No such user in this organization.")
    return UserDetail(
        user=user,
        teams=users_repo.teams_of(session, scope, user.id),
        invitation=invitations.status_of(session, scope, user.id),
    )


def get_user(session: Session, actor: User, *, user_id: uuid.UUID) -> UserDetail:
    scope = require_user_manager(session, actor)
    return get_detail(session, scope, user_id)
