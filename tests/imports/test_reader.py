"""Reading uploaded files: encodings, delimiters, quoting, row numbers, workbooks, bad files."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usher.imports import reader
from usher.imports.reader import ImportFileError, TableInfo, column_letter, inspect, read_rows

PEOPLE = "First name,Last name,Email\nZoë,Ærø,zoe@example.com\nJürgen,Müller,jm@example.com\n"
PEOPLE_ROWS = [
    (2, ["Zoë", "Ærø", "zoe@example.com"]),
    (3, ["Jürgen", "Müller", "jm@example.com"]),
]


def write(tmp_path: Path, data: str | bytes, encoding: str = "utf-8", name: str = "up") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def read_all(path: Path, **kwargs: Any) -> tuple[TableInfo, list[tuple[int, list[str]]]]:
    info = inspect(path, **kwargs)
    return info, list(read_rows(path, info))


def workbook(tmp_path: Path, sheets: dict[str, dict[str, Any]], name: str = "up.xlsx") -> Path:
    """sheets: {sheet name: {cell ("B3"): value}}, in order; the first is the active one."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, cells in sheets.items():
        sheet = book.create_sheet(title)
        for ref, value in cells.items():
            sheet[ref] = value
    path = tmp_path / name
    book.save(path)
    return path


# --- encodings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encode", "detected"),
    [
        (lambda s: s.encode("utf-8"), "utf-8"),
        (lambda s: s.encode("utf-8-sig"), "utf-8-sig"),
        (lambda s: s.encode("utf-16"), "utf-16"),  # little-endian with its BOM
        (lambda s: "\ufeff".encode("utf-16-be") + s.encode("utf-16-be"), "utf-16"),
        (lambda s: s.encode("utf-16-le"), "utf-16-le"),  # no BOM
        (lambda s: s.encode("utf-16-be"), "utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le", "utf-16-be"],
)
def test_unicode_encodings_are_recognised(tmp_path: Path, encode: Any, detected: str) -> None:
    info, rows = read_all(write(tmp_path, encode(PEOPLE)))
    assert info.format == "csv"
    assert info.encoding == detected
    assert info.headers == ["First name", "Last name", "Email"]
    assert rows == PEOPLE_ROWS


def test_windows_1252_names_and_euro_sign_are_read(tmp_path: Path) -> None:
    text = (
        "Vorname;Nachname;E-Mail;Notiz\n"
        "Jürgen;Müller;jm@example.de;€ 5\n"
        "Renée;Lefèvre;rl@example.fr;\n"
        "Zoë;Ærø;z@example.dk;naïve\n"
    )
    info, rows = read_all(write(tmp_path, text, "cp1252"))
    assert info.encoding == "cp1252"
    assert info.delimiter == ";"
    assert rows == [
        (2, ["Jürgen", "Müller", "jm@example.de", "€ 5"]),
        (3, ["Renée", "Lefèvre", "rl@example.fr", ""]),
        (4, ["Zoë", "Ærø", "z@example.dk", "naïve"]),
    ]


def test_cyrillic_in_windows_1251_is_not_taken_for_western(tmp_path: Path) -> None:
    text = "Имя;Фамилия;Почта\nИван;Петров;ip@example.ru\nМария;Сидорова;ms@example.ru\n"  # noqa: RUF001
    info, rows = read_all(write(tmp_path, text, "cp1251"))
    assert info.encoding == "cp1251"
    assert rows[0] == (2, ["Иван", "Петров", "ip@example.ru"])


def test_ascii_start_then_windows_1252_past_the_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first MiB told nothing (all ASCII); the first accent comes later, in Windows-1252.
    monkeypatch.setattr(reader, "SAMPLE_BYTES", 64)
    monkeypatch.setattr(reader, "BLOCK_BYTES", 16)
    text = "First,Last\n" + "Ann,Lee\n" * 20 + "Jürgen,Müller\nRenée,€\n"
    info, rows = read_all(write(tmp_path, text, "cp1252"))
    assert info.encoding == "utf-8"
    assert rows[-2:] == [(22, ["Jürgen", "Müller"]), (23, ["Renée", "€"])]


def test_multibyte_character_cut_at_the_sample_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = "First,Last\nAnn,Müller\n".encode()
    monkeypatch.setattr(reader, "SAMPLE_BYTES", data.index("ü".encode()) + 1)  # half of "ü"
    info, rows = read_all(write(tmp_path, data + b"Bo,Li\n" * 3))
    assert info.encoding == "utf-8"
    assert rows[0] == (2, ["Ann", "Müller"])


def test_undecodable_byte_names_its_row(tmp_path: Path) -> None:
    data = 'Name,Note\nJürgen,ok\n"two\nlines",ok\nBad,caf\xe9\nAfter,x\n'.encode("latin-1")
    data = data.replace("Jürgen".encode("latin-1"), "Jürgen".encode())  # valid UTF-8 first
    path = write(tmp_path, data)
    info = inspect(path)
    assert info.encoding == "utf-8"
    rows = read_rows(path, info)
    assert next(rows) == (2, ["Jürgen", "ok"])
    assert next(rows) == (3, ["two\nlines", "ok"])
    with pytest.raises(ImportFileError, match=r"^Row 4 is not valid UTF-8 .*line 5") as caught:
        next(rows)
    assert caught.value.row == 4
    assert "Save the file as CSV UTF-8" in str(caught.value)


def test_undecodable_byte_in_a_later_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "BLOCK_BYTES", 8)
    data = "A,B\nÄ,1\n".encode() + b"x,2\n" * 5 + b"y,\xff\n"
    path = write(tmp_path, data)
    with pytest.raises(ImportFileError, match=r"^Row 8 ") as caught:
        list(read_rows(path, inspect(path)))
    assert caught.value.row == 8


# --- delimiters, quoting, numbering ---------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Name", "Email", "Teams"])
    writer.writerow(["Doe, Jane", "jane@example.com", "Ops; Platform|Web"])
    writer.writerow(["Roe\tRichard", "rr@example.com", ""])
    info, rows = read_all(write(tmp_path, out.getvalue()))
    assert info.delimiter == delimiter
    assert rows == [
        (2, ["Doe, Jane", "jane@example.com", "Ops; Platform|Web"]),
        (3, ["Roe\tRichard", "rr@example.com", ""]),
    ]


def test_excel_sep_hint_line_sets_the_delimiter(tmp_path: Path) -> None:
    info, rows = read_all(write(tmp_path, "sep=;\r\nName;Email\r\nAnn, Lee;a@x.io\r\n"))
    assert (info.delimiter, info.headers, info.header_row) == (";", ["Name", "Email"], 2)
    assert rows == [(3, ["Ann, Lee", "a@x.io"])]


def test_entra_template_version_line_is_skipped(tmp_path: Path) -> None:
    text = "version:v1.0\nName [displayName] Required,User name [userPrincipalName] Required\n"
    info, rows = read_all(write(tmp_path, text + "Ann Lee,ann@example.com\n"))
    assert info.headers == ["Name [displayName] Required", "User name [userPrincipalName] Required"]
    assert rows == [(3, ["Ann Lee", "ann@example.com"])]


def test_quoted_newlines_and_quotes_do_not_shift_row_numbers(tmp_path: Path) -> None:
    text = (
        "Name,Note,Email\n"
        '"Lee, Ann","line one\nline two\r\nline three",ann@example.com\n'
        'Bob,"He said ""hi""",bob@example.com\n'
        "Cy,,cy@example.com\n"
    )
    _info, rows = read_all(write(tmp_path, text))
    assert rows == [
        (2, ["Lee, Ann", "line one\nline two\r\nline three", "ann@example.com"]),
        (3, ["Bob", 'He said "hi"', "bob@example.com"]),
        (4, ["Cy", "", "cy@example.com"]),
    ]


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "A,B\n\nx,1\n,\n  ,\t\ny,2\n\n"
    _info, rows = read_all(write(tmp_path, text))
    assert rows == [(3, ["x", "1"]), (6, ["y", "2"])]


def test_ragged_rows_are_padded_or_keep_their_extra_cells(tmp_path: Path) -> None:
    text = "A,B,C\nshort\nlong,1,2,extra,,\nwide,1,2,,,\n"
    _info, rows = read_all(write(tmp_path, text))
    assert rows == [
        (2, ["short", "", ""]),
        (3, ["long", "1", "2", "extra"]),
        (4, ["wide", "1", "2"]),
    ]


def test_cells_keep_their_whitespace_but_headers_are_stripped(tmp_path: Path) -> None:
    info, rows = read_all(write(tmp_path, " First , Email \n  Ann , a@x.io \n"))
    assert info.headers == ["First", "Email"]
    assert rows == [(2, ["  Ann ", " a@x.io "])]


def test_blank_header_cells_are_named_for_their_column(tmp_path: Path) -> None:
    info, rows = read_all(write(tmp_path, "First,,Email,,\nAnn,x,a@x.io,,\n"))
    assert info.headers == ["First", "Column B", "Email"]
    assert rows == [(2, ["Ann", "x", "a@x.io"])]


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_endings(tmp_path: Path, newline: str) -> None:
    text = newline.join(["A,B", "1,2", '"x', 'y",3', ""])
    _info, rows = read_all(write(tmp_path, text))
    assert rows == [(2, ["1", "2"]), (3, [f"x{newline}y", "3"])]


def test_header_after_blank_lines(tmp_path: Path) -> None:
    info, rows = read_all(write(tmp_path, "\n\nA,B\n1,2\n"))
    assert info.header_row == 3
    assert rows == [(4, ["1", "2"])]


def test_rebuilt_table_info_reads_the_same_rows(tmp_path: Path) -> None:
    # The import stores format, encoding, delimiter, sheet and headers, not where the header was.
    path = write(tmp_path, "sep=;\n\nA;B\n1;2\n", "utf-16")
    info = inspect(path)
    rebuilt = TableInfo(
        format=info.format,
        encoding=info.encoding,
        delimiter=info.delimiter,
        sheet=info.sheet,
        headers=list(info.headers),
    )
    assert list(read_rows(path, rebuilt)) == list(read_rows(path, info)) == [(4, ["1", "2"])]


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    info, rows = read_all(write(tmp_path, "First name,Last name,Email\r\n"))
    assert info.headers == ["First name", "Last name", "Email"]
    assert rows == []


def test_unclosed_quote_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, 'A,B\n1,2\n"open,' + "x" * 200_000 + "\n")
    with pytest.raises(ImportFileError, match=r"^Row 3 cannot be read as CSV") as caught:
        list(read_rows(path, inspect(path)))
    assert caught.value.row == 3


_cell = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\r\n\t"), max_size=12
)


_one_line_cell = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t"), max_size=12
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(2, 4),
    data=st.data(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\r\n", "\n", "\r"]),
    block=st.integers(1, 64),
)
def test_any_text_round_trips(
    width: int, data: st.DataObject, encoding: str, delimiter: str, newline: str, block: int
) -> None:
    # Quoted line breaks other than the file's own are not quoted by csv.writer: keep them out.
    cell = _cell if newline == "\r\n" else _one_line_cell
    rows = data.draw(
        st.lists(
            st.lists(cell, min_size=width, max_size=width).filter(
                lambda r: bool("".join(r).strip())
            ),
            max_size=6,
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow([f"h{i}" for i in range(width)])
    writer.writerows(rows)
    payload = out.getvalue().encode(encoding)
    if encoding == "utf-16-be":
        payload = codecs_bom_be() + payload
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock.patch.object(reader, "BLOCK_BYTES", block),
        mock.patch.object(reader, "SAMPLE_BYTES", 256),
    ):
        path = Path(tmp) / "up"
        path.write_bytes(payload)
        info, got = read_all(path)
    assert info.delimiter == delimiter
    assert info.headers == [f"h{i}" for i in range(width)]
    assert got == [(number, row) for number, row in enumerate(rows, start=2)]


def codecs_bom_be() -> bytes:
    return "\ufeff".encode("utf-16-be")


# --- not a table ----------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"^The file is empty"):
        inspect(write(tmp_path, b""))


def test_file_of_blank_lines_has_no_header_row(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"^The file has no header row"):
        inspect(write(tmp_path, "\r\n \r\n,,\r\n"))


def test_png_is_refused(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
    with pytest.raises(ImportFileError, match=r"^The file is a PNG image, not CSV or XLSX"):
        inspect(write(tmp_path, png, name="people.csv"))


def test_binary_data_is_refused(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 8
    with pytest.raises(ImportFileError, match=r"^The file is not CSV or XLSX"):
        inspect(write(tmp_path, blob))


def test_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ImportFileError, match=r"^The file is not CSV or XLSX"):
        inspect(path)


def test_ole_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    blob = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    with pytest.raises(ImportFileError, match=r"^The file is not CSV or XLSX"):
        inspect(write(tmp_path, blob, name="people.xls"))


def test_a_sheet_cannot_be_chosen_in_a_csv(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="CSV, which has no sheets"):
        inspect(write(tmp_path, PEOPLE), sheet="Users")
    assert inspect(write(tmp_path, PEOPLE), sheet=" ").sheet is None  # a blank form field


def test_unreadable_header_row_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"^Row 1 cannot be read as CSV"):
        inspect(write(tmp_path, '"Email' + "x" * 140_000 + "\n"))


# --- workbooks ------------------------------------------------------------------------------------


def test_xlsx_first_sheet_is_read(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        {
            "Users": {"A1": "First name", "B1": "Email", "A2": "Zoë", "B2": "zoe@example.com"},
            "Sheet2": {"A1": "Other"},
        },
    )
    info, rows = read_all(path)
    assert (info.format, info.encoding, info.delimiter) == ("xlsx", None, None)
    assert (info.sheet, info.sheets) == ("Users", ["Users", "Sheet2"])
    assert info.headers == ["First name", "Email"]
    assert rows == [(2, ["Zoë", "zoe@example.com"])]


def test_xlsx_named_sheet_is_read(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Notes": {"A1": "x"}, "People": {"A1": "Email", "A2": "a@x.io"}})
    assert read_all(path, sheet="People")[1] == [(2, ["a@x.io"])]
    assert inspect(path, sheet=" people ").sheet == "People"


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Users": {"A1": "Email"}, "Sheet2": {"A1": "x"}})
    with pytest.raises(
        ImportFileError, match=r"^Sheet 'X' not found; the workbook has: Users, Sheet2"
    ):
        inspect(path, sheet="X")


def test_xlsx_hidden_first_sheet_is_passed_over(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Lookup"
    book.active["A1"] = "codes"
    book.active.sheet_state = "hidden"
    book.create_sheet("Users")["A1"] = "Email"
    path = tmp_path / "up.xlsx"
    book.save(path)
    assert inspect(path).sheet == "Users"


def test_xlsx_cells_become_text(tmp_path: Path) -> None:
    cells = {
        "A1": "Phone",
        "B1": "Mobile",
        "C1": "Birthday",
        "D1": "Registered",
        "E1": "Midnight",
        "F1": "Active",
        "G1": "Share",
        "H1": "Ratio",
        "I1": "At",
        "J1": 2024,
        "A2": 4915112345678,
        "B2": 4915112345678.0,
        "C2": date(1990, 5, 17),
        "D2": datetime(2024, 1, 2, 3, 4, 5),
        "E2": datetime(2001, 2, 3),
        "F2": True,
        "G2": 0.1 + 0.2,
        "H2": 1234.5,
        "I2": time(9, 30),
        "J2": None,
        "K2": "  spaced  ",
    }
    info, rows = read_all(workbook(tmp_path, {"Users": cells}))
    assert info.headers[-1] == "2024"
    assert rows == [
        (
            2,
            [
                "4915112345678",
                "4915112345678",
                "1990-05-17",
                "2024-01-02T03:04:05",
                "2001-02-03",
                "true",
                "0.3",
                "1234.5",
                "09:30:00",
                "",
                "  spaced  ",
            ],
        )
    ]


def test_xlsx_rows_are_numbered_as_the_sheet_shows_them(tmp_path: Path) -> None:
    cells = {"B3": "First", "C3": "Email", "B4": "Ann", "C4": "a@x.io", "B6": "Bob", "D6": "extra"}
    info, rows = read_all(workbook(tmp_path, {"Users": cells}))
    assert info.header_row == 3
    assert info.headers == ["Column A", "First", "Email"]  # letters stay those Excel shows
    assert rows == [(4, ["", "Ann", "a@x.io"]), (6, ["", "Bob", "", "extra"])]


def test_xlsx_empty_sheet_has_no_header_row(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Users": {}, "Other": {"A1": "x"}})
    with pytest.raises(ImportFileError, match=r"^The file has no header row: sheet 'Users'"):
        inspect(path)


def test_xlsx_is_told_by_content_not_by_name(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Users": {"A1": "Email", "A2": "a@x.io"}}, name="people.csv")
    info, rows = read_all(path)
    assert info.format == "xlsx"
    assert rows == [(2, ["a@x.io"])]


def test_xlsx_rebuilt_table_info_reads_the_same_rows(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"A": {"A1": "x"}, "B": {"A2": "Email", "A3": "a@x.io"}})
    info = inspect(path, sheet="B")
    rebuilt = TableInfo(format="xlsx", encoding=None, delimiter=None, sheet="B", headers=["Email"])
    assert list(read_rows(path, rebuilt)) == list(read_rows(path, info)) == [(3, ["a@x.io"])]


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def _ods_cell(value: str, number: bool = False) -> str:
    kind = (
        f'office:value-type="float" office:value="{value}"'
        if number
        else ('office:value-type="string"')
    )
    return f"<table:table-cell {kind}><text:p>{value}</text:p></table:table-cell>"


def test_ods_workbook_is_read_too(tmp_path: Path) -> None:
    rows = [
        "<table:table-row>" + _ods_cell("Email") + _ods_cell("Phone") + "</table:table-row>",
        "<table:table-row>"
        + _ods_cell("a@x.io")
        + _ods_cell("4915112345678", number=True)
        + "</table:table-row>",
    ]
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Users">'
        + "".join(rows)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "people.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
    info, got = read_all(path)
    assert (info.format, info.sheet, info.headers) == ("xlsx", "Users", ["Email", "Phone"])
    assert got == [(2, ["a@x.io", "4915112345678"])]
