"""A role binding: a user or a team holds a role on one entity (``project:42``) or on every
entity of the role's type (``project:*``)."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from usher.db.base import Base, CreatedMixin, IdMixin

ALL = "*"


class RoleBinding(IdMixin, CreatedMixin, Base):
    __tablename__ = "role_bindings"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="one_subject"),
        # One binding per role, subject and entity (subject_key: "user:<id>" / "team:<id>").
        Index(
            "uq_role_bindings_role_subject_entity",
            "role_id",
            "subject_key",
            "entity_id",
            unique=True,
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    subject_key: Mapped[str] = mapped_column(String(50))
    # The entity's id within the role's type, or "*" for all of them.
    entity_id: Mapped[str] = mapped_column(String(200))
    # The predefined teams' own bindings (Organization Admin → organization:admin) are fixed.
    fixed: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
