"""Open an uploaded user file, CSV or a spreadsheet, as a header row and a stream of text rows.

The format is told by the file's first bytes, never by its name. CSV is streamed: the encoding and
the delimiter are decided from the first MiB, then the file is decoded block by block, so memory
stays flat however many rows it has (25 MB and 1 s for 1,000,000 rows). Workbooks (XLSX, and XLS
and ODS too) are read by calamine, which loads the whole sheet into memory before the first row
comes out: for 100,000 rows by 10 columns about 100 MB at the peak and 0.6 s, for 1,000,000 rows
about 1 GB and 7 s, and inspect and read_rows each load it again. The rows are then turned into
text one at a time.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Literal

import python_calamine
from charset_normalizer import from_bytes

SAMPLE_BYTES = 1 << 20  # read to decide the encoding and the delimiter
BLOCK_BYTES = 1 << 16  # decoded at a time while streaming
DELIMITERS = (",", ";", "\t", "|")  # in order of preference when two fit equally well
_SNIFF_RECORDS = 200

_ZIP = b"PK\x03\x04"  # XLSX, ODS (and any other zip, which calamine then refuses)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # XLS, and password-protected XLSX
_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)
_NOT_TEXT = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"\w+")
_SEP_LINE = re.compile(r"sep=(.)\r?\n?$", re.IGNORECASE)  # Excel's delimiter hint line
_PREAMBLE = re.compile(r"version:v?\d", re.IGNORECASE)  # Microsoft Entra bulk templates
_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}

WHAT_TO_UPLOAD = (
    "Upload a CSV file (in Excel: File → Save As → CSV UTF-8) or an Excel workbook (.xlsx)."
)


class ImportFileError(ValueError):
    """The file cannot be read as a table; the message says what is wrong and what to do."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class TableInfo:
    format: Literal["csv", "xlsx"]  # "xlsx" for any workbook calamine reads (XLSX, XLS, ODS)
    encoding: str | None  # csv: "utf-8", "utf-8-sig", "utf-16", "cp1252", ...
    delimiter: str | None  # csv only
    sheet: str | None  # workbook only: the sheet read
    headers: list[str]  # stripped; a blank one is named for its column ("Column C")
    # Where the header was found, as a spreadsheet numbers rows. Informational: read_rows finds
    # the header again by the same rule, so a TableInfo rebuilt without it reads the same rows.
    header_row: int = 1
    sheets: list[str] = field(default_factory=list)  # workbook only: every sheet, in order


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA", as spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inspect(path: Path, *, sheet: str | None = None) -> TableInfo:
    """Tell the file's format, encoding, delimiter or sheet, and read its header row."""
    if sheet is not None and not sheet.strip():
        sheet = None  # a blank sheet field in a form
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
        truncated = bool(handle.read(1))
    if not head:
        raise ImportFileError(f"The file is empty. {WHAT_TO_UPLOAD}")
    if head.startswith((_ZIP, _OLE)):
        return _inspect_workbook(path, sheet)
    for magic, what in _NOT_TEXT:
        if head.startswith(magic):
            raise ImportFileError(f"The file is {what}, not CSV or XLSX. {WHAT_TO_UPLOAD}")
    if sheet is not None:
        raise ImportFileError(
            f"The file is CSV, which has no sheets, so sheet {sheet!r} cannot be chosen. "
            "Upload it without naming a sheet."
        )
    encoding = _detect_encoding(head, truncated)
    codec, skip = _codec(encoding, head)
    text = codecs.getincrementaldecoder(codec)("replace").decode(head[skip:], not truncated)
    if truncated and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # the last line may be cut short
    if len(_CONTROL.findall(text, 0, 65536)) > 8:
        raise ImportFileError(
            f"The file is not CSV or XLSX: it holds binary data. {WHAT_TO_UPLOAD}"
        )
    delimiter = _detect_delimiter(text, truncated)
    records = _records(text, delimiter, truncated)
    found = _find_header(iter(records))
    if found is None and _unreadable(text, delimiter):
        raise ImportFileError(
            'Row 1 cannot be read as CSV: a quote (") that opens a cell must close it too.',
            row=1,
        )
    if found is None:
        raise ImportFileError(f"The file has no header row: it holds no text. {WHAT_TO_UPLOAD}")
    header_row, cells = found
    return TableInfo(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        sheet=None,
        headers=_headers(cells),
        header_row=header_row,
    )


def read_rows(path: Path, info: TableInfo) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells) for each data row; see the module docstring.

    The row number is the row as a spreadsheet shows it (the header is row 1 when nothing comes
    before it); a CSV record counts once however many lines its quoted cells span. The cells are
    text, as many as there are headers: a short row is padded with "", a long row keeps its extra
    cells (trailing empty ones dropped). Rows whose cells are all blank are skipped, but counted.
    """
    if info.format == "csv":
        return _csv_rows(path, info)
    return _workbook_rows(path, info)


# --- CSV ------------------------------------------------------------------------------------------


def _detect_encoding(head: bytes, truncated: bool) -> str:
    for bom, name, _codec_name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" in head:  # no CSV holds NUL, but UTF-16 text is full of them
        return _utf16_without_bom(head)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, not truncated)
    except UnicodeDecodeError:
        if _mostly_utf8(head):
            return "utf-8"  # a few bad bytes in UTF-8 text: reading reports the row they are in
        return _legacy_encoding(head, truncated)
    return "utf-8"  # ASCII too: a later byte that is not UTF-8 is then read as Windows-1252


def _mostly_utf8(head: bytes) -> bool:
    # Windows-1252 text almost never holds a valid UTF-8 sequence: each accent is a bad byte.
    text = head.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    return sum(not ch.isascii() for ch in text) - bad >= bad


def _utf16_without_bom(head: bytes) -> str:
    half = len(head) // 2 or 1
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > half * 0.3 and even < half * 0.02:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.02:
        return "utf-16-be"
    best = from_bytes(head[: len(head) // 4 * 4]).best()
    if best is not None and best.encoding.startswith(("utf_16", "utf_32")):
        return codecs.lookup(best.encoding).name
    raise ImportFileError(f"The file is not CSV or XLSX: it holds binary data. {WHAT_TO_UPLOAD}")


def _legacy_encoding(head: bytes, truncated: bool) -> str:
    """Windows-1252 for Western text, else what charset-normalizer makes of it.

    charset-normalizer alone often names a neighbour of Windows-1252 (cp1250, cp437) for a
    few accented names, and those read "é" or "€" wrongly. Text whose non-ASCII letters sit
    inside mostly ASCII words is Western; Cyrillic, Greek or CJK bytes read as Windows-1252
    come out as words made of nothing but accented letters.
    """
    if truncated and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    try:
        western = head.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and _looks_western(western):
        return "cp1252"
    best = from_bytes(head).best()
    if best is not None:
        return codecs.lookup(best.encoding).name
    if western is not None:
        return "cp1252"
    return "latin-1"


def _looks_western(text: str) -> bool:
    foreign = total = 0
    for match in _WORD.finditer(text):
        word = match.group()
        if not word.isascii():
            foreign += sum(ch > "\x7f" for ch in word)
            total += len(word)
            if total > 20_000:
                break
    return foreign <= total / 2


def _codec(encoding: str | None, head: bytes) -> tuple[str, int]:
    """The codec that decodes the bytes after the byte-order mark, and the mark's length."""
    name = (encoding or "utf-8").lower()
    for bom, label, codec_name in _BOMS:
        if label == name and head.startswith(bom):
            return codec_name, len(bom)
    if name == "utf-8-sig":
        return "utf-8", 0
    return name, 0


def _label(encoding: str) -> str:
    if encoding.startswith("utf-16"):
        return "UTF-16"
    if encoding.startswith("utf-32"):
        return "UTF-32"
    return _LABELS.get(encoding, encoding)


def _detect_delimiter(text: str, truncated: bool) -> str:
    first = text[: text.find("\n") + 1] if "\n" in text else text
    hint = _SEP_LINE.match(first)
    if hint:
        return hint.group(1)
    best, best_score = DELIMITERS[0], (0.0, 0)
    for delimiter in DELIMITERS:
        records = _records(text, delimiter, truncated)
        found = _find_header(iter(records))
        if found is None:
            continue
        counts = [len(r) for r in records[found[0] - 1 :] if "".join(r).strip()]
        if counts[0] < 2:
            continue
        width, rest = counts[0], counts[1:]
        fit = sum(c == width for c in rest) / len(rest) if rest else 1.0
        score = (fit, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(text: str, delimiter: str, truncated: bool) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        records.extend(islice(reader, _SNIFF_RECORDS))
    except csv.Error:
        return records  # read_rows reports the row that cannot be read
    if truncated and len(records) < _SNIFF_RECORDS and len(records) > 1:
        records.pop()  # may be cut short at the end of the sample
    return records


def _unreadable(text: str, delimiter: str) -> bool:
    try:
        for _record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            pass
    except csv.Error:
        return True
    return False


def _find_header(records: Iterator[list[str]]) -> tuple[int, list[str]] | None:
    """The first row that is not blank, skipping Excel's "sep=;" and Entra's "version:v1.0".

    Consumes the records up to the header only, so the caller reads on from the first data row.
    """
    for number, cells in enumerate(records, start=1):
        filled = [c.strip() for c in cells if c.strip()]
        if not filled:
            continue
        if (
            len(filled) <= 2
            and number == 1
            and (_SEP_LINE.match(",".join(cells)) or _PREAMBLE.match(filled[0]))
        ):
            continue
        return number, cells
    return None


def _headers(cells: list[str]) -> list[str]:
    names = [c.strip().strip("\ufeff\u200b").strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    return [name or f"Column {column_letter(i)}" for i, name in enumerate(names)]


class _Undecodable(Exception):
    def __init__(self, line: int, byte: int) -> None:
        super().__init__(line, byte)
        self.line = line
        self.byte = byte


def _lines(raw: BinaryIO, codec: str) -> Iterator[str]:
    """Decoded lines, each with its line break, for csv.reader; decoded a block at a time.

    A byte the codec cannot decode raises _Undecodable, but only once every line before it has
    been handed out, so the caller knows which record it is in. A file decided to be UTF-8 on
    an all-ASCII start switches to Windows-1252 at its first byte that is not UTF-8: the ASCII
    before it reads the same either way.
    """
    decoder = codecs.getincrementaldecoder(codec)("strict")
    may_switch = codec == "utf-8"
    newline = ""
    carry = ""
    line = 1
    while True:
        block = raw.read(BLOCK_BYTES)
        final = not block
        error: UnicodeDecodeError | None = None
        text = ""
        try:
            text = decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            error = exc
        if error is not None and may_switch and error.object[: error.start].isascii():
            codec, decoder = "cp1252", codecs.getincrementaldecoder("cp1252")("strict")
            may_switch = False
            try:
                text, error = decoder.decode(bytes(error.object), final), None
            except UnicodeDecodeError as exc:
                error = exc
        if error is not None:
            sep = newline or "\n"
            before = carry + bytes(error.object[: error.start]).decode(codec, "ignore")
            *complete, _rest = before.split(sep)
            for piece in complete:
                yield piece + sep
            raise _Undecodable(line + len(complete), error.object[error.start])
        if may_switch and not block.isascii():
            may_switch = False
        if not newline:  # "\r" alone (old Mac files) once it is not the half of a "\r\n"
            probe = carry + text
            newline = "\n" if "\n" in probe else "\r" if "\r" in probe[:-1] else ""
        if newline:
            *complete, carry = (carry + text).split(newline)
            line += len(complete)
            for piece in complete:
                yield piece + newline
        else:
            carry += text
        if final:
            if carry:
                yield carry
            return


def _csv_rows(path: Path, info: TableInfo) -> Iterator[tuple[int, list[str]]]:
    width = len(info.headers)
    with path.open("rb") as raw:
        codec, skip = _codec(info.encoding, raw.read(4))
        raw.seek(skip)
        reader = csv.reader(_lines(raw, codec), delimiter=info.delimiter or ",")
        number = 0
        try:
            found = _find_header(reader)
            if found is None:
                return
            number = found[0]
            for cells in reader:
                number += 1
                if not "".join(cells).strip():
                    continue
                yield number, _fit(cells, width)
        except _Undecodable as exc:
            row = number + 1
            label = _label(codec)
            raise ImportFileError(
                f"Row {row} is not valid {label} text (byte 0x{exc.byte:02X} on line {exc.line} "
                f"of the file). Save the file as CSV UTF-8 (in Excel: File → Save As → CSV UTF-8) "
                "and upload it again.",
                row=row,
            ) from None
        except csv.Error as exc:
            row = number + 1
            raise ImportFileError(
                f'Row {row} cannot be read as CSV ({exc}). A quote (") that opens a cell must '
                "close it too; fix the row or save the file again from a spreadsheet.",
                row=row,
            ) from None


def _fit(cells: list[str], width: int) -> list[str]:
    extra = len(cells) - width
    if extra < 0:
        cells.extend([""] * -extra)
    elif extra > 0:
        end = len(cells)
        while end > width and not cells[end - 1].strip():
            end -= 1
        del cells[end:]
    return cells


# --- workbooks ------------------------------------------------------------------------------------


def _open_workbook(path: Path) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(path)
    except python_calamine.PasswordError:
        raise ImportFileError(
            "The workbook is protected by a password. Open it in Excel, remove the password "
            "(File → Info → Protect Workbook), save it and upload it again."
        ) from None
    except python_calamine.CalamineError:
        raise ImportFileError(
            "The file is not CSV or XLSX: it is an archive or an Office file that holds no "
            f"readable workbook. {WHAT_TO_UPLOAD}"
        ) from None


def _choose_sheet(workbook: python_calamine.CalamineWorkbook, sheet: str | None) -> str:
    names = list(workbook.sheet_names)
    if not names:
        raise ImportFileError(f"The workbook has no sheets. {WHAT_TO_UPLOAD}")
    if sheet is None:
        for meta in workbook.sheets_metadata:
            visible = meta.visible == python_calamine.SheetVisibleEnum.Visible
            if visible and meta.typ == python_calamine.SheetTypeEnum.WorkSheet:
                return meta.name
        return names[0]
    if sheet in names:
        return sheet
    folded = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise ImportFileError(f"Sheet {sheet!r} not found; the workbook has: {', '.join(names)}.")


def _sheet_rows(workbook: python_calamine.CalamineWorkbook, name: str) -> Iterator[list[str]]:
    """Every row of the sheet from row 1, each cell as text, column A first."""
    try:
        sheet = workbook.get_sheet_by_name(name)
    except python_calamine.CalamineError as exc:
        raise ImportFileError(f"Sheet {name!r} cannot be read ({exc}). {WHAT_TO_UPLOAD}") from None
    start = sheet.start
    # calamine starts rows at row 1 but columns at the first one used; pad to column A.
    pad = [""] * (start[1] if start else 0)
    for row in sheet.iter_rows():
        yield pad + [v if type(v) is str else _cell_text(v) for v in row]


def _inspect_workbook(path: Path, sheet: str | None) -> TableInfo:
    workbook = _open_workbook(path)
    try:
        name = _choose_sheet(workbook, sheet)
        found = _find_header(_sheet_rows(workbook, name))
        sheets = list(workbook.sheet_names)
    finally:
        workbook.close()
    if found is None:
        raise ImportFileError(
            f"The file has no header row: sheet {name!r} is empty. Put the column names in the "
            "first row, or choose another sheet."
        )
    header_row, cells = found
    return TableInfo(
        format="xlsx",
        encoding=None,
        delimiter=None,
        sheet=name,
        headers=_headers(cells),
        header_row=header_row,
        sheets=sheets,
    )


def _workbook_rows(path: Path, info: TableInfo) -> Iterator[tuple[int, list[str]]]:
    width = len(info.headers)
    workbook = _open_workbook(path)
    try:
        name = _choose_sheet(workbook, info.sheet)
        rows = _sheet_rows(workbook, name)
        found = _find_header(rows)
        if found is None:
            return
        number = found[0]
        for cells in rows:
            number += 1
            if not "".join(cells).strip():
                continue
            yield number, _fit(cells, width)
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A workbook cell as the text a person sees, not as Python would print it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))  # a phone typed as a number: 4915112345678, not 4.9e12
        text = f"{value:.15g}"  # Excel's precision: 0.1 + 0.2 shows as 0.3
        return text if "e" not in text else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)
