"""Administrator → Users → Teams: the list of teams (each described behind its (i)) with a form
for a new custom team, and a team's page: its members (Add by email, Remove), the roles it
holds (Grant, Revoke), and Rename/Describe/Delete for a custom team. Every rule is the
services'; a refusal comes back as a message beside the form that was sent."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy.orm import Session

from usher.access import roles as access_roles
from usher.api.deps import ClientDep, SessionDep
from usher.errors import NotFound, NotPermitted, UsherError, ValidationFailed
from usher.teams import service as teams_service
from usher.users import service as users_service
from usher.web.csrf import CsrfDep
from usher.web.deps import Viewer, ViewerDep, redirect, settle_refusal, split_errors
from usher.web.pages.users_shared import signed_out
from usher.web.render import PageRoute, render, settings_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TEAMS_PATH = "/admin/teams"
NameField = Annotated[str, Form(max_length=1000)]
TextField = Annotated[str, Form(max_length=5000)]
EmailsField = Annotated[str, Form(max_length=20000)]
ShortField = Annotated[str, Form(max_length=300)]
QueryText = Annotated[str, Query(max_length=100)]

MAX_EMAILS = 100
NOTICES = {
    "created": "The team is created. Add its members and give it roles below.",
    "updated": "The team's name and description are saved.",
    "deleted": "The team is deleted: its members left it and its roles went with it.",
    "added": "The members are added.",
    "removed": "The member is removed from the team.",
    "granted": "The role is granted to the team.",
    "revoked": "The role is revoked.",
}
NOT_PERMITTED = (
    "You do not have the teams.read permission. "
    "An Organization Admin can give it to you through a team or a role."
)


@dataclass(frozen=True)
class Refused:
    """One form of a page that was sent back: what was typed, and what was wrong."""

    form: str  # create | edit | delete | add | remove | grant | revoke
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, Sequence[str]] = field(default_factory=dict)
    message: str | None = None
    target: str = ""  # the member or binding a row's form was about


def _check_mark(errors: Mapping[str, Sequence[str]], message: str | None) -> str | None:
    if message or not errors:
        return message
    return "Check the field marked below." if len(errors) == 1 else "Check the fields marked below."


def _refusal(
    session: Session,
    exc: UsherError,
    form: str,
    fields: Sequence[str],
    *,
    values: Mapping[str, str] | None = None,
    target: str = "",
) -> Refused:
    """Settle the transaction after a service's refusal, and say what to show where."""
    settle_refusal(session, exc)
    errors, message = split_errors(exc, fields)
    return Refused(form, dict(values or {}), errors, _check_mark(errors, message), target)


def _gate(request: Request, viewer: Viewer | None) -> Viewer | Response:
    """The viewer if they may see teams; the way to sign in if nobody is signed in; a 403
    page (by raising) for anyone else."""
    if viewer is None:
        return signed_out(request, settings_of(request))
    if not viewer.can("teams.read"):
        raise NotPermitted(NOT_PERMITTED)
    return viewer


def _team_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No such team in this organization.") from None


# --- the list ---------------------------------------------------------------------------------


@router.get(TEAMS_PATH)
def teams_page(
    request: Request, session: SessionDep, viewer: ViewerDep, done: QueryText = ""
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    notice = NOTICES.get(done) if done == "deleted" else None
    return _list(request, session, gate, notice=notice)


def _list(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    status: int = 200,
    refused: Refused | None = None,
    notice: str | None = None,
) -> Response:
    return render(
        request,
        "teams/list.html",
        status=status,
        viewer=viewer,
        active="teams",
        teams=teams_service.list_teams(session, viewer.user),
        refused=refused,
        notice=notice,
        can_manage=viewer.can("teams.manage"),
        max_name=teams_service.MAX_NAME,
        max_description=teams_service.MAX_DESCRIPTION,
    )


@router.post(TEAMS_PATH)
def create_team(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
    name: NameField = "",
    description: TextField = "",
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    try:
        created = teams_service.create_team(
            session, gate.user, name=name, description=description, client=client
        )
    except UsherError as exc:
        values = {"name": name, "description": description}
        refused = _refusal(session, exc, "create", ("name", "description"), values=values)
        return _list(request, session, gate, status=exc.status, refused=refused)
    return redirect(f"{TEAMS_PATH}/{created.team.id}?done=created")


# --- one team ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleGroup:
    """The roles of one entity type, for the grant form's grouped picker."""

    key: str
    name: str
    options: list[tuple[str, str]]


def _role_groups(session: Session, viewer: Viewer) -> list[RoleGroup] | None:
    """Every role by entity type, or None when the viewer may not see roles."""
    try:
        types = access_roles.list_entity_types(session, viewer.user)
    except NotPermitted:
        return None
    return [
        RoleGroup(
            t.entity_type.key,
            t.entity_type.name,
            [(f"{t.entity_type.key}:{r.key}", r.name) for r in t.roles],
        )
        for t in types
        if t.roles
    ]


@router.get(TEAMS_PATH + "/{team_id}")
def team_page(
    team_id: str,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    done: QueryText = "",
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    return _detail(request, session, gate, _team_id(team_id), notice=NOTICES.get(done))


def _detail(
    request: Request,
    session: Session,
    viewer: Viewer,
    team_id: uuid.UUID,
    *,
    status: int = 200,
    refused: Refused | None = None,
    notice: str | None = None,
) -> Response:
    detail = teams_service.get_team(session, viewer.user, team_id)
    groups = _role_groups(session, viewer)
    return render(
        request,
        "teams/detail.html",
        status=status,
        viewer=viewer,
        active="teams",
        detail=detail,
        team=detail.team,
        is_everyone=detail.team.key == "member",
        role_groups=groups,
        can_manage=viewer.can("teams.manage"),
        can_grant=groups is not None and viewer.can("roles.manage"),
        refused=refused,
        notice=notice,
        here=f"{TEAMS_PATH}/{detail.team.id}",
        max_name=teams_service.MAX_NAME,
        max_description=teams_service.MAX_DESCRIPTION,
        shown=teams_service.MEMBERS_SHOWN,
    )


def _back(team_id: uuid.UUID, done: str, anchor: str) -> Response:
    return redirect(f"{TEAMS_PATH}/{team_id}?done={done}#{anchor}")


@router.post(TEAMS_PATH + "/{team_id}/edit")
def edit_team(
    team_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
    name: NameField = "",
    description: TextField = "",
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    tid = _team_id(team_id)
    try:
        teams_service.update_team(
            session, gate.user, tid, name=name, description=description, client=client
        )
    except NotFound:
        raise
    except UsherError as exc:
        values = {"name": name, "description": description}
        refused = _refusal(session, exc, "edit", ("name", "description"), values=values)
        return _detail(request, session, gate, tid, status=exc.status, refused=refused)
    return _back(tid, "updated", "team-title")


@router.post(TEAMS_PATH + "/{team_id}/delete")
def delete_team(
    team_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    tid = _team_id(team_id)
    try:
        teams_service.delete_team(session, gate.user, tid, client=client)
    except NotFound:
        raise
    except UsherError as exc:
        refused = _refusal(session, exc, "delete", ())
        return _detail(request, session, gate, tid, status=exc.status, refused=refused)
    return redirect(f"{TEAMS_PATH}?done=deleted")


_EMAIL_SPLIT = re.compile(r"[\s,;]+")


def _users_by_email(session: Session, viewer: Viewer, text: str) -> list[uuid.UUID]:
    """The users with these emails (one per line, or separated by commas); an address that is
    nobody here is said beside the field."""
    emails = list(dict.fromkeys(e for e in _EMAIL_SPLIT.split(text.strip()) if e))
    if not emails:
        raise ValidationFailed.field("emails", "Enter the email of at least one user.")
    if len(emails) > MAX_EMAILS:
        raise ValidationFailed.field("emails", f"Add at most {MAX_EMAILS} people at a time.")
    found: list[uuid.UUID] = []
    unknown: list[str] = []
    for email in emails:
        try:
            found.append(users_service.find_by_email(session, viewer.user, email).id)
        except NotFound:
            unknown.append(email)
    if unknown:
        raise ValidationFailed.field(
            "emails", f"Nobody in this organization has the email {', '.join(unknown)}."
        )
    return found


@router.post(TEAMS_PATH + "/{team_id}/members")
def add_members(
    team_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
    emails: EmailsField = "",
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    tid = _team_id(team_id)
    try:
        user_ids = _users_by_email(session, gate, emails)
        teams_service.add_members(session, gate.user, tid, user_ids, client=client)
    except NotFound:
        raise
    except UsherError as exc:
        refused = _refusal(session, exc, "add", ("emails",), values={"emails": emails})
        return _detail(request, session, gate, tid, status=exc.status, refused=refused)
    return _back(tid, "added", "members-title")


@router.post(TEAMS_PATH + "/{team_id}/members/{user_id}/remove")
def remove_member(
    team_id: str,
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    tid = _team_id(team_id)
    try:
        uid = uuid.UUID(user_id)
    except ValueError:
        raise NotFound("That user is not a member of this team.") from None
    try:
        teams_service.remove_member(session, gate.user, tid, uid, client=client)
    except UsherError as exc:
        if isinstance(exc, NotFound):
            raise
        refused = _refusal(session, exc, "remove", (), target=str(uid))
        return _detail(request, session, gate, tid, status=exc.status, refused=refused)
    return _back(tid, "removed", "members-title")


@router.post(TEAMS_PATH + "/{team_id}/roles")
def grant_role(
    team_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
    role: ShortField = "",
    entity_id: ShortField = "",
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    tid = _team_id(team_id)
    values = {"role": role, "entity_id": entity_id}
    try:
        if not role:
            raise ValidationFailed.field("role", "Choose a role.")
        access_roles.grant_role(
            session, gate.user, role=role, entity_id=entity_id, team_id=tid, client=client
        )
    except UsherError as exc:
        refused = _refusal(session, exc, "grant", ("role", "entity_id"), values=values)
        return _detail(request, session, gate, tid, status=exc.status, refused=refused)
    return _back(tid, "granted", "roles-title")


@router.post(TEAMS_PATH + "/{team_id}/roles/{binding_id}/revoke")
def revoke_role(
    team_id: str,
    binding_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
) -> Response:
    gate = _gate(request, viewer)
    if not isinstance(gate, Viewer):
        return gate
    tid = _team_id(team_id)
    detail = teams_service.get_team(session, gate.user, tid)
    held = {str(b.binding.id) for b in detail.bindings}
    if binding_id not in held:  # only this team's roles are revoked from its page
        raise NotFound("The team does not hold that role (any more).")
    try:
        access_roles.revoke_role(session, gate.user, uuid.UUID(binding_id), client=client)
    except UsherError as exc:
        if isinstance(exc, NotFound):
            raise
        refused = _refusal(session, exc, "revoke", (), target=binding_id)
        return _detail(request, session, gate, tid, status=exc.status, refused=refused)
    return _back(tid, "revoked", "roles-title")
