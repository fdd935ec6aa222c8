"""Matching header names to Usher's fields: real exports, odd spellings, mappings, fallbacks."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.imports import header_sets as sets
from usher.imports.headers import FIELD_LABELS, FIELDS, ColumnMatch, ColumnPlan, match_columns


def named_sources(headers: list[str], plan: ColumnPlan) -> dict[str, list[str]]:
    return {name: [headers[i] for i in indexes] for name, indexes in plan.sources.items()}


def column(plan: ColumnPlan, header: str) -> ColumnMatch:
    return next(c for c in plan.columns if c.header == header)


# --- real header sets -----------------------------------------------------------------------------

EXPECTED = {
    "okta": (
        sets.OKTA_USERS,
        {
            "first_name": ["firstName"],
            "last_name": ["lastName"],
            "email": ["email", "login"],
            "personal_email": ["secondEmail"],
            "phone": ["mobilePhone", "primaryPhone"],
            "org_unit": ["department", "division"],
            "position": ["title"],
        },
    ),
    "okta-password-health": (sets.OKTA_PASSWORD_HEALTH, {"email": ["Login"]}),
    "google": (
        sets.GOOGLE_WORKSPACE_USERS,
        {
            "first_name": ["First Name [Required]"],
            "last_name": ["Last Name [Required]"],
            "email": ["Email Address [Required]"],
            "personal_email": ["Home Secondary Email", "Recovery Email"],
            "phone": [
                "Mobile Phone",
                "Work Phone",
                "Recovery Phone [MUST BE IN THE E.164 FORMAT]",
                "Home Phone",
            ],
            "org_unit": ["Org Unit Path [Required]", "Department"],
            "position": ["Employee Title"],
        },
    ),
    "entra": (
        sets.ENTRA_USERS,
        {
            "first_name": ["givenName"],
            "last_name": ["surname"],
            "email": ["mail", "userPrincipalName"],
            "personal_email": ["alternateEmailAddress", "authenticationEmail"],
            "phone": [
                "mobile",
                "telephoneNumber",
                "authenticationPhoneNumber",
                "authenticationAlternativePhoneNumber",
            ],
            "org_unit": ["department"],
            "position": ["jobTitle"],
        },
    ),
    "entra-bulk-create": (
        sets.ENTRA_BULK_CREATE,
        {
            "first_name": ["First name [givenName]"],
            "last_name": ["Last name [surname]"],
            "email": ["User name [userPrincipalName] Required"],
            "phone": ["Mobile phone [mobile]", "Office phone [telephoneNumber]"],
            "org_unit": ["Department [department]"],
            "position": ["Job title [jobTitle]"],
        },
    ),
    "m365": (
        sets.M365_ACTIVE_USERS,
        {
            "first_name": ["First name"],
            "last_name": ["Last name"],
            "email": ["User principal name"],
            "phone": ["Mobile Phone", "Phone number"],
            "org_unit": ["Department"],
            "position": ["Title"],
        },
    ),
    "usher": (sets.USHER_EXPORT, {name: [FIELD_LABELS[name]] for name in FIELDS}),
    "hand-typed": (
        sets.HAND_TYPED,
        {
            "first_name": ["FIRSTNAME"],
            "last_name": ["last_name"],
            "email": ["E-mail Address"],
            "personal_email": ["Personal e-mail"],
            "phone": ["Mobile #"],
            "gender": ["Sex"],
            "birthday": ["Date of Birth"],
            "org_unit": ["Dept."],
            "position": ["Job title "],
            "teams": ["Team(s)"],
        },
    ),
    "hand-typed-german": (
        sets.HAND_TYPED_GERMAN,
        {
            "first_name": ["Vorname"],
            "last_name": ["Nachname"],
            "email": ["E-Mail-Adresse"],
            "personal_email": ["E-Mail (privat)"],
            "phone": ["Handy", "Telefon"],
            "gender": ["Geschlecht"],
            "birthday": ["Geburtsdatum"],
            "org_unit": ["Abteilung"],
            "position": ["Position"],
            "teams": ["Gruppen"],
        },
    ),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_export_maps_to_the_expected_fields(name: str) -> None:
    headers, expected = EXPECTED[name]
    plan = match_columns(headers)
    assert named_sources(headers, plan) == expected
    assert [c.index for c in plan.columns] == list(range(len(headers)))
    # Nothing in a real export is left unexplained: every column is used or ignored with a why.
    for c in plan.columns:
        assert c.how in ("name", "alias", "ignored"), c
        assert (c.field is None) == (c.how == "ignored")
        if c.how == "ignored":
            assert c.note and c.note.startswith(f"{c.header}: ignored — "), c


def test_google_template_maps_like_its_download() -> None:
    plan = match_columns(sets.GOOGLE_WORKSPACE_TEMPLATE)
    expected = EXPECTED["google"][1]
    assert named_sources(sets.GOOGLE_WORKSPACE_TEMPLATE, plan) == expected


def test_usher_export_maps_back_by_name_and_ignores_its_read_only_columns() -> None:
    plan = match_columns(sets.USHER_EXPORT)
    assert [(c.field, c.how) for c in plan.columns[:10]] == [(f, "name") for f in FIELDS]
    assert all(c.note is None for c in plan.columns[:10])
    assert [c.note for c in plan.columns[10:]] == [
        "Status: ignored — status is set by Usher, not imported: Pending until the person "
        "registers.",
        "Registered: ignored — a date kept by the system that wrote the file; Usher keeps its own.",
        "Last activity: ignored — a date kept by the system that wrote the file; Usher keeps its "
        "own.",
    ]


def test_known_columns_are_ignored_with_the_reason() -> None:
    headers = ["First name", "Last name", "Email", "Manager", "Display name", "Password"]
    plan = match_columns(headers)
    assert column(plan, "Manager").note == "Manager: ignored — Usher has no manager field."
    assert "separate display name" in str(column(plan, "Display name").note)
    assert "passwords are never imported" in str(column(plan, "Password").note)


def test_display_name_without_first_and_last_name_says_what_to_do() -> None:
    plan = match_columns(["Display name", "Email"])
    note = column(plan, "Display name").note
    assert note == (
        "Display name: ignored — Usher needs first and last name in two columns; "
        "split the names first."
    )


def test_each_column_of_several_feeding_one_field_says_so() -> None:
    plan = match_columns(sets.ENTRA_USERS)
    assert column(plan, "userPrincipalName").note == "Used when 'mail' is empty."
    assert column(plan, "mail").note == (
        "Email comes from this column; when it is empty, from 'userPrincipalName'."
    )
    assert column(plan, "authenticationPhoneNumber").note == (
        "Used when 'mobile' and 'telephoneNumber' are empty."
    )


def test_duplicate_headers_feed_one_field_in_column_order() -> None:
    plan = match_columns(["Email", "Name", "Email"])
    assert plan.sources["email"] == [0, 2]
    assert plan.columns[2].note == "Used when 'Email' (column A) is empty."


# --- spellings ------------------------------------------------------------------------------------

SPELLINGS = {
    "first_name": [
        "First Name", "first_name", "firstName", "FIRST-NAME", "first.name", "  First   name ",
        "Given name", "givenName", "Forename", "First Name [Required]", "Name, first", "Prénom",
    ],
    "last_name": ["Last name", "Surname", "Family name", "sn", "LastName", "Nachname"],
    "email": [
        "E-mail", "Email Address", "Primary Email", "mail", "Work email", "userPrincipalName",
        "Username", "login", "eMail", "EMAIL_ADDRESS",
    ],
    "personal_email": [
        "Recovery Email", "Secondary email", "Personal email", "Home Secondary Email",
        "E-Mail (privat)", "Email, personal", "secondEmail",
    ],
    "phone": [
        "Mobile phone", "mobilePhone", "Phone", "Phone number", "Work Phone", "telephoneNumber",
        "primaryPhone", "Phone (mobile)",
    ],
    "org_unit": ["Department", "Org Unit", "Org Unit Path", "organizational unit", "Division"],
    "position": ["Job title", "Title", "jobTitle", "Employee Title", "Position"],
    "teams": ["Teams", "Groups", "Team(s)"],
    "gender": ["Gender", "Sex"],
    "birthday": ["Birthday", "Date of birth", "DOB", "Birth date", "date_of_birth"],
}  # fmt: skip


@pytest.mark.parametrize(("header", "field"), [(h, f) for f, hs in SPELLINGS.items() for h in hs])
def test_spellings_are_recognised(header: str, field: str) -> None:
    plan = match_columns([header])
    assert plan.sources == {field: [0]}
    assert plan.columns[0].how in ("name", "alias")


def test_own_names_count_as_name_matches_and_others_as_aliases() -> None:
    plan = match_columns(["first_name", "Surname", "PERSONAL EMAIL"])
    assert [c.how for c in plan.columns] == ["name", "alias", "name"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Frist name", "first_name"),
        ("Emial", "email"),
        ("Lsat name", "last_name"),
        ("Birthdya", "birthday"),
        ("Postion", "position"),
    ],
)
def test_near_misses_are_suggested_not_applied(header: str, field: str) -> None:
    plan = match_columns([header, "Other"])
    match = plan.columns[0]
    assert (match.field, match.how, match.suggestion) == (None, "unknown", field)
    assert match.note and match.note.startswith(f'Did you mean "{FIELD_LABELS[field]}"?')
    assert plan.sources == {}


@pytest.mark.parametrize("header", ["Favourite colour", "Apartment", "Shoe size", "X"])
def test_unknown_headers_are_ignored_with_a_note(header: str) -> None:
    match = match_columns([header]).columns[0]
    assert (match.field, match.how, match.suggestion) == (None, "unknown", None)
    assert match.note == (
        f"{header}: ignored — Usher does not know this column; map it to a field to import it."
    )


def test_reader_names_for_blank_headers_are_ignored_with_a_hint() -> None:
    match = match_columns(["Email", "Column B"]).columns[1]
    assert (match.how, match.note) == (
        "ignored",
        "Column B: ignored — the column has no header; map it by its letter to import it.",
    )


# --- mappings -------------------------------------------------------------------------------------


def test_mapping_by_header_text_overrides_the_guess() -> None:
    headers = ["Email", "Job title", "Favourite colour"]
    plan = match_columns(headers, {"favourite COLOUR": "position"})
    assert plan.sources == {"email": [0], "position": [2]}
    assert (plan.columns[2].how, plan.columns[2].field) == ("mapping", "position")
    assert plan.columns[1].field is None
    assert plan.columns[1].how == "ignored"
    assert plan.columns[1].note == (
        "Job title: ignored — 'Favourite colour' is mapped to Position."
    )


def test_mapping_by_column_letter() -> None:
    plan = match_columns(["Name", "Contact", "Extra"], {"b": "email", "A": "first_name"})
    assert plan.sources == {"first_name": [0], "email": [1]}


def test_mapping_to_nothing_drops_a_column_and_its_place_in_the_fallbacks() -> None:
    plan = match_columns(["login", "email"], {"Email": ""})
    assert plan.sources == {"email": [0]}
    assert (plan.columns[1].how, plan.columns[1].field) == ("mapping", None)
    assert plan.columns[0].note is None  # the only source left


def test_mapping_accepts_field_labels_too() -> None:
    assert match_columns(["Col"], {"Col": "Personal email"}).sources == {"personal_email": [0]}


def test_near_miss_applies_once_mapped() -> None:
    plan = match_columns(["Frist name"], {"Frist name": "first_name"})
    assert plan.sources == {"first_name": [0]}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Email": "mail_address"}, "Unknown field 'mail_address' for column 'Email'"),
        ({"Fax": "phone"}, "No column is headed 'Fax'; the headers are: Email, Name, Email 2"),
        (
            {"k": "phone"},
            "No column is headed 'k', and there is no column K: the file's "
            "columns run from A to C.",
        ),
        (
            {"Email": "email", "Email 2": "email"},
            "Columns 'Email' (A) and 'Email 2' (C) are both mapped to email",
        ),
        ({"A": "email", "Email": "first_name"}, "Column A ('Email') is mapped twice"),
    ],
)
def test_bad_mappings_are_refused_naming_what_is_wrong(
    mapping: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        match_columns(["Email", "Name", "Email 2"], mapping)


def test_mapping_a_header_found_twice_asks_for_letters() -> None:
    with pytest.raises(ValueError, match="'Email' heads columns A, C; map them by letter"):
        match_columns(["Email", "Name", "Email"], {"Email": "email"})


def test_all_mapping_problems_are_reported_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        match_columns(["Email"], {"Nope": "email", "Email": "bogus"})
    assert "'Nope'" in str(caught.value)
    assert "'bogus'" in str(caught.value)


# --- values ---------------------------------------------------------------------------------------


def test_value_takes_the_first_non_empty_source_in_order() -> None:
    headers = sets.ENTRA_USERS
    plan = match_columns(headers)
    row = [""] * len(headers)
    upn, mail = headers.index("userPrincipalName"), headers.index("mail")
    row[upn] = " ann@contoso.onmicrosoft.com "
    assert plan.value("email", row) == "ann@contoso.onmicrosoft.com"
    row[mail] = "   "
    assert plan.value("email", row) == "ann@contoso.onmicrosoft.com"
    row[mail] = "ann@contoso.com"
    assert plan.value("email", row) == "ann@contoso.com"


def test_value_is_empty_text_when_all_sources_are_empty_and_none_without_a_column() -> None:
    plan = match_columns(["Email", "Phone"])
    assert plan.value("email", ["", " "]) == ""
    assert plan.value("phone", ["a@x.io"]) == ""  # a short row
    assert plan.value("gender", ["a@x.io", ""]) is None
    assert plan.value("no_such_field", ["a@x.io", ""]) is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=12))
def test_any_headers_give_a_consistent_plan(headers: list[str]) -> None:
    plan = match_columns(headers)
    assert [c.index for c in plan.columns] == list(range(len(headers)))
    used = [i for indexes in plan.sources.values() for i in indexes]
    assert len(used) == len(set(used))
    for name, indexes in plan.sources.items():
        assert name in FIELDS and indexes
        assert all(plan.columns[i].field == name for i in indexes)
    for c in plan.columns:
        assert (c.field is not None) == any(c.index in ix for ix in plan.sources.values())
        assert c.suggestion is None or c.suggestion in FIELDS
