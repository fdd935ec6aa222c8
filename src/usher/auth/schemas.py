"""API shapes for sign-in, password reset, the current user and API tokens."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from usher.models.user import UserStatus


def _no_control_characters(value: str) -> str:
    # PostgreSQL refuses NUL in text, and no slug, email or name holds a control character.
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("Remove the control characters (such as NUL or a line break).")
    return value


PlainText = AfterValidator(_no_control_characters)
Slug = Annotated[
    str, Field(min_length=1, max_length=63, description="Organization slug"), PlainText
]
Email = Annotated[str, Field(min_length=3, max_length=320), PlainText]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization: Slug
    email: Email
    password: Password


class ForgotPasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization: Slug
    email: Email


class ResetPasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, Field(min_length=1, max_length=200)]
    password: Password


class OrganizationRef(BaseModel):
    id: uuid.UUID
    name: str
    slug: str


class MeRead(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    status: UserStatus
    registered_at: datetime | None
    last_activity_at: datetime | None
    organization: OrganizationRef
    is_org_admin: bool
    permissions: list[str] = Field(
        description="Usher's own permissions the user holds, on the whole organization or on "
        "some of its units."
    )

    @classmethod
    def of(cls, me: Any) -> MeRead:
        """Shape an ``auth.service.Me``."""
        user, org = me.user, me.organization
        return cls(
            id=user.id,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            status=user.status,
            registered_at=user.registered_at,
            last_activity_at=user.last_activity_at,
            organization=OrganizationRef(id=org.id, name=org.name, slug=org.slug),
            is_org_admin=me.is_org_admin,
            permissions=sorted(me.permissions),
        )


class Message(BaseModel):
    detail: str


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=100), PlainText] = "API token"
    expires_in_days: Annotated[StrictInt | None, Field(ge=1, le=3650)] = None


class TokenCreated(BaseModel):
    id: uuid.UUID
    name: str
    token: str = Field(description="Shown once: store it now.")
    prefix: str
    created_at: datetime
    expires_at: datetime | None
