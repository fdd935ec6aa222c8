"""Spreadsheets out, streamed: CSV and XLSX written as chunks of bytes from rows of text, with
every cell made safe against formula injection (OWASP ASVS 5.0, 1.2.10).

Rows are consumed one at a time and never kept, so the memory an export takes does not grow
with its length: CSV goes out as it is written; XLSX is written row by row to a temporary file
(openpyxl's write-only mode, inline strings, no shared-string table) and then read out in
chunks."""

from __future__ import annotations

import csv
import enum
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress

CHUNK_SIZE = 64 * 1024
# A cell starting with one of these is read as a formula (or as the start of one) by Excel,
# LibreOffice or Google Sheets: ASVS 1.2.10 names = + - @, tab and NUL; CR and LF open a new
# line that a spreadsheet may read as a fresh cell.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0")
QUOTE = "'"
# The control characters XML 1.0 cannot carry (tab, LF and CR it can).
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralize(text: str) -> str:
    """``text`` with a single quote in front when a spreadsheet would read it as a formula.

    A text that already starts with quotes before such a character gets one more, so that
    ``unneutralize`` gives back exactly what was written (an import of an export changes
    nothing)."""
    if not text:
        return text
    if text[0] in FORMULA_TRIGGERS or (
        text[0] == QUOTE and text.lstrip(QUOTE)[:1] in FORMULA_TRIGGERS
    ):
        return QUOTE + text
    return text


def unneutralize(text: str) -> str:
    """The inverse of ``neutralize``, for reading back a file this module wrote."""
    if text[:1] == QUOTE and text.lstrip(QUOTE)[:1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


class SheetFormat(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"

    @property
    def media_type(self) -> str:
        if self is SheetFormat.csv:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write(
    format: SheetFormat,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    sheet_title: str = "Sheet1",
) -> Iterator[bytes]:
    """The file, as chunks of bytes."""
    if SheetFormat(format) == SheetFormat.csv:
        return write_csv(header, rows)
    return write_xlsx(header, rows, sheet_title=sheet_title)


def write_csv(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF line ends; fields with a comma, quote or line break quoted, quotes
    doubled) in UTF-8 with a byte-order mark, without which Excel reads it as ANSI."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    buffer.write("\ufeff")
    writer.writerow([neutralize(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    sheet_title: str = "Sheet1",
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """An Excel workbook of one sheet, every cell a string (never a formula: openpyxl takes a
    string starting with ``=`` for one, which ``neutralize`` has already prevented)."""
    from openpyxl import Workbook  # a heavy import, only for those who export XLSX
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.freeze_panes = "A2"
    for i, name in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(name) + 4)
    saved = False
    try:
        sheet.append([_xlsx_text(cell) for cell in header])
        for row in rows:
            sheet.append([_xlsx_text(cell) for cell in row])
        # Small workbooks stay in memory; anything larger goes to disk.
        with tempfile.SpooledTemporaryFile(max_size=4 * chunk_size) as out:
            workbook.save(out)
            saved = True
            out.seek(0)
            while chunk := out.read(chunk_size):
                yield chunk
    finally:
        if not saved:
            _discard(sheet)


def _xlsx_text(cell: str) -> str | None:
    # XML 1.0 has no place for most control characters (openpyxl refuses them): they are left
    # out. Empty cells are written as no cell at all.
    text = neutralize(_NOT_IN_XML.sub("", cell))
    return text or None


def _discard(sheet: object) -> None:
    """Remove the temporary file of a sheet whose export was abandoned (the client went away)
    rather than leave it until the process ends."""
    with suppress(Exception):
        sheet.close()  # type: ignore[attr-defined]
    writer = getattr(sheet, "_writer", None)
    path = getattr(writer, "out", None)
    if isinstance(path, str):
        with suppress(Exception):
            writer.cleanup()  # type: ignore[union-attr]
        with suppress(OSError):
            os.remove(path)
