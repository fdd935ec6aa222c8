"""API shapes for users and invitations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from usher.audit.schemas import AuditEventRead
from usher.kit import iso8601
from usher.models.invitation import InviteMethod
from usher.models.user import Gender, UserStatus
from usher.users import validation

Name = Annotated[str, Field(min_length=1, max_length=100)]


class ProfileRules(BaseModel):
    """Field rules shared by every shape that carries profile fields (create, update, import):
    the same messages through every door."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("first_name", "last_name", check_fields=False)
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return validation.clean_name(value) if value is not None else None

    @field_validator("email", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return validation.normalize_email(value) if value is not None else None

    @field_validator("personal_email", check_fields=False)
    @classmethod
    def _personal_email(cls, value: str | None) -> str | None:
        return validation.normalize_email(value) if value else None

    @field_validator("phone_region", check_fields=False)
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return validation.check_region(value) if value else None

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        return validation.normalize_phone(value, info.data.get("phone_region"))

    @field_validator("birthday", mode="before", check_fields=False)
    @classmethod
    def _birthday_text(cls, value: object) -> object:
        return iso8601.date_text(value)

    @field_validator("birthday", check_fields=False)
    @classmethod
    def _birthday(cls, value: date | None) -> date | None:
        return validation.check_birthday(value) if value else None

    @field_validator("position", check_fields=False)
    @classmethod
    def _position(cls, value: str | None) -> str | None:
        return " ".join(value.split()) or None if value else None


class RoleGrantIn(BaseModel):
    """A role to give: ``project:editor`` on entity ``42`` (or ``*``: every project)."""

    model_config = ConfigDict(extra="forbid")

    role: Annotated[str, Field(min_length=3, max_length=101, examples=["project:editor"])]
    entity_id: Annotated[str, Field(min_length=1, max_length=200, examples=["42"])]


class UserCreate(ProfileRules):
    """The Add new user dialog: profile, contact, placement, teams and how to invite."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "first_name": "Grace",
                    "last_name": "Hopper",
                    "email": "grace@acme.io",
                    "phone": "+1 202 555 0143",
                    "invite_method": "link",
                }
            ]
        }
    )

    first_name: Name
    last_name: Name
    gender: Gender = Gender.unspecified
    birthday: date | None = None
    email: Annotated[str, Field(max_length=320, description="Organizational email")]
    personal_email: Annotated[str | None, Field(max_length=320)] = None
    phone_region: Annotated[
        str | None,
        Field(max_length=2, description="ISO 3166 country code for a phone number without +"),
    ] = None
    phone: Annotated[
        str | None, Field(max_length=40, description="With + country code, or with phone_region")
    ] = None
    org_unit_id: uuid.UUID | None = None
    position: Annotated[str | None, Field(max_length=200)] = None
    team_ids: Annotated[list[uuid.UUID], Field(max_length=100)] = []
    roles: Annotated[
        list[RoleGrantIn],
        Field(max_length=100, description="Individual roles, applied when the user accepts"),
    ] = []
    invite_method: InviteMethod


class TeamRef(BaseModel):
    id: uuid.UUID
    name: str
    key: str | None


class DeliveryRead(BaseModel):
    state: Literal["not_applicable", "queued", "sending", "retrying", "sent", "failed", "cancelled"]
    attempts: int = 0
    sent_at: datetime | None = None
    last_error: str | None = None


class InvitationRead(BaseModel):
    id: uuid.UUID
    method: InviteMethod
    state: Literal["open", "accepted", "revoked", "superseded", "expired"]
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    sent_to: str | None
    delivery: DeliveryRead


class UserRead(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    gender: Gender
    birthday: date | None
    email: str
    personal_email: str | None
    phone: str | None
    org_unit_id: uuid.UUID | None
    position: str | None
    status: UserStatus
    created_at: datetime
    registered_at: datetime | None
    last_activity_at: datetime | None
    invited_by_id: uuid.UUID | None
    invitation_requested_at: datetime | None = Field(
        None, description="When the person last asked for a new invitation from a dead link"
    )
    teams: list[TeamRef]
    invitation: InvitationRead | None
    audit_trail: list[AuditEventRead] = Field(
        default_factory=list, description="The newest events about this user, newest first"
    )


class UserInvited(UserRead):
    registration_url: str | None = Field(
        None, description="Only for invite_method=link: the link for the admin to copy."
    )


class FirstLinksSent(BaseModel):
    sent: int = Field(description="Registration links queued by this call")
    remaining: int = Field(description="Pending users still without a link")


class InvitationIssued(BaseModel):
    user_id: uuid.UUID
    invitation: InvitationRead
    registration_url: str | None = None


class InvitationRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delete_user: StrictBool = False


class InvitationPreviewRead(BaseModel):
    first_name: str
    last_name: str
    email: str
    organization: str
    organization_slug: str
    expires_at: datetime


class InvitationRequested(BaseModel):
    message: str


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Annotated[str, Field(min_length=1, max_length=1024)]


def invitation_read(status: object) -> InvitationRead | None:
    """Shape an ``invitations.service.InvitationStatus`` for the API."""
    if status is None:
        return None
    inv = status.invitation  # type: ignore[attr-defined]
    msg = status.message  # type: ignore[attr-defined]
    return InvitationRead(
        id=inv.id,
        method=inv.method,
        state=status.state,  # type: ignore[attr-defined]
        created_at=inv.created_at,
        expires_at=inv.expires_at,
        accepted_at=inv.accepted_at,
        revoked_at=inv.revoked_at,
        sent_to=inv.sent_to,
        delivery=DeliveryRead(
            state=status.delivery,  # type: ignore[attr-defined]
            attempts=msg.attempts if msg else 0,
            sent_at=msg.sent_at if msg else None,
            last_error=msg.last_error if msg else None,
        ),
    )


def user_read(detail: object, cls: type[UserRead] = UserRead, **extra: object) -> UserRead:
    """Shape a ``users.service.UserDetail`` for the API."""
    user = detail.user  # type: ignore[attr-defined]
    return cls(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        gender=user.gender,
        birthday=user.birthday,
        email=user.email,
        personal_email=user.personal_email,
        phone=user.phone,
        org_unit_id=user.org_unit_id,
        position=user.position,
        status=user.status,
        created_at=user.created_at,
        registered_at=user.registered_at,
        last_activity_at=user.last_activity_at,
        invited_by_id=user.invited_by_id,
        invitation_requested_at=user.invitation_requested_at,
        teams=[TeamRef(id=t.id, name=t.name, key=t.key) for t in detail.teams],  # type: ignore[attr-defined]
        invitation=invitation_read(detail.invitation),  # type: ignore[attr-defined]
        audit_trail=[AuditEventRead.of(e) for e in detail.audit_trail],  # type: ignore[attr-defined]
        **extra,
    )


class UserUpdate(ProfileRules):
    """Profile fields an admin may change. Status, organization and teams have their own
    endpoints and are refused here."""

    first_name: Name | None = None
    last_name: Name | None = None
    gender: Gender | None = None
    birthday: date | None = None
    email: Annotated[str | None, Field(max_length=320)] = None
    personal_email: Annotated[str | None, Field(max_length=320)] = None
    phone_region: Annotated[str | None, Field(max_length=2)] = None
    phone: Annotated[str | None, Field(max_length=40)] = None
    org_unit_id: uuid.UUID | None = None
    position: Annotated[str | None, Field(max_length=200)] = None


class UserListItem(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    phone: str | None
    status: UserStatus
    registered_at: datetime | None
    last_activity_at: datetime | None
    created_at: datetime
    invitation_requested_at: datetime | None = None
    position: str | None
    org_unit: OrgUnitRef | None
    teams: list[TeamRef]


class OrgUnitRef(BaseModel):
    id: uuid.UUID
    name: str


class UserPage(BaseModel):
    items: list[UserListItem]
    total: int = Field(description="How many users match the filters, over all pages")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


def user_page(page: Any, next_cursor: str | None) -> UserPage:
    """Shape a ``users.listing.Page`` for the API."""
    items = []
    for u in page.users:
        unit = page.units.get(u.org_unit_id) if u.org_unit_id else None
        items.append(
            UserListItem(
                id=u.id,
                first_name=u.first_name,
                last_name=u.last_name,
                email=u.email,
                phone=u.phone,
                status=u.status,
                registered_at=u.registered_at,
                last_activity_at=u.last_activity_at,
                created_at=u.created_at,
                invitation_requested_at=u.invitation_requested_at,
                position=u.position,
                org_unit=OrgUnitRef(id=unit.id, name=unit.name) if unit else None,
                teams=[TeamRef(id=t.id, name=t.name, key=t.key) for t in page.teams.get(u.id, [])],
            )
        )
    return UserPage(items=items, total=page.total, next_cursor=next_cursor)
