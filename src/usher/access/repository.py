"""Queries for access: a user's grants, org-unit ancestry, entity types, roles and bindings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from usher.access.catalogue import MEMBER
from usher.access.decision import Grant
from usher.access.scope import OrgScope
from usher.models import EntityType, OrgUnit, Role, RoleBinding, Team, TeamMember, User


def grants_of(session: Session, scope: OrgScope, user_id: uuid.UUID) -> list[Grant]:
    """Every binding that applies to the user: their own, their teams', and the Member team's
    (everyone is a member). One query."""
    teams = select(TeamMember.team_id).where(TeamMember.user_id == user_id)
    rows = session.execute(
        select(
            RoleBinding.id,
            Role.key,
            Role.permissions,
            EntityType.key,
            RoleBinding.entity_id,
            RoleBinding.team_id,
            Team.name,
        )
        .join(Role, Role.id == RoleBinding.role_id)
        .join(EntityType, EntityType.id == Role.entity_type_id)
        .outerjoin(Team, Team.id == RoleBinding.team_id)
        .where(
            RoleBinding.organization_id == scope.organization_id,
            or_(
                RoleBinding.user_id == user_id,
                RoleBinding.team_id.in_(teams),
                Team.key == MEMBER,
            ),
        )
    ).all()
    return [
        Grant(
            binding_id=b_id,
            role_key=role_key,
            entity_type=type_key,
            entity_id=entity_id,
            permissions=tuple(permissions or ()),
            team_id=team_id,
            team_name=team_name,
        )
        for b_id, role_key, permissions, type_key, entity_id, team_id, team_name in rows
    ]


def unit_and_ancestors(session: Session, scope: OrgScope, unit_id: uuid.UUID) -> frozenset[str]:
    chain = (
        select(OrgUnit.id, OrgUnit.parent_id)
        .where(OrgUnit.id == unit_id, OrgUnit.organization_id == scope.organization_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(OrgUnit.id, OrgUnit.parent_id).where(
            OrgUnit.id == chain.c.parent_id, OrgUnit.organization_id == scope.organization_id
        )
    )
    return frozenset(str(u) for u in session.scalars(select(chain.c.id)))


def all_units(session: Session, scope: OrgScope) -> Sequence[OrgUnit]:
    return session.scalars(
        select(OrgUnit).where(OrgUnit.organization_id == scope.organization_id)
    ).all()


def units_under(session: Session, scope: OrgScope, roots: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The given units and every unit beneath them."""
    if not roots:
        return []
    tree = (
        select(OrgUnit.id)
        .where(OrgUnit.id.in_(list(roots)), OrgUnit.organization_id == scope.organization_id)
        .cte("tree", recursive=True)
    )
    tree = tree.union_all(
        select(OrgUnit.id).where(
            OrgUnit.parent_id == tree.c.id, OrgUnit.organization_id == scope.organization_id
        )
    )
    return list(session.scalars(select(tree.c.id).distinct()))


def user_org_unit(session: Session, scope: OrgScope, user_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(
        select(User.org_unit_id).where(
            User.id == user_id, User.organization_id == scope.organization_id
        )
    )


# --- entity types and roles ----------------------------------------------------------------


def entity_types(session: Session, scope: OrgScope) -> Sequence[EntityType]:
    return session.scalars(
        select(EntityType)
        .where(EntityType.organization_id == scope.organization_id)
        .order_by(EntityType.builtin.desc(), EntityType.key)
    ).all()


def entity_type(session: Session, scope: OrgScope, key: str) -> EntityType | None:
    return session.scalar(
        select(EntityType).where(
            EntityType.organization_id == scope.organization_id, EntityType.key == key
        )
    )


def roles_of_types(
    session: Session, scope: OrgScope, type_ids: Sequence[uuid.UUID]
) -> Sequence[Role]:
    if not type_ids:
        return []
    return session.scalars(
        select(Role)
        .where(Role.organization_id == scope.organization_id, Role.entity_type_id.in_(type_ids))
        .order_by(Role.builtin.desc(), Role.key)
    ).all()


def role(session: Session, scope: OrgScope, type_key: str, role_key: str) -> Role | None:
    return session.scalar(
        select(Role)
        .join(EntityType, EntityType.id == Role.entity_type_id)
        .where(
            Role.organization_id == scope.organization_id,
            EntityType.key == type_key,
            Role.key == role_key,
        )
    )


# --- bindings -----------------------------------------------------------------------------


def bindings_statement(scope: OrgScope) -> Select[RoleBinding, Role, EntityType]:
    return (
        select(RoleBinding, Role, EntityType)
        .join(Role, Role.id == RoleBinding.role_id)
        .join(EntityType, EntityType.id == Role.entity_type_id)
        .where(RoleBinding.organization_id == scope.organization_id)
    )


def bindings(
    session: Session,
    scope: OrgScope,
    *,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    role_id: uuid.UUID | None = None,
    limit: int = 1000,
) -> list[tuple[RoleBinding, Role, EntityType]]:
    stmt = bindings_statement(scope)
    if user_id is not None:
        stmt = stmt.where(RoleBinding.user_id == user_id)
    if team_id is not None:
        stmt = stmt.where(RoleBinding.team_id == team_id)
    if entity_type is not None:
        stmt = stmt.where(EntityType.key == entity_type)
    if entity_id is not None:
        stmt = stmt.where(RoleBinding.entity_id == entity_id)
    if role_id is not None:
        stmt = stmt.where(RoleBinding.role_id == role_id)
    stmt = stmt.order_by(EntityType.key, Role.key, RoleBinding.entity_id, RoleBinding.id)
    return [(b, r, t) for b, r, t in session.execute(stmt.limit(limit)).all()]


def binding(
    session: Session, scope: OrgScope, binding_id: uuid.UUID
) -> tuple[RoleBinding, Role, EntityType] | None:
    row = session.execute(bindings_statement(scope).where(RoleBinding.id == binding_id)).first()
    return (row[0], row[1], row[2]) if row else None


def find_binding(
    session: Session, scope: OrgScope, role_id: uuid.UUID, subject_key: str, entity_id: str
) -> RoleBinding | None:
    return session.scalar(
        select(RoleBinding).where(
            RoleBinding.organization_id == scope.organization_id,
            RoleBinding.role_id == role_id,
            RoleBinding.subject_key == subject_key,
            RoleBinding.entity_id == entity_id,
        )
    )


def count_bindings_of_role(session: Session, scope: OrgScope, role_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                RoleBinding.organization_id == scope.organization_id,
                RoleBinding.role_id == role_id,
            )
        )
        or 0
    )
