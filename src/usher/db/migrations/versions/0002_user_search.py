"""User search and sort: derived columns, keyset indexes, pg_trgm (PostgreSQL) or FTS5
trigram (SQLite).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEP = "\x1f"


def _search_text(first: str, last: str, email: str, personal: str | None, phone: str | None) -> str:
    # Must match usher.models.user.search_text_of (kept apart: migrations never import models).
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    return SEP.join(p.casefold() for p in [f"{first} {last}", email, personal or "", digits])


def upgrade() -> None:
    bind = op.get_bind()
    # Plain ADD COLUMNs, no batch copy-and-move: on SQLite that would drop the expression
    # index on lower(email), which reflection cannot carry over.
    op.add_column("users", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "users", sa.Column("sort_name", sa.String(210), nullable=False, server_default="")
    )
    op.add_column("users", sa.Column("search_key", sa.BigInteger(), nullable=True))

    users = sa.table(
        "users",
        sa.column("id", sa.Uuid()),
        sa.column("first_name"),
        sa.column("last_name"),
        sa.column("email"),
        sa.column("personal_email"),
        sa.column("phone"),
        sa.column("search_text"),
        sa.column("sort_name"),
        sa.column("search_key", sa.BigInteger()),
    )
    rows = bind.execute(
        sa.select(
            users.c.id,
            users.c.first_name,
            users.c.last_name,
            users.c.email,
            users.c.personal_email,
            users.c.phone,
        )
    ).all()
    for row in rows:
        bind.execute(
            users.update()
            .where(users.c.id == row.id)
            .values(
                search_text=_search_text(
                    row.first_name, row.last_name, row.email, row.personal_email, row.phone
                ),
                sort_name=f"{row.first_name} {row.last_name}".casefold()[:210],
                search_key=int.from_bytes(row.id.bytes[:8], "big", signed=True),
            )
        )

    if bind.dialect.name == "postgresql":
        op.alter_column("users", "search_key", existing_type=sa.BigInteger(), nullable=False)
    # (On SQLite the column stays nullable in the DDL; the application always sets it.)
    op.create_index("uq_users_search_key", "users", ["search_key"], unique=True)
    op.create_index("ix_users_org_sort_name", "users", ["organization_id", "sort_name", "id"])
    op.create_index(
        "ix_users_org_email_lower_id", "users", ["organization_id", sa.text("lower(email)"), "id"]
    )
    op.create_index(
        "ix_users_org_registered_at", "users", ["organization_id", "registered_at", "id"]
    )
    op.create_index(
        "ix_users_org_last_activity_at", "users", ["organization_id", "last_activity_at", "id"]
    )
    op.create_index("ix_users_org_created_at", "users", ["organization_id", "created_at", "id"])

    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_users_search_text_trgm ON users USING gin (search_text gin_trgm_ops)"
        )
    else:
        create_sqlite_search()


def create_sqlite_search() -> None:
    """FTS5 with the trigram tokenizer: substring LIKE/MATCH served by the index.

    Note for later migrations: a batch (copy-and-move) alter of ``users`` on SQLite drops
    these triggers; recreate them with this function afterwards.
    """
    op.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS users_search "
        "USING fts5(search_text, tokenize='trigram')"
    )
    op.execute("DELETE FROM users_search")
    op.execute(
        "INSERT INTO users_search(rowid, search_text) SELECT search_key, search_text FROM users"
    )
    op.execute("""CREATE TRIGGER users_search_ai AFTER INSERT ON users BEGIN
        INSERT INTO users_search(rowid, search_text) VALUES (new.search_key, new.search_text);
    END""")
    op.execute("""CREATE TRIGGER users_search_ad AFTER DELETE ON users BEGIN
        DELETE FROM users_search WHERE rowid = old.search_key;
    END""")
    op.execute("""CREATE TRIGGER users_search_au AFTER UPDATE OF search_text, search_key
        ON users BEGIN
        DELETE FROM users_search WHERE rowid = old.search_key;
        INSERT INTO users_search(rowid, search_text) VALUES (new.search_key, new.search_text);
    END""")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_users_search_text_trgm")
    else:
        for trigger in ("users_search_ai", "users_search_ad", "users_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS users_search")
    for index in (
        "ix_users_org_sort_name",
        "ix_users_org_email_lower_id",
        "ix_users_org_registered_at",
        "ix_users_org_last_activity_at",
        "ix_users_org_created_at",
    ):
        op.drop_index(index, table_name="users")
    op.drop_index("uq_users_search_key", table_name="users")
    for column in ("search_key", "sort_name", "search_text"):
        op.drop_column("users", column)
