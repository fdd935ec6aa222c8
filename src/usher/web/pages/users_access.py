"""A user's page and what it says about their access: their teams (Actions > Add/Remove, on a
page of its own) and their individual roles, a tab per entity type with Add and Remove. A
pending user's teams and roles can be changed too; they apply once the user accepts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.orm import Session

from usher.access import roles as access_roles
from usher.api.deps import ClientDep, SessionDep, SettingsDep
from usher.errors import NotFound, NotPermitted, UsherError, ValidationFailed
from usher.orgs import service as orgs
from usher.teams import service as teams_service
from usher.users import service as users_service
from usher.web.csrf import CsrfDep
from usher.web.deps import Viewer, ViewerDep, redirect, settle_refusal, split_errors
from usher.web.pages.users_shared import (
    LIST_PATH,
    format_phone,
    parse_user_id,
    require_admin,
    trail,
    unit_names,
)
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

IdsField = Annotated[list[str], Form(max_length=100)]
ShortField = Annotated[str, Form(max_length=300)]
EVERYONE = "member"  # the predefined team every user is in, whose membership never changes
NOTICES = {
    "teams": "The user's teams are saved.",
    "role_added": "The role is added.",
    "role_removed": "The role is removed.",
}


@dataclass(frozen=True)
class RoleTab:
    """One entity type on the user's page: its roles, and those the user holds on its
    entities."""

    key: str
    name: str
    description: str
    roles: list[tuple[str, str]]
    bindings: list[access_roles.BindingView]


@dataclass(frozen=True)
class Refused:
    """A form sent back: what was typed and what was wrong with it."""

    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, Sequence[str]] = field(default_factory=dict)
    message: str | None = None


def _refusal(
    session: Session, exc: UsherError, fields: Sequence[str], values: Mapping[str, str]
) -> Refused:
    settle_refusal(session, exc)
    errors, message = split_errors(exc, fields)
    if not message and errors:
        message = (
            "Check the field marked below."
            if len(errors) == 1
            else "Check the fields marked below."
        )
    return Refused(dict(values), errors, message)


def _role_tabs(session: Session, viewer: Viewer, user_id: uuid.UUID) -> list[RoleTab] | None:
    """The entity types with the user's own roles on each; None for a viewer who may not see
    roles."""
    try:
        types = access_roles.list_entity_types(session, viewer.user)
        held = access_roles.list_bindings(session, viewer.user, user_id=user_id)
    except NotPermitted:
        return None
    return [
        RoleTab(
            key=t.entity_type.key,
            name=t.entity_type.name,
            description=t.entity_type.description,
            roles=[(f"{t.entity_type.key}:{r.key}", r.name) for r in t.roles],
            bindings=[b for b in held if b.entity_type.id == t.entity_type.id],
        )
        for t in types
    ]


def render_user_detail(
    request: Request,
    session: Session,
    viewer: Viewer,
    user_id: uuid.UUID,
    *,
    tab: str = "",
    notice: str | None = None,
    status: int = 200,
    refused: Refused | None = None,
) -> Response:
    """The user's page: profile, registration, invitation, teams, roles and audit trail."""
    detail = users_service.get_user(session, viewer.user, user_id=user_id)
    units = unit_names(orgs.list_org_units(session, viewer.user))
    user = detail.user
    tabs = _role_tabs(session, viewer, user.id)
    current = None
    if tabs:
        current = next((t for t in tabs if t.key == tab), None)
        if current is None:  # the first type the user holds a role on, else the first
            current = next((t for t in tabs if t.bindings), tabs[0])
    return render(
        request,
        "users/detail.html",
        status=status,
        viewer=viewer,
        active="users",
        detail=detail,
        user=user,
        phone=format_phone(user.phone),
        unit_name=units.get(user.org_unit_id) if user.org_unit_id else None,
        trail=trail(detail.audit_trail),
        notice=notice,
        here=f"{LIST_PATH}/{user.id}",
        role_tabs=tabs,
        role_tab=current,
        role_form=refused,
        can_manage_teams=viewer.can("teams.manage"),
        can_manage_roles=viewer.can("roles.manage"),
    )


def _to_detail(user_id: uuid.UUID, done: str, *, tab: str = "", anchor: str) -> Response:
    query = f"tab={tab}&done={done}" if tab else f"done={done}"
    return redirect(f"{LIST_PATH}/{user_id}?{query}#{anchor}")


# --- teams: Actions > Add/Remove ------------------------------------------------------------


def _teams_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    user_id: uuid.UUID,
    *,
    chosen: Sequence[str] | None = None,
    status: int = 200,
    message: str | None = None,
) -> Response:
    detail = users_service.get_user(session, viewer.user, user_id=user_id)
    teams = teams_service.list_teams(session, viewer.user)
    held = [str(t.id) for t in detail.teams]
    return render(
        request,
        "users/teams.html",
        status=status,
        viewer=viewer,
        active="users",
        user=detail.user,
        teams=[s.team for s in teams],
        chosen=set(held if chosen is None else chosen),
        everyone=EVERYONE,
        message=message,
    )


@router.get(LIST_PATH + "/{user_id}/teams")
def edit_teams(
    user_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    return _teams_page(request, session, admin, parse_user_id(user_id))


@router.post(LIST_PATH + "/{user_id}/teams")
def save_teams(
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    team_ids: IdsField = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    uid = parse_user_id(user_id)
    try:
        try:
            wanted = [uuid.UUID(t) for t in team_ids]
        except ValueError:
            raise ValidationFailed.field("team_ids", "Choose teams from the list.") from None
        teams_service.set_user_teams(session, admin.user, uid, wanted, client=client)
    except UsherError as exc:
        if isinstance(exc, NotFound):
            raise
        settle_refusal(session, exc)
        _, message = split_errors(exc, ())
        return _teams_page(
            request, session, admin, uid, chosen=team_ids, status=exc.status, message=message
        )
    return _to_detail(uid, "teams", anchor="teams-title")


# --- individual roles: a tab per entity type ------------------------------------------------


@router.post(LIST_PATH + "/{user_id}/roles")
def add_role(
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    role: ShortField = "",
    entity_id: ShortField = "",
    tab: ShortField = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    uid = parse_user_id(user_id)
    try:
        if not role:
            raise ValidationFailed.field("role", "Choose a role.")
        access_roles.grant_role(
            session, admin.user, role=role, entity_id=entity_id, user_id=uid, client=client
        )
    except UsherError as exc:
        if isinstance(exc, NotFound) or "user_id" in (exc.errors or {}):
            settle_refusal(session, exc)
            raise NotFound("No such user in this organization.") from None
        refused = _refusal(
            session, exc, ("role", "entity_id"), {"role": role, "entity_id": entity_id}
        )
        return render_user_detail(
            request, session, admin, uid, tab=tab, status=exc.status, refused=refused
        )
    return _to_detail(uid, "role_added", tab=role.partition(":")[0], anchor="roles-title")


@router.post(LIST_PATH + "/{user_id}/roles/{binding_id}/remove")
def remove_role(
    user_id: str,
    binding_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    tab: ShortField = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    uid = parse_user_id(user_id)
    users_service.get_user(session, admin.user, user_id=uid)  # 404 for a user not ours
    held = access_roles.list_bindings(session, admin.user, user_id=uid)
    binding = next((b for b in held if str(b.binding.id) == binding_id), None)
    if binding is None:  # only this user's own roles are removed from their page
        raise NotFound("The user does not hold that role (any more).")
    try:
        access_roles.revoke_role(session, admin.user, binding.binding.id, client=client)
    except UsherError as exc:
        refused = _refusal(session, exc, (), {})
        return render_user_detail(
            request, session, admin, uid, tab=tab, status=exc.status, refused=refused
        )
    return _to_detail(uid, "role_removed", tab=binding.entity_type.key, anchor="roles-title")
