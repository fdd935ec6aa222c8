"""The User Management list as database queries: search, filters, sorts and keyset pages.

Every predicate and order here is served by an index: pg_trgm GIN on ``users.search_text``
(PostgreSQL) or the FTS5 trigram table ``users_search`` (SQLite) for search, and one
``(organization_id, <sort column>, id)`` B-tree per sort order for paging.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, literal_column, select, text, tuple_
from sqlalchemy.orm import Session

from usher.access.scope import OrgScope
from usher.kit.pagination import Cursor
from usher.models import OrgUnit, Team, TeamMember, User
from usher.models.user import UserStatus

SORTS: dict[str, tuple[Any, bool]] = {
    # name: (sort expression, nullable)
    "name": (User.sort_name, False),
    "email": (func.lower(User.email), False),
    "registered_at": (User.registered_at, True),
    "last_activity_at": (User.last_activity_at, True),
    "created_at": (User.created_at, False),
}
_PHONE_QUERY = re.compile(r"[\d\s().+\-/]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class UserFilters:
    q: str | None = None
    statuses: Sequence[UserStatus] = ()
    org_unit_id: uuid.UUID | None = None
    team_ids: Sequence[uuid.UUID] = ()


@dataclass
class Page:
    users: list[User]
    total: int
    next_cursor: Cursor | None
    teams: dict[uuid.UUID, list[Team]] = field(default_factory=dict)
    units: dict[uuid.UUID, OrgUnit] = field(default_factory=dict)


def search_needle(q: str) -> str | None:
    """What to look for in ``search_text``: phone-like input by its digits, else case-folded
    text with runs of spaces collapsed."""
    q = _CONTROL.sub(" ", q).strip()
    if not q:
        return None
    if _PHONE_QUERY.fullmatch(q) and any(ch.isdigit() for ch in q):
        return "".join(ch for ch in q if ch.isdigit())
    return " ".join(q.split()).casefold()


def _search_condition(session: Session, needle: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql" or len(needle) < 3:
        # pg_trgm serves LIKE '%…%'. (Under 3 characters no trigram index can help, on
        # either engine; the organization's rows are filtered in the database.)
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return User.search_text.like(f"%{escaped}%", escape="\\")
    phrase = '"' + needle.replace('"', '""') + '"'
    matches: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(text("users_search"))
        .where(text("users_search MATCH :phrase").bindparams(phrase=phrase))
    )
    return User.search_key.in_(matches)


def _unit_and_descendants(scope: OrgScope, unit_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    tree = (
        select(OrgUnit.id)
        .where(OrgUnit.id == unit_id, OrgUnit.organization_id == scope.organization_id)
        .cte("unit_tree", recursive=True)
    )
    tree = tree.union_all(
        select(OrgUnit.id).where(
            OrgUnit.parent_id == tree.c.id, OrgUnit.organization_id == scope.organization_id
        )
    )
    return select(tree.c.id)


def _conditions(session: Session, scope: OrgScope, filters: UserFilters) -> list[Any]:
    conds: list[Any] = [User.organization_id == scope.organization_id]
    if filters.q:
        needle = search_needle(filters.q)
        if needle:
            conds.append(_search_condition(session, needle))
    if filters.statuses:
        conds.append(User.status.in_(list(filters.statuses)))
    if filters.org_unit_id is not None:
        conds.append(User.org_unit_id.in_(_unit_and_descendants(scope, filters.org_unit_id)))
    if filters.team_ids:
        conds.append(
            User.id.in_(
                select(TeamMember.user_id)
                .join(Team, Team.id == TeamMember.team_id)
                .where(
                    TeamMember.team_id.in_(list(filters.team_ids)),
                    Team.organization_id == scope.organization_id,
                )
            )
        )
    return conds


def count_users(session: Session, scope: OrgScope, filters: UserFilters) -> int:
    stmt = select(func.count()).select_from(User).where(*_conditions(session, scope, filters))
    return int(session.scalar(stmt) or 0)


def list_users(
    session: Session,
    scope: OrgScope,
    filters: UserFilters,
    *,
    sort: str,
    descending: bool,
    after: Cursor | None,
    limit: int,
) -> Page:
    """One page in keyset order. NULLs (never registered, never active) sort as the smallest
    value; each NULL / non-NULL segment is its own index range scan."""
    expr, nullable = SORTS[sort]
    base = _conditions(session, scope, filters)
    want = limit + 1
    key_value: Any = expr
    key_id: Any = User.id
    matched = None
    if filters.q and search_needle(filters.q) and session.get_bind().dialect.name == "postgresql":
        # Find the trigram matches first (MATERIALIZED) and order them by their own copy of the
        # sort key: left to itself, the planner may walk the whole sort index hunting for a rare
        # fragment (140 ms p95 at 100,000 users, see docs/performance.md).
        matched = (
            select(User.id.label("id"), expr.label("sort_value"))
            .where(*base)
            .cte("matched")
            .prefix_with("MATERIALIZED")
        )
        key_value, key_id = matched.c.sort_value, matched.c.id

    def fetch(extra: list[Any], null_segment: bool, n: int) -> list[tuple[User, Any]]:
        if n <= 0:
            return []
        order = (
            [key_id.desc() if descending else key_id.asc()]
            if null_segment
            else (
                [key_value.desc(), key_id.desc()] if descending else [key_value.asc(), key_id.asc()]
            )
        )
        seg = (
            [key_value.is_(None)]
            if null_segment
            else ([key_value.is_not(None)] if nullable else [])
        )
        # The sort value comes back from the database itself, so the cursor compares exactly
        # as the index does (SQLite's lower() is not Python's).
        stmt = select(User, key_value)
        if matched is not None:
            stmt = stmt.join(matched, matched.c.id == User.id)
        else:
            stmt = stmt.where(*base)
        stmt = stmt.where(*seg, *extra).order_by(*order).limit(n)
        return [(row[0], row[1]) for row in session.execute(stmt)]

    def after_value(c: Cursor) -> list[Any]:
        # Bind the cursor with the columns' own types, so it compares as stored.
        key = tuple_(literal(c.value, type_=expr.type), literal(c.id, type_=User.id.type))
        pair = tuple_(key_value, key_id)
        return [pair < key if descending else pair > key]

    def after_id(c: Cursor) -> list[Any]:
        return [key_id < c.id] if descending else [key_id > c.id]

    rows: list[tuple[User, Any]]
    if not nullable:
        rows = fetch(after_value(after) if after else [], False, want)
    elif not descending:  # NULLs first, then values ascending
        if after is None or after.value is None:
            rows = fetch(after_id(after) if after else [], True, want)
            rows += fetch([], False, want - len(rows))
        else:
            rows = fetch(after_value(after), False, want)
    else:  # values descending, then NULLs
        if after is None or after.value is not None:
            rows = fetch(after_value(after) if after else [], False, want)
            rows += fetch([], True, want - len(rows))
        else:
            rows = fetch(after_id(after), True, want)

    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last, value = rows[-1]
        next_cursor = Cursor(sort=sort, descending=descending, value=value, id=last.id)
    return Page(
        users=[u for u, _ in rows],
        total=count_users(session, scope, filters),
        next_cursor=next_cursor,
    )


def attach_teams_and_units(session: Session, scope: OrgScope, page: Page) -> Page:
    ids = [u.id for u in page.users]
    if ids:
        for user_id, team in session.execute(
            select(TeamMember.user_id, Team)
            .join(Team, Team.id == TeamMember.team_id)
            .where(TeamMember.user_id.in_(ids), Team.organization_id == scope.organization_id)
            .order_by(Team.name)
        ).all():
            page.teams.setdefault(user_id, []).append(team)
        unit_ids = {u.org_unit_id for u in page.users if u.org_unit_id}
        if unit_ids:
            for unit in session.scalars(
                select(OrgUnit).where(
                    OrgUnit.id.in_(unit_ids), OrgUnit.organization_id == scope.organization_id
                )
            ):
                page.units[unit.id] = unit
    return page
