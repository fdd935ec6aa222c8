"""Queries for audit events, newest first, in keyset pages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session

from usher.access.scope import OrgScope
from usher.kit.pagination import Cursor
from usher.models import AuditEvent


@dataclass(frozen=True)
class AuditFilters:
    actor_id: uuid.UUID | None = None
    actions: Sequence[str] = ()
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # By value, whatever the letter case: an email (or "system"), also for deleted users.
    actor_label: str | None = None
    target_label: str | None = None


def list_events(
    session: Session,
    scope: OrgScope,
    filters: AuditFilters,
    *,
    after: Cursor | None,
    limit: int,
) -> tuple[list[AuditEvent], Cursor | None]:
    conds: list[Any] = [AuditEvent.organization_id == scope.organization_id]
    if filters.actor_id:
        conds.append(AuditEvent.actor_id == filters.actor_id)
    if filters.actions:
        conds.append(AuditEvent.action.in_(list(filters.actions)))
    if filters.target_id:
        conds.append(AuditEvent.target_id == filters.target_id)
    if filters.actor_label:
        conds.append(func.lower(AuditEvent.actor_label) == filters.actor_label.lower())
    if filters.target_label:
        conds.append(func.lower(AuditEvent.target_label) == filters.target_label.lower())
    if filters.since:
        conds.append(AuditEvent.created_at >= filters.since)
    if filters.until:
        conds.append(AuditEvent.created_at < filters.until)
    if after is not None:
        key = tuple_(
            literal(after.value, type_=AuditEvent.created_at.type),
            literal(after.id, type_=AuditEvent.id.type),
        )
        conds.append(tuple_(AuditEvent.created_at, AuditEvent.id) < key)
    rows = list(
        session.scalars(
            select(AuditEvent)
            .where(*conds)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit + 1)
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = Cursor(
            sort="created_at", descending=True, value=rows[-1].created_at, id=rows[-1].id
        )
    return rows, next_cursor


def trail_for(
    session: Session, scope: OrgScope, target_id: str, limit: int = 50
) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.organization_id == scope.organization_id,
                AuditEvent.target_id == target_id,
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
