"""Teams: list, create, rename, describe, delete; members Add/Remove; a user's teams."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from usher.api.deps import ClientDep, CurrentUser, SessionDep
from usher.teams import service
from usher.teams.schemas import (
    MemberRead,
    MembersAdd,
    TeamCreate,
    TeamDetailRead,
    TeamRead,
    TeamUpdate,
    UserTeamsSet,
    member_read,
    team_detail_read,
    team_read,
)
from usher.users.schemas import TeamRef

router = APIRouter(tags=["teams"])
TEAM: dict[int | str, dict[str, Any]] = {
    403: {"description": "You lack the permission for this team"},
    404: {"description": "No such team in your organization"},
    409: {"description": "A predefined team, a taken name, or the last Organization Admin"},
}


@router.get("/teams", response_model=list[TeamRead])
def list_teams(session: SessionDep, actor: CurrentUser) -> list[TeamRead]:
    """Every team with its description and member count (what an invitation can offer)."""
    return [team_read(s.team, s.member_count) for s in service.list_teams(session, actor)]


@router.post(
    "/teams", status_code=status.HTTP_201_CREATED, response_model=TeamDetailRead, responses=TEAM
)
def create_team(
    body: TeamCreate, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> TeamDetailRead:
    detail = service.create_team(
        session, actor, name=body.name, description=body.description, client=client
    )
    return team_detail_read(detail)


@router.get("/teams/{team_id}", response_model=TeamDetailRead, responses=TEAM)
def get_team(team_id: uuid.UUID, session: SessionDep, actor: CurrentUser) -> TeamDetailRead:
    """The team with its first 200 members and the roles it holds."""
    return team_detail_read(service.get_team(session, actor, team_id))


@router.patch("/teams/{team_id}", response_model=TeamDetailRead, responses=TEAM)
def update_team(
    team_id: uuid.UUID,
    body: TeamUpdate,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
) -> TeamDetailRead:
    """Rename or describe a custom team (predefined teams are fixed)."""
    detail = service.update_team(
        session, actor, team_id, name=body.name, description=body.description, client=client
    )
    return team_detail_read(detail)


@router.delete("/teams/{team_id}", status_code=status.HTTP_204_NO_CONTENT, responses=TEAM)
def delete_team(
    team_id: uuid.UUID, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> Response:
    service.delete_team(session, actor, team_id, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/teams/{team_id}/members", response_model=list[MemberRead], responses=TEAM)
def add_members(
    team_id: uuid.UUID,
    body: MembersAdd,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
) -> list[MemberRead]:
    """Add users to the team; answers with those who were not members before."""
    added = service.add_members(session, actor, team_id, body.user_ids, client=client)
    return [member_read(u) for u in added]


@router.delete(
    "/teams/{team_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=TEAM,
)
def remove_member(
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
) -> Response:
    service.remove_member(session, actor, team_id, user_id, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/users/{user_id}/teams", response_model=list[TeamRef], responses=TEAM)
def set_user_teams(
    user_id: uuid.UUID,
    body: UserTeamsSet,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
) -> list[TeamRef]:
    """Make these the user's teams (pending users too: they apply when the user accepts)."""
    teams = service.set_user_teams(session, actor, user_id, body.team_ids, client=client)
    return [TeamRef(id=t.id, name=t.name, key=t.key) for t in teams]
