"""Teams and roles: entity types, roles and role bindings; the predefined teams User Admin,
Auditor and Member; Usher's own entity types and roles in every organization.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy of usher.access.catalogue as of this revision (migrations never import the app).
ENTITY_TYPES = [
    (
        "organization",
        "Organization",
        "The organization itself: a role here covers everything in it.",
        [
            ("admin", "Admin", "Everything, in the whole organization.", ["*"]),
            (
                "user_admin",
                "User Admin",
                "Invite and manage users, organization units and custom teams.",
                [
                    "users.read",
                    "users.manage",
                    "org_units.read",
                    "org_units.manage",
                    "teams.read",
                    "teams.manage",
                    "roles.read",
                    "roles.manage",
                    "settings.read",
                    "access.check",
                ],
            ),
            (
                "auditor",
                "Auditor",
                "Read everything, the audit log included; change nothing.",
                ["*.read", "access.check"],
            ),
        ],
    ),
    (
        "org_unit",
        "Organization unit",
        "A unit and every unit under it, with their users.",
        [
            (
                "user_admin",
                "User Admin",
                "Invite and manage the users of this unit and its sub-units.",
                ["users.read", "users.manage", "org_units.read", "org_units.manage"],
            ),
            (
                "viewer",
                "Viewer",
                "See the users of this unit and its sub-units.",
                ["users.read", "org_units.read"],
            ),
        ],
    ),
    (
        "team",
        "Team",
        "One team: its members and roles.",
        [
            (
                "maintainer",
                "Maintainer",
                "Add and remove the team's members.",
                ["teams.read", "teams.manage"],
            )
        ],
    ),
]
TEAMS = [
    (
        "organization_admin",
        "Organization Admin",
        "Full control of the organization: invite, edit and delete users, manage teams, roles, "
        "organization units and settings.",
        "admin",
    ),
    (
        "user_admin",
        "User Admin",
        "Invite and manage users, organization units and custom teams. Cannot change settings or the "
        "admin teams.",
        "user_admin",
    ),
    ("auditor", "Auditor", "Read everything, the audit log included; change nothing.", "auditor"),
    (
        "member",
        "Member",
        "Everyone in the organization. Roles given to this team apply to every user.",
        None,
    ),
]


def upgrade() -> None:
    op.create_table(
        "entity_types",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(50), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_entity_types_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_types")),
    )
    op.create_index(
        "uq_entity_types_organization_id_key",
        "entity_types",
        ["organization_id", "key"],
        unique=True,
    )
    op.create_table(
        "roles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("entity_type_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(50), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_roles_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_type_id"],
            ["entity_types.id"],
            name=op.f("fk_roles_entity_type_id_entity_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
    )
    op.create_index("ix_roles_organization_id", "roles", ["organization_id"])
    op.create_index("uq_roles_entity_type_id_key", "roles", ["entity_type_id", "key"], unique=True)
    op.create_table(
        "role_bindings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("subject_key", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("fixed", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (team_id IS NULL)", name=op.f("ck_role_bindings_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_role_bindings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_role_bindings_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_role_bindings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_role_bindings_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_role_bindings_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_bindings")),
    )
    op.create_index("ix_role_bindings_organization_id", "role_bindings", ["organization_id"])
    op.create_index("ix_role_bindings_role_id", "role_bindings", ["role_id"])
    op.create_index("ix_role_bindings_user_id", "role_bindings", ["user_id"])
    op.create_index("ix_role_bindings_team_id", "role_bindings", ["team_id"])
    op.create_index(
        "uq_role_bindings_role_subject_entity",
        "role_bindings",
        ["role_id", "subject_key", "entity_id"],
        unique=True,
    )
    _install_builtins()


def _install_builtins() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    orgs = sa.table("organizations", sa.column("id", sa.Uuid()))
    teams = sa.table(
        "teams",
        sa.column("id", sa.Uuid()),
        sa.column("organization_id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("key", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    types = sa.table(
        "entity_types",
        *(sa.column(c, sa.Uuid()) for c in ("id", "organization_id")),
        *(sa.column(c) for c in ("key", "name", "description")),
        sa.column("builtin", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    roles = sa.table(
        "roles",
        *(sa.column(c, sa.Uuid()) for c in ("id", "organization_id", "entity_type_id")),
        *(sa.column(c) for c in ("key", "name")),
        sa.column("description"),
        sa.column("permissions", sa.JSON()),
        sa.column("builtin", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    bindings = sa.table(
        "role_bindings",
        *(sa.column(c, sa.Uuid()) for c in ("id", "organization_id", "role_id", "team_id")),
        sa.column("subject_key"),
        sa.column("entity_id"),
        sa.column("fixed", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    for (org_id,) in bind.execute(sa.select(orgs.c.id)).all():
        org_roles: dict[str, uuid.UUID] = {}
        for type_key, type_name, type_description, type_roles in ENTITY_TYPES:
            type_id = uuid.uuid4()
            bind.execute(
                types.insert().values(
                    id=type_id,
                    organization_id=org_id,
                    key=type_key,
                    name=type_name,
                    description=type_description,
                    builtin=True,
                    created_at=now,
                )
            )
            for role_key, role_name, role_description, permissions in type_roles:
                role_id = uuid.uuid4()
                bind.execute(
                    roles.insert().values(
                        id=role_id,
                        organization_id=org_id,
                        entity_type_id=type_id,
                        key=role_key,
                        name=role_name,
                        description=role_description,
                        permissions=permissions,
                        builtin=True,
                        created_at=now,
                    )
                )
                if type_key == "organization":
                    org_roles[role_key] = role_id
        existing = {
            key: team_id
            for team_id, key in bind.execute(
                sa.select(teams.c.id, teams.c.key).where(
                    teams.c.organization_id == org_id, teams.c.key.is_not(None)
                )
            ).all()
        }
        taken = {
            name.lower()
            for (name,) in bind.execute(
                sa.select(teams.c.name).where(teams.c.organization_id == org_id)
            ).all()
        }
        for team_key, team_name, team_description, team_role in TEAMS:
            team_id = existing.get(team_key)
            if team_id is None:
                name = team_name
                while name.lower() in taken:  # a custom team already has the name
                    name += " (Usher)"
                team_id = uuid.uuid4()
                bind.execute(
                    teams.insert().values(
                        id=team_id,
                        organization_id=org_id,
                        name=name,
                        description=team_description,
                        key=team_key,
                        created_at=now,
                    )
                )
            if team_role is not None:
                bind.execute(
                    bindings.insert().values(
                        id=uuid.uuid4(),
                        organization_id=org_id,
                        role_id=org_roles[team_role],
                        team_id=team_id,
                        subject_key=f"team:{team_id}",
                        entity_id="*",
                        fixed=True,
                        created_at=now,
                    )
                )


def downgrade() -> None:
    op.drop_table("role_bindings")
    op.drop_table("roles")
    op.drop_table("entity_types")
    op.execute("DELETE FROM teams WHERE key IN ('user_admin', 'auditor', 'member')")
