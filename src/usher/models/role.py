"""A role: a named set of permissions on one entity type (``project:editor``)."""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from usher.db.base import Base, CreatedMixin, IdMixin


class Role(IdMixin, CreatedMixin, Base):
    __tablename__ = "roles"
    __table_args__ = (Index("uq_roles_entity_type_id_key", "entity_type_id", "key", unique=True),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    entity_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("entity_types.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # Permission names ("project.deploy"); "*" is every permission, "*.read" every one that
    # ends in ".read", "users.*" every one that starts with "users.".
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    builtin: Mapped[bool] = mapped_column(default=False)
