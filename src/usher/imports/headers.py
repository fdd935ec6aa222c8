"""Match a file's header names to Usher's user fields.

Exports from Okta, Google Workspace, Microsoft Entra and Microsoft 365, Usher's own export and
hand-typed spreadsheets import without editing: a header is normalised (case, spaces, "_", "-",
".", camelCase, bracketed suffixes such as "[Required]") and looked up in the tables below. A
near miss ("Frist name") is only suggested; an explicit mapping overrides everything.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from usher.imports.reader import column_letter

FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",  # the organizational email, which rows are matched on
    "personal_email",
    "phone",
    "gender",
    "birthday",
    "org_unit",
    "position",
    "teams",
)
FIELD_LABELS: dict[str, str] = {  # the header texts of Usher's own export
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "personal_email": "Personal email",
    "phone": "Phone",
    "gender": "Gender",
    "birthday": "Birthday",
    "org_unit": "Org unit",
    "position": "Position",
    "teams": "Teams",
}

# The header names of each field, in groups from best to worst: when several columns feed one
# field, its value is the first non-empty one in this order (Entra's "mail" before its
# "userPrincipalName"; Google's "Mobile Phone" before "Work Phone" before "Home Phone").
_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": (
        "first name, given name, forename, fname, first, christian name, vorname, prenom, nombre, "
        "nome, voornaam",
    ),
    "last_name": (
        "last name, surname, family name, sn, lname, last, nachname, familienname, nom, "
        "nom de famille, apellido, apellidos, cognome, achternaam",
    ),
    "email": (
        "email, e mail, email address, e mail address, mail, mail address, work email, "
        "work e mail, business email, company email, office email, corporate email, "
        "primary email, primary email address, organizational email, organisational email, "
        "org email, email work, email id, email adresse, dienstliche email, courriel, "
        "adresse e mail, correo, correo electronico",
        # Okta's login and Entra's user principal name are usually the email address.
        "user principal name, upn, username, user name, login, login name, sign in name, "
        "logon name, benutzername",
    ),
    "personal_email": (
        "personal email, personal e mail, personal email address, private email, private e mail, "
        "private email address, privat email, private mail, personal mail, home email, "
        "home email address, home secondary email, email private, email personal, email home, "
        "email privat",
        "recovery email, secondary email, secondary email address, second email, alternate email, "
        "alternate email address, alternative email, other email, other mails, backup email",
        "authentication email",
    ),
    "phone": (
        "mobile phone, mobile, mobile number, mobile phone number, cell phone, cellphone, cell, "
        "cell number, phone mobile, handy, handynummer, mobil, mobilnummer, mobiltelefon, movil, "
        "portable",
        "phone, phone number, phone no, telephone, telephone number, tel, primary phone, "
        "work phone, business phone, business phones, office phone, phone work, contact number, "
        "contact phone, telefon, telefonnummer",
        "recovery phone, authentication phone number, authentication phone",
        "home phone, private phone, phone home, alternate phone, other phone, "
        "authentication alternative phone number",
    ),
    "gender": ("gender, sex, geschlecht, sexe, genero",),
    "birthday": (
        "birthday, birth date, date of birth, dob, bday, born, geburtstag, geburtsdatum, "
        "date de naissance, fecha de nacimiento, data di nascita",
    ),
    "org_unit": (
        "org unit, org unit path, organizational unit, organisational unit, organization unit, "
        "organisation unit, ou",
        "department, dept, abteilung, departement, departamento, unit, business unit",
        "division, bereich",
    ),
    "position": (
        "position, job title, employee title, job, job position, job role, position title, "
        "designation, funktion, stelle, berufsbezeichnung, poste, cargo, puesto",
        "title",
    ),
    "teams": (
        "teams, team, team names, team membership",
        "groups, group, group membership, member of, gruppen, gruppe",
    ),
}

_DISPLAY = "Usher shows first and last name; it keeps no separate display name"
_NO_NAMES = "Usher needs first and last name in two columns; split the names first"
_NO_HEADER = "the column has no header; map it by its letter to import it"
_UNKNOWN = "Usher does not know this column; map it to a field to import it"

# Columns the exports carry that Usher does not import, and why.
_IGNORED: tuple[tuple[str, str], ...] = (
    (_DISPLAY, "display name, full name, name, user, common name, cn"),
    ("Usher has no nickname field", "nickname, nick name, preferred name, mail nickname"),
    ("Usher has no middle name field", "middle name, middle initial, middle names"),
    (
        "Usher has no salutation or name-prefix field",
        "honorific prefix, honorific suffix, salutation, prefix, suffix, anrede",
    ),
    ("Usher has no initials field", "initials"),
    ("Usher has no pronouns field", "pronouns"),
    (
        "passwords are never imported; each person sets their own when registering",
        "password, initial password, password profile, password hash function, "
        "change password at next sign in, password never expires, "
        "last password change time stamp, last password change, password changed, "
        "strong password required, force change password, passwort",
    ),
    (
        "Usher has no manager field",
        "manager, manager email, manager id, manager name, manager display name, supervisor, "
        "supervisor email, reports to, vorgesetzter",
    ),
    (
        "Usher matches rows on Email, not on another system's id",
        "id, object id, user id, external id, uuid, guid, immutable id, on premises immutable id, "
        "okta id",
    ),
    (
        "Usher has no employee number or type field",
        "employee id, employee number, employee no, employee type, user type, personnel number, "
        "personalnummer, staff id, staff number",
    ),
    ("Usher has no cost center field", "cost center, cost centre, kostenstelle"),
    (
        "Usher has no address or location fields",
        "address, street, street address, work address, home address, postal address, city, town, "
        "state, province, state or province, region, country, country region, country or region, "
        "country code, zip, zip code, postal code, zip or postal code, postcode, plz, ort, "
        "office, office location, physical delivery office name, office number, building, "
        "building id, floor, floor name, floor section, room, location, usage location, "
        "preferred data location",
    ),
    (
        "Usher has no language or time zone field",
        "locale, preferred language, language, timezone, time zone, sprache",
    ),
    (
        "status is set by Usher, not imported: Pending until the person registers",
        "status, account status, account enabled, enabled, active, suspended, block credential, "
        "block sign in, new status, user status, invitation state",
    ),
    (
        "a date kept by the system that wrote the file; Usher keeps its own",
        "registered, created, created at, when created, created date time, creation date, "
        "activation date, activated, last activity, last sign in, last login, last logon, "
        "last updated, last modified, last dirsync time, status changed, "
        "soft deletion time stamp, deleted, deleted date time",
    ),
    (
        "licenses belong to the system the file came from",
        "licenses, license, license assignment details, new licenses, assigned licenses",
    ),
    (
        "Usher keeps one organizational email per person",
        "proxy addresses, aliases, email aliases, new primary email, work secondary email",
    ),
    (
        "a figure from the system the file came from, not a user detail",
        "2sv enrolled, 2sv enforced, email usage, drive usage, photos usage, storage limit, "
        "storage used, total storage, gemini limit status, advanced protection program enrollment",
    ),
    (
        "an attribute of the directory the file came from",
        "dir sync enabled, directory synced, on premises sync enabled, release track, "
        "oath token meta data, oath token metadata, age group, consent provided for minor, "
        "legal age group classification, identity issuer, issuer, creation type, "
        "authentication source, source",
    ),
    (
        "people are imported into the organization you are signed in to",
        "organization, organisation, company, company name, tenant",
    ),
    ("Usher has no web address field", "profile url, website, homepage, url"),
    ("Usher has no fax field", "fax, fax number"),
    ("Usher has no photo field", "photo, picture, thumbnail photo"),
    ("Usher has no notes field", "notes, note, comment, comments, description, remarks, bemerkung"),
    (
        "access roles are granted in Usher after the import, not read from the file",
        "role, roles, admin, is admin, admin roles, permissions, access",
    ),
    (
        "Usher has no hire or leave date fields",
        "hire date, employee hire date, start date, entry date, end date, leave date",
    ),
    ("Usher keeps a birthday, not an age", "age"),
)

_BRACKETED = re.compile(r"\[[^\]]*\]|\([^)]*\)|\{[^}]*\}")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W_]+")
_MARKERS = frozenset({"required", "optional"})  # Entra's "Name [displayName] Required"
_GENERATED = re.compile(r"Column ([A-Z]+)")  # what the reader names a blank header
_LETTERS = re.compile(r"[A-Za-z]{1,2}")  # A to ZZ: 702 columns, more than any user file
_MIN_FUZZY = 4


def _words(text: str) -> list[str]:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _WORD.findall(_CAMEL.sub(" ", text).casefold())


def _variants(header: str) -> list[list[str]]:
    """Word lists to look up, best first: all of it, then without brackets, then inside them."""
    whole = _words(header)
    found = [whole]
    inner = _BRACKETED.findall(header)
    outside = _words(_BRACKETED.sub(" ", header)) if inner else list(whole)
    while len(outside) > 1 and outside[-1] in _MARKERS:
        outside.pop()
    found.append(outside)
    found.extend(_words(part[1:-1]) for part in inner)
    return [words for words in found if words]


@dataclass(frozen=True, slots=True)
class _Known:
    field: str | None  # None: a known column Usher ignores
    rank: int = 0
    is_name: bool = False  # the field's own name or label, not an alias
    reason: str | None = None


def _index() -> tuple[dict[str, _Known], dict[str, _Known]]:
    exact: dict[str, _Known] = {}
    unordered: dict[str, _Known | None] = {}  # by sorted words: "Name, First"; None: ambiguous

    def add(words: list[str], known: _Known) -> None:
        key = "".join(words)
        if key in exact and exact[key] != known:
            raise RuntimeError(f"header alias {key!r} is listed twice")
        exact[key] = known
        loose = "".join(sorted(words))
        if unordered.setdefault(loose, known) != known:
            unordered[loose] = None

    for name in FIELDS:
        own = _Known(name, 0, is_name=True)
        add(_words(name), own)
        add(_words(FIELD_LABELS[name]), own)
        for rank, group in enumerate(_ALIASES[name]):
            for alias in group.split(", "):
                words = _words(alias)
                earlier = exact.get("".join(words))
                if earlier is None or earlier.field != name:  # a field's own name comes first
                    add(words, _Known(name, rank))
    for reason, names in _IGNORED:
        for alias in names.split(", "):
            add(_words(alias), _Known(None, reason=reason))
    return exact, {k: v for k, v in unordered.items() if v is not None}


_EXACT, _UNORDERED = _index()
_FUZZY = sorted(k for k in _EXACT if len(k) >= _MIN_FUZZY)


def _recognise(header: str) -> _Known | None:
    variants = _variants(header)
    for words in variants:
        known = _EXACT.get("".join(words))
        if known is not None:
            return known
    for words in variants:
        known = _UNORDERED.get("".join(sorted(words)))
        if known is not None:
            return known
    return None


def _suggest(header: str) -> str | None:
    """The field a header is a likely typo of ("Frist name"), never applied by itself."""
    key = "".join(_words(header))
    if len(key) < _MIN_FUZZY:
        return None
    for near in difflib.get_close_matches(key, _FUZZY, n=3, cutoff=0.8):
        if near[0] == key[0]:
            return _EXACT[near].field  # None when the near miss is a column Usher ignores
    return None


@dataclass(frozen=True)
class ColumnMatch:
    index: int
    header: str
    field: str | None  # the field it feeds, None when not used
    how: Literal["mapping", "name", "alias", "ignored", "unknown"]
    suggestion: str | None  # a field key, for near misses
    note: str | None  # human text shown in the mapping step


@dataclass(frozen=True)
class ColumnPlan:
    columns: list[ColumnMatch]
    sources: dict[str, list[int]]  # field -> column indexes, best first; only fields with some
    _order: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        order = {name: tuple(indexes) for name, indexes in self.sources.items() if indexes}
        object.__setattr__(self, "_order", order)

    def value(self, field: str, values: list[str]) -> str | None:
        """The first non-empty source cell, stripped; "" when all are empty; None: no column."""
        order = self._order.get(field)
        if order is None:
            return None
        size = len(values)
        for index in order:
            if index < size:
                text = values[index].strip()
                if text:
                    return text
        return ""


def match_columns(headers: list[str], mapping: dict[str, str] | None = None) -> ColumnPlan:
    """Decide which column feeds which field.

    mapping: {header text (case-insensitive) or column letter ("C"): field key, or "" to ignore
    the column}; it overrides everything, and a field mapped there takes no other column.
    Raises ValueError naming an unknown field, an unknown header or letter, or two columns
    mapped to one field.
    """
    explicit = _explicit(headers, mapping) if mapping else {}
    mapped = {name: index for index, name in explicit.items() if name}
    recognised: dict[int, _Known | None] = {}
    ranked: dict[str, list[tuple[int, int]]] = {}
    for index, header in enumerate(headers):
        if index in explicit:
            continue
        known = recognised[index] = _recognise(header)
        if known is not None and known.field is not None and known.field not in mapped:
            ranked.setdefault(known.field, []).append((known.rank, index))
    sources: dict[str, list[int]] = {}
    for name in FIELDS:
        if name in mapped:
            sources[name] = [mapped[name]]
        elif name in ranked:
            sources[name] = [index for _rank, index in sorted(ranked[name])]
    has_names = "first_name" in sources and "last_name" in sources

    columns: list[ColumnMatch] = []
    for index, header in enumerate(headers):
        if index in explicit:
            target = explicit[index]
            note = (
                f"Imported as {FIELD_LABELS[target]}, as mapped."
                if target
                else f"{header}: ignored, as mapped."
            )
            columns.append(ColumnMatch(index, header, target, "mapping", None, note))
            continue
        known = recognised[index]
        if known is not None and known.field is not None:
            if known.field in mapped:
                other = _ref(headers, mapped[known.field])
                note = f"{header}: ignored — {other} is mapped to {FIELD_LABELS[known.field]}."
                columns.append(ColumnMatch(index, header, None, "ignored", None, note))
                continue
            how: Literal["name", "alias"] = "name" if known.is_name else "alias"
            note_or_none = _source_note(headers, sources[known.field], index, known.field)
            columns.append(ColumnMatch(index, header, known.field, how, None, note_or_none))
        elif known is not None:
            reason = known.reason if known.reason != _DISPLAY or has_names else _NO_NAMES
            note = f"{header}: ignored — {reason}."
            columns.append(ColumnMatch(index, header, None, "ignored", None, note))
        elif _GENERATED.fullmatch(header):
            note = f"{header}: ignored — {_NO_HEADER}."
            columns.append(ColumnMatch(index, header, None, "ignored", None, note))
        else:
            guess = _suggest(header)
            if guess is not None:
                note = f'Did you mean "{FIELD_LABELS[guess]}"? Map the column to use it.'
            else:
                note = f"{header}: ignored — {_UNKNOWN}."
            columns.append(ColumnMatch(index, header, None, "unknown", guess, note))
    return ColumnPlan(columns=columns, sources=sources)


def _ref(headers: list[str], index: int) -> str:
    header = headers[index]
    if sum(h == header for h in headers) > 1:
        return f"'{header}' (column {column_letter(index)})"
    return f"'{header}'"


def _source_note(headers: list[str], order: list[int], index: int, name: str) -> str | None:
    if len(order) < 2:
        return None
    position = order.index(index)
    if position == 0:
        rest = ", then ".join(_ref(headers, i) for i in order[1:])
        return f"{FIELD_LABELS[name]} comes from this column; when it is empty, from {rest}."
    before = [_ref(headers, i) for i in order[:position]]
    if len(before) == 1:
        return f"Used when {before[0]} is empty."
    return f"Used when {', '.join(before[:-1])} and {before[-1]} are empty."


def _letter_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def _explicit(headers: list[str], mapping: dict[str, str]) -> dict[int, str | None]:
    """The mapping as {column index: field key, or None to ignore}; ValueError when it is wrong."""
    by_text: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        by_text.setdefault(header.strip().casefold(), []).append(index)
    by_label = {label.casefold(): name for name, label in FIELD_LABELS.items()}
    problems: list[str] = []
    chosen: dict[int, str | None] = {}
    for key, target in mapping.items():
        name = key.strip()
        indexes = by_text.get(name.casefold())
        if indexes is None and _LETTERS.fullmatch(name):
            indexes = [_letter_index(name)]
            if indexes[0] >= len(headers):
                last = column_letter(len(headers) - 1) if headers else "A"
                problems.append(
                    f"No column is headed {key!r}, and there is no column {name.upper()}: the "
                    f"file's columns run from A to {last}."
                )
                continue
        if indexes is None:
            problems.append(f"No column is headed {key!r}; the headers are: {', '.join(headers)}.")
            continue
        if len(indexes) > 1:
            letters = ", ".join(column_letter(i) for i in indexes)
            problems.append(f"{key!r} heads columns {letters}; map them by letter instead.")
            continue
        wanted = (target or "").strip()
        field_name = (wanted if wanted in FIELD_LABELS else by_label.get(wanted.casefold())) or None
        if wanted and field_name is None:
            problems.append(
                f"Unknown field {target!r} for column {key!r}; the fields are: "
                f'{", ".join(FIELDS)} (or "" to ignore the column).'
            )
            continue
        index = indexes[0]
        if index in chosen and chosen[index] != field_name:
            problems.append(
                f"Column {column_letter(index)} ({headers[index]!r}) is mapped twice, to "
                f"{chosen[index] or 'nothing'} and to {field_name or 'nothing'}."
            )
            continue
        chosen[index] = field_name
    by_field: dict[str, list[int]] = {}
    for index, field_name in chosen.items():
        if field_name:
            by_field.setdefault(field_name, []).append(index)
    for field_name, indexes in by_field.items():
        if len(indexes) > 1:
            names = " and ".join(f"{headers[i]!r} ({column_letter(i)})" for i in sorted(indexes))
            problems.append(
                f"Columns {names} are both mapped to {field_name}; map one column to a field."
            )
    if problems:
        raise ValueError(" ".join(problems))
    return chosen
