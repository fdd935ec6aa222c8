"""ORM tables, one module per table; importing this package registers them all on Base.metadata."""

from usher.models.api_token import ApiToken
from usher.models.audit_event import AuditEvent
from usher.models.entity_type import EntityType
from usher.models.invitation import Invitation
from usher.models.org_unit import OrgUnit
from usher.models.organization import Organization
from usher.models.outbox_message import OutboxMessage
from usher.models.password_reset import PasswordReset
from usher.models.role import Role
from usher.models.role_binding import RoleBinding
from usher.models.team import Team, TeamMember
from usher.models.user import User
from usher.models.user_import import (
    UserImport,
    UserImportChunk,
    UserImportMembership,
    UserImportProblem,
    UserImportRow,
)
from usher.models.user_session import UserSession

__all__ = [
    "ApiToken",
    "AuditEvent",
    "EntityType",
    "Invitation",
    "OrgUnit",
    "Organization",
    "OutboxMessage",
    "PasswordReset",
    "Role",
    "RoleBinding",
    "Team",
    "TeamMember",
    "User",
    "UserImport",
    "UserImportChunk",
    "UserImportMembership",
    "UserImportProblem",
    "UserImportRow",
    "UserSession",
]
