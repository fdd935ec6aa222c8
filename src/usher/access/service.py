"""Access decisions. Today: Organization Admins manage users; every member sees their own org."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from usher.access.scope import OrgScope, _make
from usher.errors import NotPermitted
from usher.models import Team, TeamMember, User
from usher.models.team import ORGANIZATION_ADMIN
from usher.models.user import UserStatus


def member_scope(actor: User) -> OrgScope:
    """The caller's own organization, for what any signed-in member may see."""
    return _make(actor.organization_id)


def system_scope(organization_id: uuid.UUID) -> OrgScope:
    """For operators at the command line and for background jobs, which act for the system."""
    return _make(organization_id)


def is_org_admin(session: Session, user: User) -> bool:
    stmt = select(
        exists().where(
            TeamMember.user_id == user.id,
            TeamMember.team_id == Team.id,
            Team.organization_id == user.organization_id,
            Team.key == ORGANIZATION_ADMIN,
        )
    )
    return bool(session.scalar(stmt))


def require_user_manager(session: Session, actor: User) -> OrgScope:
    """Only active members of Organization Admin may manage users (issue #6 widens this)."""
    if actor.status != UserStatus.active or not is_org_admin(session, actor):
        raise NotPermitted("Only members of the Organization Admin team can manage users.")
    return _make(actor.organization_id)
