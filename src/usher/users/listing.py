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

from sqlalchemy import (
    Select,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

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
    # Set by the service, not the caller: the org units the viewer may see (None: all).
    within_unit_ids: Sequence[uuid.UUID] | None = None


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


# How many matches make walking a sort index (and keeping the rows that match) cheaper than
# fetching every match and sorting them: a walk reads about limit x org size / matches rows.
WALK_FROM_MATCHES = 2000


def _escaped_like(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _plus(column: Any) -> Any:
    """``+users.<column>`` (SQLite): the same value, but no index is used for it."""
    return literal_column(f"+users.{column.key}", type_=column.type)


def _unit_and_descendants(session: Session, scope: OrgScope, unit_id: uuid.UUID) -> list[uuid.UUID]:
    """The unit and every unit under it (a few dozen rows), resolved before the users query so
    that the users are found by ``(organization_id, org_unit_id)``."""
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
    return list(session.scalars(select(tree.c.id)))


def _org_teams(scope: OrgScope, team_ids: Sequence[uuid.UUID]) -> Select[Any]:
    return select(Team.id).where(
        Team.id.in_(list(team_ids)), Team.organization_id == scope.organization_id
    )


def _conditions(
    session: Session, scope: OrgScope, filters: UserFilters, *, walk: bool, count: bool = False
) -> list[Any]:
    """The WHERE of the list. ``walk`` writes the selective predicates so that the sort index
    drives (page of a large result); otherwise they drive (count, page of a small result).

    On SQLite the predicate that must not drive is written with a unary ``+``, which keeps
    the planner from using an index for it whatever its statistics say."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    conds: list[Any] = []
    driven = False  # a selective predicate drives: keep the organization index out of it
    needle = search_needle(filters.q) if filters.q else None
    if needle and sqlite and len(needle) >= 3:
        phrase = '"' + needle.replace('"', '""') + '"'
        matches: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(text("users_search"))
            .where(text("users_search MATCH :phrase").bindparams(phrase=phrase))
        )
        key = _plus(User.search_key) if walk else User.search_key
        conds.append(key.in_(matches))
        driven = not walk
    elif needle and sqlite and not walk and not count:
        # 1-2 characters, few matches: no trigram index can help, so the matches are found by
        # testing ix_users_org_search_text (organization_id, search_text, id), a covering
        # index far smaller than the table, and then sorted.
        scan = aliased(User)
        conds.append(
            User.id.in_(
                select(scan.id).where(
                    scan.organization_id == scope.organization_id,
                    scan.search_text.like(_escaped_like(needle), escape="\\"),
                )
            )
        )
        driven = True
    elif needle:
        # pg_trgm's GIN index serves LIKE '%…%' on PostgreSQL. Under 3 characters no trigram
        # index can help: the rows are tested in the database (on SQLite, with many matches,
        # while walking the sort index).
        conds.append(User.search_text.like(_escaped_like(needle), escape="\\"))
    if filters.statuses:
        conds.append(User.status.in_(list(filters.statuses)))
    if filters.org_unit_id is not None:
        units = _unit_and_descendants(session, scope, filters.org_unit_id)
        column = _plus(User.org_unit_id) if (walk and sqlite) else User.org_unit_id
        conds.append(column.in_(units) if units else false())
    if filters.team_ids:
        members = select(TeamMember.user_id).where(
            TeamMember.team_id.in_(_org_teams(scope, filters.team_ids))
        )
        if walk:
            conds.append(
                exists().where(
                    TeamMember.user_id == User.id,
                    TeamMember.team_id.in_(_org_teams(scope, filters.team_ids)),
                )
            )
        else:
            conds.append(User.id.in_(members))
            driven = True
    if filters.within_unit_ids is not None:
        allowed = list(filters.within_unit_ids)
        conds.append(User.org_unit_id.in_(allowed) if allowed else false())
    org = _plus(User.organization_id) if (sqlite and driven) else User.organization_id
    return [org == scope.organization_id, *conds]


def count_users(session: Session, scope: OrgScope, filters: UserFilters) -> int:
    if filters.team_ids and not (
        filters.q or filters.statuses or filters.org_unit_id or filters.within_unit_ids is not None
    ):
        # A team's members are people of its organization (the teams are checked to be the
        # organization's), so the primary key of team_members counts them alone.
        members = select(func.count(func.distinct(TeamMember.user_id))).where(
            TeamMember.team_id.in_(_org_teams(scope, filters.team_ids))
        )
        return int(session.scalar(members) or 0)
    # Counted with the selective predicates driving (a 1-2 character search on SQLite as a
    # plain LIKE, which SQLite tests against its covering search-text index).
    stmt = (
        select(func.count())
        .select_from(User)
        .where(*_conditions(session, scope, filters, walk=False, count=True))
    )
    return int(session.scalar(stmt) or 0)


def _has_selective_filter(filters: UserFilters) -> bool:
    needle = search_needle(filters.q) if filters.q else None
    return bool(
        needle
        or filters.statuses
        or filters.org_unit_id
        or filters.team_ids
        or filters.within_unit_ids is not None
    )


def list_users(
    session: Session,
    scope: OrgScope,
    filters: UserFilters,
    *,
    sort: str,
    descending: bool,
    after: Cursor | None,
    limit: int,
    total: int | None = None,
    every_page: bool = False,
) -> Page:
    """One page in keyset order. NULLs (never registered, never active) sort as the smallest
    value; each NULL / non-NULL segment is its own index range scan.

    The ``total`` is counted first (it is answered anyway) and chooses the page's plan: with
    many matches the sort index is walked, with few the matches are fetched and sorted
    (docs/performance.md has the figures behind this). A caller that reads ``every_page`` (an
    export) counts once and passes its count, rather than paying for a count per page."""
    expr, nullable = SORTS[sort]
    if total is None:
        total = count_users(session, scope, filters)
    if total == 0:
        return Page(users=[], total=0, next_cursor=None)
    postgres = session.get_bind().dialect.name == "postgresql"
    needle = search_needle(filters.q) if filters.q else None
    walk = not _has_selective_filter(filters) or total >= WALK_FROM_MATCHES
    # The trigram matches are found first (MATERIALIZED) and sorted and limited on their own
    # copy of the sort key; only the page's rows are joined back to ``users``. Left to itself
    # the planner may walk the whole sort index hunting a rare fragment, or hash all of
    # ``users`` to join thousands of matches. Not when every page is read and the matches
    # are many: finding them all again for each page would cost matches x pages, where
    # walking the sort index costs one pass over it in all.
    trigram = bool(postgres and needle and len(needle) >= 3) and not (every_page and walk)
    if trigram:
        walk = False
    base = _conditions(session, scope, filters, walk=walk)
    want = limit + 1
    key_value: Any = expr
    key_id: Any = User.id
    matched = None
    if trigram:
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
        if matched is not None:
            page = (
                select(matched.c.id, matched.c.sort_value)
                .where(*seg, *extra)
                .order_by(*order)
                .limit(n)
                .subquery("page")
            )
            page_order = (
                [page.c.id.desc() if descending else page.c.id.asc()]
                if null_segment
                else (
                    [page.c.sort_value.desc(), page.c.id.desc()]
                    if descending
                    else [page.c.sort_value.asc(), page.c.id.asc()]
                )
            )
            stmt = (
                select(User, page.c.sort_value)
                .join(page, page.c.id == User.id)
                .order_by(*page_order)
            )
        else:
            stmt = select(User, key_value).where(*base, *seg, *extra).order_by(*order).limit(n)
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
    return Page(users=[u for u, _ in rows], total=total, next_cursor=next_cursor)


def team_names(
    session: Session,
    scope: OrgScope,
    user_ids: Sequence[uuid.UUID],
    *,
    leave_out_key: str | None = None,
) -> dict[uuid.UUID, list[str]]:
    """Each user's team names in name order, without loading teams (an export's batches),
    leaving out the predefined team ``leave_out_key``."""
    if not user_ids:
        return {}
    stmt = (
        select(TeamMember.user_id, Team.name)
        .join(Team, Team.id == TeamMember.team_id)
        .where(
            TeamMember.user_id.in_(list(user_ids)), Team.organization_id == scope.organization_id
        )
        .order_by(Team.name)
    )
    if leave_out_key is not None:
        stmt = stmt.where(or_(Team.key.is_(None), Team.key != leave_out_key))
    names: dict[uuid.UUID, list[str]] = {}
    for user_id, name in session.execute(stmt):
        names.setdefault(user_id, []).append(name)
    return names


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
