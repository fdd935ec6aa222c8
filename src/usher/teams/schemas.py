"""Shapes of teams, members and role bindings in the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from usher.models.user import UserStatus


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=1000)] = ""


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    description: Annotated[str | None, Field(max_length=1000)] = None


class TeamRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    key: str | None = Field(description="Stable key of a predefined team; null for custom teams")
    predefined: bool
    member_count: int


class MemberRead(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    status: UserStatus


class BindingRead(BaseModel):
    id: uuid.UUID
    role: str = Field(description="type:role, e.g. project:editor")
    entity: str = Field(description="type:id, or type:* for every entity of the type")
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    team_name: str | None
    fixed: bool = Field(description="A predefined team's own role: it cannot be revoked")
    created_at: datetime


class TeamDetailRead(TeamRead):
    members: list[MemberRead] = Field(description="The first 200 members by name")
    roles: list[BindingRead]


class MembersAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=500)]


class UserTeamsSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team_ids: Annotated[list[uuid.UUID], Field(max_length=100)]


def team_read(team: Any, member_count: int) -> TeamRead:
    return TeamRead(
        id=team.id,
        name=team.name,
        description=team.description,
        key=team.key,
        predefined=team.is_predefined,
        member_count=member_count,
    )


def member_read(user: Any) -> MemberRead:
    return MemberRead(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        status=user.status,
    )


def binding_read(view: Any) -> BindingRead:
    """Shape an ``access.roles.BindingView``."""
    b = view.binding
    return BindingRead(
        id=b.id,
        role=view.role_name,
        entity=view.entity,
        user_id=b.user_id,
        team_id=b.team_id,
        team_name=view.team.name if view.team else None,
        fixed=b.fixed,
        created_at=b.created_at,
    )


def team_detail_read(detail: Any) -> TeamDetailRead:
    return TeamDetailRead(
        **team_read(detail.team, detail.member_count).model_dump(),
        members=[member_read(u) for u in detail.members],
        roles=[binding_read(b) for b in detail.bindings],
    )
