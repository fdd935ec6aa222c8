"""Create organizations with their predefined teams and first admin; their settings, teams
and the tree of organization units."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from usher.access import repository as access_repo
from usher.access.catalogue import ORG_UNIT
from usher.access.roles import install_builtins
from usher.access.scope import OrgScope
from usher.access.service import (
    member_scope,
    require,
    require_on_unit,
    require_somewhere,
    system_scope,
    unit_entity,
)
from usher.audit.service import record
from usher.errors import Conflict, NotFound, ValidationFailed
from usher.invitations import service as invitations
from usher.kit.client import ClientInfo
from usher.models import Organization, OrgUnit, User
from usher.models.invitation import InviteMethod
from usher.models.team import ORGANIZATION_ADMIN
from usher.orgs import repository as orgs_repo
from usher.users import repository as users_repo
from usher.users import service as users_service
from usher.users.schemas import UserCreate

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MIN_EXPIRY_DAYS, MAX_EXPIRY_DAYS = 1, 90
MAX_NAME = 200


def _clean_name(value: str, field_name: str, message: str) -> str:
    """Runs of white space become one space; refuse a blank, too long or control-character
    name with ``message`` on ``field_name``."""
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise ValidationFailed.field(field_name, message)
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise ValidationFailed.field(field_name, "Remove the control characters from the name.")
    return cleaned


def _unit_name(name: str) -> str:
    return _clean_name(name, "name", f"Give the unit a name of 1 to {MAX_NAME} characters.")


@dataclass(frozen=True)
class CreatedOrganization:
    organization: Organization
    admin: User
    registration_url: str


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:63].strip("-") or "org"


def create_organization(
    session: Session,
    *,
    name: str,
    admin_email: str,
    admin_first_name: str = "Admin",
    admin_last_name: str = "User",
    slug: str | None = None,
    client: ClientInfo,
) -> CreatedOrganization:
    """An operator's act (CLI, first start): the org, its teams and a pending first admin."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise ValidationFailed.field("name", "Give the organization a name of 1 to 200 characters.")
    slug = (slug or slugify(name)).lower()
    if not _SLUG.match(slug):
        raise ValidationFailed.field(
            "slug", "Use 1 to 63 lower-case letters, digits and inner hyphens."
        )
    if orgs_repo.get_by_slug(session, slug) is not None:
        raise Conflict(
            f"An organization with the slug {slug!r} already exists.",
            errors={"slug": ["This slug is taken."]},
        )
    admin_data = UserCreate(
        first_name=admin_first_name,
        last_name=admin_last_name,
        email=admin_email,
        invite_method=InviteMethod.link,
    )
    org = Organization(name=name, slug=slug)
    session.add(org)
    session.flush()
    scope = system_scope(org.id)
    teams = install_builtins(session, scope)
    admin = users_service.create_pending_user(
        session, scope, data=admin_data, invited_by=None, teams=[teams[ORGANIZATION_ADMIN]]
    )
    issued = invitations.issue(
        session, scope=scope, user=admin, method=InviteMethod.link, invited_by=None
    )
    record(
        session,
        organization_id=org.id,
        actor=None,
        actor_label="system",
        action="organization.created",
        client=client,
        target_type="organization",
        target_id=org.id,
        target_label=slug,
        details={"admin": admin.email},
    )
    return CreatedOrganization(
        organization=org, admin=admin, registration_url=issued.registration_url
    )


def get_organization(session: Session, actor: User) -> Organization:
    return orgs_repo.get(session, member_scope(actor))


def update_organization(
    session: Session,
    actor: User,
    *,
    name: str | None,
    invitation_expiry_days: int | None,
    client: ClientInfo,
) -> Organization:
    scope = require(session, actor, "settings.manage")
    org = orgs_repo.get(session, scope)
    if name is not None:
        name = _clean_name(
            name, "name", f"Give the organization a name of 1 to {MAX_NAME} characters."
        )
    if invitation_expiry_days is not None and not (
        MIN_EXPIRY_DAYS <= invitation_expiry_days <= MAX_EXPIRY_DAYS
    ):
        raise ValidationFailed.field(
            "invitation_expiry_days",
            f"Choose from {MIN_EXPIRY_DAYS} to {MAX_EXPIRY_DAYS} days.",
        )
    changes: dict[str, object] = {}
    if name is not None and name != org.name:
        changes["name"] = [org.name, name]
        org.name = name
    if invitation_expiry_days is not None and invitation_expiry_days != org.invitation_expiry_days:
        changes["invitation_expiry_days"] = [org.invitation_expiry_days, invitation_expiry_days]
        org.invitation_expiry_days = invitation_expiry_days
    if changes:
        record(
            session,
            organization_id=org.id,
            actor=actor,
            action="organization.updated",
            client=client,
            target_type="organization",
            target_id=org.id,
            target_label=org.slug,
            details={"changes": changes},
        )
    return org


def list_org_units(session: Session, actor: User) -> Sequence[OrgUnit]:
    return orgs_repo.list_org_units(session, member_scope(actor))


def create_org_unit(
    session: Session, actor: User, *, name: str, parent_id: uuid.UUID | None, client: ClientInfo
) -> OrgUnit:
    scope = require_on_unit(session, actor, "org_units.manage", parent_id)
    name = _unit_name(name)
    orgs_repo.lock(session, scope)  # the parent cannot be deleted meanwhile
    if parent_id is not None and orgs_repo.get_org_unit(session, scope, parent_id) is None:
        raise ValidationFailed.field("parent_id", "No such organization unit.")
    unit = OrgUnit(organization_id=scope.organization_id, name=name, parent_id=parent_id)
    session.add(unit)
    session.flush()
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="org_unit.created",
        client=client,
        target_type="org_unit",
        target_id=unit.id,
        target_label=unit.name,
        details={"parent_id": str(parent_id) if parent_id else None},
    )
    return unit


@dataclass
class OrgUnitNode:
    """A unit in the tree, with its direct members and its sub-units by name."""

    unit: OrgUnit
    depth: int
    members: int
    children: list[OrgUnitNode] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.members == 0 and not self.children

    def walk(self) -> list[OrgUnitNode]:
        """This node and everything under it, depth first."""
        nodes = [self]
        for child in self.children:
            nodes.extend(child.walk())
        return nodes


@dataclass(frozen=True)
class OrgUnitTree:
    roots: list[OrgUnitNode]

    @property
    def nodes(self) -> list[OrgUnitNode]:
        """Every unit depth first, parents before their children (for pickers)."""
        return [node for root in self.roots for node in root.walk()]


def org_unit_tree(session: Session, actor: User) -> OrgUnitTree:
    """The organization's units as a tree, with how many users each has directly."""
    scope = require_somewhere(session, actor, "org_units.read").scope
    units = orgs_repo.list_org_units(session, scope)
    counts = orgs_repo.member_counts(session, scope)
    by_parent: dict[uuid.UUID | None, list[OrgUnit]] = {}
    ids = {u.id for u in units}
    for unit in units:
        # A parent that is not there cannot happen (foreign key); be safe and show it at top.
        parent = unit.parent_id if unit.parent_id in ids else None
        by_parent.setdefault(parent, []).append(unit)

    def build(parent: uuid.UUID | None, depth: int) -> list[OrgUnitNode]:
        children = sorted(by_parent.get(parent, []), key=lambda u: (u.name.casefold(), u.id))
        return [
            OrgUnitNode(u, depth, counts.get(u.id, 0), build(u.id, depth + 1)) for u in children
        ]

    return OrgUnitTree(build(None, 0))


def rename_org_unit(
    session: Session, actor: User, *, unit_id: uuid.UUID, name: str, client: ClientInfo
) -> OrgUnit:
    _scope, unit = _managed_unit(session, actor, unit_id)
    name = _unit_name(name)
    if name != unit.name:
        old, unit.name = unit.name, name
        session.flush()
        _record_unit(
            session, actor, unit, "org_unit.renamed", client, {"changes": {"name": [old, name]}}
        )
    return unit


def move_org_unit(
    session: Session,
    actor: User,
    *,
    unit_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    client: ClientInfo,
) -> OrgUnit:
    """Put the unit (with its sub-units) under another parent, or at the top level (None)."""
    scope, unit = _managed_unit(session, actor, unit_id)
    orgs_repo.lock(session, scope)  # two crossing moves could otherwise make a loop
    if parent_id == unit.parent_id:
        return unit
    if parent_id is None:
        require(session, actor, "org_units.manage")  # the top level is the organization's
    elif orgs_repo.get_org_unit(session, scope, parent_id) is not None:
        require_on_unit(session, actor, "org_units.manage", parent_id)
    parent = None
    if parent_id is not None:
        parent = orgs_repo.get_org_unit(session, scope, parent_id)
        if parent is None:
            raise ValidationFailed.field("parent_id", "No such organization unit.")
        _refuse_loop(session, scope, unit, parent)
    old_parent = orgs_repo.get_org_unit(session, scope, unit.parent_id) if unit.parent_id else None
    unit.parent_id = parent_id
    session.flush()
    _record_unit(
        session,
        actor,
        unit,
        "org_unit.moved",
        client,
        {
            "changes": {
                "parent": [
                    old_parent.name if old_parent else None,
                    parent.name if parent else None,
                ],
                "parent_id": [
                    str(old_parent.id) if old_parent else None,
                    str(parent_id) if parent_id else None,
                ],
            }
        },
    )
    return unit


def update_org_unit(
    session: Session,
    actor: User,
    *,
    unit_id: uuid.UUID,
    name: str | None = None,
    move: bool = False,
    parent_id: uuid.UUID | None = None,
    client: ClientInfo,
) -> OrgUnit:
    """Rename and/or move in one step (the API's PATCH); ``move`` says parent_id was given."""
    if name is None and not move:
        raise ValidationFailed("Send a new name, a new parent_id, or both.")
    unit: OrgUnit | None = None
    if name is not None:
        unit = rename_org_unit(session, actor, unit_id=unit_id, name=name, client=client)
    if move:
        unit = move_org_unit(session, actor, unit_id=unit_id, parent_id=parent_id, client=client)
    assert unit is not None
    return unit


def delete_org_unit(
    session: Session, actor: User, *, unit_id: uuid.UUID, client: ClientInfo
) -> None:
    """Delete a unit that has no users and no sub-units; otherwise say what is in it."""
    scope, unit = _managed_unit(session, actor, unit_id)
    orgs_repo.lock(session, scope)
    members = orgs_repo.count_members(session, scope, unit.id)
    children = orgs_repo.count_children(session, scope, unit.id)
    if members or children:
        held = []
        if children:
            held.append(f"{children} sub-unit{'s' if children != 1 else ''}")
        if members:
            held.append(f"{members} user{'s' if members != 1 else ''}")
        todo = []
        if children:
            todo.append("move or delete its sub-units")
        if members:
            todo.append("move its users to another unit")
        raise Conflict(
            f"“{unit.name}” still has {' and '.join(held)}. "
            f"Only an empty unit can be deleted: {' and '.join(todo)} first.",
            members=members,
            sub_units=children,
        )
    _record_unit(session, actor, unit, "org_unit.deleted", client, {})
    access_repo.delete_bindings_on(session, scope, ORG_UNIT, str(unit.id))
    session.delete(unit)
    session.flush()


def _managed_unit(session: Session, actor: User, unit_id: uuid.UUID) -> tuple[OrgScope, OrgUnit]:
    """403 for those who manage no unit, 404 for a unit not in the organization, 403 for a
    unit outside the actor's own."""
    reach = require_somewhere(session, actor, "org_units.manage")
    unit = _org_unit_or_404(session, reach.scope, unit_id)
    require(
        session,
        actor,
        "org_units.manage",
        unit_entity(session, reach.scope, unit.id),
        access=reach.access,
    )
    return reach.scope, unit


def _org_unit_or_404(session: Session, scope: OrgScope, unit_id: uuid.UUID) -> OrgUnit:
    unit = orgs_repo.get_org_unit(session, scope, unit_id)
    if unit is None:
        raise NotFound("No such organization unit in this organization.")
    return unit


def _refuse_loop(session: Session, scope: OrgScope, unit: OrgUnit, parent: OrgUnit) -> None:
    """A unit cannot go under itself or under one of its own sub-units."""
    if parent.id == unit.id:
        message = f"“{unit.name}” cannot be moved under itself."
    else:
        parents = {u.id: u.parent_id for u in orgs_repo.list_org_units(session, scope)}
        above: uuid.UUID | None = parent.parent_id
        seen = {parent.id}
        while above is not None and above != unit.id and above not in seen:
            seen.add(above)
            above = parents.get(above)
        if above != unit.id:
            return
        message = (
            f"“{parent.name}” is inside “{unit.name}”, so “{unit.name}” cannot be moved "
            "under it. Choose a unit outside it, or the top level."
        )
    raise Conflict(message, errors={"parent_id": [message]})


def _record_unit(
    session: Session,
    actor: User,
    unit: OrgUnit,
    action: str,
    client: ClientInfo,
    details: dict[str, object],
) -> None:
    record(
        session,
        organization_id=unit.organization_id,
        actor=actor,
        action=action,
        client=client,
        target_type="org_unit",
        target_id=unit.id,
        target_label=unit.name,
        details=details,
    )


def count_organizations(session: Session) -> int:
    return orgs_repo.count(session)


def member_for_operator(session: Session, *, org_slug: str, email: str) -> User:
    """The person an operator at the command line acts as. Deciding nothing: the services
    then apply that person's rights, as they do for the API."""
    org = orgs_repo.get_by_slug(session, org_slug)
    if org is None:
        raise NotFound(f"No organization with the slug {org_slug.strip().lower()!r}.")
    user = users_repo.find_by_email(session, system_scope(org.id), email)
    if user is None:
        raise NotFound(f"No user with the email {email.strip()} in the organization {org.slug!r}.")
    return user
