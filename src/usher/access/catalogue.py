"""What Usher itself knows about access: its permissions, its entity types and their roles, and
the predefined teams with the roles they hold. Every organization gets these when it is made
(and migration 0006 gave them to the organizations made before)."""

from __future__ import annotations

from dataclasses import dataclass

ORGANIZATION = "organization"
ORG_UNIT = "org_unit"
TEAM = "team"

# Usher's own permissions, each checked by exactly one kind of action.
PERMISSIONS: dict[str, str] = {
    "users.read": "See users: the list, their details, teams and access.",
    "users.manage": "Invite, edit, disable, enable and delete users; resend invitations.",
    "org_units.read": "See the organization units.",
    "org_units.manage": "Add, rename, move and delete organization units.",
    "teams.read": "See teams, their members and roles.",
    "teams.manage": "Create, rename, describe and delete custom teams; add and remove members.",
    "admin_teams.manage": "Add and remove members of Organization Admin, User Admin and Auditor.",
    "roles.read": "See entity types, roles and role bindings.",
    "roles.manage": "Grant and revoke roles (only roles one holds oneself).",
    "entity_types.manage": "Register entity types and define their roles.",
    "settings.read": "See the organization's settings.",
    "settings.manage": "Change the organization's settings.",
    "audit.read": "Read the audit log.",
    "access.check": "Ask what another user may do.",
}

# Permissions no team but Organization Admin may hold on the whole organization.
ADMIN_ONLY = ("admin_teams.manage", "entity_types.manage", "settings.manage")


@dataclass(frozen=True)
class RoleSpec:
    key: str
    name: str
    description: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class EntityTypeSpec:
    key: str
    name: str
    description: str
    roles: tuple[RoleSpec, ...]


USER_ADMIN_PERMISSIONS = (
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
)

ENTITY_TYPES: tuple[EntityTypeSpec, ...] = (
    EntityTypeSpec(
        ORGANIZATION,
        "Organization",
        "The organization itself: a role here covers everything in it.",
        (
            RoleSpec("admin", "Admin", "Everything, in the whole organization.", ("*",)),
            RoleSpec(
                "user_admin",
                "User Admin",
                "Invite and manage users, organization units and custom teams.",
                USER_ADMIN_PERMISSIONS,
            ),
            RoleSpec(
                "auditor",
                "Auditor",
                "Read everything, the audit log included; change nothing.",
                ("*.read", "access.check"),
            ),
        ),
    ),
    EntityTypeSpec(
        ORG_UNIT,
        "Organization unit",
        "A unit and every unit under it, with their users.",
        (
            RoleSpec(
                "user_admin",
                "User Admin",
                "Invite and manage the users of this unit and its sub-units.",
                ("users.read", "users.manage", "org_units.read", "org_units.manage"),
            ),
            RoleSpec(
                "viewer",
                "Viewer",
                "See the users of this unit and its sub-units.",
                ("users.read", "org_units.read"),
            ),
        ),
    ),
    EntityTypeSpec(
        TEAM,
        "Team",
        "One team: its members and roles.",
        (
            RoleSpec(
                "maintainer",
                "Maintainer",
                "Add and remove the team's members.",
                ("teams.read", "teams.manage"),
            ),
        ),
    ),
)

BUILTIN_TYPES = frozenset(t.key for t in ENTITY_TYPES)

ORGANIZATION_ADMIN = "organization_admin"
USER_ADMIN = "user_admin"
AUDITOR = "auditor"
MEMBER = "member"


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str
    description: str
    role: str | None  # the organization role the team holds, fixed


PREDEFINED_TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        ORGANIZATION_ADMIN,
        "Organization Admin",
        "Full control of the organization: invite, edit and delete users, manage teams, "
        "roles, organization units and settings.",
        "admin",
    ),
    TeamSpec(
        USER_ADMIN,
        "User Admin",
        "Invite and manage users, organization units and custom teams. Cannot change "
        "settings or the admin teams.",
        "user_admin",
    ),
    TeamSpec(
        AUDITOR,
        "Auditor",
        "Read everything, the audit log included; change nothing.",
        "auditor",
    ),
    TeamSpec(
        MEMBER,
        "Member",
        "Everyone in the organization. Roles given to this team apply to every user.",
        None,
    ),
)
# Teams whose members only an Organization Admin may change.
ADMIN_TEAMS = frozenset({ORGANIZATION_ADMIN, USER_ADMIN, AUDITOR})
