"""API shapes for the caller's organization, its units and teams."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt


class OrganizationRead(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    invitation_expiry_days: int
    created_at: datetime


class OrganizationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    invitation_expiry_days: Annotated[
        StrictInt | None, Field(ge=1, le=90, description="How long new invitation links stay valid")
    ] = None


class TeamRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    key: str | None
    predefined: bool


class OrgUnitRead(BaseModel):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None


class OrgUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str, Field(min_length=1, max_length=200)]
    parent_id: uuid.UUID | None = None


class OrgUnitUpdate(BaseModel):
    """Rename, move, or both. ``parent_id: null`` moves the unit to the top level; leaving
    ``parent_id`` out keeps it where it is."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    parent_id: uuid.UUID | None = None
