"""An invitation: a single-use, expiring registration link for one pending user."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from usher.db.base import Base, CreatedMixin, IdMixin


class InviteMethod(enum.StrEnum):
    email = "email"
    link = "link"


class Invitation(IdMixin, CreatedMixin, Base):
    __tablename__ = "invitations"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[InviteMethod] = mapped_column(
        Enum(InviteMethod, native_enum=False, length=16, validate_strings=True)
    )
    # SHA-256 of the 256-bit token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    sent_to: Mapped[str | None] = mapped_column(String(320))
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    outbox_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), index=True
    )
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]

    def state(self, now: datetime) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.superseded_at is not None:
            return "superseded"
        if self.expires_at <= now:
            return "expired"
        return "open"
