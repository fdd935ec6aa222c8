"""A member of an organization, pending until they accept their invitation."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from usher.db.base import Base, CreatedMixin, IdMixin


class Gender(enum.StrEnum):
    female = "female"
    male = "male"
    other = "other"
    unspecified = "unspecified"


class UserStatus(enum.StrEnum):
    pending = "pending"
    active = "active"
    disabled = "disabled"


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "users"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[Gender] = mapped_column(
        Enum(Gender, native_enum=False, length=16, validate_strings=True),
        default=Gender.unspecified,
    )
    birthday: Mapped[date | None]
    email: Mapped[str] = mapped_column(String(320))
    personal_email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[UserStatus] = mapped_column(
        Enum(UserStatus, native_enum=False, length=16, validate_strings=True),
        default=UserStatus.pending,
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    registered_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.active


# Organizational email is unique per organization whatever its letter case.
Index("uq_users_organization_id_email_lower", User.organization_id, func.lower(User.email),
      unique=True)
