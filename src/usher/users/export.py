"""Export the User Management list as a spreadsheet: the list's filters and the list's rights,
every matching user once, read in keyset batches so that an organization of a million users is
never held in memory.

``start_export`` decides and audits in the caller's transaction (a refusal is an ordinary
error); ``export_rows`` then reads each batch in a short transaction of its own, so a slow
download holds neither SQLite's write lock nor a PostgreSQL snapshot for its whole length."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from usher.access import service as access
from usher.access.catalogue import MEMBER
from usher.access.scope import OrgScope
from usher.audit.service import record
from usher.db.engine import unit_of_work
from usher.kit import clock, spreadsheet
from usher.kit.client import ClientInfo
from usher.kit.pagination import Cursor
from usher.kit.spreadsheet import SheetFormat
from usher.models import OrgUnit, User
from usher.orgs import repository as orgs_repo
from usher.users import listing
from usher.users.listing import UserFilters

# The import reads these header texts back to fields; the last three it ignores.
COLUMNS = (
    "First name",
    "Last name",
    "Email",
    "Personal email",
    "Phone",
    "Gender",
    "Birthday",
    "Org unit",
    "Position",
    "Teams",
    "Status",
    "Registered",
    "Last activity",
)
UNIT_SEPARATOR = " / "
TEAM_SEPARATOR = "; "
BATCH_SIZE = 1000
# In the order the users were added: a key that never changes, so that batches read in
# separate transactions neither skip nor repeat someone renamed during the export.
SORT = "created_at"


@dataclass(frozen=True)
class UserExport:
    """An export the actor may make, decided and audited: what its rows are read from."""

    scope: OrgScope
    filters: UserFilters  # with the actor's org units applied
    format: SheetFormat
    total: int  # matches when the export started, as audited
    filename: str
    unit_paths: dict[uuid.UUID, str]


def start_export(
    session: Session,
    actor: User,
    *,
    filters: UserFilters,
    format: SheetFormat,
    client: ClientInfo,
) -> UserExport:
    """Decide the export exactly as the list: those who hold users.read see the users of the
    organization, or of the org units where they hold it. Counts once and audits."""
    reach = access.require_somewhere(session, actor, "users.read")
    scope = reach.scope
    if reach.units is not None:
        filters = replace(filters, within_unit_ids=tuple(reach.units))
    total = listing.count_users(session, scope, filters)
    organization = orgs_repo.get(session, scope)
    record(
        session,
        organization_id=scope.organization_id,
        actor=actor,
        action="users.exported",
        client=client,
        target_type="organization",
        target_id=scope.organization_id,
        target_label=organization.name,
        details={"format": format.value, "rows": total, "filters": _described(filters)},
    )
    return UserExport(
        scope=scope,
        filters=filters,
        format=format,
        total=total,
        filename=f"users-{organization.slug}-{clock.now():%Y%m%d}.{format.value}",
        unit_paths=unit_paths(orgs_repo.list_org_units(session, scope)),
    )


def export_rows(
    sessions: sessionmaker[Session], export: UserExport, *, batch_size: int | None = None
) -> Iterator[list[str]]:
    """The rows (without the header), ``batch_size`` users per transaction. Cells are plain
    values; the spreadsheet writer neutralizes formulas."""
    if export.total == 0:
        return
    batch_size = batch_size or BATCH_SIZE
    after: Cursor | None = None
    paths = dict(export.unit_paths)
    while True:
        with unit_of_work(sessions) as session:
            # The count taken at the start chooses the plan of every batch: never recounted.
            page = listing.list_users(
                session,
                export.scope,
                export.filters,
                sort=SORT,
                descending=False,
                after=after,
                limit=batch_size,
                total=export.total,
                every_page=True,
            )
            teams = listing.team_names(
                session, export.scope, [u.id for u in page.users], leave_out_key=MEMBER
            )
            if any(u.org_unit_id not in paths for u in page.users if u.org_unit_id):
                # A unit made during the export: its path, from the current tree.
                paths = unit_paths(orgs_repo.list_org_units(session, export.scope))
            rows = [_row(user, teams.get(user.id, ()), paths) for user in page.users]
        yield from rows
        if page.next_cursor is None:
            return
        after = page.next_cursor


def export_file(sessions: sessionmaker[Session], export: UserExport) -> Iterator[bytes]:
    """The whole file, as chunks of bytes, header first."""
    return spreadsheet.write(
        export.format, COLUMNS, export_rows(sessions, export), sheet_title="Users"
    )


def unit_paths(units: Iterable[OrgUnit]) -> dict[uuid.UUID, str]:
    """Each unit's path from its root, like ``Engineering / Platform``."""
    by_id = {u.id: u for u in units}
    paths: dict[uuid.UUID, str] = {}

    def path_of(unit: OrgUnit) -> str:
        names: list[str] = []
        seen: set[uuid.UUID] = set()
        node: OrgUnit | None = unit
        while node is not None and node.id not in seen:  # moves refuse cycles; guard anyway
            if node.id in paths:
                names.append(paths[node.id])
                break
            seen.add(node.id)
            names.append(node.name)
            node = by_id.get(node.parent_id) if node.parent_id else None
        return UNIT_SEPARATOR.join(reversed(names))

    for unit in by_id.values():
        paths[unit.id] = path_of(unit)
    return paths


def _row(user: User, teams: Sequence[str], paths: dict[uuid.UUID, str]) -> list[str]:
    unit = paths.get(user.org_unit_id, "") if user.org_unit_id else ""
    return [
        user.first_name,
        user.last_name,
        user.email,
        user.personal_email or "",
        user.phone or "",
        user.gender.value,
        user.birthday.isoformat() if user.birthday else "",
        unit,
        user.position or "",
        TEAM_SEPARATOR.join(teams),
        user.status.value,
        _moment(user.registered_at),
        _moment(user.last_activity_at),
    ]


def _moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _described(filters: UserFilters) -> dict[str, Any]:
    """The filters asked for, for the audit log (the actor's own units are implied)."""
    described: dict[str, Any] = {}
    if filters.q:
        described["q"] = filters.q
    if filters.statuses:
        described["status"] = [s.value for s in filters.statuses]
    if filters.org_unit_id:
        described["org_unit"] = str(filters.org_unit_id)
    if filters.team_ids:
        described["team"] = [str(t) for t in filters.team_ids]
    return described
