"""The caller's organization: its settings, teams and organization units."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from usher.api.deps import ClientDep, CurrentUser, SessionDep
from usher.orgs import service
from usher.orgs.schemas import (
    OrganizationRead,
    OrganizationUpdate,
    OrgUnitCreate,
    OrgUnitRead,
    TeamRead,
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


@router.get("/teams", response_model=list[TeamRead])
def list_teams(session: SessionDep, actor: CurrentUser) -> list[TeamRead]:
    """Teams to assign when inviting, with their descriptions."""
    return [
        TeamRead(
            id=t.id, name=t.name, description=t.description, key=t.key, predefined=t.is_predefined
        )
        for t in service.list_teams(session, actor)
    ]


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
