"""Write audit events inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from usher.access.scope import OrgScope
from usher.access.service import require
from usher.audit import repository as audit_repo
from usher.audit.repository import AuditFilters as AuditFilters
from usher.kit.client import ClientInfo
from usher.kit.pagination import decode_cursor, encode_cursor
from usher.models import AuditEvent, User


def record(
    session: Session,
    *,
    organization_id: uuid.UUID | None,
    actor: User | None,
    action: str,
    client: ClientInfo | None = None,
    target: User | None = None,
    target_type: str | None = None,
    target_id: str | uuid.UUID | None = None,
    target_label: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event; never pass a password or a token in ``details``."""
    if target is not None:
        target_type, target_id, target_label = "user", target.id, target.email
    event = AuditEvent(
        organization_id=organization_id,
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else actor_label,
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        target_label=target_label,
        ip=client.ip if client else None,
        details=details or {},
    )
    session.add(event)
    return event


def list_events(
    session: Session, actor: User, *, filters: AuditFilters, cursor: str | None, limit: int
) -> tuple[list[AuditEvent], str | None]:
    """The organization's audit log, newest first; for those who hold audit.read."""
    scope = require(session, actor, "audit.read")
    after = decode_cursor(cursor, sort="created_at", descending=True) if cursor else None
    rows, next_cursor = audit_repo.list_events(session, scope, filters, after=after, limit=limit)
    return rows, encode_cursor(next_cursor) if next_cursor else None


def trail_for(session: Session, scope: OrgScope, target_id: uuid.UUID) -> list[AuditEvent]:
    return audit_repo.trail_for(session, scope, str(target_id))
