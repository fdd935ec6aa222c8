"""The caller's organization: its settings, teams and organization units."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from usher.api.deps import ClientDep, CurrentUser, SessionDep
from usher.orgs import service
from usher.orgs.schemas import (
    OrganizationRead,
    OrganizationUpdate,
    OrgUnitCreate,
    OrgUnitRead,
    OrgUnitUpdate,
)

router = APIRouter(tags=["organization"])
ADMIN: dict[int | str, dict[str, Any]] = {403: {"description": "Not an Organization Admin"}}


def _org(org: Any) -> OrganizationRead:
    return OrganizationRead(
        id=org.id,
        name=org.name,
        slug=org.slug,
        invitation_expiry_days=org.invitation_expiry_days,
        created_at=org.created_at,
    )


@router.get("/organization", response_model=OrganizationRead)
def get_organization(session: SessionDep, actor: CurrentUser) -> OrganizationRead:
    return _org(service.get_organization(session, actor))


@router.patch("/organization", response_model=OrganizationRead, responses=ADMIN)
def update_organization(
    body: OrganizationUpdate, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> OrganizationRead:
    """Rename the organization or change how long new invitation links stay valid."""
    org = service.update_organization(
        session,
        actor,
        name=body.name,
        invitation_expiry_days=body.invitation_expiry_days,
        client=client,
    )
    return _org(org)


@router.get("/org-units", response_model=list[OrgUnitRead])
def list_org_units(session: SessionDep, actor: CurrentUser) -> list[OrgUnitRead]:
    return [
        OrgUnitRead(id=u.id, name=u.name, parent_id=u.parent_id)
        for u in service.list_org_units(session, actor)
    ]


@router.post(
    "/org-units", status_code=status.HTTP_201_CREATED, response_model=OrgUnitRead, responses=ADMIN
)
def create_org_unit(
    body: OrgUnitCreate, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> OrgUnitRead:
    unit = service.create_org_unit(
        session, actor, name=body.name, parent_id=body.parent_id, client=client
    )
    return OrgUnitRead(id=unit.id, name=unit.name, parent_id=unit.parent_id)


UNIT: dict[int | str, dict[str, Any]] = {
    **ADMIN,
    404: {"description": "No such unit in the caller's organization"},
}


@router.patch(
    "/org-units/{unit_id}",
    response_model=OrgUnitRead,
    responses={
        **UNIT,
        409: {"description": "The new parent is the unit itself or inside it"},
        422: {"description": "Bad name, unknown parent, or nothing to change"},
    },
)
def update_org_unit(
    unit_id: uuid.UUID,
    body: OrgUnitUpdate,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
) -> OrgUnitRead:
    """Rename (`name`) and/or move (`parent_id`; `null` for the top level) a unit."""
    unit = service.update_org_unit(
        session,
        actor,
        unit_id=unit_id,
        name=body.name,
        move="parent_id" in body.model_fields_set,
        parent_id=body.parent_id,
        client=client,
    )
    return OrgUnitRead(id=unit.id, name=unit.name, parent_id=unit.parent_id)


@router.delete(
    "/org-units/{unit_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**UNIT, 409: {"description": "The unit still has users or sub-units"}},
)
def delete_org_unit(
    unit_id: uuid.UUID, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> None:
    """Delete an empty unit: no users and no sub-units."""
    service.delete_org_unit(session, actor, unit_id=unit_id, client=client)
