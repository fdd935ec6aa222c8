"""Check an import's rows: every cell against the same rules as the Add user form, each row
against the organization (create, update or unchanged), every problem with its row, column
and reason. Pure decisions over data loaded in batches; the runner does the I/O."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from usher.imports import values as cells
from usher.imports.headers import FIELD_LABELS, ColumnPlan
from usher.imports.repository import PROFILE_FIELDS
from usher.models.user import Gender, search_key_of, search_text_of, sort_name_of
from usher.users import validation

_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "email": 320,
    "personal_email": 320,
    "position": 200,
}

# The kinds of problem, for the report's filter.
PROBLEM_KINDS = {
    "missing_value": "Missing value",
    "bad_name": "Bad name",
    "too_long": "Too long",
    "bad_email": "Bad email",
    "bad_phone": "Bad phone",
    "bad_gender": "Unknown gender",
    "bad_date": "Bad date",
    "future_date": "Date in the future",
    "duplicate_in_file": "Duplicate in the file",
    "email_case": "Email in another letter case",
    "unknown_org_unit": "Unknown org unit",
    "ambiguous_org_unit": "Ambiguous org unit",
    "unknown_team": "Unknown team",
    "not_permitted": "Not permitted",
    "extra_cells": "Cells outside the header",
}


@dataclass(frozen=True)
class Problem:
    row_number: int
    column: str | None
    field: str | None
    kind: str
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class Existing:
    """What the checker needs of a user already in the organization."""

    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    gender: str
    birthday: date | None
    personal_email: str | None
    phone: str | None
    org_unit_id: uuid.UUID | None
    position: str | None
    team_ids: frozenset[uuid.UUID]
    is_admin: bool = False


@dataclass(frozen=True)
class Staged:
    """A row to write: the ``user_import_rows`` values and the memberships to change."""

    row: dict[str, Any]
    add_teams: frozenset[uuid.UUID]
    remove_teams: frozenset[uuid.UUID]


@dataclass(frozen=True)
class Outcome:
    row_number: int
    action: str  # create | update | unchanged | invalid
    problems: list[Problem]
    staged: Staged | None = None


@dataclass
class Directory:
    """The organization's units and teams, resolved by the names a file uses; new units the
    import will create are added as rows ask for them."""

    units_by_path: dict[str, uuid.UUID]
    units_by_name: dict[str, list[uuid.UUID]]
    teams_by_name: dict[str, uuid.UUID]
    member_team: uuid.UUID | None
    create_units: bool
    new_units: list[dict[str, Any]] = field(default_factory=list)
    _separated: list[tuple[re.Pattern[str], uuid.UUID]] | None = None

    def _separated_teams(self) -> list[tuple[re.Pattern[str], uuid.UUID]]:
        if self._separated is None:
            self._separated = [
                (
                    re.compile(
                        r"(^|[;,\n])\s*" + re.escape(name) + r"\s*(?=$|[;,\n])", re.IGNORECASE
                    ),
                    team_id,
                )
                for name, team_id in self.teams_by_name.items()
                if re.search(r"[;,\n]", name)
            ]
        return self._separated

    @classmethod
    def build(
        cls,
        units: Sequence[tuple[uuid.UUID, uuid.UUID | None, str]],
        teams: Sequence[tuple[uuid.UUID, str, str | None]],
        *,
        create_units: bool,
    ) -> Directory:
        parent_of = {unit_id: (parent_id, name) for unit_id, parent_id, name in units}

        def path(unit_id: uuid.UUID) -> str:
            names: list[str] = []
            seen: set[uuid.UUID] = set()
            current: uuid.UUID | None = unit_id
            while current is not None and current not in seen:
                seen.add(current)
                parent_id, name = parent_of[current]
                names.append(name)
                current = parent_id
            return _key(" / ".join(reversed(names)))

        by_name: dict[str, list[uuid.UUID]] = {}
        for unit_id, _parent, name in units:
            by_name.setdefault(_key(name), []).append(unit_id)
        return cls(
            units_by_path={path(u): u for u, _p, _n in units},
            units_by_name=by_name,
            teams_by_name={_key(name): team_id for team_id, name, _key_ in teams},
            member_team=next((t for t, _n, key in teams if key == "member"), None),
            create_units=create_units,
        )

    def resolve_unit(self, text: str) -> uuid.UUID:
        """The unit a cell names: its path from the root (``Engineering / Platform``) or its
        name alone when no other unit has it. ValueError (kind, message) otherwise."""
        wanted = _key(text)
        if wanted in self.units_by_path:
            return self.units_by_path[wanted]
        named = self.units_by_name.get(wanted, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise _Fail(
                "ambiguous_org_unit",
                f"{len(named)} organization units are called {text!r}: write its path, "
                f"for example 'Parent / {text}'.",
            )
        names = cells.split_path(text)
        if not names:
            raise _Fail("unknown_org_unit", f"No organization unit is called {text!r}.")
        joined = _key(" / ".join(names))
        if joined in self.units_by_path:
            return self.units_by_path[joined]
        if len(names) == 1 and len(self.units_by_name.get(joined, [])) == 1:
            return self.units_by_name[joined][0]
        if not self.create_units:
            raise _Fail(
                "unknown_org_unit",
                f"No organization unit is called {text!r}. Create it first, or import with "
                "'create missing org units'.",
            )
        return self._create(names)

    def _create(self, names: list[str]) -> uuid.UUID:
        parent: uuid.UUID | None = None
        for depth in range(1, len(names) + 1):
            key = _key(" / ".join(names[:depth]))
            found = self.units_by_path.get(key)
            if found is None and depth == 1 and len(self.units_by_name.get(key, [])) == 1:
                found = self.units_by_name[key][0]
            if found is None:
                name = names[depth - 1]
                if len(name) > 200:
                    raise _Fail("too_long", "An organization unit name has at most 200 characters.")
                found = uuid.uuid4()
                self.new_units.append({"id": found, "parent_id": parent, "name": name})
                self.units_by_path[key] = found
                self.units_by_name.setdefault(_key(name), []).append(found)
            parent = found
        assert parent is not None
        return parent

    def resolve_teams(self, text: str) -> tuple[set[uuid.UUID], list[str]]:
        """The teams a cell names (Member, which everyone is in, left out) and the unknown
        names."""
        found: set[uuid.UUID] = set()
        unknown: list[str] = []
        # A team whose name holds a separator ("Ops; crew") is found whole before the split.
        for pattern, whole in self._separated_teams():
            text, hits = pattern.subn(r"\1", text)
            if hits and whole != self.member_team:
                found.add(whole)
        for name in cells.split_list(text):
            team_id = self.teams_by_name.get(_key(name))
            if team_id is None:
                unknown.append(name)
            elif team_id != self.member_team:
                found.add(team_id)
        return found, unknown


class _Fail(Exception):
    """A cell's problem: its kind and the message that says what to fix."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Rules:
    """Who may do what, decided once per import by the runner."""

    units: set[uuid.UUID] | None  # the actor's units, or None for the whole organization
    may_manage_admins: bool
    team_refusals: dict[uuid.UUID, str]  # team → why the actor cannot change its members
    may_create_units: bool


class RowChecker:
    """Checks rows one after the other; remembers the emails seen for duplicates."""

    def __init__(
        self,
        plan: ColumnPlan,
        headers: Sequence[str],
        directory: Directory,
        rules: Rules,
        *,
        phone_region: str | None,
        today: date,
    ) -> None:
        self.plan = plan
        self.width = len(headers)
        self.directory = directory
        self.rules = rules
        self.phone_region = phone_region
        self.today = today
        self.present = [f for f in FIELD_LABELS if plan.sources.get(f)]
        self.column_of = {f: headers[plan.sources[f][0]] for f in self.present}
        self.seen: dict[str, int] = {}

    # The profile fields (users' columns) the file holds: only these are updated.
    @property
    def profile_fields(self) -> list[str]:
        names = ["org_unit_id" if f == "org_unit" else f for f in self.present]
        return [n for n in names if n in PROFILE_FIELDS]

    def email_of(self, values: list[str]) -> str | None:
        """The row's email as a lower-cased key, when it is a valid address."""
        raw = self.plan.value("email", values)
        if not raw:
            return None
        try:
            return _email(cells.unquote_formula(raw.strip())).lower()
        except ValueError:
            return None

    def check(self, row_number: int, values: list[str], existing: Existing | None) -> Outcome:
        problems: list[Problem] = []

        def fail(name: str | None, kind: str, message: str, severity: str = "error") -> None:
            column = self.column_of.get(name) if name else None
            problems.append(Problem(row_number, column, name, kind, message, severity))

        if len(values) > self.width and any(v.strip() for v in values[self.width :]):
            fail(
                None,
                "extra_cells",
                f"The row has {len(values)} cells but the header only {self.width} columns: "
                "is a value missing its quotes?",
            )
        parsed: dict[str, Any] = {}
        teams: set[uuid.UUID] | None = None
        for name in self.present:
            raw = self.plan.value(name, values)
            text = cells.unquote_formula(raw.strip()) if raw else ""
            try:
                if name == "teams":
                    found, unknown = self.directory.resolve_teams(text)
                    for team_name in unknown:
                        fail(name, "unknown_team", f"No team is called {team_name!r}.")
                    teams = found
                    continue
                parsed[name] = self._value(name, text)
            except _Fail as exc:
                fail(name, exc.kind, exc.message)
        email: str | None = parsed.get("email")
        if "email" not in self.present or not email:
            if not any(p.field == "email" for p in problems):
                fail("email", "missing_value", "The organizational email is empty.")
        else:
            first = self.seen.setdefault(email.lower(), row_number)
            if first != row_number:
                fail("email", "duplicate_in_file", f"{email} is also on row {first}.")
        if existing is None:
            for required in ("first_name", "last_name"):
                if required in self.present and not parsed.get(required):
                    if not any(p.field == required for p in problems):
                        fail(
                            required,
                            "missing_value",
                            f"{FIELD_LABELS[required]} is empty; a new user needs one.",
                        )
                elif required not in self.present:
                    fail(
                        None,
                        "missing_value",
                        f"{email or 'This row'} is not a user yet, and the file has no "
                        f"{FIELD_LABELS[required]} column to create them with.",
                    )
        else:
            for required in ("first_name", "last_name"):
                if (
                    required in self.present
                    and not parsed.get(required)
                    and not any(p.field == required for p in problems)
                ):
                    fail(required, "missing_value", f"{FIELD_LABELS[required]} is empty.")
            if email and existing.email != email and existing.email.lower() == email.lower():
                fail(
                    "email",
                    "email_case",
                    f"Matches the existing user {existing.email} (letters in another case); "
                    "their email is kept as it is.",
                    "warning",
                )
        if any(p.severity == "error" for p in problems):
            return Outcome(row_number, "invalid", problems)
        assert email is not None
        return self._plan_row(row_number, email, parsed, teams, existing, problems, fail)

    def _value(self, name: str, text: str) -> Any:
        if not text:
            if name in ("gender",):
                return Gender.unspecified
            return None
        try:
            if name in ("first_name", "last_name"):
                value: Any = validation.clean_name(text)
            elif name in ("email", "personal_email"):
                value = _email(text)
            elif name == "phone":
                value = validation.normalize_phone(text, self.phone_region)
            elif name == "gender":
                value = cells.parse_gender(text)
            elif name == "birthday":
                value = cells.parse_date(text)
                if value >= self.today:
                    raise _Fail("future_date", f"{value.isoformat()} is in the future.")
                validation.check_birthday(value)
            elif name == "org_unit":
                value = self.directory.resolve_unit(text) if cells.split_path(text) else None
            elif name == "position":
                value = " ".join(text.split())
            else:  # pragma: no cover - FIELD_LABELS and this list are kept together
                raise AssertionError(name)
        except _Fail:
            raise
        except ValueError as exc:
            raise _Fail(_KIND[name], str(exc)) from None
        limit = _LIMITS.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            raise _Fail("too_long", f"At most {limit} characters (this has {len(value)}).")
        return value

    def _plan_row(
        self,
        row_number: int,
        email: str,
        parsed: dict[str, Any],
        teams: set[uuid.UUID] | None,
        existing: Existing | None,
        problems: list[Problem],
        fail: Callable[..., None],
    ) -> Outcome:
        values = {("org_unit_id" if k == "org_unit" else k): v for k, v in parsed.items()}
        rules = self.rules
        if existing is None:
            unit = values.get("org_unit_id")
            if rules.units is not None and (unit is None or unit not in rules.units):
                fail(
                    "org_unit",
                    "not_permitted",
                    "You manage users of some organization units only: give one of yours.",
                )
            add = frozenset(teams or ())
            self._check_teams(add, fail)
            if any(p.severity == "error" for p in problems):
                return Outcome(row_number, "invalid", problems)
            row = {name: values.get(name) for name in PROFILE_FIELDS}
            row["gender"] = (row["gender"] or Gender.unspecified).value
            user_id = uuid.uuid4()
            return Outcome(
                row_number,
                "create",
                problems,
                Staged(self._staged(row, user_id, "create"), add, frozenset()),
            )
        current = {name: getattr(existing, name) for name in PROFILE_FIELDS}
        current["gender"] = Gender(existing.gender)
        values["email"] = existing.email  # matched without regard to case: keep theirs
        changed = {n for n in self.profile_fields if values.get(n) != current[n]}
        add = remove = frozenset[uuid.UUID]()
        if teams is not None:
            add = frozenset(teams - existing.team_ids)
            remove = frozenset(existing.team_ids - teams)
        if not changed and not add and not remove:
            return Outcome(row_number, "unchanged", problems)
        if rules.units is not None:
            new_unit = values.get("org_unit_id", existing.org_unit_id)
            if existing.org_unit_id not in rules.units or new_unit not in rules.units:
                fail(
                    "org_unit" if "org_unit_id" in changed else "email",
                    "not_permitted",
                    "You manage users of some organization units only; this one is not in them.",
                )
        if existing.is_admin and not rules.may_manage_admins:
            fail(
                "email",
                "not_permitted",
                f"{existing.email} is an admin: only those who may change the admin teams may "
                "change them.",
            )
        self._check_teams(add | remove, fail)
        if any(p.severity == "error" for p in problems):
            return Outcome(row_number, "invalid", problems)
        merged = {**current, **{n: values.get(n) for n in self.profile_fields}}
        merged["gender"] = (merged["gender"] or Gender.unspecified).value
        return Outcome(
            row_number,
            "update",
            problems,
            Staged(self._staged(merged, existing.id, "update"), add, remove),
        )

    def _check_teams(self, team_ids: frozenset[uuid.UUID], fail: Callable[..., None]) -> None:
        for team_id in sorted(team_ids):
            refusal = self.rules.team_refusals.get(team_id)
            if refusal:
                fail("teams", "not_permitted", refusal)

    def _staged(self, row: dict[str, Any], user_id: uuid.UUID, action: str) -> dict[str, Any]:
        return {
            **row,
            "action": action,
            "user_id": user_id,
            "search_text": search_text_of(
                row["first_name"] or "",
                row["last_name"] or "",
                row["email"],
                row["personal_email"],
                row["phone"],
            ),
            "sort_name": sort_name_of(row["first_name"] or "", row["last_name"] or ""),
            "search_key": search_key_of(user_id),
        }


@lru_cache(maxsize=4096)
def _email(text: str) -> str:
    # Each row's email is looked at three times (to find its user, to check it, to compare
    # it): validate it once.
    return validation.normalize_email(text)


_KIND = {
    "first_name": "bad_name",
    "last_name": "bad_name",
    "email": "bad_email",
    "personal_email": "bad_email",
    "phone": "bad_phone",
    "gender": "bad_gender",
    "birthday": "bad_date",
    "org_unit": "unknown_org_unit",
    "position": "too_long",
}
