"""Kinds of things access is granted on: Usher's own (organization, org unit, team) and those an
application registers (``project``, ``repository`` ...), each with its roles."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from usher.db.base import Base, CreatedMixin, IdMixin


class EntityType(IdMixin, CreatedMixin, Base):
    __tablename__ = "entity_types"
    __table_args__ = (
        Index("uq_entity_types_organization_id_key", "organization_id", "key", unique=True),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # Usher's own types are fixed: they cannot be renamed away or deleted.
    builtin: Mapped[bool] = mapped_column(default=False)
