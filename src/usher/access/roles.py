"""Entity types, their roles, and role bindings: who holds which role on what.

Usher's own entity types (organization, org unit, team) and roles come from
``access.catalogue`` and are fixed; applications register their own (``project`` with
``viewer``, ``editor``, ``admin``) through the API. Every change is audited, and nobody grants
what they do not hold.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from usher.access import catalogue
from usher.access import repository as access_repo
from usher.access.catalogue import ADMIN_TEAMS, MEMBER, ORG_UNIT, ORGANIZATION, TEAM
from usher.access.decision import AccessSet
from usher.access.scope import OrgScope
from usher.access.service import (
    USER,
    access_of,
    binding_entity,
    member_scope,
    require,
    require_to_hold,
)
from usher.audit.service import record
from usher.errors import Conflict, NotFound, ValidationFailed
from usher.kit.client import ClientInfo
from usher.models import EntityType, Role, RoleBinding, Team, User
from usher.models.role_binding import ALL
from usher.orgs import repository as orgs_repo
from usher.users import repository as users_repo

KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
PERMISSION_PATTERN = re.compile(r"^(\*|\*\.[a-z0-9_.:-]+|[a-z][a-z0-9_.:-]*(\.\*)?)$")
RESERVED_TYPES = catalogue.BUILTIN_TYPES | {USER}
MAX_ROLES, MAX_PERMISSIONS = 50, 100


def install_builtins(session: Session, scope: OrgScope) -> dict[str, Team]:
    """Give a new organization Usher's entity types and roles, the predefined teams and the
    roles those teams hold. Returns the predefined teams by key."""
    org_roles: dict[str, Role] = {}
    for spec in catalogue.ENTITY_TYPES:
        entity_type = EntityType(
            organization_id=scope.organization_id,
            key=spec.key,
            name=spec.name,
            description=spec.description,
            builtin=True,
        )
        session.add(entity_type)
        session.flush()
        for role_spec in spec.roles:
            role = Role(
                organization_id=scope.organization_id,
                entity_type_id=entity_type.id,
                key=role_spec.key,
                name=role_spec.name,
                description=role_spec.description,
                permissions=list(role_spec.permissions),
                builtin=True,
            )
            session.add(role)
            if spec.key == ORGANIZATION:
                org_roles[role_spec.key] = role
    teams: dict[str, Team] = {}
    for team_spec in catalogue.PREDEFINED_TEAMS:
        team = Team(
            organization_id=scope.organization_id,
            key=team_spec.key,
            name=team_spec.name,
            description=team_spec.description,
        )
        session.add(team)
        teams[team_spec.key] = team
    session.flush()
    for team_spec in catalogue.PREDEFINED_TEAMS:
        if team_spec.role is None:
            continue
        team = teams[team_spec.key]
        session.add(
            RoleBinding(
                organization_id=scope.organization_id,
                role_id=org_roles[team_spec.role].id,
                team_id=team.id,
                subject_key=f"team:{team.id}",
                entity_id=ALL,
                fixed=True,
            )
        )
    session.flush()
    return teams


# --- entity types and roles -----------------------------------------------------------------


@dataclass(frozen=True)
class RoleSpecIn:
    key: str
    name: str
    description: str
    permissions: Sequence[str]


@dataclass(frozen=True)
class EntityTypeView:
    entity_type: EntityType
    roles: Sequence[Role]


def list_entity_types(session: Session, actor: User) -> list[EntityTypeView]:
    scope = require(session, actor, "roles.read")
    types = access_repo.entity_types(session, scope)
    roles = access_repo.roles_of_types(session, scope, [t.id for t in types])
    return [EntityTypeView(t, [r for r in roles if r.entity_type_id == t.id]) for t in types]


def get_entity_type(session: Session, actor: User, key: str) -> EntityTypeView:
    scope = require(session, actor, "roles.read")
    entity_type = _type_or_404(session, scope, key)
    return EntityTypeView(entity_type, access_repo.roles_of_types(session, scope, [entity_type.id]))


def _type_or_404(session: Session, scope: OrgScope, key: str) -> EntityType:
    found = access_repo.entity_type(session, scope, key)
    if found is None:
        raise NotFound(f"No entity type {key!r} in this organization.")
    return found


def _clean_roles(roles: Sequence[RoleSpecIn]) -> list[RoleSpecIn]:
    if len(roles) > MAX_ROLES:
        raise ValidationFailed.field("roles", f"At most {MAX_ROLES} roles per entity type.")
    seen: set[str] = set()
    for i, role in enumerate(roles):
        _check_role(role, f"roles.{i}")
        if role.key in seen:
            raise ValidationFailed.field(f"roles.{i}.key", f"The role {role.key!r} comes twice.")
        seen.add(role.key)
    return list(roles)


def _check_role(role: RoleSpecIn, where: str) -> None:
    if not KEY.match(role.key):
        raise ValidationFailed.field(
            f"{where}.key", "Use 1-50 lower-case letters, digits or _, starting with a letter."
        )
    if not role.name.strip():
        raise ValidationFailed.field(f"{where}.name", "Give the role a name.")
    if len(role.permissions) > MAX_PERMISSIONS:
        raise ValidationFailed.field(
            f"{where}.permissions", f"At most {MAX_PERMISSIONS} permissions per role."
        )
    for permission in role.permissions:
        if len(permission) > 100 or not PERMISSION_PATTERN.match(permission):
            raise ValidationFailed.field(
                f"{where}.permissions",
                f"{permission!r} is not a permission name (like project.edit, project.* "
                "or *.read).",
            )


def register_entity_type(
    session: Session,
    actor: User,
    *,
    key: str,
    name: str,
    description: str,
    roles: Sequence[RoleSpecIn],
    client: ClientInfo,
) -> EntityTypeView:
    """An application's kind of entity (``project``) with its roles."""
    scope = require(session, actor, "entity_types.manage")
    if not KEY.match(key):
        raise ValidationFailed.field(
            "key", "Use 1-50 lower-case letters, digits or _, starting with a letter."
        )
    if key in RESERVED_TYPES:
        raise Conflict(f"{key!r} is one of Usher's own entity types.")
    if not name.strip():
        raise ValidationFailed.field("name", "Give the entity type a name.")
    cleaned = _clean_roles(roles)
    if access_repo.entity_type(session, scope, key) is not None:
        raise Conflict(f"The entity type {key!r} is registered already.")
    entity_type = EntityType(
        organization_id=scope.organization_id,
        key=key,
        name=name.strip(),
        description=description.strip(),
        builtin=False,
    )
    session.add(entity_type)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"The entity type {key!r} is registered already.") from None
    for spec in cleaned:
        session.add(_role(scope, entity_type, spec))
    session.flush()
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="entity_type.registered",
        client=client,
        target_type="entity_type",
        target_id=entity_type.id,
        target_label=key,
        details={"roles": {r.key: list(r.permissions) for r in cleaned}},
    )
    return EntityTypeView(entity_type, access_repo.roles_of_types(session, scope, [entity_type.id]))


def _role(scope: OrgScope, entity_type: EntityType, spec: RoleSpecIn) -> Role:
    return Role(
        organization_id=scope.organization_id,
        entity_type_id=entity_type.id,
        key=spec.key,
        name=spec.name.strip(),
        description=spec.description.strip(),
        permissions=sorted(set(spec.permissions)),
        builtin=False,
    )


def _own_type(session: Session, actor: User, key: str) -> tuple[OrgScope, EntityType]:
    scope = require(session, actor, "entity_types.manage")
    entity_type = _type_or_404(session, scope, key)
    if entity_type.builtin:
        raise Conflict(f"{key!r} is one of Usher's own entity types; it cannot be changed.")
    return scope, entity_type


def update_entity_type(
    session: Session,
    actor: User,
    key: str,
    *,
    name: str | None,
    description: str | None,
    client: ClientInfo,
) -> EntityTypeView:
    scope, entity_type = _own_type(session, actor, key)
    if name is not None:
        if not name.strip():
            raise ValidationFailed.field("name", "Give the entity type a name.")
        entity_type.name = name.strip()
    if description is not None:
        entity_type.description = description.strip()
    session.flush()
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="entity_type.updated",
        client=client,
        target_type="entity_type",
        target_id=entity_type.id,
        target_label=key,
    )
    return EntityTypeView(entity_type, access_repo.roles_of_types(session, scope, [entity_type.id]))


def delete_entity_type(session: Session, actor: User, key: str, *, client: ClientInfo) -> None:
    """Its roles and every binding of them go with it."""
    scope, entity_type = _own_type(session, actor, key)
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="entity_type.deleted",
        client=client,
        target_type="entity_type",
        target_id=entity_type.id,
        target_label=key,
    )
    session.delete(entity_type)
    session.flush()


def put_role(
    session: Session, actor: User, type_key: str, spec: RoleSpecIn, *, client: ClientInfo
) -> tuple[Role, bool]:
    """Create the role, or replace its name, description and permissions; True if created."""
    scope, entity_type = _own_type(session, actor, type_key)
    _check_role(spec, "role")
    role = access_repo.role(session, scope, type_key, spec.key)
    created = role is None
    if role is None:
        role = _role(scope, entity_type, spec)
        session.add(role)
    else:
        role.name = spec.name.strip()
        role.description = spec.description.strip()
        role.permissions = sorted(set(spec.permissions))
    session.flush()
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="role.created" if created else "role.updated",
        client=client,
        target_type="role",
        target_id=role.id,
        target_label=f"{type_key}:{spec.key}",
        details={"permissions": list(role.permissions)},
    )
    return role, created


def delete_role(
    session: Session, actor: User, type_key: str, role_key: str, *, client: ClientInfo
) -> None:
    scope, _entity_type = _own_type(session, actor, type_key)
    role = access_repo.role(session, scope, type_key, role_key)
    if role is None:
        raise NotFound(f"No role {type_key}:{role_key}.")
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="role.deleted",
        client=client,
        target_type="role",
        target_id=role.id,
        target_label=f"{type_key}:{role_key}",
        details={"bindings": access_repo.count_bindings_of_role(session, scope, role.id)},
    )
    session.delete(role)
    session.flush()


# --- bindings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BindingView:
    binding: RoleBinding
    role: Role
    entity_type: EntityType
    team: Team | None = None
    user: User | None = None

    @property
    def role_name(self) -> str:
        return f"{self.entity_type.key}:{self.role.key}"

    @property
    def entity(self) -> str:
        return f"{self.entity_type.key}:{self.binding.entity_id}"


def list_bindings(
    session: Session,
    actor: User,
    *,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> list[BindingView]:
    scope = require(session, actor, "roles.read")
    rows = access_repo.bindings(
        session,
        scope,
        user_id=user_id,
        team_id=team_id,
        entity_type=entity_type,
        entity_id=entity_id,
    )
    return _views(session, scope, rows)


def bindings_of_subject(
    session: Session,
    scope: OrgScope,
    *,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
) -> list[BindingView]:
    """For the pages of a user or a team, once their reader has been checked."""
    return _views(
        session, scope, access_repo.bindings(session, scope, user_id=user_id, team_id=team_id)
    )


def _views(
    session: Session, scope: OrgScope, rows: list[tuple[RoleBinding, Role, EntityType]]
) -> list[BindingView]:
    team_ids = {b.team_id for b, _, _ in rows if b.team_id}
    teams = {t.id: t for t in orgs_repo.get_teams(session, scope, list(team_ids))}
    return [
        BindingView(b, r, t, team=teams.get(b.team_id) if b.team_id else None) for b, r, t in rows
    ]


def _subject(
    session: Session, scope: OrgScope, user_id: uuid.UUID | None, team_id: uuid.UUID | None
) -> tuple[User | None, Team | None]:
    if (user_id is None) == (team_id is None):
        raise ValidationFailed.field("user_id", "Give either user_id or team_id, not both.")
    if user_id is not None:
        user = users_repo.get(session, scope, user_id)
        if user is None:
            raise ValidationFailed.field("user_id", "No such user in this organization.")
        return user, None
    assert team_id is not None
    teams = orgs_repo.get_teams(session, scope, [team_id])
    if not teams:
        raise ValidationFailed.field("team_id", "No such team in this organization.")
    return None, teams[0]


def _entity_id(session: Session, scope: OrgScope, entity_type: EntityType, entity_id: str) -> str:
    entity_id = entity_id.strip()
    if entity_type.key == ORGANIZATION:
        if entity_id not in (ALL, str(scope.organization_id)):
            raise ValidationFailed.field(
                "entity_id", 'A role on the organization takes entity_id "*".'
            )
        return ALL
    if not entity_id or len(entity_id) > 200 or any(ch.isspace() for ch in entity_id):
        raise ValidationFailed.field(
            "entity_id", 'Give the entity\'s id (at most 200 characters, no spaces) or "*".'
        )
    if entity_id == ALL:
        return ALL
    if entity_type.key in (ORG_UNIT, TEAM):
        try:
            as_uuid = uuid.UUID(entity_id)
        except ValueError:
            raise ValidationFailed.field(
                "entity_id", "Give the id of one of your units or teams."
            ) from None
        exists = (
            orgs_repo.get_org_unit(session, scope, as_uuid)
            if entity_type.key == ORG_UNIT
            else next(iter(orgs_repo.get_teams(session, scope, [as_uuid])), None)
        )
        if exists is None:
            raise ValidationFailed.field("entity_id", f"No such {entity_type.name.lower()}.")
        return str(as_uuid)
    return entity_id


def _role_or_422(session: Session, scope: OrgScope, role: str) -> tuple[Role, EntityType]:
    type_key, sep, role_key = role.partition(":")
    if not sep:
        raise ValidationFailed.field("role", "Name the role as type:role, like project:editor.")
    entity_type = access_repo.entity_type(session, scope, type_key)
    found = access_repo.role(session, scope, type_key, role_key) if entity_type else None
    if entity_type is None or found is None:
        raise ValidationFailed.field("role", f"No role {role!r} in this organization.")
    return found, entity_type


def _may_bind(
    session: Session,
    actor: User,
    held: AccessSet,
    scope: OrgScope,
    role: Role,
    entity_type: EntityType,
    entity_id: str,
    team: Team | None,
) -> None:
    entity = binding_entity(session, scope, entity_type.key, entity_id)
    require(session, actor, "roles.manage", entity, access=held)
    if entity_type.key == ORGANIZATION or (
        team is not None and (team.key in ADMIN_TEAMS or team.key == MEMBER)
    ):
        # Roles on the whole organization make admins, and roles given to Member apply to
        # everyone: both are an Organization Admin's to give.
        require(session, actor, "admin_teams.manage", access=held)
    require_to_hold(held, role.permissions, entity, f"the role {entity_type.key}:{role.key}")


def grant_role(
    session: Session,
    actor: User,
    *,
    role: str,
    entity_id: str,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    client: ClientInfo,
    access: AccessSet | None = None,
) -> BindingView:
    """Give a user or a team ``role`` (``project:editor``) on one entity or on ``*``."""
    scope = member_scope(actor)
    held = access if access is not None else access_of(session, actor)
    found_role, entity_type = _role_or_422(session, scope, role)
    user, team = _subject(session, scope, user_id, team_id)
    clean_id = _entity_id(session, scope, entity_type, entity_id)
    _may_bind(session, actor, held, scope, found_role, entity_type, clean_id, team)
    subject_key = f"user:{user.id}" if user else f"team:{team.id}"  # type: ignore[union-attr]
    if access_repo.find_binding(session, scope, found_role.id, subject_key, clean_id):
        raise Conflict(
            f"{_label(user, team)} already holds {role} on {entity_type.key}:{clean_id}."
        )
    binding = RoleBinding(
        organization_id=scope.organization_id,
        role_id=found_role.id,
        user_id=user.id if user else None,
        team_id=team.id if team else None,
        subject_key=subject_key,
        entity_id=clean_id,
        fixed=False,
        created_by_id=actor.id,
    )
    session.add(binding)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"{_label(user, team)} already holds {role} on {entity_type.key}:{clean_id}."
        ) from None
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="role.granted",
        client=client,
        target=user,
        target_type=None if user else "team",
        target_id=None if user else team.id,  # type: ignore[union-attr]
        target_label=None if user else team.name,  # type: ignore[union-attr]
        details={
            "role": f"{entity_type.key}:{found_role.key}",
            "entity": f"{entity_type.key}:{clean_id}",
        },
    )
    return BindingView(binding, found_role, entity_type, team=team, user=user)


def _label(user: User | None, team: Team | None) -> str:
    return user.email if user else f"The team {team.name if team else ''}"


def revoke_role(
    session: Session, actor: User, binding_id: uuid.UUID, *, client: ClientInfo
) -> None:
    scope = member_scope(actor)
    held = access_of(session, actor)
    found = access_repo.binding(session, scope, binding_id)
    if found is None:
        raise NotFound("No such role binding in this organization.")
    binding, role, entity_type = found
    if binding.fixed:
        raise Conflict("This is a predefined team's own role; change the team's members instead.")
    team = (
        next(iter(orgs_repo.get_teams(session, scope, [binding.team_id])), None)
        if binding.team_id
        else None
    )
    _may_bind(session, actor, held, scope, role, entity_type, binding.entity_id, team)
    user = users_repo.get(session, scope, binding.user_id) if binding.user_id else None
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="role.revoked",
        client=client,
        target=user,
        target_type=None if user else "team",
        target_id=None if user else binding.team_id,
        target_label=None if user else (team.name if team else None),
        details={
            "role": f"{entity_type.key}:{role.key}",
            "entity": f"{entity_type.key}:{binding.entity_id}",
        },
    )
    session.delete(binding)
    session.flush()
