"""Create organizations with their predefined teams and first admin."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from usher.access.service import member_scope, require_user_manager, system_scope
from usher.audit.service import record
from usher.errors import Conflict, NotFound, ValidationFailed
from usher.invitations import service as invitations
from usher.kit.client import ClientInfo
from usher.models import Organization, OrgUnit, Team, User
from usher.models.invitation import InviteMethod
from usher.models.team import ORGANIZATION_ADMIN
from usher.orgs import repository as orgs_repo
from usher.users import repository as users_repo
from usher.users import service as users_service
from usher.users.schemas import UserCreate

PREDEFINED_TEAMS = {
    ORGANIZATION_ADMIN: (
        "Organization Admin",
        "Full control of the organization: invite, edit and delete users, manage teams, "
        "roles, organization units and settings.",
    ),
}
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


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
    teams = {
        key: Team(organization_id=org.id, key=key, name=team_name, description=description)
        for key, (team_name, description) in PREDEFINED_TEAMS.items()
    }
    session.add_all(teams.values())
    session.flush()
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
    scope = require_user_manager(session, actor)
    org = orgs_repo.get(session, scope)
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


def list_teams(session: Session, actor: User) -> Sequence[Team]:
    return orgs_repo.list_teams(session, member_scope(actor))


def list_org_units(session: Session, actor: User) -> Sequence[OrgUnit]:
    return orgs_repo.list_org_units(session, member_scope(actor))


def create_org_unit(
    session: Session, actor: User, *, name: str, parent_id: uuid.UUID | None, client: ClientInfo
) -> OrgUnit:
    scope = require_user_manager(session, actor)
    if parent_id is not None and orgs_repo.get_org_unit(session, scope, parent_id) is None:
        raise ValidationFailed.field("parent_id", "No such organization unit.")
    unit = OrgUnit(
        organization_id=scope.organization_id, name=" ".join(name.split()), parent_id=parent_id
    )
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
