"""Queries for users, always inside one organization's scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from usher.access.scope import OrgScope
from usher.models import Team, TeamMember, User


def get(session: Session, scope: OrgScope, user_id: uuid.UUID) -> User | None:
    return session.scalar(
        select(User).where(User.id == user_id, User.organization_id == scope.organization_id)
    )


def get_many(session: Session, scope: OrgScope, user_ids: Sequence[uuid.UUID]) -> Sequence[User]:
    if not user_ids:
        return []
    return session.scalars(
        select(User).where(
            User.organization_id == scope.organization_id, User.id.in_(list(user_ids))
        )
    ).all()


def find_by_email(session: Session, scope: OrgScope, email: str) -> User | None:
    return session.scalar(
        select(User).where(
            User.organization_id == scope.organization_id,
            func.lower(User.email) == email.strip().lower(),
        )
    )


def teams_of(session: Session, scope: OrgScope, user_id: uuid.UUID) -> Sequence[Team]:
    return session.scalars(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user_id, Team.organization_id == scope.organization_id)
        .order_by(Team.name)
    ).all()


def add_to_teams(session: Session, user: User, teams: Sequence[Team]) -> None:
    for team in teams:
        assert team.organization_id == user.organization_id
        session.add(TeamMember(team_id=team.id, user_id=user.id))


def count_active_org_admins(session: Session, scope: OrgScope) -> int:
    from usher.models.team import ORGANIZATION_ADMIN
    from usher.models.user import UserStatus

    return int(
        session.scalar(
            select(func.count(func.distinct(User.id)))
            .select_from(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(
                User.organization_id == scope.organization_id,
                User.status == UserStatus.active,
                Team.organization_id == scope.organization_id,
                Team.key == ORGANIZATION_ADMIN,
            )
        )
        or 0
    )


def active_org_admins(session: Session, scope: OrgScope) -> Sequence[User]:
    """The active members of Organization Admin, for notices meant for the admins."""
    from usher.models.team import ORGANIZATION_ADMIN
    from usher.models.user import UserStatus

    return session.scalars(
        select(User)
        .join(TeamMember, TeamMember.user_id == User.id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(
            User.organization_id == scope.organization_id,
            User.status == UserStatus.active,
            Team.organization_id == scope.organization_id,
            Team.key == ORGANIZATION_ADMIN,
        )
        .order_by(User.sort_name, User.id)
    ).all()
