"""The access decision itself, in memory: which of a user's grants, if any, allows a permission
on an entity. Loading the grants is ``access.repository``'s job; deciding is pure and fast
(a dictionary look-up and a short list), so every request can load afresh and no cache can
ever be stale."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from usher.access.catalogue import ORG_UNIT, ORGANIZATION
from usher.models.role_binding import ALL


@dataclass(slots=True, eq=False)  # not frozen: a user's hundreds are built on every request
class Grant:
    """One role binding as it applies to one user: directly, or through a team."""

    binding_ref: str  # the binding's id as the database returned it
    role_key: str
    entity_type: str
    entity_id: str  # an id within entity_type, or "*"
    permissions: tuple[str, ...]
    team_ref: str | None = None
    team_name: str | None = None

    @property
    def binding_id(self) -> uuid.UUID:
        return uuid.UUID(self.binding_ref)

    @property
    def team_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.team_ref) if self.team_ref is not None else None

    @property
    def role(self) -> str:
        return f"{self.entity_type}:{self.role_key}"

    @property
    def entity(self) -> str:
        return f"{self.entity_type}:{self.entity_id}"

    @property
    def via_team(self) -> bool:
        return self.team_ref is not None


@dataclass(frozen=True, slots=True)
class Entity:
    """What a permission is asked on. ``units``: the org units that contain it (for a user,
    their unit and its ancestors; for a unit, itself and its ancestors), which is how a role on
    an org unit covers the users and units beneath it."""

    type: str
    id: str
    units: frozenset[str] = field(default_factory=frozenset)

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


def permission_matches(pattern: str, permission: str) -> bool:
    """``*`` matches everything, ``users.*`` every ``users.…``, ``*.read`` every ``….read``."""
    if pattern == "*" or pattern == permission:
        return True
    if pattern.endswith(".*"):
        return permission.startswith(pattern[:-1])
    if pattern.startswith("*."):
        return permission.endswith(pattern[1:])
    return False


def is_pattern(permission: str) -> bool:
    return "*" in permission


@dataclass(slots=True)
class _Index:
    """The grants of one permission, by what they cover: a decision is a few look-ups."""

    by_entity: dict[tuple[str, str], Grant] = field(default_factory=dict)
    by_type: dict[str, Grant] = field(default_factory=dict)  # type:*
    in_units: list[Grant] = field(default_factory=list)  # roles on org units
    everywhere: Grant | None = None  # a role on the organization


class AccessSet:
    """Everything one user holds, indexed by permission for the decision."""

    __slots__ = (
        "_by_permission",
        "_indexes",
        "_memo",
        "_patterns",
        "grants",
        "organization_id",
        "user_id",
    )

    def __init__(self, user_id: uuid.UUID, organization_id: uuid.UUID, grants: list[Grant]) -> None:
        self.user_id = user_id
        self.organization_id = organization_id
        # Individual roles first, then teams; within each, the broadest entity first.
        self.grants = sorted(
            grants,
            key=lambda g: (g.via_team, g.entity_type != ORGANIZATION, g.entity_id != ALL),
        )
        self._by_permission: dict[str, list[Grant]] = {}
        self._patterns: list[tuple[str, Grant]] = []
        for grant in self.grants:
            for permission in grant.permissions:
                if is_pattern(permission):
                    self._patterns.append((permission, grant))
                else:
                    self._by_permission.setdefault(permission, []).append(grant)
        self._memo: dict[str, list[Grant]] = {}
        self._indexes: dict[str, _Index] = {}

    def _candidates(self, permission: str) -> list[Grant]:
        found = self._memo.get(permission)
        if found is None:
            found = list(self._by_permission.get(permission, ()))
            found += [g for p, g in self._patterns if permission_matches(p, permission)]
            self._memo[permission] = found
        return found

    def _index(self, permission: str) -> _Index:
        index = self._indexes.get(permission)
        if index is None:
            index = _Index()
            for grant in self._candidates(permission):
                if grant.entity_type == ORGANIZATION:
                    if index.everywhere is None:
                        index.everywhere = grant
                    continue
                if grant.entity_id == ALL:
                    index.by_type.setdefault(grant.entity_type, grant)
                else:
                    index.by_entity.setdefault((grant.entity_type, grant.entity_id), grant)
                if grant.entity_type == ORG_UNIT:
                    index.in_units.append(grant)
            self._indexes[permission] = index
        return index

    def decide(self, permission: str, entity: Entity) -> Grant | None:
        """The grant that allows ``permission`` on ``entity`` (the most specific one), or
        None."""
        index = self._index(permission)
        grant = index.by_entity.get((entity.type, entity.id)) or index.by_type.get(entity.type)
        if grant is not None:
            return grant
        if entity.units:
            for unit_grant in index.in_units:
                if unit_grant.entity_id == ALL or unit_grant.entity_id in entity.units:
                    return unit_grant
        return index.everywhere

    def allows(self, permission: str, entity: Entity) -> bool:
        return self.decide(permission, entity) is not None

    def unit_scopes(self, permission: str) -> set[str] | None:
        """Where ``permission`` holds among org units: None for the whole organization, else
        the ids of the units whose subtrees it covers ("*" for every unit)."""
        units: set[str] = set()
        for grant in self._candidates(permission):
            if grant.entity_type == ORGANIZATION:
                return None
            if grant.entity_type == ORG_UNIT:
                units.add(grant.entity_id)
        return units


def covers(grant: Grant, entity: Entity) -> bool:
    if grant.entity_type == ORGANIZATION:
        return True  # a role on the organization covers everything in it
    if grant.entity_type == entity.type and grant.entity_id in (ALL, entity.id):
        return True
    if grant.entity_type == ORG_UNIT and entity.units:
        return grant.entity_id == ALL or grant.entity_id in entity.units
    return False
