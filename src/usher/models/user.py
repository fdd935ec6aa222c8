"""A member of an organization, pending until they accept their invitation."""

from __future__ import annotations

import enum
import re
import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, event, func
from sqlalchemy.orm import Mapped, Mapper, mapped_column

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
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # When the person last asked for a new invitation from a dead link; cleared by a new one.
    invitation_requested_at: Mapped[datetime | None]
    # Derived columns, kept by the mapper events below; they serve search and sort by index.
    # search_text: case-folded "first last", emails and phone digits, separated by \x1f so
    # that no query can match across two fields.
    search_text: Mapped[str] = mapped_column(Text, default="")
    sort_name: Mapped[str] = mapped_column(String(210), default="")
    # The SQLite full-text table is keyed by this 64-bit number (FTS5 needs an integer key
    # that VACUUM cannot renumber); PostgreSQL searches search_text with pg_trgm instead.
    search_key: Mapped[int] = mapped_column(BigInteger)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.active


# Organizational email is unique per organization whatever its letter case.
Index(
    "uq_users_organization_id_email_lower",
    User.organization_id,
    func.lower(User.email),
    unique=True,
)


SEARCH_SEPARATOR = "\x1f"
_NOT_DIGITS = re.compile(r"[^0-9]+")


def search_text_of(
    first_name: str, last_name: str, email: str, personal_email: str | None, phone: str | None
) -> str:
    digits = _NOT_DIGITS.sub("", phone) if phone else ""  # phones are E.164: ASCII digits
    # Case folding goes character by character, so folding the joined text folds each part.
    sep = SEARCH_SEPARATOR
    text = f"{first_name} {last_name}{sep}{email}{sep}{personal_email or ''}{sep}{digits}"
    return text.casefold()


def sort_name_of(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".casefold()[:210]


def search_key_of(user_id: uuid.UUID) -> int:
    return int.from_bytes(user_id.bytes[:8], "big", signed=True)


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _derive_search_columns(_mapper: Mapper[User], _conn: object, user: User) -> None:
    if user.id is None:
        user.id = uuid.uuid4()
    user.search_text = search_text_of(
        user.first_name, user.last_name, user.email, user.personal_email, user.phone
    )
    user.sort_name = sort_name_of(user.first_name, user.last_name)
    user.search_key = search_key_of(user.id)


# Unique by itself; the organization makes SQLite's search count an index-only read.
Index("uq_users_search_key_org", User.search_key, User.organization_id, unique=True)
# Keyset pagination: one index per sort order, the id as tie-breaker.
Index("ix_users_org_sort_name", User.organization_id, User.sort_name, User.id)
Index("ix_users_org_email_lower_id", User.organization_id, func.lower(User.email), User.id)
Index("ix_users_org_registered_at", User.organization_id, User.registered_at, User.id)
Index("ix_users_org_last_activity_at", User.organization_id, User.last_activity_at, User.id)
Index("ix_users_org_created_at", User.organization_id, User.created_at, User.id)
Index("ix_users_org_status", User.organization_id, User.status)
Index("ix_users_org_org_unit", User.organization_id, User.org_unit_id)
# (SQLite also has ix_users_org_search_text (organization_id, search_text, id), made by
# migration 0005 alone: 1-2 character searches read it instead of the table.)
