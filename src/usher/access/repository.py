"""Queries for access: a user's grants, org-unit ancestry, entity types, roles and bindings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Uuid,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from usher.access.catalogue import ADMIN_TEAMS, MEMBER, ORGANIZATION
from usher.access.decision import Grant
from usher.access.scope import OrgScope
from usher.models import EntityType, OrgUnit, Role, RoleBinding, Team, TeamMember


def _raw(column: Any) -> Any:
    # Ids as text, not uuid.UUID objects (made by the driver, then turned back into text): a
    # user's grants are hundreds of rows loaded on every request, and only the one that
    # decides is ever shown.
    return cast(column, String)


_USER, _ORG = bindparam("user_id", type_=Uuid()), bindparam("org_id", type_=Uuid())
_BINDING_COLUMNS = (
    _raw(RoleBinding.id),
    _raw(RoleBinding.role_id),
    RoleBinding.entity_id,
    _raw(RoleBinding.team_id),
)
# The user's own bindings, their teams', and the Member team's (everyone is a member): three
# index-driven parts (an OR of them would read every binding of the organization).
_GRANTS = union_all(
    select(*_BINDING_COLUMNS, literal(None, type_=String).label("team_name")).where(
        RoleBinding.user_id == _USER, RoleBinding.organization_id == _ORG
    ),
    select(*_BINDING_COLUMNS, Team.name)
    .select_from(TeamMember)
    .join(Team, Team.id == TeamMember.team_id)
    .join(RoleBinding, RoleBinding.team_id == TeamMember.team_id)
    .where(TeamMember.user_id == _USER, Team.organization_id == _ORG),
    select(*_BINDING_COLUMNS, Team.name)
    .select_from(Team)
    .join(RoleBinding, RoleBinding.team_id == Team.id)
    .where(Team.organization_id == _ORG, Team.key == MEMBER),
)
_ROLES = (
    select(_raw(Role.id), Role.key, Role.permissions, EntityType.key)
    .join(EntityType, EntityType.id == Role.entity_type_id)
    .where(Role.organization_id == _ORG)
)


RoleTable = dict[Any, tuple[str, tuple[str, ...], str]]  # role id → key, permissions, type


def roles_of(session: Session, scope: OrgScope) -> RoleTable:
    """The organization's roles (a few dozen), for ``grants_of``."""
    return {
        role_id: (key, tuple(permissions or ()), type_key)
        for role_id, key, permissions, type_key in session.execute(
            _ROLES, {"org_id": scope.organization_id}
        ).all()
    }


def grants_of(
    session: Session, scope: OrgScope, user_id: uuid.UUID, roles: RoleTable | None = None
) -> list[Grant]:
    """Every binding that applies to the user, with its role's permissions: the bindings, and
    the organization's roles unless the caller has them already."""
    params = {"user_id": user_id, "org_id": scope.organization_id}
    if roles is None:
        roles = roles_of(session, scope)
    grants = []
    rows = session.execute(_GRANTS, params).all()
    for binding_id, role_id, entity_id, team_id, team_name in rows:
        role_key, permissions, type_key = roles[role_id]
        grants.append(
            Grant(
                binding_ref=str(binding_id),
                role_key=role_key,
                entity_type=type_key,
                entity_id=entity_id,
                permissions=permissions,
                team_ref=str(team_id) if team_id is not None else None,
                team_name=team_name,
            )
        )
    return grants


def holds_admin_role(session: Session, scope: OrgScope, user_id: uuid.UUID) -> bool:
    """In one of the admin teams, or holding a role on the whole organization of their own."""
    in_team = (
        select(TeamMember.user_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(
            TeamMember.user_id == user_id,
            Team.organization_id == scope.organization_id,
            Team.key.in_(sorted(ADMIN_TEAMS)),
        )
    )
    own_role = (
        select(RoleBinding.user_id)
        .join(Role, Role.id == RoleBinding.role_id)
        .join(EntityType, EntityType.id == Role.entity_type_id)
        .where(
            RoleBinding.user_id == user_id,
            RoleBinding.organization_id == scope.organization_id,
            EntityType.key == ORGANIZATION,
        )
    )
    return session.scalar(select(exists(in_team.union_all(own_role)))) or False


def delete_bindings_on(session: Session, scope: OrgScope, type_key: str, entity_id: str) -> int:
    """Bindings on an entity that is going away (a deleted org unit or team)."""
    type_ids = select(EntityType.id).where(
        EntityType.organization_id == scope.organization_id, EntityType.key == type_key
    )
    role_ids = select(Role.id).where(Role.entity_type_id.in_(type_ids))
    result = session.execute(
        delete(RoleBinding).where(
            RoleBinding.organization_id == scope.organization_id,
            RoleBinding.entity_id == entity_id,
            RoleBinding.role_id.in_(role_ids),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
