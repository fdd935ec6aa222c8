"""Bulk import of users: upload, dry run, apply, progress, the report and the rejected rows."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from usher.api.deps import ClientDep, CurrentUser, SessionDep
from usher.errors import ValidationFailed
from usher.imports import service
from usher.imports.schemas import (
    ColumnRead,
    ImportList,
    ImportOptions,
    ImportRead,
    ImportStart,
    ProblemPage,
    ProblemRead,
    ProgressRead,
)
from usher.models import UserImport
from usher.models.user_import import ImportAction

router = APIRouter(prefix="/imports", tags=["imports"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "You may not import users"},
    404: {"description": "No such import in your organization"},
}


def import_read(session: Session, imp: UserImport) -> ImportRead:
    plan = service.column_plan(imp)
    return ImportRead(
        id=imp.id,
        status=imp.status,
        action=imp.action,
        filename=imp.filename,
        file_size=imp.file_size,
        file_sha256=imp.file_sha256,
        format=imp.format,
        encoding=imp.encoding,
        delimiter=imp.delimiter,
        sheet=imp.sheet,
        options=ImportOptions.model_validate(imp.options),
        mapping=imp.mapping,
        columns=[
            ColumnRead(
                index=c.index,
                header=c.header,
                field=c.field,
                how=c.how,
                suggestion=c.suggestion,
                note=c.note,
            )
            for c in plan.columns
        ],
        sample=imp.sample,
        progress=ProgressRead(**service.progress(imp)),
        counts=imp.counts,
        problem_counts=service.counts_by_kind(session, imp),
        error=imp.error,
        created_at=imp.created_at,
        created_by_id=imp.created_by_id,
        started_at=imp.started_at,
        finished_at=imp.finished_at,
    )


def _mapping(text: str | None, pairs: list[str]) -> dict[str, str] | None:
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip():
            raise ValidationFailed.field(
                "map", f"{pair!r} is not column=field, like 'Work email=email'."
            )
        mapping[column.strip()] = field.strip()
    if not text:
        return mapping or None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed.field(
            "mapping",
            "Send the mapping as a JSON object of column → field, for example "
            '{"Work email": "email", "Manager": ""}.',
        )
    return {**mapping, **value}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportRead,
    responses={
        413: {"description": "The file is larger than the import limit"},
        422: {"description": "Not a CSV or spreadsheet, no email column, or a bad option"},
        **RESPONSES,
    },
)
def create_import(
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV (any common encoding) or XLSX")],
    action: Annotated[
        Literal["apply", "dry_run", "upload"],
        Form(
            description="`apply` (default), `dry_run` (report only), or `upload` (store and "
            "read the header; run it later)"
        ),
    ] = "apply",
    mapping: Annotated[
        str | None, Form(description='JSON: {"column header or letter": "field" or ""}')
    ] = None,
    map_: Annotated[
        list[str] | None,
        Form(alias="map", description="Repeatable `column=field` (as the CLI's --map)"),
    ] = None,
    dry_run: Annotated[bool, Form(description="Same as action=dry_run")] = False,
    valid_only: Annotated[bool, Form()] = False,
    invite: Annotated[Literal["none", "email"], Form()] = "none",
    create_org_units: Annotated[bool, Form()] = False,
    phone_region: Annotated[str | None, Form(max_length=2)] = None,
    sheet: Annotated[str | None, Form(max_length=200)] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=255,
            description="Send the same key to retry safely: the first result comes back",
        ),
    ] = None,
) -> ImportRead:
    """Upload a file of users and import it in the background. Rows match existing users by
    organizational email (any letter case); only the file's columns are updated. Follow the
    import with `GET /imports/{id}`."""
    try:
        options = ImportOptions(
            valid_only=valid_only,
            invite=invite,
            create_org_units=create_org_units,
            phone_region=phone_region or None,
            sheet=sheet or None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed.field(str(first["loc"][0]), first["msg"]) from None
    if dry_run and action == "apply":
        action = "dry_run"
    result = service.upload(
        session,
        actor,
        file=file.file,
        filename=file.filename or "upload",
        options=options,
        mapping=_mapping(mapping, map_ or []),
        action=None if action == "upload" else ImportAction(action),
        idempotency_key=idempotency_key,
        client=client,
    )
    response.headers["Location"] = f"/api/v1/imports/{result.imp.id}"
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return import_read(session, result.imp)


@router.get("", response_model=ImportList, responses=RESPONSES)
def list_imports(
    session: SessionDep,
    actor: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ImportList:
    """The organization's imports, newest first (a unit-scoped admin sees their own)."""
    items = service.list_imports(session, actor, limit=limit)
    return ImportList(items=[import_read(session, imp) for imp in items])


@router.get("/{import_id}", response_model=ImportRead, responses=RESPONSES)
def get_import(import_id: uuid.UUID, session: SessionDep, actor: CurrentUser) -> ImportRead:
    """Status, progress (rows done / total), counts and problem counts of one import."""
    return import_read(session, service.get_import(session, actor, import_id))


def _start(
    session: Session,
    actor: Any,
    import_id: uuid.UUID,
    body: ImportStart | None,
    action: ImportAction,
) -> ImportRead:
    imp = service.start(
        session,
        actor,
        import_id,
        action=action,
        options=body.options if body else None,
        mapping=body.mapping if body else None,
    )
    return import_read(session, imp)


@router.post(
    "/{import_id}/dry-run",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportRead,
    responses={409: {"description": "Running or applied already"}, **RESPONSES},
)
def dry_run(
    import_id: uuid.UUID, session: SessionDep, actor: CurrentUser, body: ImportStart | None = None
) -> ImportRead:
    """Check every row again (with new options or mapping, if given); nothing is written."""
    return _start(session, actor, import_id, body, ImportAction.dry_run)


@router.post(
    "/{import_id}/apply",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportRead,
    responses={409: {"description": "Running or applied already"}, **RESPONSES},
)
def apply(
    import_id: uuid.UUID, session: SessionDep, actor: CurrentUser, body: ImportStart | None = None
) -> ImportRead:
    """Apply the import (after a dry run, or again after a failure): all rows or none, or the
    valid rows only with `options.valid_only`."""
    return _start(session, actor, import_id, body, ImportAction.apply)


@router.get("/{import_id}/problems", response_model=ProblemPage, responses=RESPONSES)
def list_problems(
    import_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentUser,
    kind: Annotated[str | None, Query(max_length=32, description="Only this kind")] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ProblemPage:
    """Every problem the last run found, by row number, column and reason."""
    after = None
    if cursor:
        if not cursor.isdigit():
            raise ValidationFailed.field("cursor", "Use the next_cursor of the previous page.")
        after = int(cursor)
    rows, next_seq = service.problems(
        session, actor, import_id, kind=kind, after=after, limit=limit
    )
    return ProblemPage(
        items=[
            ProblemRead(
                row=p.row_number,
                column=p.column,
                field=p.field,
                kind=p.kind,
                severity=p.severity,  # type: ignore[arg-type]
                message=p.message,
            )
            for p in rows
        ],
        next_cursor=str(next_seq) if next_seq is not None else None,
    )


@router.get(
    "/{import_id}/rejected",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **RESPONSES},
)
def rejected_rows(import_id: uuid.UUID, session: SessionDep, actor: CurrentUser) -> Response:
    """The rejected rows as CSV: the file's own columns plus Reason, ready to fix and import."""
    filename, handle = service.rejected_csv(session, actor, import_id)
    return StreamingResponse(
        service.iter_file(handle),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
