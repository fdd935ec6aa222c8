"""Indexes that let the list's counts be answered from an index alone.

- ``(search_key, organization_id)`` in place of ``(search_key)`` (still unique): SQLite's
  search count keeps only the organization's full-text matches without reading the table.
- ``(organization_id, org_unit_id)``: the organization-unit filter and its count.
- SQLite only, ``(organization_id, search_text, id)``: searches of 1 or 2 characters, which no
  trigram index can serve, test each row of this index instead of each row of the table
  (160 → 20 ms for a count at 100,000 users). PostgreSQL scans its compact heap as fast.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "uq_users_search_key_org", "users", ["search_key", "organization_id"], unique=True
    )
    op.drop_index("uq_users_search_key", table_name="users")
    op.create_index("ix_users_org_org_unit", "users", ["organization_id", "org_unit_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            "ix_users_org_search_text", "users", ["organization_id", "search_text", "id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_users_org_search_text", table_name="users")
    op.drop_index("ix_users_org_org_unit", table_name="users")
    op.create_index("uq_users_search_key", "users", ["search_key"], unique=True)
    op.drop_index("uq_users_search_key_org", table_name="users")
