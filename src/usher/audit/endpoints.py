"""The audit log: who did what to which target, when, from where."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from usher.api.deps import CurrentUser, SessionDep
from usher.audit import service
from usher.audit.schemas import AuditEventPage, AuditEventRead
from usher.kit.iso8601 import IsoTime
from usher.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(tags=["audit"])


@router.get(
    "/audit-events",
    response_model=AuditEventPage,
    responses={
        403: {"description": "Not an Organization Admin"},
        422: {"description": "Bad filter or cursor"},
    },
)
def list_audit_events(
    session: SessionDep,
    actor: CurrentUser,
    actor_id: Annotated[uuid.UUID | None, Query(alias="actor")] = None,
    action: Annotated[list[str] | None, Query(max_length=20)] = None,
    target: Annotated[str | None, Query(max_length=64)] = None,
    since: IsoTime | None = None,
    until: IsoTime | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> AuditEventPage:
    """Newest first. `action` may repeat; `since`/`until` are ISO 8601 times."""
    rows, next_cursor = service.list_events(
        session,
        actor,
        filters=service.AuditFilters(
            actor_id=actor_id, actions=action or [], target_id=target, since=since, until=until
        ),
        cursor=cursor,
        limit=limit,
    )
    return AuditEventPage(items=[AuditEventRead.of(e) for e in rows], next_cursor=next_cursor)
