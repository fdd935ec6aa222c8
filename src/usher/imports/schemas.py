"""API shapes of bulk imports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from usher.models.user_import import ImportAction, ImportStatus
from usher.users import validation


class ImportOptions(BaseModel):
    """How to import: what to do with bad rows, whether to invite, what to create."""

    model_config = ConfigDict(extra="forbid")

    valid_only: bool = Field(
        False,
        description="Import the valid rows and reject the others; by default one bad row "
        "stops the whole import (nothing is written).",
    )
    invite: Literal["none", "email"] = Field(
        "none",
        description="`email`: mail each new user a registration link now. `none`: create them "
        "pending without sending anything; send links later from the list.",
    )
    create_org_units: bool = Field(
        False, description="Create the organization units the file names that do not exist."
    )
    phone_region: Annotated[
        str | None,
        Field(max_length=2, description="Country (ISO 3166, e.g. GB) of phone numbers without +"),
    ] = None
    sheet: Annotated[
        str | None, Field(max_length=200, description="Spreadsheet: the sheet to read")
    ] = None

    @field_validator("phone_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return validation.check_region(value) if value else None


class ImportStart(BaseModel):
    """Run an uploaded import again: a dry run or the apply, with new options or mapping."""

    model_config = ConfigDict(extra="forbid")

    options: ImportOptions | None = None
    mapping: Annotated[
        dict[str, str] | None,
        Field(description="Header (or column letter) → field, or '' to ignore the column"),
    ] = None


class ColumnRead(BaseModel):
    index: int
    header: str
    field: str | None
    how: str
    suggestion: str | None
    note: str | None


class ProgressRead(BaseModel):
    rows_done: int
    rows_total: int | None
    percent: float | None
    phase: str | None


class ImportRead(BaseModel):
    id: uuid.UUID
    status: ImportStatus
    action: ImportAction | None
    filename: str
    file_size: int
    file_sha256: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    options: ImportOptions
    mapping: dict[str, str]
    columns: list[ColumnRead]
    sample: list[list[str]]
    progress: ProgressRead
    counts: dict[str, int] = Field(
        description="rows, create, update, unchanged, invalid, warnings; after an apply also "
        "created, updated, rejected, invited, org_units_created"
    )
    problem_counts: dict[str, int] = Field(description="Problems by kind")
    error: str | None
    created_at: datetime
    created_by_id: uuid.UUID | None
    started_at: datetime | None
    finished_at: datetime | None


class ImportList(BaseModel):
    items: list[ImportRead]


class ProblemRead(BaseModel):
    row: int = Field(description="The row as a spreadsheet shows it (the header is row 1)")
    column: str | None
    field: str | None
    kind: str
    severity: Literal["error", "warning"]
    message: str


class ProblemPage(BaseModel):
    items: list[ProblemRead]
    next_cursor: str | None
