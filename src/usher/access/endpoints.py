"""Entity types and roles, role bindings, and the permission check other applications call."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from usher.access import roles, service
from usher.access.schemas import (
    BindingCreate,
    CheckBatchIn,
    CheckBatchRead,
    CheckIn,
    CheckRead,
    EntityTypeCreate,
    EntityTypeRead,
    EntityTypeUpdate,
    RoleBody,
    RoleRead,
    UserAccessRead,
    check_read,
    entity_type_read,
    user_access_read,
)
from usher.api.deps import (
    BearerDep,
    ClientDep,
    CookieDep,
    CurrentUser,
    SessionDep,
    authenticate,
)
from usher.db.engine import unit_of_work
from usher.models import User
from usher.teams.schemas import BindingRead, binding_read

router = APIRouter(tags=["access"])
# The permission checks have a router of their own, which the app tries before any other:
# other applications call them on every request of theirs.
check_router = APIRouter(tags=["access"])
T = TypeVar("T")
ACCESS: dict[int | str, dict[str, Any]] = {
    403: {"description": "You lack the permission"},
    404: {"description": "Not in your organization"},
    409: {"description": "Usher's own, taken already, or held already"},
}


@router.get("/entity-types", response_model=list[EntityTypeRead], responses=ACCESS)
def list_entity_types(session: SessionDep, actor: CurrentUser) -> list[EntityTypeRead]:
    """Usher's own entity types and those applications registered, with their roles."""
    return [entity_type_read(v) for v in roles.list_entity_types(session, actor)]


@router.post(
    "/entity-types",
    status_code=status.HTTP_201_CREATED,
    response_model=EntityTypeRead,
    responses=ACCESS,
)
def register_entity_type(
    body: EntityTypeCreate, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> EntityTypeRead:
    """Register an application's entity type (``project``) and its roles."""
    view = roles.register_entity_type(
        session,
        actor,
        key=body.key,
        name=body.name,
        description=body.description,
        roles=[roles.RoleSpecIn(r.key, r.name, r.description, r.permissions) for r in body.roles],
        client=client,
    )
    return entity_type_read(view)


@router.get("/entity-types/{key}", response_model=EntityTypeRead, responses=ACCESS)
def get_entity_type(key: str, session: SessionDep, actor: CurrentUser) -> EntityTypeRead:
    return entity_type_read(roles.get_entity_type(session, actor, key))


@router.patch("/entity-types/{key}", response_model=EntityTypeRead, responses=ACCESS)
def update_entity_type(
    key: str,
    body: EntityTypeUpdate,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
) -> EntityTypeRead:
    view = roles.update_entity_type(
        session, actor, key, name=body.name, description=body.description, client=client
    )
    return entity_type_read(view)


@router.delete("/entity-types/{key}", status_code=status.HTTP_204_NO_CONTENT, responses=ACCESS)
def delete_entity_type(
    key: str, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> Response:
    """Unregister an entity type; its roles and every binding of them go too."""
    roles.delete_entity_type(session, actor, key, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/entity-types/{key}/roles/{role_key}", response_model=RoleRead, responses=ACCESS)
def put_role(
    key: str,
    role_key: str,
    body: RoleBody,
    response: Response,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
) -> RoleRead:
    """Create the role, or replace its name, description and permissions."""
    role, created = roles.put_role(
        session,
        actor,
        key,
        roles.RoleSpecIn(role_key, body.name, body.description, body.permissions),
        client=client,
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return RoleRead(
        key=role.key,
        name=role.name,
        description=role.description,
        permissions=list(role.permissions),
        builtin=role.builtin,
    )


@router.delete(
    "/entity-types/{key}/roles/{role_key}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ACCESS,
)
def delete_role(
    key: str, role_key: str, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> Response:
    roles.delete_role(session, actor, key, role_key, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/role-bindings", response_model=list[BindingRead], responses=ACCESS)
def list_bindings(
    session: SessionDep,
    actor: CurrentUser,
    user_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    entity_type: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
) -> list[BindingRead]:
    """Who holds which role on what (at most 1,000 rows; narrow with the filters)."""
    views = roles.list_bindings(
        session,
        actor,
        user_id=user_id,
        team_id=team_id,
        entity_type=entity_type,
        entity_id=entity_id,
    )
    return [binding_read(v) for v in views]


@router.post(
    "/role-bindings",
    status_code=status.HTTP_201_CREATED,
    response_model=BindingRead,
    responses=ACCESS,
)
def grant_role(
    body: BindingCreate, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> BindingRead:
    """Give a user or a team a role on one entity, or on every entity of its type (``*``).
    Nobody grants what they do not hold."""
    view = roles.grant_role(
        session,
        actor,
        role=body.role,
        entity_id=body.entity_id,
        user_id=body.user_id,
        team_id=body.team_id,
        client=client,
    )
    return binding_read(view)


@router.delete(
    "/role-bindings/{binding_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ACCESS
)
def revoke_role(
    binding_id: uuid.UUID, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> Response:
    roles.revoke_role(session, actor, binding_id, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _request(body: CheckIn) -> service.CheckRequest:
    return service.CheckRequest(body.permission, body.entity, body.user_id)


# The checks are what other applications call on every request of theirs, so they take one
# trip to a worker thread for the whole of their work (sign-in, transaction, decision) instead
# of one per dependency: about 2 ms less per call on the benchmark's machine.


def _json(model: BaseModel) -> Response:
    # Built from the response model already: returned as is, not validated a second time.
    return Response(model.__pydantic_serializer__.to_json(model), media_type="application/json")


def _checked(request: Request, bearer: Any, answer: Callable[[Session, User], T]) -> T:
    with unit_of_work(request.app.state.session_factory) as session:
        actor = authenticate(request, session, bearer).user
        return answer(session, actor)


@check_router.post("/access/check", response_model=CheckRead, responses=ACCESS)
async def check(body: CheckIn, request: Request, bearer: BearerDep, _cookie: CookieDep) -> Response:
    """May the user (the caller, when ``user_id`` is left out) do ``permission`` on
    ``entity``? With the binding that allows it. Asking about others takes access.check."""
    answer = await run_in_threadpool(
        _checked,
        request,
        bearer,
        lambda session, actor: check_read(service.check(session, actor, _request(body))),
    )
    return _json(answer)


@check_router.post("/access/check/batch", response_model=CheckBatchRead, responses=ACCESS)
async def check_batch(
    body: CheckBatchIn, request: Request, bearer: BearerDep, _cookie: CookieDep
) -> Response:
    """Up to 1,000 checks in one call, answered in order."""

    def answer(session: Session, actor: User) -> CheckBatchRead:
        results = service.check_many(session, actor, [_request(c) for c in body.checks])
        return CheckBatchRead(results=[check_read(r) for r in results])

    return _json(await run_in_threadpool(_checked, request, bearer, answer))


@router.get("/users/{user_id}/access", response_model=UserAccessRead, responses=ACCESS)
def user_access(user_id: uuid.UUID, session: SessionDep, actor: CurrentUser) -> UserAccessRead:
    """A user's effective permissions, each with where it comes from (a team or their own)."""
    user, held = service.effective_access(session, actor, user_id)
    return user_access_read(user, held)
