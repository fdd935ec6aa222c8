"""Invite users and read them; the rules live here, every door calls these functions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from usher.access import roles as access_roles
from usher.access import service as access
from usher.access.scope import OrgScope
from usher.access.service import is_org_admin
from usher.audit import service as audit
from usher.audit.service import record
from usher.auth import repository as auth_repo
from usher.errors import EmailTaken, LastAdmin, NotFound, NotPermitted, ValidationFailed
from usher.invitations import service as invitations
from usher.kit import clock
from usher.kit.client import ClientInfo
from usher.kit.context import limiter_of, settings_of
from usher.kit.pagination import decode_cursor, encode_cursor
from usher.models import AuditEvent, Team, User
from usher.models.user import UserStatus
from usher.orgs import repository as orgs_repo
from usher.users import listing
from usher.users import repository as users_repo
from usher.users.listing import Page as Page
from usher.users.listing import UserFilters as UserFilters
from usher.users.schemas import UserCreate, UserUpdate


@dataclass(frozen=True)
class UserDetail:
    user: User
    teams: Sequence[Team]
    invitation: invitations.InvitationStatus | None
    audit_trail: Sequence[AuditEvent] = ()


@dataclass(frozen=True)
class InviteResult:
    detail: UserDetail
    registration_url: str | None


def invite_user(
    session: Session, actor: User, *, data: UserCreate, client: ClientInfo
) -> InviteResult:
    """Create a pending user and invite them by personal email or by a shareable link, with
    the teams and roles that apply once they accept."""
    reach = access.require_somewhere(session, actor, "users.manage")
    scope = reach.scope
    if not reach.whole_organization and data.org_unit_id is None:
        raise NotPermitted(
            "You manage users of some organization units only: choose one of them.",
            errors={"org_unit_id": ["Choose one of your organization units."]},
        )
    if data.org_unit_id is not None and orgs_repo.get_org_unit(session, scope, data.org_unit_id):
        access.require(
            session,
            actor,
            "users.manage",
            access.unit_entity(session, scope, data.org_unit_id),
            access=reach.access,
        )
    for team in orgs_repo.get_teams(session, scope, data.team_ids):
        access.require_team_assignment(session, actor, team, access=reach.access)
    settings = settings_of(session)
    limiter_of(session).hit(settings.rate_limit_invite_ip, "invite-ip", client.ip)
    limiter_of(session).hit(settings.rate_limit_invite_account, "invite-account", str(actor.id))
    user = create_pending_user(session, scope, data=data, invited_by=actor)
    for i, grant in enumerate(data.roles):
        try:
            access_roles.grant_role(
                session,
                actor,
                role=grant.role,
                entity_id=grant.entity_id,
                user_id=user.id,
                client=client,
                access=reach.access,
            )
        except ValidationFailed as exc:
            field, messages = next(iter((exc.errors or {"role": [exc.message]}).items()))
            raise ValidationFailed.field(f"roles.{i}.{field}", messages[0]) from None
    issued = invitations.issue(
        session, scope=scope, user=user, method=data.invite_method, invited_by=actor
    )
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="user.invited",
        client=client,
        target=user,
        details={
            "method": data.invite_method.value,
            "sent_to": issued.invitation.sent_to,
            "teams": [str(t) for t in data.team_ids],
            "roles": [f"{g.role} on {g.entity_id}" for g in data.roles],
        },
    )
    url = issued.registration_url if data.invite_method == "link" else None
    return InviteResult(detail=get_detail(session, scope, user.id), registration_url=url)


def create_pending_user(
    session: Session,
    scope: OrgScope,
    *,
    data: UserCreate,
    invited_by: User | None,
    teams: Sequence[Team] = (),
) -> User:
    if users_repo.find_by_email(session, scope, data.email) is not None:
        raise _email_taken(data.email)
    if data.org_unit_id and orgs_repo.get_org_unit(session, scope, data.org_unit_id) is None:
        raise ValidationFailed.field("org_unit_id", "No such organization unit.")
    found_teams = list(teams) or list(orgs_repo.get_teams(session, scope, data.team_ids))
    missing = set(data.team_ids) - {t.id for t in found_teams}
    if missing:
        raise ValidationFailed.field(
            "team_ids", f"No such team: {', '.join(sorted(str(m) for m in missing))}."
        )
    user = User(
        organization_id=scope.organization_id,
        first_name=data.first_name,
        last_name=data.last_name,
        gender=data.gender,
        birthday=data.birthday,
        email=data.email,
        personal_email=data.personal_email,
        phone=data.phone,
        org_unit_id=data.org_unit_id,
        position=data.position,
        status=UserStatus.pending,
        invited_by_id=invited_by.id if invited_by else None,
    )
    session.add(user)
    try:
        # The unique index on (organization, lower(email)) settles races between requests.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _email_taken(data.email) from None
    users_repo.add_to_teams(session, user, found_teams)
    session.flush()
    return user


def _email_taken(email: str) -> EmailTaken:
    return EmailTaken(
        f"A user with the email {email} already exists in this organization.",
        errors={"email": ["A user with this email already exists in this organization."]},
    )


def get_detail(session: Session, scope: OrgScope, user_id: uuid.UUID) -> UserDetail:
    user = users_repo.get(session, scope, user_id)
    if user is None:
        raise NotFound("No such user in this organization.")
    return UserDetail(
        user=user,
        teams=users_repo.teams_of(session, scope, user.id),
        invitation=invitations.status_of(session, scope, user.id),
        audit_trail=audit.trail_for(session, scope, user.id),
    )


def get_user(session: Session, actor: User, *, user_id: uuid.UUID) -> UserDetail:
    scope, user = access.require_user(session, actor, "users.read", user_id)
    return get_detail(session, scope, user.id)


def find_by_email(session: Session, actor: User, email: str) -> User:
    """The user with this organizational email (any letter case), among those the actor may
    see (the whole organization, or the org units they were given); NotFound otherwise."""
    reach = access.require_somewhere(session, actor, "users.read")
    user = users_repo.find_by_email(session, reach.scope, email)
    if user is None or (reach.units is not None and user.org_unit_id not in reach.units):
        raise NotFound(f"No user with the email {email} in this organization.")
    return user


# --- the User Management list -------------------------------------------------------------


def list_users(
    session: Session,
    actor: User,
    *,
    filters: UserFilters,
    sort: str = "name",
    descending: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[Page, str | None]:
    """One page of the users the actor may see (the whole organization, or the org units they
    were given) and the cursor of the next one."""
    reach = access.require_somewhere(session, actor, "users.read")
    scope = reach.scope
    if reach.units is not None:
        filters = replace(filters, within_unit_ids=tuple(reach.units))
    if sort not in listing.SORTS:
        raise ValidationFailed.field("sort", f"Sort by one of: {', '.join(listing.SORTS)}.")
    after = decode_cursor(cursor, sort=sort, descending=descending) if cursor else None
    page = listing.list_users(
        session, scope, filters, sort=sort, descending=descending, after=after, limit=limit
    )
    listing.attach_teams_and_units(session, scope, page)
    return page, encode_cursor(page.next_cursor) if page.next_cursor else None


# --- edit, disable, enable, delete -------------------------------------------------------


def update_user(
    session: Session, actor: User, *, user_id: uuid.UUID, data: UserUpdate, client: ClientInfo
) -> UserDetail:
    """Change the profile fields that were sent (``null`` clears an optional one)."""
    scope, user = access.require_user(session, actor, "users.manage", user_id)
    changes = data.model_dump(exclude_unset=True)
    changes.pop("phone_region", None)
    for required in ("first_name", "last_name", "email", "gender"):
        if required in changes and changes[required] is None:
            raise ValidationFailed.field(required, "This field cannot be cleared.")
    if "email" in changes and changes["email"].lower() != user.email.lower():
        other = users_repo.find_by_email(session, scope, changes["email"])
        if other is not None and other.id != user.id:
            raise _email_taken(changes["email"])
    if (
        changes.get("org_unit_id")
        and orgs_repo.get_org_unit(session, scope, changes["org_unit_id"]) is None
    ):
        raise ValidationFailed.field("org_unit_id", "No such organization unit.")
    if changes.get("org_unit_id") and changes["org_unit_id"] != user.org_unit_id:
        access.require_on_unit(session, actor, "users.manage", changes["org_unit_id"])
    elif "org_unit_id" in changes and changes["org_unit_id"] is None and user.org_unit_id:
        access.require(session, actor, "users.manage")  # out of every unit: whole org only
    diff: dict[str, list[object]] = {}
    for name, value in changes.items():
        old = getattr(user, name)
        if old != value:
            diff[name] = [_plain(old), _plain(value)]
            setattr(user, name, value)
    if diff:
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise _email_taken(str(changes.get("email"))) from None
        record(
            session,
            organization_id=scope.organization_id,
            actor=actor,
            action="user.updated",
            client=client,
            target=user,
            details={"changes": diff},
        )
    return get_detail(session, scope, user.id)


def _plain(value: object) -> object:
    return value if value is None or isinstance(value, (str, int, bool)) else str(value)


def disable_user(
    session: Session, actor: User, *, user_id: uuid.UUID, client: ClientInfo
) -> UserDetail:
    """Disable a user: every session and API token ends now, an open invitation dies."""
    scope, user = access.require_user(session, actor, "users.manage", user_id)
    orgs_repo.lock(session, scope)
    if user.status == UserStatus.disabled:
        return get_detail(session, scope, user.id)
    _refuse_if_last_admin(session, scope, user, "disabled")
    previous = user.status
    user.status = UserStatus.disabled
    _end_access(session, scope, user)
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="user.disabled",
        client=client,
        target=user,
        details={"previous_status": previous.value},
    )
    session.flush()
    return get_detail(session, scope, user.id)


def enable_user(
    session: Session, actor: User, *, user_id: uuid.UUID, client: ClientInfo
) -> UserDetail:
    """Undo a disable. Old sessions stay dead; a never-registered user is pending again and
    needs a new invitation."""
    scope, user = access.require_user(session, actor, "users.manage", user_id)
    if user.status != UserStatus.disabled:
        return get_detail(session, scope, user.id)
    user.status = UserStatus.active if user.password_hash else UserStatus.pending
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="user.enabled",
        client=client,
        target=user,
        details={"status": user.status.value},
    )
    session.flush()
    return get_detail(session, scope, user.id)


def delete_user(session: Session, actor: User, *, user_id: uuid.UUID, client: ClientInfo) -> None:
    """Delete a user; they lose access at once (sessions, tokens and invitations go with them)."""
    scope, user = access.require_user(session, actor, "users.manage", user_id)
    orgs_repo.lock(session, scope)
    _refuse_if_last_admin(session, scope, user, "deleted")
    _end_access(session, scope, user)
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="user.deleted",
        client=client,
        target=user,
        details={"status": user.status.value, "name": user.full_name},
    )
    session.delete(user)
    session.flush()


def _get_or_raise(session: Session, scope: OrgScope, user_id: uuid.UUID) -> User:
    user = users_repo.get(session, scope, user_id)
    if user is None:
        raise NotFound("No such user in this organization.")
    return user


def _refuse_if_last_admin(session: Session, scope: OrgScope, user: User, verb: str) -> None:
    if (
        user.status == UserStatus.active
        and is_org_admin(session, user)
        and users_repo.count_active_org_admins(session, scope) <= 1
    ):
        raise LastAdmin(
            f"{user.email} is the last active Organization Admin and cannot be {verb}. "
            "Make someone else an Organization Admin first."
        )


def _end_access(session: Session, scope: OrgScope, user: User) -> None:
    now = clock.now()
    auth_repo.revoke_sessions_for_user(session, user.id, now)
    auth_repo.revoke_api_tokens_for_user(session, user.id, now)
    invitations.revoke_open(session, scope, user)
