"""Shapes of entity types, roles, bindings and permission checks in the API."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Key = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]
Permission = Annotated[str, Field(min_length=1, max_length=100)]


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=1000)] = ""
    permissions: Annotated[
        list[Permission],
        Field(
            max_length=100,
            description='Names like "project.deploy"; "*" is all, "project.*" and "*.read" '
            "are patterns",
        ),
    ]


class RoleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=1000)] = ""
    permissions: Annotated[list[Permission], Field(max_length=100)]


class RoleRead(BaseModel):
    key: str
    name: str
    description: str
    permissions: list[str]
    builtin: bool


class EntityTypeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "key": "project",
                    "name": "Project",
                    "roles": [
                        {"key": "viewer", "name": "Viewer", "permissions": ["project.read"]},
                        {
                            "key": "editor",
                            "name": "Editor",
                            "permissions": ["project.read", "project.edit"],
                        },
                    ],
                }
            ]
        },
    )

    key: Key
    name: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=1000)] = ""
    roles: Annotated[list[RoleIn], Field(max_length=50)] = []


class EntityTypeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    description: Annotated[str | None, Field(max_length=1000)] = None


class EntityTypeRead(BaseModel):
    key: str
    name: str
    description: str
    builtin: bool
    roles: list[RoleRead]


class BindingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"role": "project:editor", "entity_id": "42", "user_id": str(uuid.UUID(int=1))}
            ]
        },
    )

    role: Annotated[str, Field(min_length=3, max_length=101, description="type:role")]
    entity_id: Annotated[
        str, Field(min_length=1, max_length=200, description='The entity\'s id, or "*"')
    ]
    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


class CheckIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"permission": "project.edit", "entity": "project:42"}],
        },
    )

    user_id: uuid.UUID | None = Field(
        default=None, description="Whose access; the caller when left out"
    )
    permission: Permission
    entity: Annotated[
        str,
        Field(
            min_length=1, max_length=252, description="type:id, e.g. project:42, or organization"
        ),
    ]


class GrantRead(BaseModel):
    binding_id: uuid.UUID
    role: str
    entity: str
    source: str = Field(description='"individual", or "team" when held through a team')
    team_id: uuid.UUID | None
    team_name: str | None


class CheckRead(BaseModel):
    user_id: uuid.UUID
    permission: str
    entity: str
    allowed: bool
    granted_by: GrantRead | None = Field(description="The binding that allows it")


class CheckBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: Annotated[list[CheckIn], Field(min_length=1, max_length=1000)]


class CheckBatchRead(BaseModel):
    results: list[CheckRead]


class PermissionRead(BaseModel):
    permission: str
    entity: str
    sources: list[GrantRead]


class UserAccessRead(BaseModel):
    user_id: uuid.UUID
    active: bool = Field(description="Only active users hold anything")
    grants: list[GrantRead]
    permissions: list[PermissionRead] = Field(
        description="Each permission with the entities it holds on, and where it comes from"
    )


def grant_read(grant: Any) -> GrantRead:
    return GrantRead(
        binding_id=grant.binding_id,
        role=grant.role,
        entity=grant.entity,
        source="team" if grant.via_team else "individual",
        team_id=grant.team_id,
        team_name=grant.team_name,
    )


def entity_type_read(view: Any) -> EntityTypeRead:
    t = view.entity_type
    return EntityTypeRead(
        key=t.key,
        name=t.name,
        description=t.description,
        builtin=t.builtin,
        roles=[
            RoleRead(
                key=r.key,
                name=r.name,
                description=r.description,
                permissions=list(r.permissions),
                builtin=r.builtin,
            )
            for r in view.roles
        ],
    )


def check_read(result: Any) -> CheckRead:
    return CheckRead(
        user_id=result.user_id,
        permission=result.request.permission,
        entity=result.request.entity,
        allowed=result.allowed,
        granted_by=grant_read(result.grant) if result.grant else None,
    )


def user_access_read(user: Any, access: Any) -> UserAccessRead:
    by_key: dict[tuple[str, str], list[GrantRead]] = {}
    for grant in access.grants:
        for permission in grant.permissions:
            by_key.setdefault((permission, grant.entity), []).append(grant_read(grant))
    return UserAccessRead(
        user_id=user.id,
        active=user.is_active,
        grants=[grant_read(g) for g in access.grants],
        permissions=[
            PermissionRead(permission=p, entity=e, sources=sources)
            for (p, e), sources in sorted(by_key.items())
        ],
    )
