"""Spreadsheet writers: formula-looking cells neutralized (and given back exactly by
``unneutralize``), RFC 4180 CSV, XLSX cells always text, nothing left behind on failure."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.worksheet import _writer as openpyxl_writer

from usher.kit.spreadsheet import neutralize, unneutralize, write_csv, write_xlsx


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0958", "'+44 20 7946 0958"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("\0x", "'\0x"),
        ("'=x", "''=x"),  # so that reading it back gives '=x again
        ("'x", "'x"),
        ("'", "'"),
        ("x=1", "x=1"),
        ("Ada", "Ada"),
        ("", ""),
    ],
)
def test_neutralize(text: str, written: str) -> None:
    assert neutralize(text) == written
    assert unneutralize(written) == text


@given(st.text())
def test_unneutralize_gives_back_what_was_neutralized(text: str) -> None:
    written = neutralize(text)
    assert unneutralize(written) == text
    assert written[:1] not in {"=", "+", "-", "@", "\t", "\r", "\n", "\0"}


def test_csv_follows_rfc_4180() -> None:
    rows = [["a,b", 'say "hi"', "two\nlines", "=SUM(A1)"], ["", "x", "y", "z"]]
    content = b"".join(write_csv(["h1", "h2", "h3", "h4"], rows, chunk_size=8))
    assert (
        content
        == (
            '\ufeffh1,h2,h3,h4\r\n"a,b","say ""hi""","two\nlines",\'=SUM(A1)\r\n,x,y,z\r\n'
        ).encode()
    )
    back = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert back[1] == ["a,b", 'say "hi"', "two\nlines", "'=SUM(A1)"]


def test_csv_comes_in_chunks() -> None:
    rows = ([f"row {i}", "x" * 100] for i in range(2000))
    chunks = list(write_csv(["a", "b"], rows, chunk_size=4096))
    assert len(chunks) > 10
    assert all(len(c) < 4096 + 200 for c in chunks)


def test_xlsx_cells_are_text_never_formulas() -> None:
    rows = [["=1+1", "+1", "1.5", "2024-01-01", "", "bell\x07", "@x"]]
    content = b"".join(write_xlsx(list("abcdefg"), rows, sheet_title="Users"))
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["Users"]
    values = [(c.value, c.data_type) for c in sheet[2]]
    assert values == [
        ("'=1+1", "s"),
        ("'+1", "s"),
        ("1.5", "s"),
        ("2024-01-01", "s"),
        (None, "n"),  # an empty cell
        ("bell", "s"),  # XML cannot carry the control character
        ("'@x", "s"),
    ]


def test_an_abandoned_xlsx_leaves_no_temporary_file() -> None:
    def rows() -> Iterator[list[str]]:
        yield ["one"]
        raise RuntimeError("the database went away")

    before = set(openpyxl_writer.ALL_TEMP_FILES)
    with pytest.raises(RuntimeError):
        b"".join(write_xlsx(["a"], rows()))
    left = set(openpyxl_writer.ALL_TEMP_FILES) - before
    assert not left
    assert not [p for p in left if os.path.exists(p)]
