"""The signed-in user's own account, and the front door that leads there or to sign-in."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from usher.access.decision import Grant
from usher.access.service import effective_access, member_scope
from usher.api.deps import SessionDep, SettingsDep
from usher.api.http import clear_session_cookie
from usher.teams import service as teams_service
from usher.users import service as users_service
from usher.web.deps import Viewer, ViewerDep, has_session_cookie, redirect
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# Usher's own entity types by name; an application's types are shown by their key.
TYPE_NAMES = {"organization": "Organization", "org_unit": "Organization unit", "team": "Team"}


@dataclass(frozen=True)
class AccessRow:
    """One grant as My account shows it: the role, what it is on, and where it comes from."""

    grant: Grant
    role: str
    entity: str
    entity_code: str | None
    source: str

    @property
    def permissions(self) -> str:
        return ", ".join(self.grant.permissions)


def _access_rows(session: Session, viewer: Viewer) -> list[AccessRow]:
    _user, held = effective_access(session, viewer.user, viewer.user.id)
    team_names: dict[str, str] = {}
    if any(g.entity_type == "team" for g in held.grants):
        team_names = {
            str(s.team.id): s.team.name for s in teams_service.list_teams(session, viewer.user)
        }
    rows = []
    for grant in held.grants:
        type_name = TYPE_NAMES.get(
            grant.entity_type, grant.entity_type.replace("_", " ").capitalize()
        )
        code: str | None = None
        if grant.entity_type == "organization":
            entity = "The whole organization"
        elif grant.entity_id == "*":
            entity = f"Every {type_name.lower()}"
        elif grant.entity_type == "team" and grant.entity_id in team_names:
            entity, code = type_name, team_names[grant.entity_id]
        else:
            entity, code = type_name, grant.entity_id
        rows.append(
            AccessRow(
                grant=grant,
                role=grant.role_key.replace("_", " ").capitalize(),
                entity=entity,
                entity_code=code,
                source=f"Team {grant.team_name}" if grant.via_team else "Your own",
            )
        )
    return rows


@router.get("/")
def home(viewer: ViewerDep) -> Response:
    return redirect("/account" if viewer is not None else "/login")


@router.get("/account")
def account(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep
) -> Response:
    if viewer is None:
        if not has_session_cookie(request, settings):
            return redirect("/login")
        response = redirect("/login?done=session_ended")
        clear_session_cookie(response, settings)
        return response
    detail = users_service.get_detail(session, member_scope(viewer.user), viewer.user.id)
    return render(
        request,
        "account/account.html",
        viewer=viewer,
        user=detail.user,
        organization=viewer.organization,
        teams=detail.teams,
        access=_access_rows(session, viewer),
        active="account",
    )
