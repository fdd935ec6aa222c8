"""Teams: the predefined ones (fixed) and custom ones; their members. What a team may do is
the roles it holds (``access.roles``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from usher.access import repository as access_repo
from usher.access import roles as access_roles
from usher.access.catalogue import MEMBER, ORGANIZATION_ADMIN, TEAM
from usher.access.decision import AccessSet
from usher.access.scope import OrgScope
from usher.access.service import (
    access_of,
    member_scope,
    require,
    require_team_assignment,
    team_entity,
)
from usher.audit.service import record
from usher.errors import Conflict, LastAdmin, NotFound, ValidationFailed
from usher.kit.client import ClientInfo
from usher.models import Team, User
from usher.models.user import UserStatus
from usher.orgs import repository as orgs_repo
from usher.teams import repository as teams_repo
from usher.users import repository as users_repo

MAX_NAME, MAX_DESCRIPTION = 100, 1000
MEMBERS_SHOWN = 200


@dataclass(frozen=True)
class TeamSummary:
    team: Team
    member_count: int


@dataclass(frozen=True)
class TeamDetail:
    team: Team
    member_count: int
    members: Sequence[User]
    bindings: Sequence[access_roles.BindingView]


def list_teams(session: Session, actor: User) -> list[TeamSummary]:
    """Every team of the organization with its description and member count (any member may
    see them: they are what an invitation offers)."""
    scope = member_scope(actor)
    counts = teams_repo.member_counts(session, scope)
    return [TeamSummary(t, counts.get(t.id, 0)) for t in teams_repo.list_all(session, scope)]


def _team_or_404(session: Session, scope: OrgScope, team_id: uuid.UUID) -> Team:
    team = teams_repo.get(session, scope, team_id)
    if team is None:
        raise NotFound("No such team in this organization.")
    return team


def get_team(session: Session, actor: User, team_id: uuid.UUID) -> TeamDetail:
    scope = member_scope(actor)
    team = _team_or_404(session, scope, team_id)
    require(session, actor, "teams.read", team_entity(team))
    return TeamDetail(
        team=team,
        member_count=teams_repo.member_counts(session, scope).get(team.id, 0),
        members=teams_repo.members(session, scope, team, MEMBERS_SHOWN),
        bindings=access_roles.bindings_of_subject(session, scope, team_id=team.id),
    )


def _clean(name: str | None, description: str | None) -> tuple[str | None, str | None]:
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise ValidationFailed.field("name", "Give the team a name.")
        if len(name) > MAX_NAME:
            raise ValidationFailed.field("name", f"Use at most {MAX_NAME} characters.")
    if description is not None:
        description = description.strip()
        if len(description) > MAX_DESCRIPTION:
            raise ValidationFailed.field(
                "description", f"Use at most {MAX_DESCRIPTION} characters."
            )
    return name, description


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"A team named {name} already exists.",
        errors={"name": ["A team with this name already exists."]},
    )


def create_team(
    session: Session, actor: User, *, name: str, description: str = "", client: ClientInfo
) -> TeamDetail:
    scope = require(session, actor, "teams.manage")
    clean_name, clean_description = _clean(name, description)
    assert clean_name is not None
    if teams_repo.find_by_name(session, scope, clean_name) is not None:
        raise _name_taken(clean_name)
    team = Team(
        organization_id=scope.organization_id,
        name=clean_name,
        description=clean_description or "",
        key=None,
    )
    session.add(team)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _name_taken(clean_name) from None
    _audit(session, actor, "team.created", team, client, {"description": team.description})
    return TeamDetail(team, 0, [], [])


def _custom_team(session: Session, actor: User, team_id: uuid.UUID) -> tuple[OrgScope, Team]:
    scope = member_scope(actor)
    team = _team_or_404(session, scope, team_id)
    require(session, actor, "teams.manage", team_entity(team))
    if team.is_predefined:
        raise Conflict(f"{team.name} is a predefined team; it cannot be renamed or deleted.")
    return scope, team


def update_team(
    session: Session,
    actor: User,
    team_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    client: ClientInfo,
) -> TeamDetail:
    scope, team = _custom_team(session, actor, team_id)
    clean_name, clean_description = _clean(name, description)
    changes: dict[str, list[str]] = {}
    if clean_name is not None and clean_name != team.name:
        other = teams_repo.find_by_name(session, scope, clean_name)
        if other is not None and other.id != team.id:
            raise _name_taken(clean_name)
        changes["name"] = [team.name, clean_name]
        team.name = clean_name
    if clean_description is not None and clean_description != team.description:
        changes["description"] = [team.description, clean_description]
        team.description = clean_description
    if changes:
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise _name_taken(str(clean_name)) from None
        _audit(session, actor, "team.updated", team, client, {"changes": changes})
    return get_team(session, actor, team.id)


def delete_team(session: Session, actor: User, team_id: uuid.UUID, *, client: ClientInfo) -> None:
    """Its members leave it and its roles go with it, at once."""
    scope, team = _custom_team(session, actor, team_id)
    count = teams_repo.member_counts(session, scope).get(team.id, 0)
    _audit(session, actor, "team.deleted", team, client, {"members": count})
    access_repo.delete_bindings_on(session, scope, TEAM, str(team.id))
    session.delete(team)
    session.flush()


def add_members(
    session: Session,
    actor: User,
    team_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    *,
    client: ClientInfo,
    access: AccessSet | None = None,
) -> list[User]:
    """Add people to a team (those already in it are left as they are); the users added."""
    scope = member_scope(actor)
    team = _team_or_404(session, scope, team_id)
    require_team_assignment(session, actor, team, access=access)
    wanted = list(dict.fromkeys(user_ids))
    users = {u.id: u for u in users_repo.get_many(session, scope, wanted)}
    missing = [str(i) for i in wanted if i not in users]
    if missing:
        raise ValidationFailed.field("user_ids", f"No such user: {', '.join(missing)}.")
    present = teams_repo.member_ids(session, team, wanted)
    added = [users[i] for i in wanted if i not in present]
    for user in added:
        teams_repo.add_member(session, team, user)
        _audit(session, actor, "team.member_added", team, client, {"user": user.email}, user)
    session.flush()
    return added


def remove_member(
    session: Session,
    actor: User,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    client: ClientInfo,
    access: AccessSet | None = None,
) -> None:
    scope = member_scope(actor)
    team = _team_or_404(session, scope, team_id)
    require_team_assignment(session, actor, team, access=access)
    user = users_repo.get(session, scope, user_id)
    if user is None or user_id not in teams_repo.member_ids(session, team, [user_id]):
        raise NotFound(f"That user is not a member of {team.name}.")
    if team.key == ORGANIZATION_ADMIN:
        orgs_repo.lock(session, scope)
        if (
            user.status == UserStatus.active
            and users_repo.count_active_org_admins(session, scope) <= 1
        ):
            raise LastAdmin(
                f"{user.email} is the last active Organization Admin and cannot leave the team. "
                "Make someone else an Organization Admin first."
            )
    teams_repo.remove_member(session, team, user.id)
    _audit(session, actor, "team.member_removed", team, client, {"user": user.email}, user)
    session.flush()


def set_user_teams(
    session: Session,
    actor: User,
    user_id: uuid.UUID,
    team_ids: Sequence[uuid.UUID],
    *,
    client: ClientInfo,
) -> list[Team]:
    """Make ``team_ids`` the user's teams (Add/Remove on the user's page); the same rules as
    adding and removing one by one. Returns the user's teams."""
    scope = member_scope(actor)
    held = access_of(session, actor)
    user = users_repo.get(session, scope, user_id)
    if user is None:
        raise NotFound("No such user in this organization.")
    current = {t.id for t in users_repo.teams_of(session, scope, user.id)}
    wanted = set(team_ids)
    teams = {t.id: t for t in orgs_repo.get_teams(session, scope, list(wanted))}
    unknown = [str(t) for t in wanted if t not in teams]
    if unknown:
        raise ValidationFailed.field("team_ids", f"No such team: {', '.join(sorted(unknown))}.")
    # Everyone is a member of Member: listing it (or not) changes nothing.
    wanted = {t for t in wanted if teams[t].key != MEMBER}
    for team_id in sorted(wanted - current):
        add_members(session, actor, team_id, [user.id], client=client, access=held)
    for team_id in sorted(current - wanted):
        remove_member(session, actor, team_id, user.id, client=client, access=held)
    return list(users_repo.teams_of(session, scope, user.id))


def _audit(
    session: Session,
    actor: User,
    action: str,
    team: Team,
    client: ClientInfo,
    details: dict[str, object],
    user: User | None = None,
) -> None:
    record(
        session,
        organization_id=team.organization_id,
        actor=actor,
        action=action,
        client=client,
        target=user,
        target_type=None if user else "team",
        target_id=None if user else team.id,
        target_label=None if user else team.name,
        details={"team": team.name, **details},
    )
