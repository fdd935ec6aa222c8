"""Queries for teams and their members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from usher.access.catalogue import MEMBER, PREDEFINED_TEAMS
from usher.access.scope import OrgScope
from usher.models import Team, TeamMember, User


def get(session: Session, scope: OrgScope, team_id: uuid.UUID) -> Team | None:
    return session.scalar(
        select(Team).where(Team.id == team_id, Team.organization_id == scope.organization_id)
    )


def find_by_name(session: Session, scope: OrgScope, name: str) -> Team | None:
    return session.scalar(
        select(Team).where(
            Team.organization_id == scope.organization_id,
            func.lower(Team.name) == name.strip().lower(),
        )
    )


def list_all(session: Session, scope: OrgScope) -> Sequence[Team]:
    # The predefined teams first, in the catalogue's order (Organization Admin first), then the
    # custom teams by name.
    rank = case(
        {spec.key: i for i, spec in enumerate(PREDEFINED_TEAMS)},
        value=Team.key,
        else_=len(PREDEFINED_TEAMS),
    )
    return session.scalars(
        select(Team)
        .where(Team.organization_id == scope.organization_id)
        .order_by(rank, func.lower(Team.name), Team.name)
    ).all()


def member_counts(session: Session, scope: OrgScope) -> dict[uuid.UUID, int]:
    """Members per team; the Member team counts everyone in the organization."""
    rows = session.execute(
        select(TeamMember.team_id, func.count())
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.organization_id == scope.organization_id)
        .group_by(TeamMember.team_id)
    ).all()
    counts = {team_id: int(n) for team_id, n in rows}
    member_team = session.scalar(
        select(Team.id).where(Team.organization_id == scope.organization_id, Team.key == MEMBER)
    )
    if member_team is not None:
        counts[member_team] = int(
            session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.organization_id == scope.organization_id)
            )
            or 0
        )
    return counts


def members(session: Session, scope: OrgScope, team: Team, limit: int) -> Sequence[User]:
    stmt = select(User).where(User.organization_id == scope.organization_id)
    if team.key != MEMBER:
        stmt = stmt.join(TeamMember, TeamMember.user_id == User.id).where(
            TeamMember.team_id == team.id
        )
    return session.scalars(stmt.order_by(User.sort_name, User.id).limit(limit)).all()


def member_ids(session: Session, team: Team, user_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    return set(
        session.scalars(
            select(TeamMember.user_id).where(
                TeamMember.team_id == team.id, TeamMember.user_id.in_(list(user_ids))
            )
        )
    )


def add_member(session: Session, team: Team, user: User) -> None:
    assert team.organization_id == user.organization_id
    session.add(TeamMember(team_id=team.id, user_id=user.id))


def remove_member(session: Session, team: Team, user_id: uuid.UUID) -> None:
    session.execute(
        delete(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
    )
