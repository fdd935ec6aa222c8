"""User Management → Import: upload a file, check the column mapping (with the suggestions and
a sample of rows), run a dry run, read its report (filterable by kind of problem), apply,
follow the progress, and download the rejected rows. The work is the imports service's."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from usher.api.deps import ClientDep, SessionDep, SettingsDep
from usher.config import Settings
from usher.errors import Conflict, NotFound, NotPermitted, ValidationFailed
from usher.imports import service as imports
from usher.imports.checking import PROBLEM_KINDS
from usher.imports.headers import FIELD_LABELS
from usher.imports.reader import column_letter
from usher.imports.schemas import ImportOptions
from usher.invitations import service as invitations
from usher.models import UserImport
from usher.models.user_import import ImportAction, ImportStatus
from usher.web.csrf import CsrfDep
from usher.web.deps import Viewer, ViewerDep, redirect, settle_refusal, split_errors
from usher.web.pages.users_shared import LIST_PATH, regions, require_admin
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

IMPORT_PATH = LIST_PATH + "/import"
SHOWN_PROBLEMS = 200
TextField = Annotated[str, Form(max_length=200)]
RUNNING = (ImportStatus.queued, ImportStatus.running)
# Where the mapping step may be opened again: before the apply, when nothing is running.
REMAPPABLE = (ImportStatus.uploaded, ImportStatus.checked, ImportStatus.failed)


def _import_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No such import in this organization.") from None


def _options(
    *, valid_only: str, invite: str, create_org_units: str, phone_region: str, sheet: str = ""
) -> ImportOptions:
    try:
        return ImportOptions(
            valid_only=valid_only == "on",
            invite="email" if invite == "email" else "none",
            create_org_units=create_org_units == "on",
            phone_region=phone_region or None,
            sheet=sheet or None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed.field(
            str(first["loc"][0]), str(first["msg"]).removeprefix("Value error, ")
        ) from None


def require_importer(
    request: Request, session: Session, settings: Settings, viewer: Viewer | None
) -> Viewer | Response:
    """The viewer if they may import users somewhere (the service decides each row); those
    who only read users see the imports but are refused the forms, as the service would."""
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Viewer) and not admin.can("users.manage"):
        raise NotPermitted("You may not import users: that needs the right to manage users.")
    return admin


@router.get(IMPORT_PATH)
def import_start(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep
) -> Response:
    admin = require_importer(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    return _start_page(request, session, admin)


def _start_page(
    request: Request, session: Any, admin: Viewer, *, status: int = 200, **context: Any
) -> Response:
    return render(
        request,
        "users/import.html",
        status=status,
        viewer=admin,
        active="users",
        recent=imports.list_imports(session, admin.user, limit=10),
        **{"sheet": "", **context},
    )


@router.post(IMPORT_PATH)
def import_upload(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    file: Annotated[UploadFile | None, File()] = None,
    sheet: TextField = "",
    phone_region: TextField = "",
) -> Response:
    admin = require_importer(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    try:
        if file is None or not file.filename:
            raise ValidationFailed.field("file", "Choose a CSV or Excel file to import.")
        options = _options(
            valid_only="",
            invite="none",
            create_org_units="",
            phone_region=phone_region,
            sheet=sheet,
        )
        upload = imports.upload(
            session,
            admin.user,
            file=file.file,
            filename=file.filename,
            options=options,
            mapping=None,
            action=None,
            client=client,
        )
    except (ValidationFailed, imports.FileTooLarge) as exc:
        settle_refusal(session, exc)
        errors, message = split_errors(exc, ("file", "sheet"))
        if isinstance(exc, imports.FileTooLarge):
            errors, message = {"file": [exc.message]}, None
        return _start_page(
            request, session, admin, status=exc.status, errors=errors, message=message,
            sheet=sheet,
        )  # fmt: skip
    return redirect(f"{IMPORT_PATH}/{upload.imp.id}")


@router.get(IMPORT_PATH + "/{import_id}")
def import_page(
    import_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    kind: Annotated[str, Query(max_length=32)] = "",
    step: Annotated[str, Query(max_length=16)] = "",
    sent: Annotated[int | None, Query(ge=0)] = None,
    remaining: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    imp = imports.get_import(session, admin.user, _import_id(import_id))
    notice = None
    if sent is not None:
        notice = f"{sent} registration link(s) are on their way."
        if remaining:
            notice += f" {remaining} pending user(s) still have none: send the next batch."
    return _job_page(request, session, admin, imp, kind=kind, step=step, notice=notice)


@router.post(IMPORT_PATH + "/{import_id}/send-links")
def import_send_links(
    import_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
) -> Response:
    """Mail registration links to the pending users who never had one (as this import, made
    without invitations, left them), a batch at a time."""
    admin = require_importer(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    imp = imports.get_import(session, admin.user, _import_id(import_id))
    result = invitations.send_first_links(session, admin.user, client=client)
    return redirect(f"{IMPORT_PATH}/{imp.id}?sent={result.sent}&remaining={result.remaining}")


def _job_page(
    request: Request,
    session: Any,
    admin: Viewer,
    imp: UserImport,
    *,
    kind: str = "",
    step: str = "",
    status: int = 200,
    picked: list[str] | None = None,
    **context: Any,
) -> Response:
    """The import's page for where it stands; ``picked``: the fields the admin chose in the
    mapping step, shown again when the service refused them."""
    plan = imports.column_plan(imp)
    can_manage = admin.can("users.manage")
    remap = step == "mapping" and imp.status in REMAPPABLE and can_manage
    shown = "mapping" if imp.status == ImportStatus.uploaded or remap else imp.status
    kind = kind if kind in PROBLEM_KINDS else ""
    by_kind = imports.counts_by_kind(session, imp)
    listed: list[Any] = []
    if shown in (ImportStatus.checked, ImportStatus.completed, ImportStatus.failed):
        listed = list(
            imports.problems(
                session, admin.user, imp.id, kind=kind or None, after=None, limit=SHOWN_PROBLEMS
            )[0]
        )
    samples = [
        [row[c.index] if c.index < len(row) else "" for row in imp.sample[:3]] for c in plan.columns
    ]
    chosen = [c.field or (c.suggestion if c.how == "unknown" else None) or "" for c in plan.columns]
    if picked is not None:
        chosen = [
            (picked[i] if i < len(picked) and picked[i] in FIELD_LABELS else "")
            for i in range(len(plan.columns))
        ]
    return render(
        request,
        "users/import_job.html",
        status=status,
        viewer=admin,
        active="users",
        imp=imp,
        shown=shown,
        plan=plan,
        samples=samples,
        chosen=chosen,
        fields=FIELD_LABELS,
        options=ImportOptions.model_validate(imp.options),
        progress=imports.progress(imp),
        by_kind=by_kind,
        kinds=PROBLEM_KINDS,
        kind=kind,
        can_manage=can_manage,
        problems=listed,
        problems_total=sum(by_kind.values()) if not kind else by_kind.get(kind, 0),
        rejected_count=(imp.counts or {}).get("invalid", 0),
        regions=regions(),
        running=imp.status in RUNNING,
        path=f"{IMPORT_PATH}/{imp.id}",
        **context,
    )


@router.post(IMPORT_PATH + "/{import_id}/run")
def import_run(
    import_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    action: TextField = "dry_run",
    valid_only: TextField = "",
    invite: TextField = "none",
    create_org_units: TextField = "",
    phone_region: TextField = "",
    column: Annotated[list[str] | None, Form(max_length=2000)] = None,
) -> Response:
    """Start a dry run (from the mapping step, whose selects send one ``column`` each, in
    order) or the apply (from the report)."""
    admin = require_importer(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    imp = imports.get_import(session, admin.user, _import_id(import_id))
    mapping = None
    if column is not None:
        # Only what the admin changed from the automatic match: a column left as matched keeps
        # its fallbacks (Entra's userPrincipalName when mail is empty).
        auto = imports.automatic_plan(imp).columns
        mapping = {
            column_letter(i): (value if value in FIELD_LABELS else "")
            for i, value in enumerate(column[: len(imp.headers)])
            if (value if value in FIELD_LABELS else None) != auto[i].field
        }
    try:
        options = _options(
            valid_only=valid_only,
            invite=invite,
            create_org_units=create_org_units,
            phone_region=phone_region,
        )
        chosen = ImportAction.apply if action == "apply" else ImportAction.dry_run
        imports.start(session, admin.user, imp.id, action=chosen, options=options, mapping=mapping)
    except (ValidationFailed, Conflict) as exc:
        settle_refusal(session, exc)
        session.refresh(imp)
        return _job_page(
            request, session, admin, imp, status=exc.status, message=split_errors(exc, ())[1],
            step="mapping" if column is not None else "", picked=column,
        )  # fmt: skip
    return redirect(f"{IMPORT_PATH}/{imp.id}")


@router.get(IMPORT_PATH + "/{import_id}/rejected")
def import_rejected(
    import_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    filename, handle = imports.rejected_csv(session, admin.user, _import_id(import_id))
    return StreamingResponse(
        imports.iter_file(handle),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
