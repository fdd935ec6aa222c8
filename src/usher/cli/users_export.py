"""``usher users export``: the User Management list as a CSV or XLSX file, with the list's
filters and the acting admin's rights, written as it is read (any size, flat memory)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from usher.cli.common import (
    USAGE,
    AsOption,
    OrgOption,
    err,
    fail,
    handled,
    load_settings,
    open_sessions,
)
from usher.cli.teams import find_team
from usher.cli.users_manage import FIELDS, SearchOption, StatusOption
from usher.db.engine import unit_of_work
from usher.kit import spreadsheet
from usher.kit.client import CLI_CLIENT
from usher.kit.spreadsheet import SheetFormat
from usher.orgs import service as orgs_service
from usher.users import export as users_export
from usher.users.service import UserFilters

STDOUT = "-"
# Rows between two updates of the progress bar.
PROGRESS_EVERY = 1000


def register(app: typer.Typer) -> None:
    app.command("export")(export_users)


def export_users(
    org: OrgOption,
    as_: AsOption,
    format: Annotated[
        SheetFormat | None,
        typer.Option(
            "--format",
            help="csv or xlsx. Default: from the --output file's extension, else csv.",
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The file to write, or - for standard output. "
            "Default: users-<org>-<YYYYMMDD>.<format> here.",
        ),
    ] = None,
    q: SearchOption = None,
    status: StatusOption = None,
    team: Annotated[
        list[str] | None,
        typer.Option("--team", metavar="TEAM", help="Only members of this team (name or id)."),
    ] = None,
    org_unit: Annotated[
        uuid.UUID | None,
        typer.Option("--org-unit", metavar="ID", help="Only this unit and its sub-units."),
    ] = None,
) -> None:
    """Export the users the list would show, as CSV or XLSX, in the order they were added.
    Cells a spreadsheet would run as a formula start with a '."""
    if format is None:
        suffix = Path(output).suffix.lower() if output and output != STDOUT else ""
        format = SheetFormat.xlsx if suffix == ".xlsx" else SheetFormat.csv
    settings = load_settings()
    sessions = open_sessions(settings)
    with handled(FIELDS), unit_of_work(sessions) as session:
        actor = orgs_service.member_for_operator(session, org_slug=org, email=as_)
        team_ids = list(dict.fromkeys(find_team(session, actor, t).id for t in team or []))
        started = users_export.start_export(
            session,
            actor,
            filters=UserFilters(
                q=q, statuses=status or [], org_unit_id=org_unit, team_ids=team_ids
            ),
            format=format,
            client=CLI_CLIENT,
        )
    rows = users_export.export_rows(sessions, started)
    if output == STDOUT:
        with handled(FIELDS):
            _write(sys.stdout.buffer, rows, started)
            sys.stdout.buffer.flush()
        return
    target = Path(output or started.filename)
    partial = target.with_name(target.name + ".part")
    try:
        with handled(FIELDS), partial.open("wb") as file, _progress(started.total) as counted:
            _write(file, counted(rows), started)
        os.replace(partial, target)
    except OSError as exc:
        fail(f"Cannot write {target}: {exc.strerror or exc}.", USAGE)
    finally:
        partial.unlink(missing_ok=True)
    noun = "user" if started.total == 1 else "users"
    err().print(f"Exported {started.total} {noun} to {target}.", markup=False)


def _write(file: IO[bytes], rows: Iterable[list[str]], started: users_export.UserExport) -> None:
    for chunk in spreadsheet.write(started.format, users_export.COLUMNS, rows, sheet_title="Users"):
        file.write(chunk)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[Iterable[list[str]]], Iterator[list[str]]]]:
    """Counts the rows going by on a progress bar on stderr (drawn on a terminal only)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err(), transient=True) as bar:
        task = bar.add_task("Exporting users", total=total)

        def counted(rows: Iterable[list[str]]) -> Iterator[list[str]]:
            n = 0
            for row in rows:
                yield row
                n += 1
                if n % PROGRESS_EVERY == 0:
                    bar.update(task, completed=n)
            # An XLSX workbook is put together once every row is in.
            bar.update(task, completed=n, description="Writing the file")

        yield counted
