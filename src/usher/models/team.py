"""Teams (predefined and custom) and their members."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from usher.db.base import Base, CreatedMixin, IdMixin

ORGANIZATION_ADMIN = "organization_admin"


class Team(IdMixin, CreatedMixin, Base):
    __tablename__ = "teams"
    __table_args__ = (Index("uq_teams_organization_id_key", "organization_id", "key", unique=True),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # Stable key of a predefined team ("organization_admin"); NULL for custom teams.
    key: Mapped[str | None] = mapped_column(String(50))

    @property
    def is_predefined(self) -> bool:
        return self.key is not None


Index(
    "uq_teams_organization_id_name_lower", Team.organization_id, func.lower(Team.name), unique=True
)


class TeamMember(CreatedMixin, Base):
    __tablename__ = "team_members"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
