"""Access decisions: the one place every authorization in Usher is decided, its own included.

A user's grants are loaded from the database on each request (one query, ``access.repository``)
and decided in memory (``access.decision``), so a change takes effect on the very next request:
there is no cache to invalidate.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from usher.access import repository as access_repo
from usher.access.catalogue import (
    ADMIN_TEAMS,
    MEMBER,
    ORG_UNIT,
    ORGANIZATION,
    TEAM,
)
from usher.access.decision import (
    AccessSet,
    Entity,
    Grant,
    covers,
    is_pattern,
    permission_matches,
)
from usher.access.scope import OrgScope, _make
from usher.errors import Conflict, NotFound, NotPermitted, ValidationFailed
from usher.models import Team, TeamMember, User
from usher.models.role_binding import ALL
from usher.models.team import ORGANIZATION_ADMIN
from usher.models.user import UserStatus
from usher.users import repository as users_repo

USER = "user"  # users are entities too (users.manage on user:<id>), though no role names them
PERMISSION_NAME = re.compile(r"^[a-z][a-z0-9_.:-]{0,99}$")


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


# --- what a user holds ---------------------------------------------------------------------


def access_of(
    session: Session, user: User, *, roles: access_repo.RoleTable | None = None
) -> AccessSet:
    """Everything ``user`` may do now. Only active users hold anything: a pending user's teams
    and roles apply once they accept, a disabled user's not at all."""
    if user.status != UserStatus.active:
        return AccessSet(user.id, user.organization_id, [])
    scope = _make(user.organization_id)
    grants = access_repo.grants_of(session, scope, user.id, roles)
    return AccessSet(user.id, user.organization_id, grants)


def organization_entity(scope: OrgScope) -> Entity:
    return Entity(ORGANIZATION, str(scope.organization_id))


def user_entity(session: Session, scope: OrgScope, user: User) -> Entity:
    units = (
        access_repo.unit_and_ancestors(session, scope, user.org_unit_id)
        if user.org_unit_id
        else frozenset()
    )
    return Entity(USER, str(user.id), units)


def unit_entity(session: Session, scope: OrgScope, unit_id: uuid.UUID) -> Entity:
    return Entity(ORG_UNIT, str(unit_id), access_repo.unit_and_ancestors(session, scope, unit_id))


def team_entity(team: Team) -> Entity:
    return Entity(TEAM, str(team.id))


def _refuse(permission: str, entity: Entity | None) -> NotPermitted:
    where = "" if entity is None or entity.type == ORGANIZATION else f" on {entity}"
    return NotPermitted(
        f"You do not have the {permission} permission{where}. "
        "An Organization Admin can give it to you through a team or a role.",
        permission=permission,
    )


def require(
    session: Session,
    actor: User,
    permission: str,
    entity: Entity | None = None,
    *,
    access: AccessSet | None = None,
) -> OrgScope:
    """The actor's organization, if they hold ``permission`` on ``entity`` (default: the
    organization as a whole); otherwise NotPermitted (403)."""
    scope = _make(actor.organization_id)
    held = access if access is not None else access_of(session, actor)
    if held.decide(permission, entity or organization_entity(scope)) is None:
        raise _refuse(permission, entity)
    return scope


def require_on_user(
    session: Session, actor: User, permission: str, user: User, *, access: AccessSet | None = None
) -> None:
    scope = member_scope(actor)
    require(session, actor, permission, user_entity(session, scope, user), access=access)


def require_user(
    session: Session, actor: User, permission: str, user_id: uuid.UUID
) -> tuple[OrgScope, User]:
    """The user ``user_id`` of the actor's organization, if the actor holds ``permission`` on
    them: 403 for someone who holds it nowhere, 404 for an id not in the organization, 403 for
    a user outside the actor's org units."""
    reach = require_somewhere(session, actor, permission)
    user = users_repo.get(session, reach.scope, user_id)
    if user is None:
        raise NotFound("No such user in this organization.")
    require(
        session, actor, permission, user_entity(session, reach.scope, user), access=reach.access
    )
    if (
        permission != "users.read"
        and user.id != actor.id
        and access_repo.holds_admin_role(session, reach.scope, user.id)
    ):
        # Editing an admin's email, disabling them or sending their invitation link elsewhere
        # would hand over their rights: only those who may change the admin teams may.
        require(session, actor, "admin_teams.manage", access=reach.access)
    return reach.scope, user


def require_on_unit(
    session: Session, actor: User, permission: str, unit_id: uuid.UUID | None
) -> OrgScope:
    """``permission`` on an org unit (and so on everything under it), or on the whole
    organization when ``unit_id`` is None."""
    scope = member_scope(actor)
    entity = unit_entity(session, scope, unit_id) if unit_id else None
    return require(session, actor, permission, entity)


@dataclass(frozen=True)
class Reach:
    """Where a permission holds: the whole organization (``units`` None) or some org units
    and everything beneath them."""

    scope: OrgScope
    units: list[uuid.UUID] | None
    access: AccessSet

    @property
    def whole_organization(self) -> bool:
        return self.units is None


def require_somewhere(session: Session, actor: User, permission: str) -> Reach:
    """The actor's reach for ``permission``; NotPermitted when they hold it nowhere."""
    scope = member_scope(actor)
    held = access_of(session, actor)
    units = held.unit_scopes(permission)
    if units is None:
        return Reach(scope, None, held)
    if not units:
        raise _refuse(permission, None)
    if ALL in units:
        roots = [u.id for u in access_repo.all_units(session, scope)]
    else:
        roots = [uuid.UUID(u) for u in units]
    return Reach(scope, access_repo.units_under(session, scope, roots), held)


def _pattern_covers(held: str, wanted: str) -> bool:
    """Whether the permission (or pattern) ``held`` covers all that ``wanted`` covers."""
    if held in ("*", wanted):
        return True
    if not is_pattern(wanted):
        return permission_matches(held, wanted)
    if held.endswith(".*") and wanted.endswith(".*"):
        return wanted.startswith(held[:-1])
    if held.startswith("*.") and wanted.startswith("*."):
        return wanted.endswith(held[1:])
    return False


def holds(access: AccessSet, permission: str, entity: Entity) -> bool:
    """Whether ``access`` holds ``permission`` (or, for a pattern such as ``*``, all it covers)
    on ``entity``."""
    if not is_pattern(permission):
        return access.allows(permission, entity)
    return any(
        _pattern_covers(held, permission)
        for grant in access.grants
        if covers(grant, entity)
        for held in grant.permissions
    )


def require_to_hold(
    access: AccessSet, permissions: Sequence[str], entity: Entity, what: str
) -> None:
    """Nobody grants what they do not hold."""
    missing = [p for p in permissions if not holds(access, p, entity)]
    if missing:
        raise NotPermitted(
            f"You cannot grant {what}: it gives {', '.join(missing)} on {entity}, "
            "which you do not hold yourself.",
            missing=missing,
        )


def require_team_assignment(
    session: Session, actor: User, team: Team, *, access: AccessSet | None = None
) -> AccessSet:
    """May ``actor`` add people to (or remove them from) ``team``? They need teams.manage on
    it, admin_teams.manage for the admin teams, and every role the team holds."""
    scope = member_scope(actor)
    held = access if access is not None else access_of(session, actor)
    if team.key == MEMBER:
        raise Conflict("Everyone is a member of Member; its membership cannot be changed.")
    if team.key in ADMIN_TEAMS:
        require(session, actor, "admin_teams.manage", access=held)
    require(session, actor, "teams.manage", team_entity(team), access=held)
    for binding, role, entity_type in access_repo.bindings(session, scope, team_id=team.id):
        entity = binding_entity(session, scope, entity_type.key, binding.entity_id)
        require_to_hold(held, role.permissions, entity, f"membership of {team.name}")
    return held


def binding_entity(session: Session, scope: OrgScope, type_key: str, entity_id: str) -> Entity:
    """What a binding is on, with the ancestry of an org unit (which is what it covers)."""
    if type_key == ORGANIZATION:
        return organization_entity(scope)
    if type_key == ORG_UNIT and entity_id != ALL:
        try:
            return unit_entity(session, scope, uuid.UUID(entity_id))
        except ValueError:
            pass
    return Entity(type_key, entity_id)


# --- the permission check API ------------------------------------------------------------


@dataclass(frozen=True)
class CheckRequest:
    permission: str
    entity: str
    user_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CheckResult:
    request: CheckRequest
    user_id: uuid.UUID
    allowed: bool
    grant: Grant | None


class _Checker:
    """Answers many checks for one caller: each user's grants and each entity's units are
    loaded once."""

    def __init__(self, session: Session, actor: User) -> None:
        self.session = session
        self.actor = actor
        self.scope = member_scope(actor)
        self._roles = access_repo.roles_of(session, self.scope)
        self._types = {type_key for _key, _permissions, type_key in self._roles.values()}
        self._actor_access = access_of(session, actor, roles=self._roles)
        self._access: dict[uuid.UUID, AccessSet] = {actor.id: self._actor_access}
        self._entities: dict[str, Entity] = {}
        self._may_check_others: bool | None = None

    def access_for(self, user_id: uuid.UUID) -> AccessSet:
        found = self._access.get(user_id)
        if found is None:
            if self._may_check_others is None:
                self._may_check_others = self._actor_access.allows(
                    "access.check", organization_entity(self.scope)
                )
            if not self._may_check_others:
                raise _refuse("access.check", None)
            user = users_repo.get(self.session, self.scope, user_id)
            if user is None:
                raise NotFound(f"No user {user_id} in this organization.")
            found = access_of(self.session, user, roles=self._roles)
            self._access[user_id] = found
        return found

    def entity(self, text: str) -> Entity:
        found = self._entities.get(text)
        if found is None:
            found = parse_entity(self.session, self.scope, text, known_types=self._types)
            self._entities[text] = found
        return found

    def check(self, request: CheckRequest) -> CheckResult:
        if not PERMISSION_NAME.match(request.permission):
            raise ValidationFailed.field("permission", "Use a permission name like project.edit.")
        user_id = request.user_id or self.actor.id
        held = self.access_for(user_id)
        grant = held.decide(request.permission, self.entity(request.entity))
        return CheckResult(request, user_id, grant is not None, grant)


def parse_entity(
    session: Session, scope: OrgScope, text: str, *, known_types: set[str] | None = None
) -> Entity:
    """``project:42``, ``org_unit:<uuid>``, ``user:<uuid>``, ``team:<uuid>`` or
    ``organization``."""
    type_key, sep, entity_id = text.partition(":")
    if type_key == ORGANIZATION and entity_id in ("", ALL, str(scope.organization_id)):
        return organization_entity(scope)
    if not sep or not entity_id or entity_id == ALL:
        raise ValidationFailed.field(
            "entity", "Name one entity as type:id, for example project:42."
        )
    if type_key == USER:
        try:
            user_id = uuid.UUID(entity_id)
        except ValueError:
            raise ValidationFailed.field("entity", "A user entity is user:<user id>.") from None
        user = users_repo.get(session, scope, user_id)
        if user is None:
            raise ValidationFailed.field("entity", "No such user in this organization.")
        return user_entity(session, scope, user)
    if type_key == ORG_UNIT:
        try:
            found_unit = unit_entity(session, scope, uuid.UUID(entity_id))
        except ValueError:
            raise ValidationFailed.field(
                "entity", "An org unit entity is org_unit:<unit id>."
            ) from None
        if not found_unit.units:  # not even itself: not a unit of this organization
            raise ValidationFailed.field("entity", "No such org unit in this organization.")
        return found_unit
    if (known_types is None or type_key not in known_types) and access_repo.entity_type(
        session, scope, type_key
    ) is None:
        raise ValidationFailed.field("entity", f"No entity type {type_key!r} is registered.")
    return Entity(type_key, entity_id)


def check(session: Session, actor: User, request: CheckRequest) -> CheckResult:
    """May a user (the caller, by default) do ``permission`` on ``entity``? Asking about
    someone else takes the access.check permission."""
    return _Checker(session, actor).check(request)


def check_many(
    session: Session, actor: User, requests: Sequence[CheckRequest]
) -> list[CheckResult]:
    checker = _Checker(session, actor)
    return [checker.check(r) for r in requests]


def effective_access(session: Session, actor: User, user_id: uuid.UUID) -> tuple[User, AccessSet]:
    """A user's grants with their sources (their own, or a team); the user themself, or
    anyone with users.read on them."""
    scope = member_scope(actor)
    if user_id == actor.id:
        return actor, access_of(session, actor)
    reach = require_somewhere(session, actor, "users.read")
    user = users_repo.get(session, scope, user_id)
    if user is None:
        raise NotFound("No such user in this organization.")
    require_on_user(session, actor, "users.read", user, access=reach.access)
    return user, access_of(session, user)
