"""Bulk import of users: upload a file, check it (dry run), apply it; read the report.

The work itself runs in the background (``imports.runner``); these functions store the file,
queue the runs and read what they found. Every door (API, pages, CLI) calls these."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from usher.access import service as access
from usher.access.scope import OrgScope
from usher.errors import Conflict, NotFound, UsherError, ValidationFailed
from usher.imports import reader
from usher.imports import repository as repo
from usher.imports.headers import ColumnPlan, match_columns
from usher.imports.schemas import ImportOptions
from usher.kit.client import ClientInfo
from usher.kit.context import settings_of
from usher.models import User, UserImport, UserImportProblem
from usher.models.user_import import ImportAction, ImportStatus

CHUNK = 1024 * 1024
SAMPLE_ROWS = 5


class FileTooLarge(UsherError):
    status, code, title = 413, "file_too_large", "File too large"


class IdempotencyKeyReused(UsherError):
    status, code, title = 422, "idempotency_key_reused", "Idempotency-Key reused"


@dataclass(frozen=True)
class Upload:
    imp: UserImport
    replayed: bool  # an earlier request with the same Idempotency-Key made it


def _scope_for_import(session: Session, actor: User) -> access.Reach:
    return access.require_somewhere(session, actor, "users.manage")


def upload(
    session: Session,
    actor: User,
    *,
    file: IO[bytes],
    filename: str,
    options: ImportOptions,
    mapping: dict[str, str] | None,
    action: ImportAction | None,
    idempotency_key: str | None = None,
    client: ClientInfo,
) -> Upload:
    """Store the file, read its header and first rows, and (unless ``action`` is None, for a
    mapping step first) queue a dry run or an apply."""
    reach = _scope_for_import(session, actor)
    scope = reach.scope
    settings = settings_of(session)
    limit = settings.import_max_bytes
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryDirectory(prefix="usher-upload-") as tmp:
        path = Path(tmp) / "upload"
        with path.open("wb") as out:
            while chunk := file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(
                        f"The file is larger than {limit // (1024 * 1024):,} MiB, the most one "
                        "import may hold. Split it into several files."
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed.field("file", "The file is empty.")
        sha256 = digest.hexdigest()
        request_hash = _request_hash(sha256, options, mapping, action)
        if idempotency_key is not None:
            earlier = repo.get_by_idempotency_key(session, scope, idempotency_key)
            if earlier is not None:
                return Upload(_replay(earlier, request_hash), replayed=True)
        info, sample = _inspect(path, options.sheet)
        _plan(info.headers, mapping)
        imp = UserImport(
            id=uuid.uuid4(),
            organization_id=scope.organization_id,
            created_by_id=actor.id,
            filename=(filename or "upload")[:255],
            file_size=size,
            file_sha256=sha256,
            format=info.format,
            encoding=info.encoding,
            delimiter=info.delimiter,
            sheet=info.sheet,
            headers=info.headers,
            sample=sample,
            mapping=mapping or {},
            options=options.model_dump(mode="json"),
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            status=ImportStatus.uploaded,
            counts={},
            rows_done=0,
            attempts=0,
        )
        session.add(imp)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            # A twin request with the same key won the race.
            earlier = repo.get_by_idempotency_key(session, scope, idempotency_key or "")
            if earlier is None:
                raise
            return Upload(_replay(earlier, request_hash), replayed=True)
        with path.open("rb") as stored:
            seq = 0
            while chunk := stored.read(CHUNK):
                repo.add_chunk(session, imp.id, seq, chunk)
                seq += 1
    if action is not None:
        _queue(imp, actor, action)
    session.flush()
    return Upload(imp, replayed=False)


def _request_hash(
    sha256: str, options: ImportOptions, mapping: dict[str, str] | None, action: ImportAction | None
) -> str:
    body = json.dumps(
        {
            "file": sha256,
            "options": options.model_dump(mode="json"),
            "mapping": mapping or {},
            "action": action.value if action else None,
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _replay(earlier: UserImport, request_hash: str) -> UserImport:
    if earlier.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different import (another file or "
            "other options). Use a new key for a new request."
        )
    return earlier


def _inspect(path: Path, sheet: str | None) -> tuple[reader.TableInfo, list[list[str]]]:
    try:
        info = reader.inspect(path, sheet=sheet)
        sample = []
        for _number, values in reader.read_rows(path, info):
            sample.append(values)
            if len(sample) == SAMPLE_ROWS:
                break
    except reader.ImportFileError as exc:
        raise ValidationFailed.field("file", str(exc)) from None
    return info, sample


def _plan(headers: list[str], mapping: dict[str, str] | None) -> ColumnPlan:
    try:
        plan = match_columns(headers, mapping or None)
    except ValueError as exc:
        raise ValidationFailed.field("mapping", str(exc)) from None
    if not plan.sources.get("email"):
        raise ValidationFailed.field(
            "mapping",
            "No column holds the organizational email, which matches rows to users. Map one: "
            "for example 'Work email=email'.",
        )
    return plan


def column_plan(imp: UserImport) -> ColumnPlan:
    return match_columns(list(imp.headers), dict(imp.mapping) or None)


def automatic_plan(imp: UserImport) -> ColumnPlan:
    """How the columns match by their names alone, before any explicit mapping."""
    return match_columns(list(imp.headers), None)


def _queue(imp: UserImport, actor: User, action: ImportAction) -> None:
    imp.action = action
    imp.actor_id = actor.id
    imp.status = ImportStatus.queued
    imp.attempts = 0
    imp.next_attempt_at = None
    imp.error = None
    imp.phase = None
    imp.rows_done = 0
    imp.counts = {}
    imp.started_at = None
    imp.finished_at = None


# --- read and run --------------------------------------------------------------------------


def _visible(session: Session, actor: User, import_id: uuid.UUID) -> tuple[OrgScope, UserImport]:
    """An import the actor may see: their own, or any when they read users organization-wide."""
    reach = access.require_somewhere(session, actor, "users.read")
    imp = repo.get(session, reach.scope, import_id)
    if imp is None or (not reach.whole_organization and imp.created_by_id != actor.id):
        raise NotFound("No such import in this organization.")
    return reach.scope, imp


def get_import(session: Session, actor: User, import_id: uuid.UUID) -> UserImport:
    return _visible(session, actor, import_id)[1]


def list_imports(session: Session, actor: User, *, limit: int = 50) -> Sequence[UserImport]:
    reach = access.require_somewhere(session, actor, "users.read")
    return repo.list_imports(
        session,
        reach.scope,
        created_by=None if reach.whole_organization else actor.id,
        limit=limit,
    )


def start(
    session: Session,
    actor: User,
    import_id: uuid.UUID,
    *,
    action: ImportAction,
    options: ImportOptions | None = None,
    mapping: dict[str, str] | None = None,
) -> UserImport:
    """Queue a dry run or the apply of an uploaded (or checked, or failed) import, with new
    options or a new column mapping when given."""
    _scope_for_import(session, actor)
    _scope, imp = _visible(session, actor, import_id)
    if imp.status in (ImportStatus.queued, ImportStatus.running):
        raise Conflict("This import is already running; wait for it to finish.")
    if imp.status == ImportStatus.completed:
        raise Conflict("This import was applied already. Upload the file again to import it again.")
    if mapping is not None:
        _plan(list(imp.headers), mapping)
        imp.mapping = mapping
    if options is not None:
        if options.sheet != imp.sheet and options.sheet is not None:
            raise ValidationFailed.field("sheet", "The sheet is chosen at upload.")
        imp.options = {**options.model_dump(mode="json"), "sheet": imp.sheet}
    _queue(imp, actor, action)
    session.flush()
    return imp


def problems(
    session: Session,
    actor: User,
    import_id: uuid.UUID,
    *,
    kind: str | None,
    after: int | None,
    limit: int,
) -> tuple[Sequence[UserImportProblem], int | None]:
    _scope, imp = _visible(session, actor, import_id)
    rows = repo.problems(session, imp.id, kind=kind, after_seq=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].seq if more and rows else None)


def counts_by_kind(session: Session, imp: UserImport) -> dict[str, int]:
    """Problems of an import the caller has already been given, by kind."""
    return repo.problem_counts(session, imp.id)


def table_info(imp: UserImport) -> reader.TableInfo:
    """How to read the import's stored file, as its upload found."""
    return reader.TableInfo(
        format=imp.format,  # type: ignore[arg-type]
        encoding=imp.encoding,
        delimiter=imp.delimiter,
        sheet=imp.sheet,
        headers=list(imp.headers),
    )


def copy_file(session: Session, import_id: uuid.UUID, path: Path) -> None:
    """Write the import's stored file to ``path``, a chunk at a time."""
    with path.open("wb") as out:
        for chunk in repo.read_chunks(session, import_id):
            out.write(chunk)


def rejected_csv(session: Session, actor: User, import_id: uuid.UUID) -> tuple[str, IO[bytes]]:
    """The rows the import rejected, in the file's own columns plus a Reason column, as a CSV
    ready to fix and import again: its file name and a file positioned at its start."""
    _scope, imp = _visible(session, actor, import_id)
    reasons = repo.rejected(session, imp.id)
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow([*imp.headers, "Reason"])
    if reasons:
        with tempfile.TemporaryDirectory(prefix="usher-rejected-") as tmp:
            path = Path(tmp) / "upload"
            copy_file(session, imp.id, path)
            for number, values in reader.read_rows(path, table_info(imp)):
                why = reasons.get(number)
                if why:
                    width = len(imp.headers)
                    writer.writerow(
                        [*values[:width], *[""] * (width - len(values)), "; ".join(why)]
                    )
    text.detach()
    out.seek(0)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(imp.filename).stem).strip("-.") or "import"
    return f"{stem}-rejected.csv", out


def iter_file(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def progress(imp: UserImport) -> dict[str, Any]:
    total = imp.rows_total
    done = imp.rows_done or 0
    percent = None
    if imp.status in (ImportStatus.checked, ImportStatus.completed):
        percent = 100.0
    elif total:
        percent = round(100.0 * done / total, 1)
    return {"rows_done": done, "rows_total": total, "percent": percent, "phase": imp.phase}
