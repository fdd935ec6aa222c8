"""Run imports in the background: claim one under a lease (any worker on any host may), read
its file from the database, check every row in batches (progress committed as it goes), then
write the whole import in one transaction, or nothing.

A worker that dies mid-way leaves the import ``running`` with a lease that runs out; the next
worker starts it again from the file. Nothing of a half-done apply is ever committed: the
writes and the ``completed`` status share one transaction."""

from __future__ import annotations

import itertools
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from usher.access import repository as access_repo
from usher.access import service as access
from usher.access.catalogue import MEMBER
from usher.access.scope import OrgScope
from usher.audit.service import record
from usher.config import Settings
from usher.db.engine import unit_of_work
from usher.errors import Conflict, LastAdmin, NotPermitted, UsherError
from usher.imports import reader, service
from usher.imports import repository as repo
from usher.imports.checking import Directory, Existing, Outcome, RowChecker, Rules
from usher.imports.headers import match_columns
from usher.invitations import service as invitations
from usher.kit import clock
from usher.models import User, UserImport
from usher.models.invitation import InviteMethod
from usher.models.user import UserStatus
from usher.models.user_import import ImportAction, ImportStatus
from usher.users import repository as users_repo

log = logging.getLogger("usher.imports")

BATCH = 5000
CLEANUP_EVERY_SECONDS = 3600
_ERROR_LENGTH = 1000


class LeaseLost(Exception):
    """Another worker took the import over (this one was too slow or was thought dead)."""


class ImportFailed(Exception):
    """Ends the run; its message is what the admin reads."""


@dataclass(frozen=True)
class Job:
    """The import's settings, read once when the run starts."""

    id: uuid.UUID
    scope: OrgScope
    actor_id: uuid.UUID
    action: ImportAction
    info: reader.TableInfo
    mapping: dict[str, str]
    options: dict[str, Any]
    filename: str
    sha256: str


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"[:100]


class ImportRunner:
    """Claims and runs imports; any number may share one database."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        *,
        worker_id: str | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> None:
        self.worker_id = worker_id or worker_name()
        self._factory = session_factory
        self._settings = settings
        self._lease = timedelta(seconds=settings.import_lease_seconds)
        self._on_progress = on_progress

    # --- the loop ---------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        log.info("import worker %s started", self.worker_id)
        next_cleanup = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_cleanup:
                next_cleanup = time.monotonic() + CLEANUP_EVERY_SECONDS
                self.delete_old_imports()
            try:
                handled = self.run_once()
            except Exception:
                log.exception("import worker %s: round failed; trying again", self.worker_id)
                handled = 0
            if not handled:
                stop.wait(self._settings.import_poll_seconds)
        log.info("import worker %s stopped", self.worker_id)

    def delete_old_imports(self) -> int:
        """Delete finished imports older than the retention: their files hold people's data."""
        cutoff = clock.now() - timedelta(days=self._settings.import_retention_days)
        try:
            with unit_of_work(self._factory) as session:
                deleted = repo.delete_finished_before(session, cutoff)
        except Exception:
            log.exception("import worker %s: deleting old imports failed", self.worker_id)
            return 0
        if deleted:
            log.info("deleted %d import(s) finished before %s", deleted, cutoff.date())
        return deleted

    def run_once(self, import_id: uuid.UUID | None = None) -> int:
        """Claim one import (the oldest due, or ``import_id``) and run it; 1 when there was
        one, else 0."""
        with unit_of_work(self._factory) as session:
            now = clock.now()
            claimed = repo.claim_next(
                session,
                worker_id=self.worker_id,
                now=now,
                until=now + self._lease,
                import_id=import_id,
            )
        if claimed is None:
            return 0
        self.run_claimed(claimed)
        return 1

    def run_claimed(self, import_id: uuid.UUID) -> None:
        """Run an import this worker holds, recording how it ended."""
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(import_id, stop), daemon=True)
        beat.start()
        try:
            self._run(import_id)
        except LeaseLost:
            log.warning("import %s: worker %s lost its lease", import_id, self.worker_id)
        except ImportFailed as exc:
            self._finish_failed(import_id, str(exc))
        except UsherError as exc:
            self._finish_failed(import_id, exc.message)
        except (DBAPIError, IntegrityError) as exc:
            # The database failed us (or another writer got there first): nothing of this
            # run was committed; try again from the file a little later.
            log.warning("import %s: database error, will retry: %s", import_id, exc)
            self._retry_later(import_id, f"Database error: {exc.orig or exc}")
        except Exception as exc:
            log.exception("import %s failed", import_id)
            self._finish_failed(import_id, f"Internal error ({type(exc).__name__}); see the logs.")
        finally:
            stop.set()
            beat.join(timeout=5)

    def _heartbeat(self, import_id: uuid.UUID, stop: threading.Event) -> None:
        interval = self._lease.total_seconds() / 3
        while not stop.wait(interval):
            try:
                with unit_of_work(self._factory) as session:
                    if not repo.renew_lease(
                        session, import_id, self.worker_id, clock.now() + self._lease
                    ):
                        return
            except Exception:  # the run itself notices a lost lease; keep beating
                log.debug("import %s: lease renewal failed", import_id, exc_info=True)

    # --- one run ------------------------------------------------------------------------------

    def _run(self, import_id: uuid.UUID) -> None:
        job = self._start(import_id)
        with tempfile.TemporaryDirectory(prefix="usher-import-") as tmp:
            path = Path(tmp) / "upload"
            self._fetch_file(job, path)
            total = self._count(job, path)
            checker, outcomes = self._prepare(job)
            counts = {
                "rows": total,
                "create": 0,
                "update": 0,
                "unchanged": 0,
                "invalid": 0,
                "warnings": 0,
            }
            done = 0
            rows = reader.read_rows(path, job.info)
            while batch := list(itertools.islice(rows, BATCH)):
                with unit_of_work(self._factory) as session:
                    self._hold(session, job)
                    outcomes(session, list(self._check_batch(session, job, checker, batch)), counts)
                    done += len(batch)
                    repo.report_progress(
                        session, job.id, self.worker_id, {"rows_done": done, "counts": counts}
                    )
                if self._on_progress:
                    self._on_progress(done, total)
        if job.action == ImportAction.dry_run:
            self._finish(job, ImportStatus.checked, counts)
            return
        if counts["invalid"] and not job.options.get("valid_only"):
            with unit_of_work(self._factory) as session:
                self._hold(session, job)
                repo.clear_staging(session, job.id)
                self._record_outcome(session, job, "failure", counts)
            raise ImportFailed(
                f"{counts['invalid']} row(s) have problems, so nothing was imported. Fix them "
                "and import again, or import the valid rows only."
            )
        self._apply(job, checker, counts)

    def _start(self, import_id: uuid.UUID) -> Job:
        with unit_of_work(self._factory) as session:
            imp = repo.held(session, import_id, self.worker_id)
            if imp is None:
                raise LeaseLost
            if imp.action is None or imp.actor_id is None:
                raise ImportFailed("The import has nothing to do.")
            job = Job(
                id=imp.id,
                scope=access.system_scope(imp.organization_id),
                actor_id=imp.actor_id,
                action=imp.action,
                info=service.table_info(imp),
                mapping=dict(imp.mapping),
                options=dict(imp.options),
                filename=imp.filename,
                sha256=imp.file_sha256,
            )
            repo.clear_run(session, imp.id)
            imp.phase = "counting"
            imp.rows_done = 0
            imp.rows_total = None
            imp.counts = {}
            imp.error = None
            imp.started_at = clock.now()
        return job

    def _hold(self, session: Session, job: Job) -> UserImport:
        imp = repo.held(session, job.id, self.worker_id)
        if imp is None:
            raise LeaseLost
        return imp

    def _fetch_file(self, job: Job, path: Path) -> None:
        with unit_of_work(self._factory) as session:
            service.copy_file(session, job.id, path)

    def _count(self, job: Job, path: Path) -> int:
        limit = self._settings.import_max_rows
        total = 0
        for total, _row in enumerate(reader.read_rows(path, job.info), start=1):
            if total > limit:
                raise ImportFailed(
                    f"The file has more than {limit:,} rows, the most one import may hold. "
                    "Split it into several files."
                )
        with unit_of_work(self._factory) as session:
            self._hold(session, job)
            repo.report_progress(
                session, job.id, self.worker_id, {"rows_total": total, "phase": "checking"}
            )
        if self._on_progress:
            self._on_progress(0, total)
        return total

    def _actor(self, session: Session, job: Job) -> User:
        actor = users_repo.get(session, job.scope, job.actor_id)
        if actor is None or actor.status != UserStatus.active:
            raise ImportFailed("The admin who started this import can no longer act.")
        return actor

    def _prepare(
        self, job: Job
    ) -> tuple[RowChecker, Callable[[Session, list[Outcome], dict[str, int]], None]]:
        with unit_of_work(self._factory) as session:
            actor = self._actor(session, job)
            reach = access.require_somewhere(session, actor, "users.manage")
            units = repo.org_units(session, job.scope)
            teams = repo.teams(session, job.scope)
            refusals: dict[uuid.UUID, str] = {}
            for team in teams:
                if team.key == MEMBER:
                    continue
                try:
                    access.require_team_assignment(session, actor, team, access=reach.access)
                except (NotPermitted, Conflict) as exc:
                    refusals[team.id] = exc.message
            create_units = bool(job.options.get("create_org_units"))
            may_create_units = create_units and reach.access.allows(
                "org_units.manage", access.organization_entity(job.scope)
            )
            if create_units and not may_create_units:
                raise ImportFailed(
                    "You may not create organization units: import without "
                    "'create missing org units'."
                )
            rules = Rules(
                units=set(reach.units) if reach.units is not None else None,
                may_manage_admins=reach.access.allows(
                    "admin_teams.manage", access.organization_entity(job.scope)
                ),
                team_refusals=refusals,
                may_create_units=may_create_units,
            )
            directory = Directory.build(
                [(u.id, u.parent_id, u.name) for u in units],
                [(t.id, t.name, t.key) for t in teams],
                create_units=create_units,
            )
        plan = match_columns(job.info.headers, job.mapping or None)
        checker = RowChecker(
            plan,
            job.info.headers,
            directory,
            rules,
            phone_region=job.options.get("phone_region") or None,
            today=clock.now().date(),
        )
        seq = itertools.count(1)
        write = job.action == ImportAction.apply

        def keep(session: Session, outcomes: list[Outcome], counts: dict[str, int]) -> None:
            """Count a batch's outcomes and store its problems and staged rows, each kind in
            one statement."""
            problems: list[dict[str, Any]] = []
            staged_rows: list[dict[str, Any]] = []
            memberships: list[dict[str, Any]] = []
            for outcome in outcomes:
                counts[outcome.action] += 1
                for p in outcome.problems:
                    counts["warnings"] += p.severity == "warning"
                    problems.append(
                        {
                            "import_id": job.id,
                            "seq": next(seq),
                            "row_number": p.row_number,
                            "column": p.column[:200] if p.column else None,
                            "field": p.field,
                            "kind": p.kind,
                            "severity": p.severity,
                            "message": p.message[:500],
                        }
                    )
                staged = outcome.staged
                if not write or staged is None:
                    continue
                staged_rows.append(
                    {**staged.row, "import_id": job.id, "row_number": outcome.row_number}
                )
                user_id = staged.row["user_id"]
                for op, teams in (("add", staged.add_teams), ("remove", staged.remove_teams)):
                    memberships.extend(
                        {"import_id": job.id, "user_id": user_id, "team_id": t, "op": op}
                        for t in teams
                    )
            repo.add_problems(session, problems)
            repo.add_rows(session, staged_rows)
            repo.add_memberships(session, memberships)

        return checker, keep

    def _check_batch(
        self,
        session: Session,
        job: Job,
        checker: RowChecker,
        batch: list[tuple[int, list[str]]],
    ) -> Iterator[Outcome]:
        keys = [checker.email_of(values) for _n, values in batch]
        found = repo.users_by_email(session, job.scope, sorted({k for k in keys if k}))
        memberships = repo.team_ids_of(session, job.scope, [row.id for row in found.values()])
        admins: set[uuid.UUID] = set()
        if not checker.rules.may_manage_admins and found:
            admins = {
                row.id
                for row in found.values()
                if access_repo.holds_admin_role(session, job.scope, row.id)
            }
        member_team = checker.directory.member_team
        for (row_number, values), key in zip(batch, keys, strict=True):
            row = found.get(key) if key else None
            existing = None
            if row is not None:
                existing = Existing(
                    id=row.id,
                    email=row.email,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    gender=row.gender,
                    birthday=row.birthday,
                    personal_email=row.personal_email,
                    phone=row.phone,
                    org_unit_id=row.org_unit_id,
                    position=row.position,
                    team_ids=frozenset(memberships.get(row.id, set()) - {member_team}),
                    is_admin=row.id in admins,
                )
            yield checker.check(row_number, values, existing)

    # --- the end of a run --------------------------------------------------------------------

    def _apply(self, job: Job, checker: RowChecker, counts: dict[str, int]) -> None:
        with unit_of_work(self._factory) as session:
            self._hold(session, job)
            repo.report_progress(session, job.id, self.worker_id, {"phase": "writing"})
        with unit_of_work(self._factory) as session:
            imp = self._hold(session, job)
            actor = self._actor(session, job)
            now = clock.now()
            repo.add_org_units(session, job.scope, checker.directory.new_units)
            created = repo.insert_created_users(
                session, job.scope, job.id, now=now, invited_by=actor.id
            )
            updated = repo.update_users(session, job.scope, job.id, checker.profile_fields)
            repo.apply_memberships(session, job.id, now=now)
            if (
                counts["update"]
                and checker.rules.may_manage_admins
                and users_repo.count_active_org_admins(session, job.scope) < 1
            ):
                raise LastAdmin(
                    "This import would leave the organization without an active Organization "
                    "Admin; nothing was imported."
                )
            invited = 0
            if job.options.get("invite") == "email" and created:
                invited = self._invite(session, job, actor)
            repo.clear_staging(session, job.id)
            result = {
                **counts,
                "created": created,
                "updated": updated,
                "rejected": counts["invalid"],
                "invited": invited,
                "org_units_created": len(checker.directory.new_units),
            }
            self._record_outcome(session, job, "success", result)
            imp.status = ImportStatus.completed
            imp.counts = result
            imp.phase = None
            imp.finished_at = clock.now()
            imp.lease_expires_at = None

    def _invite(self, session: Session, job: Job, actor: User) -> int:
        ids = list(repo.created_user_ids(session, job.id))
        for start in range(0, len(ids), 500):
            for user in users_repo.get_many(session, job.scope, ids[start : start + 500]):
                invitations.issue(
                    session,
                    scope=job.scope,
                    user=user,
                    method=InviteMethod.email,
                    invited_by=actor,
                )
        return len(ids)

    def _record_outcome(
        self, session: Session, job: Job, outcome: str, counts: dict[str, int]
    ) -> None:
        actor = users_repo.get(session, job.scope, job.actor_id)
        record(
            session,
            organization_id=job.scope.organization_id,
            actor=actor,
            action="users.imported",
            outcome=outcome,
            target_type="import",
            target_id=job.id,
            target_label=job.filename[:320],
            details={
                "counts": counts,
                "file_sha256": job.sha256,
                "filename": job.filename,
                "options": job.options,
            },
        )

    def _finish(self, job: Job, status: ImportStatus, counts: dict[str, int]) -> None:
        with unit_of_work(self._factory) as session:
            imp = self._hold(session, job)
            imp.status = status
            imp.counts = counts
            imp.phase = None
            imp.finished_at = clock.now()
            imp.lease_expires_at = None

    def _finish_failed(self, import_id: uuid.UUID, message: str) -> None:
        with unit_of_work(self._factory) as session:
            repo.report_progress(
                session,
                import_id,
                self.worker_id,
                {
                    "status": ImportStatus.failed,
                    "error": message[:_ERROR_LENGTH],
                    "phase": None,
                    "finished_at": clock.now(),
                    "lease_expires_at": None,
                },
            )
            repo.clear_staging(session, import_id)

    def _retry_later(self, import_id: uuid.UUID, message: str) -> None:
        with unit_of_work(self._factory) as session:
            imp = session.get(UserImport, import_id)
            if imp is None or imp.claimed_by != self.worker_id:
                return
            if imp.attempts >= self._settings.import_max_attempts:
                imp.status = ImportStatus.failed
                imp.error = (
                    f"Gave up after {imp.attempts} attempts. Nothing was imported. {message}"
                )[:_ERROR_LENGTH]
                imp.finished_at = clock.now()
            else:
                imp.status = ImportStatus.queued
                imp.error = message[:_ERROR_LENGTH]
                imp.next_attempt_at = clock.now() + timedelta(seconds=5 * 2**imp.attempts)
            imp.phase = None
            imp.claimed_by = None
            imp.lease_expires_at = None
