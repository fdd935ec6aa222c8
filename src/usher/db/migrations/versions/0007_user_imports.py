"""Bulk user imports: the job, its file in chunks, its problems and its staged rows.

Also an index on every foreign key to ``users`` that had none (``invited_by_id`` and the
like): deleting a user made the database scan those tables for references, which cost a full
scan of ``users`` per deleted user (removing 20,000 users took 30 s on SQLite).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import usher.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FOREIGN_KEY_INDEXES = [
    ("users", "invited_by_id"),
    ("invitations", "invited_by_id"),
    ("invitations", "outbox_message_id"),
    ("role_bindings", "created_by_id"),
]


def upgrade() -> None:
    for table, column in FOREIGN_KEY_INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])
    op.create_table(
        "user_imports",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("delimiter", sa.String(length=4), nullable=True),
        sa.Column("sheet", sa.String(length=200), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("sample", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "uploaded",
                "queued",
                "running",
                "checked",
                "completed",
                "failed",
                name="importstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "action",
            sa.Enum("dry_run", "apply", name="importaction", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("phase", sa.String(length=16), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", usher.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", usher.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", usher.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", usher.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", usher.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_user_imports_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_user_imports_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_user_imports_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_imports")),
    )
    with op.batch_alter_table("user_imports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_user_imports_org_created", ["organization_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_user_imports_created_by_id", ["created_by_id"], unique=False)
        batch_op.create_index("ix_user_imports_actor_id", ["actor_id"], unique=False)
        batch_op.create_index(
            "ix_user_imports_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "uq_user_imports_org_idempotency_key",
            ["organization_id", "idempotency_key"],
            unique=True,
        )

    op.create_table(
        "user_import_chunks",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["user_imports.id"],
            name=op.f("fk_user_import_chunks_import_id_user_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_user_import_chunks")),
    )
    op.create_table(
        "user_import_memberships",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["user_imports.id"],
            name=op.f("fk_user_import_memberships_import_id_user_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "import_id", "user_id", "team_id", name=op.f("pk_user_import_memberships")
        ),
    )
    op.create_table(
        "user_import_problems",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["user_imports.id"],
            name=op.f("fk_user_import_problems_import_id_user_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_user_import_problems")),
    )
    with op.batch_alter_table("user_import_problems", schema=None) as batch_op:
        batch_op.create_index(
            "ix_user_import_problems_import_kind", ["import_id", "kind"], unique=False
        )

    op.create_table(
        "user_import_rows",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("birthday", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("personal_email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("org_unit_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("sort_name", sa.String(length=210), nullable=False),
        sa.Column("search_key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["user_imports.id"],
            name=op.f("fk_user_import_rows_import_id_user_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "row_number", name=op.f("pk_user_import_rows")),
    )
    op.create_index(
        "ix_user_import_rows_import_action_user",
        "user_import_rows",
        ["import_id", "action", "user_id"],
    )


def downgrade() -> None:
    op.drop_table("user_import_rows")
    with op.batch_alter_table("user_import_problems", schema=None) as batch_op:
        batch_op.drop_index("ix_user_import_problems_import_kind")

    op.drop_table("user_import_problems")
    op.drop_table("user_import_memberships")
    op.drop_table("user_import_chunks")
    with op.batch_alter_table("user_imports", schema=None) as batch_op:
        batch_op.drop_index("uq_user_imports_org_idempotency_key")
        batch_op.drop_index("ix_user_imports_status_next_attempt_at")
        batch_op.drop_index("ix_user_imports_org_created")

    op.drop_table("user_imports")
    for table, column in FOREIGN_KEY_INDEXES:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
