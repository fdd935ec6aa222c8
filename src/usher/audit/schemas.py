"""API shapes for the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEventRead(BaseModel):
    id: uuid.UUID
    created_at: datetime
    actor_id: uuid.UUID | None
    actor: str | None
    action: str
    outcome: str
    target_type: str | None
    target_id: str | None
    target: str | None
    ip: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, e: Any) -> AuditEventRead:
        return cls(
            id=e.id,
            created_at=e.created_at,
            actor_id=e.actor_id,
            actor=e.actor_label,
            action=e.action,
            outcome=e.outcome,
            target_type=e.target_type,
            target_id=e.target_id,
            target=e.target_label,
            ip=e.ip,
            details=e.details,
        )


class AuditEventPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None
