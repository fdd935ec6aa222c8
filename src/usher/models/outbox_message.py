"""An outgoing email, written in the same transaction as the change that caused it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from usher.db.base import Base, CreatedMixin, IdMixin, utcnow


class OutboxStatus(enum.StrEnum):
    pending = "pending"  # waiting for its first try or its next retry
    sending = "sending"  # leased by a worker until lease_expires_at
    sent = "sent"
    failed = "failed"  # refused for good by the mail server (e.g. unknown recipient)
    cancelled = "cancelled"  # the link it carries died before it was sent


class OutboxMessage(IdMixin, CreatedMixin, Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=16, validate_strings=True),
        default=OutboxStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
