"""Spreadsheets in and out, row by row: reading CSV and XLSX files for imports, writing them as a
stream for exports. Neither direction ever holds a whole file in memory.

Reading gives every row as text cells, numbered the way the spreadsheet numbers its rows (the
header is row 1), whatever the format: that is the line a person looks for when an import says
"line 5012, column Amount". A CSV's text encoding is detected: UTF-8 with or without a byte
order mark, UTF-16 with one (Excel's "Unicode text"), and GB18030, the superset of GBK that
Chinese Excel writes by default. Its delimiter is told from the header line.

The readers are synchronous (csv and openpyxl are); callers run them in a worker thread a
chunk of rows at a time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from tack.files.sniff import CSV, TEXT, TSV, XLSX

MAX_COLUMNS = 500
HEAD = 64 * 1024  # bytes read to tell the encoding and the delimiter
XLSX_MAX_UNPACKED = 1024**3  # a workbook that unpacks to more than this is refused (a zip bomb)
XLSX_CELL_LIMIT = 32_767  # Excel shows no more characters in a cell
TEXT_TYPES = frozenset({CSV, TSV, TEXT})


class SheetError(Exception):
    """The file as a whole cannot be read (or stops being readable at `line`)."""

    def __init__(self, message: str, rule: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.rule, self.line = message, rule, line


def format_of(content_type: str, name: str) -> str:
    """`csv` or `xlsx` for a file the store sniffed; SheetError for anything else."""
    if content_type == XLSX:
        return "xlsx"
    if content_type in TEXT_TYPES:
        return "csv"
    raise SheetError(f"Import a CSV or an Excel workbook (.xlsx); this file is {content_type}"
                     + (" (save it as .xlsx in Excel first)." if name.lower().endswith(".xls") else "."),
                     "file-type")


@dataclass
class Row:
    line: int  # as the spreadsheet numbers it: the header is 1
    cells: list[str]
    problem: str | None = None  # the line cannot be read right (bytes not in the file's encoding)


@dataclass
class Sheet:
    """An open spreadsheet: its header, then its rows, once, in order."""

    header: list[str]
    rows: Iterator[Row]
    encoding: str | None = None
    delimiter: str | None = None
    total_hint: int | None = None  # rows under the header, when the file says so up front
    _closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for c in self._closers:
            c.close()


def open_sheet(path: Path, fmt: str, *, sheet_name: str | None = None) -> Sheet:
    return _open_csv(path) if fmt == "csv" else _open_xlsx(path, sheet_name)


def take(rows: Iterator[Row], n: int) -> list[Row]:
    """The next `n` rows that hold anything (blank rows are skipped, their numbers kept)."""
    out: list[Row] = []
    for row in rows:
        if any(c for c in row.cells):
            out.append(row)
            if len(out) >= n:
                break
    return out


# -- CSV ---------------------------------------------------------------------------------------

def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            # Incremental, not final: the head may end inside a character.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise SheetError("The file is not text in an encoding Tack reads (UTF-8, UTF-16, GBK or GB18030); "
                     "save it as \"CSV UTF-8\".", "encoding", line=1)


def detect_delimiter(first_line: str) -> str:
    """The delimiter the header line uses most, outside quotes: comma, semicolon (Excel in much
    of Europe), tab or bar. A single column has none: comma."""
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: outside.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_csv(path: Path) -> Sheet:
    raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by Sheet.close
    try:
        head = raw.read(HEAD)
        encoding = detect_encoding(head)
        raw.seek(0)
        # Bytes not in the encoding become lone surrogates, so the one line holding them is
        # reported (and the rest of the file still read), rather than the whole file refused.
        text = io.TextIOWrapper(raw, encoding=encoding, newline="", errors="surrogateescape")
        first = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
        delimiter = detect_delimiter(first.lstrip("\ufeff").splitlines()[0] if first.strip() else "")
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        rows = _csv_rows(reader, encoding)
        header = _header(rows)
    except BaseException:
        raw.close()
        raise
    return Sheet(header=header, rows=rows, encoding=encoding, delimiter=delimiter, _closers=[text])


_UNDECODED = re.compile(r"[\udc80-\udcff]")


def _csv_rows(reader: Any, encoding: str) -> Iterator[Row]:
    line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SheetError(f"Line {line + 1} is broken and the file cannot be read past it: {exc} (a quote "
                             "that does not close?).", "broken-line", line=line + 1) from None
        line += 1
        if any(_UNDECODED.search(c) for c in cells):
            yield Row(line, [_UNDECODED.sub("\ufffd", c).strip() for c in cells],
                      problem=f"This line is not {encoding} text like the rest of the file; save the whole file "
                              "in one encoding (\"CSV UTF-8\" is best).")
            continue
        yield Row(line, [c.strip() for c in cells])


def _header(rows: Iterator[Row]) -> list[str]:
    first = next(rows, None)
    while first is not None and not any(first.cells):  # blank lines above the header
        first = next(rows, None)
    if first is None:
        raise SheetError("The file is empty.", "empty")
    header = [h.lstrip("\ufeff").strip() for h in first.cells]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise SheetError(f"The file has {len(header)} columns; at most {MAX_COLUMNS} can be imported.",
                         "max-columns", line=1)
    return header


# -- XLSX --------------------------------------------------------------------------------------

def _open_xlsx(path: Path, sheet_name: str | None) -> Sheet:
    try:
        with zipfile.ZipFile(path) as z:
            if sum(i.file_size for i in z.infolist()) > XLSX_MAX_UNPACKED:
                raise SheetError("The workbook unpacks to more than 1 GiB; it cannot be imported.", "max-size")
    except zipfile.BadZipFile:
        raise SheetError("The file is not a valid Excel workbook (.xlsx).", "file-type") from None
    import openpyxl  # only imports need it

    # A file object, not the path: openpyxl judges a path by its extension, and the file
    # store's copies have none.
    f = open(path, "rb")  # noqa: SIM115 - closed by Sheet.close
    try:
        wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged workbook
        f.close()
        raise SheetError("The file is not a valid Excel workbook (.xlsx).", "file-type") from None
    try:
        if sheet_name is not None:
            if sheet_name not in wb.sheetnames:
                raise SheetError(f"The workbook has no sheet {sheet_name!r} (it has {', '.join(wb.sheetnames)}).",
                                 "sheet")
            ws = wb[sheet_name]
        else:
            ws = wb.worksheets[0]
        rows = _xlsx_rows(ws)
        header = _header(rows)
        max_row = ws.max_row if isinstance(ws.max_row, int) else None
    except SheetError:
        wb.close()
        f.close()
        raise
    except Exception:
        wb.close()
        f.close()
        raise SheetError("The workbook's sheet could not be read.", "file-type") from None
    return Sheet(header=header, rows=rows, total_hint=max(max_row - 1, 0) if max_row else None, _closers=[wb, f])


def _xlsx_rows(ws: Any) -> Iterator[Row]:
    line = 0
    try:
        for cells in ws.iter_rows():
            line += 1
            yield Row(line, [_xlsx_text(c) for c in cells[:MAX_COLUMNS + 50]])
    except SheetError:
        raise
    except Exception:
        raise SheetError(f"The workbook is damaged at row {line + 1}.", "broken-line", line=line + 1) from None


def _xlsx_text(cell: Any) -> str:
    """A cell as the person sees it, as text: 12.5 % rather than 0.125, dates as ISO dates."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | float):
        if "%" in (getattr(cell, "number_format", None) or ""):
            return _number(value * 100) + "%"
        return _number(value)
    return str(value).strip()


def _number(value: float | int) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(round(value, 10))
    return str(value)


# -- writing -----------------------------------------------------------------------------------

Cell = str | int | float


class Percent(float):
    """A fraction a workbook shows as a percentage (0.125 as 12.50%)."""

    __slots__ = ()


class Plain(str):
    """Text written as it is, never defused: a number's text ("-3.50" is no formula)."""

    __slots__ = ()


class CsvWriter:
    """CSV in UTF-8 with a byte order mark (so Excel, Chinese Excel included, opens it right).

    Text that starts like a formula (`=`, `+`, `-`, `@`) is written after an apostrophe, so a
    spreadsheet shows it and never runs it (CSV injection); imports take the apostrophe off."""

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\r\n")
        self._started = False

    def rows(self, rows: list[list[Cell]]) -> bytes:
        for row in rows:
            self._writer.writerow([defuse(c) if isinstance(c, str) and not isinstance(c, Plain) else c
                                   for c in row])
        data = self._buf.getvalue().encode("utf-8")
        self._buf.seek(0)
        self._buf.truncate()
        if not self._started:
            self._started = True
            data = codecs.BOM_UTF8 + data
        return data

    def finish(self) -> bytes:
        return codecs.BOM_UTF8 if not self._started else b""


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def undefuse(text: str) -> str:
    """A cell written by `defuse`, as it was."""
    return text[1:] if text.startswith("'") and text[1:2] in _FORMULA_START and text[1:2] else text


class _Sink:
    """A write-only file for zipfile: what is written waits here until the stream takes it."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes) -> int:
        self.buf += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = bytes(self.buf)
        self.buf.clear()
        return out


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        '</Relationships>'),
    # Style 0: plain; 1: the header, bold; 2: a percentage (built-in format 10, 0.00%).
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet {_NS}>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>'),
}


def _column_letters(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_title(name: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return " ".join(re.sub(r"[\[\]:*?/\\]", " ", name).split())[:31] or "Records"


class XlsxWriter:
    """An XLSX workbook of one sheet, written as a stream: the rows go through a deflating zip
    writer as they come (a zip with data descriptors needs no seeking), so memory stays the
    same for ten rows or a million. Text is written as inline strings, numbers as numbers; the
    header row is bold and frozen."""

    def __init__(self, title: str) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", compression=zipfile.ZIP_DEFLATED)  # type: ignore[arg-type]
        for name, xml in _STATIC.items():
            self._zip.writestr(name, xml)
        self._zip.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {_NS} xmlns:r="{_REL}">'
            f'<sheets><sheet name="{escape(sheet_title(title), {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>'))
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._sheet.write((
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS}>'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews><sheetData>').encode())
        self._line = 0
        self._letters: list[str] = []

    def rows(self, rows: list[list[Cell]]) -> bytes:
        parts: list[str] = []
        for row in rows:
            self._line += 1
            r = self._line
            style = ' s="1"' if r == 1 else ""
            while len(self._letters) < len(row):
                self._letters.append(_column_letters(len(self._letters)))
            parts.append(f'<row r="{r}">')
            for i, value in enumerate(row):
                ref = f"{self._letters[i]}{r}"
                if isinstance(value, bool) or value is None or value == "":
                    continue
                if isinstance(value, Percent):
                    parts.append(f'<c r="{ref}" s="2"><v>{float(value)!r}</v></c>')
                elif isinstance(value, int | float):
                    parts.append(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
                else:
                    text = escape(_ILLEGAL_XML.sub("", value[:XLSX_CELL_LIMIT]))
                    parts.append(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
            parts.append("</row>")
        self._sheet.write("".join(parts).encode())
        return self._sink.take()

    def finish(self) -> bytes:
        self._sheet.write(b"</sheetData></worksheet>")
        self._sheet.close()
        self._zip.close()
        return self._sink.take()
