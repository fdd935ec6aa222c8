"""A bulk import of users: the uploaded file (in chunks, so any worker can read it), the job
that checks and applies it, the problems it found and the rows it is about to write."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from usher.db.base import Base, CreatedMixin, IdMixin


class ImportStatus(enum.StrEnum):
    uploaded = "uploaded"  # stored and read; waiting for a dry run or an apply
    queued = "queued"  # waiting for a worker
    running = "running"  # held by a worker until lease_expires_at
    checked = "checked"  # the dry run is done: the report is ready, nothing was written
    completed = "completed"  # applied and committed
    failed = "failed"  # nothing was written; `error` says why


class ImportAction(enum.StrEnum):
    dry_run = "dry_run"
    apply = "apply"


class UserImport(IdMixin, CreatedMixin, Base):
    __tablename__ = "user_imports"
    __table_args__ = (
        Index("ix_user_imports_org_created", "organization_id", "created_at"),
        Index("ix_user_imports_status_next_attempt_at", "status", "next_attempt_at"),
        # NULL keys do not collide: only requests that sent an Idempotency-Key are unique.
        Index(
            "uq_user_imports_org_idempotency_key", "organization_id", "idempotency_key", unique=True
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Who asked for the current run (a dry run and its apply may come from two admins).
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    file_size: Mapped[int] = mapped_column(BigInteger)
    file_sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str | None] = mapped_column(String(32))
    delimiter: Mapped[str | None] = mapped_column(String(4))
    sheet: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    sample: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    status: Mapped[ImportStatus] = mapped_column(
        Enum(ImportStatus, native_enum=False, length=16, validate_strings=True),
        default=ImportStatus.uploaded,
    )
    action: Mapped[ImportAction | None] = mapped_column(
        Enum(ImportAction, native_enum=False, length=16, validate_strings=True)
    )
    phase: Mapped[str | None] = mapped_column(String(16))  # counting | checking | writing
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(1000))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class UserImportChunk(Base):
    """One piece (1 MiB) of the uploaded file, kept in the database so that every worker
    of every host can read it."""

    __tablename__ = "user_import_chunks"

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_imports.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class UserImportProblem(Base):
    """What is wrong with one cell or row of the file (or, as a warning, worth knowing)."""

    __tablename__ = "user_import_problems"
    __table_args__ = (Index("ix_user_import_problems_import_kind", "import_id", "kind"),)

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_imports.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(200))
    field: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))  # error | warning
    message: Mapped[str] = mapped_column(String(500))


class UserImportRow(Base):
    """A checked row waiting to be written, with every value already normalised: the apply
    moves these into ``users`` with a few set-based statements in one transaction."""

    __tablename__ = "user_import_rows"
    # The apply joins users to these rows by user id: whichever side the planner starts from
    # (SQLite's statistics may still say users is empty), each probe is one index look-up.
    __table_args__ = (
        Index("ix_user_import_rows_import_action_user", "import_id", "action", "user_id"),
    )

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_imports.id", ondelete="CASCADE"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(8))  # create | update
    user_id: Mapped[uuid.UUID]
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(16))
    birthday: Mapped[date | None]
    email: Mapped[str] = mapped_column(String(320))
    personal_email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    org_unit_id: Mapped[uuid.UUID | None]
    position: Mapped[str | None] = mapped_column(String(200))
    search_text: Mapped[str] = mapped_column(Text)
    sort_name: Mapped[str] = mapped_column(String(210))
    search_key: Mapped[int] = mapped_column(BigInteger)


class UserImportMembership(Base):
    """A team membership the apply adds (``add``) or removes (``remove``)."""

    __tablename__ = "user_import_memberships"

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_imports.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    op: Mapped[str] = mapped_column(String(8))


__all__ = [
    "ImportAction",
    "ImportStatus",
    "UserImport",
    "UserImportChunk",
    "UserImportMembership",
    "UserImportProblem",
    "UserImportRow",
]
