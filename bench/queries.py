"""What the benchmark asks for: the query shapes, and varied inputs drawn from real rows."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.seed import Seeded
from usher.kit.pagination import Cursor, encode_cursor
from usher.models import User
from usher.models.user import UserStatus
from usher.users.service import UserFilters, list_users

WALK_PAGES = 200


@dataclass(frozen=True)
class Request:
    filters: UserFilters = field(default_factory=UserFilters)
    sort: str = "name"
    descending: bool = False
    cursor: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[random.Random], Request]
    in_budget: bool = True  # counts toward the 100 ms p95 acceptance


@dataclass(frozen=True)
class Sample:
    """Real values from the organization under test, to build varied queries from."""

    first_names: list[str]
    last_names: list[str]
    emails: list[str]
    phones: list[str]
    name_cursors: list[str]
    activity_cursors: list[str]
    walk_cursors: list[str]
    department_ids: Sequence[Any]
    team_ids: Sequence[Any]


# --- inputs --------------------------------------------------------------------------------


def _fragment(rng: random.Random, word: str, low: int, high: int) -> str:
    size = min(len(word), rng.randint(low, high))
    start = rng.randint(0, len(word) - size)
    return word[start : start + size]


def name_fragment(rng: random.Random, s: Sample, low: int = 3, high: int = 5) -> str:
    names = [n for n in (s.first_names if rng.random() < 0.5 else s.last_names) if len(n) >= low]
    return _fragment(rng, rng.choice(names), low, high)


def full_name(rng: random.Random, s: Sample) -> str:
    i = rng.randrange(len(s.first_names))
    return f"{s.first_names[i]} {s.last_names[i][: rng.randint(2, 4)]}"


def email_fragment(rng: random.Random, s: Sample) -> str:
    email = rng.choice(s.emails)
    local, _, domain = email.partition("@")
    if rng.random() < 0.2:  # the end of the name and the start of the domain: "smith@nor"
        return f"{local[-rng.randint(3, 5) :]}@{domain[: rng.randint(1, 3)]}"
    return _fragment(rng, local, 4, 8)


def phone_digits(rng: random.Random, s: Sample) -> str:
    """A run of 5 to 7 digits of a real number, typed with spaces, dashes or parentheses."""
    digits = rng.choice(s.phones)
    size = rng.randint(5, 7)
    start = rng.randint(0, len(digits) - size)
    run = digits[start : start + size]
    groups: list[str] = []
    while run:
        take = rng.randint(2, 4)
        groups.append(run[:take])
        run = run[take:]
    if rng.random() < 0.2 and len(groups) > 1:
        groups[0] = f"({groups[0]})"
    text = rng.choice((" ", "-", " ")).join(groups)
    return f"+{text}" if start == 0 and rng.random() < 0.5 else text


def cases(s: Sample) -> list[Case]:
    disabled = (UserStatus.disabled,)
    return [
        Case("first page · name", lambda r: Request()),
        Case("first page · email", lambda r: Request(sort="email")),
        Case(
            "first page · registered_at desc",
            lambda r: Request(sort="registered_at", descending=True),
        ),
        Case(
            "first page · last_activity_at desc",
            lambda r: Request(sort="last_activity_at", descending=True),
        ),
        Case("first page · created_at desc", lambda r: Request(sort="created_at", descending=True)),
        Case(
            f"pages 2-{WALK_PAGES} by walking · name",
            lambda r: Request(cursor=r.choice(s.walk_cursors)),
        ),
        Case("deep page (50-95%) · name", lambda r: Request(cursor=r.choice(s.name_cursors))),
        Case(
            "deep page (50-95%) · last_activity_at desc",
            lambda r: Request(
                sort="last_activity_at", descending=True, cursor=r.choice(s.activity_cursors)
            ),
        ),
        Case(
            "search · name fragment (3-5 letters)",
            lambda r: Request(UserFilters(q=name_fragment(r, s))),
        ),
        Case('search · full name ("ada lov")', lambda r: Request(UserFilters(q=full_name(r, s)))),
        Case("search · email fragment", lambda r: Request(UserFilters(q=email_fragment(r, s)))),
        Case("search · phone digits", lambda r: Request(UserFilters(q=phone_digits(r, s)))),
        Case("filter · status disabled", lambda r: Request(UserFilters(statuses=disabled))),
        Case(
            "filter · disabled + name fragment",
            lambda r: Request(UserFilters(q=name_fragment(r, s), statuses=disabled)),
        ),
        Case(
            "filter · org unit with sub-units",
            lambda r: Request(UserFilters(org_unit_id=r.choice(s.department_ids))),
        ),
        Case("filter · team", lambda r: Request(UserFilters(team_ids=(r.choice(s.team_ids),)))),
        Case(
            "search · 2 letters (no trigram index)",
            lambda r: Request(UserFilters(q=name_fragment(r, s, 2, 2))),
            in_budget=False,
        ),
    ]


def collect_sample(
    factory: sessionmaker[Session], seeded: Seeded, rng: random.Random, limit: int
) -> Sample:
    org = seeded.organization_id
    with factory() as session:
        # search_key is random, so its index order is a fair sample of the organization.
        people = session.execute(
            select(User.first_name, User.last_name, User.email, User.phone)
            .where(User.organization_id == org)
            .order_by(User.search_key)
            .limit(2000)
        ).all()
        total = int(session.scalar(select(func.count()).where(User.organization_id == org)) or 0)
        depths = sorted(rng.randint(total // 2, total * 95 // 100) for _ in range(20))
        name_cursors = []
        for depth in depths:
            value, user_id = session.execute(
                select(User.sort_name, User.id)
                .where(User.organization_id == org)
                .order_by(User.sort_name, User.id)
                .offset(depth)
                .limit(1)
            ).one()
            name_cursors.append(encode_cursor(Cursor("name", False, value, user_id)))
        activity_cursors = []
        for depth in depths:
            # The list's own order: values descending, then the never-active by id descending.
            when, user_id = session.execute(
                select(User.last_activity_at, User.id)
                .where(User.organization_id == org)
                .order_by(
                    User.last_activity_at.is_(None),
                    User.last_activity_at.desc(),
                    User.id.desc(),
                )
                .offset(depth)
                .limit(1)
            ).one()
            activity_cursors.append(encode_cursor(Cursor("last_activity_at", True, when, user_id)))
    return Sample(
        first_names=[p.first_name for p in people],
        last_names=[p.last_name for p in people],
        emails=[p.email for p in people],
        phones=["".join(ch for ch in p.phone if ch.isdigit()) for p in people if p.phone],
        name_cursors=name_cursors,
        activity_cursors=activity_cursors,
        walk_cursors=walk(factory, seeded, limit),
        department_ids=seeded.department_ids,
        team_ids=seeded.team_ids,
    )


def walk(factory: sessionmaker[Session], seeded: Seeded, limit: int) -> list[str]:
    """Follow next_cursor for WALK_PAGES pages (checking that no row comes twice)."""
    cursors: list[str] = []
    seen: set[Any] = set()
    cursor: str | None = None
    for _ in range(WALK_PAGES):
        with factory() as session:
            actor = session.get_one(User, seeded.admin_id)
            page, cursor = list_users(
                session, actor, filters=UserFilters(), cursor=cursor, limit=limit
            )
        ids = {u.id for u in page.users}
        assert len(ids) == len(page.users) and not ids & seen, "a row came twice"
        seen |= ids
        if cursor is None:
            break
        cursors.append(cursor)
    return cursors


def call(session: Session, actor: User, request: Request, limit: int) -> tuple[int, int]:
    page, _ = list_users(
        session,
        actor,
        filters=request.filters,
        sort=request.sort,
        descending=request.descending,
        cursor=request.cursor,
        limit=limit,
    )
    return len(page.users), page.total
