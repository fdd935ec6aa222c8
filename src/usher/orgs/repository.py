"""Queries for organizations and their org units and teams."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from usher.access.scope import OrgScope
from usher.models import Organization, OrgUnit, Team, User


def get_by_slug(session: Session, slug: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.slug == slug.strip().lower()))


def get(session: Session, scope: OrgScope) -> Organization:
    org = session.get(Organization, scope.organization_id)
    assert org is not None, "an OrgScope always names an existing organization"
    return org


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Organization)) or 0


def get_org_unit(session: Session, scope: OrgScope, unit_id: uuid.UUID) -> OrgUnit | None:
    return session.scalar(
        select(OrgUnit).where(
            OrgUnit.id == unit_id, OrgUnit.organization_id == scope.organization_id
        )
    )


def list_org_units(session: Session, scope: OrgScope) -> Sequence[OrgUnit]:
    return session.scalars(
        select(OrgUnit)
        .where(OrgUnit.organization_id == scope.organization_id)
        .order_by(OrgUnit.name)
    ).all()


def member_counts(session: Session, scope: OrgScope) -> dict[uuid.UUID, int]:
    """How many users each unit has directly (units without any are left out)."""
    rows = session.execute(
        select(User.org_unit_id, func.count())
        .where(User.organization_id == scope.organization_id, User.org_unit_id.is_not(None))
        .group_by(User.org_unit_id)
    ).all()
    return {unit_id: n for unit_id, n in rows if unit_id is not None}


def count_members(session: Session, scope: OrgScope, unit_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.organization_id == scope.organization_id, User.org_unit_id == unit_id)
        )
        or 0
    )


def count_children(session: Session, scope: OrgScope, unit_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OrgUnit)
            .where(OrgUnit.organization_id == scope.organization_id, OrgUnit.parent_id == unit_id)
        )
        or 0
    )


def get_team_by_key(session: Session, scope: OrgScope, key: str) -> Team | None:
    return session.scalar(
        select(Team).where(Team.organization_id == scope.organization_id, Team.key == key)
    )


def get_teams(session: Session, scope: OrgScope, ids: Sequence[uuid.UUID]) -> Sequence[Team]:
    if not ids:
        return []
    return session.scalars(
        select(Team).where(Team.organization_id == scope.organization_id, Team.id.in_(ids))
    ).all()


def list_teams(session: Session, scope: OrgScope) -> Sequence[Team]:
    return session.scalars(
        select(Team)
        .where(Team.organization_id == scope.organization_id)
        .order_by(Team.key.is_(None), Team.name)
    ).all()


def lock(session: Session, scope: OrgScope) -> Organization:
    """Serialize changes that must see a stable set of admins (PostgreSQL row lock; SQLite
    transactions are serialized already)."""
    org = session.scalar(
        select(Organization).where(Organization.id == scope.organization_id).with_for_update()
    )
    assert org is not None
    return org
