"""``usher users import FILE``: import users from a CSV or spreadsheet, with a progress bar.

The command stores the file and queues the import like the API does, then runs it itself (a
worker that gets there first runs it instead, and the command follows its progress)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from usher.cli.common import (
    FAILURE,
    USAGE,
    AsOption,
    JsonOption,
    OrgOption,
    err,
    fail,
    handled,
    load_settings,
    open_sessions,
    out,
    print_json,
)
from usher.db.engine import unit_of_work
from usher.imports import service
from usher.imports.checking import PROBLEM_KINDS
from usher.imports.runner import ImportRunner
from usher.imports.schemas import ImportOptions
from usher.invitations import service as invitations
from usher.kit.client import CLI_CLIENT
from usher.models.user_import import ImportAction, ImportStatus
from usher.orgs import service as orgs_service

NAMES = {"file": "FILE", "mapping": "--map", "phone_region": "--phone-region"}
SHOWN_PROBLEMS = 20


def parse_mapping(given: list[str]) -> dict[str, str] | None:
    """``--map "Work email=email"`` (and ``--map "Manager="`` to ignore a column)."""
    mapping: dict[str, str] = {}
    for text in given:
        column, sep, field = text.partition("=")
        if not sep or not column.strip():
            fail(f"--map: {text!r} is not COLUMN=FIELD, like 'Work email=email'.", USAGE)
        mapping[column.strip()] = field.strip()
    return mapping or None


def import_users(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX.")
    ],
    org: OrgOption,
    as_: AsOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")
    ] = False,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD (repeatable); COLUMN= ignores the column."),
    ] = None,
    valid_only: Annotated[
        bool, typer.Option("--valid-only", help="Import the valid rows, reject the others.")
    ] = False,
    invite: Annotated[
        str, typer.Option(help="none: create pending users; email: mail their links now.")
    ] = "none",
    create_org_units: Annotated[
        bool, typer.Option("--create-org-units", help="Create the org units the file names.")
    ] = False,
    phone_region: Annotated[
        str | None, typer.Option(help="Country (e.g. GB) of phone numbers without +.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Spreadsheet: the sheet to read.")] = None,
    rejected: Annotated[
        Path | None, typer.Option(help="Write the rejected rows (with a Reason) to this CSV.")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Import users from a file: rows match users by organizational email; new ones are
    created pending, existing ones get the file's columns. All rows or none, unless
    --valid-only."""
    settings = load_settings()
    sessions = open_sessions(settings)
    with handled(NAMES):
        options = ImportOptions(
            valid_only=valid_only,
            invite=invite,  # type: ignore[arg-type]
            create_org_units=create_org_units,
            phone_region=phone_region,
            sheet=sheet,
        )
        with unit_of_work(sessions) as session, file.open("rb") as handle:
            actor = orgs_service.member_for_operator(session, org_slug=org, email=as_)
            upload = service.upload(
                session,
                actor,
                file=handle,
                filename=file.name,
                options=options,
                mapping=parse_mapping(mapping or []),
                action=ImportAction.dry_run if dry_run else ImportAction.apply,
                client=CLI_CLIENT,
            )
            import_id = upload.imp.id
    console = err()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=json_,
    ) as bar:
        task = bar.add_task("Checking" if dry_run else "Importing", total=None)

        def show(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        runner = ImportRunner(sessions, settings, on_progress=show)
        if not runner.run_once(import_id):
            _follow(sessions, org, as_, import_id, show)  # a worker took it first
    _report(sessions, org, as_, import_id, rejected=rejected, as_json=json_)


def _follow(
    sessions: sessionmaker[Session],
    org: str,
    as_: str,
    import_id: uuid.UUID,
    show: Callable[[int, int | None], None],
) -> None:
    while True:
        with handled(NAMES), unit_of_work(sessions) as session:
            actor = orgs_service.member_for_operator(session, org_slug=org, email=as_)
            imp = service.get_import(session, actor, import_id)
            show(imp.rows_done, imp.rows_total)
            if imp.status not in (ImportStatus.queued, ImportStatus.running):
                return
        time.sleep(0.5)


def _report(
    sessions: sessionmaker[Session],
    org: str,
    as_: str,
    import_id: uuid.UUID,
    *,
    rejected: Path | None,
    as_json: bool,
) -> None:
    with handled(NAMES), unit_of_work(sessions) as session:
        actor = orgs_service.member_for_operator(session, org_slug=org, email=as_)
        imp = service.get_import(session, actor, import_id)
        problems, _next = service.problems(
            session, actor, import_id, kind=None, after=None, limit=SHOWN_PROBLEMS
        )
        by_kind = service.counts_by_kind(session, imp)
        if rejected is not None:
            _name, handle = service.rejected_csv(session, actor, import_id)
            with rejected.open("wb") as target:
                for chunk in service.iter_file(handle):
                    target.write(chunk)
        status, counts, error = imp.status, dict(imp.counts), imp.error
        listed = [(p.row_number, p.column, p.kind, p.severity, p.message) for p in problems]
    if as_json:
        print_json(
            {
                "id": str(import_id),
                "status": status.value,
                "counts": counts,
                "problem_counts": by_kind,
                "error": error,
                "problems": [
                    {"row": r, "column": c, "kind": k, "severity": s, "message": m}
                    for r, c, k, s, m in listed
                ],
            }
        )
    else:
        console = out()
        console.print(_summary(status, counts), markup=False, soft_wrap=True)
        if listed:
            table = Table(
                "Row", "Column", "Problem", "Message", title="Problems", title_justify="left"
            )
            for r, c, k, s, m in listed:
                label = PROBLEM_KINDS.get(k, k) + (" (warning)" if s == "warning" else "")
                table.add_row(str(r), c or "", label, m)
            console.print(table)
            total = sum(by_kind.values())
            if total > len(listed):
                console.print(
                    f"… and {total - len(listed)} more: GET /api/v1/imports/{import_id}/problems",
                    markup=False,
                )
        if rejected is not None:
            console.print(f"Rejected rows written to {rejected}.", markup=False)
    if status == ImportStatus.failed:
        fail(error or "The import failed.", FAILURE)
    if counts.get("invalid") and status == ImportStatus.checked:
        raise typer.Exit(FAILURE)


def _summary(status: ImportStatus, counts: dict[str, int]) -> str:
    if status == ImportStatus.checked:
        return (
            f"Dry run: {counts.get('rows', 0)} rows: {counts.get('create', 0)} to create, "
            f"{counts.get('update', 0)} to update, {counts.get('unchanged', 0)} unchanged, "
            f"{counts.get('invalid', 0)} invalid. Nothing was written."
        )
    if status == ImportStatus.completed:
        return (
            f"Imported {counts.get('rows', 0)} rows: {counts.get('created', 0)} created, "
            f"{counts.get('updated', 0)} updated, {counts.get('unchanged', 0)} unchanged, "
            f"{counts.get('rejected', 0)} rejected."
        )
    return f"Import {status.value}: {json.dumps(counts)}"


def send_links(
    org: OrgOption,
    as_: AsOption,
    json_: JsonOption = False,
) -> None:
    """Mail a registration link to every pending user who never had one (imported without
    invitations), a batch at a time."""
    settings = load_settings()
    sessions = open_sessions(settings)
    total_sent = 0
    with Progress(
        TextColumn("Sending links"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err(),
        transient=True,
        disable=json_,
    ) as bar:
        task = bar.add_task("send", total=None)
        while True:
            with handled(NAMES), unit_of_work(sessions) as session:
                actor = orgs_service.member_for_operator(session, org_slug=org, email=as_)
                sent = invitations.send_first_links(session, actor, client=CLI_CLIENT)
            total_sent += sent.sent
            bar.update(task, completed=total_sent, total=total_sent + sent.remaining)
            if not sent.sent or not sent.remaining:
                break
    if json_:
        print_json({"sent": total_sent, "remaining": sent.remaining})
    else:
        out().print(
            f"Queued {total_sent} registration link(s); {sent.remaining} pending user(s) still "
            "have none.",
            markup=False,
            soft_wrap=True,
        )
