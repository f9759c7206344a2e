"""Reading spreadsheets that people prepared by hand: ``.xlsx`` and delimited text (CSV/TSV).

:func:`read_table` turns the bytes of an uploaded file into a :class:`Table`: a list of named
columns and a list of :class:`RawRow` whose values are all strings (or ``None`` for an empty
cell), each carrying the row number the user sees in Excel. It knows nothing about what the
columns mean; :mod:`gridgov.integration.columns` validates and converts the values.

What it handles (see ``docs/tabular-import.md``):

* formats by content first, extension second: ``.xlsx``/``.xlsm`` (openpyxl, read-only,
  cached values of formulas), CSV/TSV/TXT with the delimiter sniffed among ``, ; TAB |``;
  legacy ``.xls``, HTML saved as ``.xls``, ODS, encrypted workbooks, PDFs, images, archives
  and other binaries are refused with a Chinese reason;
* text encodings: UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030; a file that is
  neither (or that mixes UTF-8 with GBK) is refused naming the byte offset and line;
* header detection: title rows and blank rows above the header are skipped; the header is the
  first row whose names match enough of the expected column names; headers of two or three rows
  made with merged cells become ``上级-下级`` names (``户籍地址-省``); whitespace, full-width
  spaces, newlines and the ``*`` required marker are removed from names; duplicate names are
  refused;
* values: numbers without a spurious ``.0``; dates and times as ISO strings; whitespace and
  full-width spaces stripped; numbers of more than 15 digits (Excel keeps only 15 significant
  digits, so an 18-digit ID typed as a number has already lost its tail) and scientific-notation
  text such as ``2.11021E+17`` are *flagged* on the row (:attr:`RawRow.problems`), never guessed;
* vertically merged data cells (a community name merged over its residents' rows) are filled
  into every row they cover;
* limits on file size, rows and columns, with clear refusals.

Every refusal is a :class:`TableError` with a Chinese ``message`` and a machine ``code``.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from gridgov.errors import Invalid

__all__ = [
    "DELIMITERS", "HEADER_SCAN_ROWS", "MAX_BYTES", "MAX_COLUMNS", "MAX_HEADER_ROWS", "MAX_ROWS",
    "RawRow", "Table", "TableError", "clean_header", "clean_value", "column_letter", "header_key",
    "read_table",
]

#: Default limit on the size of an uploaded file.
MAX_BYTES = 50 * 1024 * 1024
#: Default limit on the number of (non-empty) data rows.
MAX_ROWS = 200_000
#: Excel's own column limit (XFD); wider rows are refused.
MAX_COLUMNS = 16_384
#: How many rows from the top are searched for the header.
HEADER_SCAN_ROWS = 30
#: Headers may span at most this many rows.
MAX_HEADER_ROWS = 3
#: Candidate CSV delimiters, in order of preference on a tie.
DELIMITERS = (",", "\t", ";", "|")
#: An ``.xlsx`` may unpack to at most this multiple of ``max_bytes`` (zip-bomb guard).
UNZIPPED_RATIO = 16

XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})
TEXT_EXTENSIONS = frozenset({".csv", ".txt", ".tsv", ""})
LEGACY_EXCEL_EXTENSIONS = frozenset({".xls", ".et", ".xlt"})

_SPREADSHEETML_TYPES = (
    b"spreadsheetml.sheet.main", b"sheet.macroEnabled.main", b"spreadsheetml.template.main",
    b"template.macroEnabled.main",
)
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF 文件"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"{\\rtf", "RTF 文档"),
)
_MARKUP_PREFIXES = ("<!doctype html", "<html", "<table", "<head", "<meta", "<body", "<?xml",
                    "mime-version:", "<style")

_STRIP_RE = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")
_HEADER_SPACE_RE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
_HEADER_MARK_RE = re.compile(r"[（(](?:必填|选填|可选|必填项)[)）]$")
_EXCEL_TEXT_RE = re.compile(r'="(.*)"', re.S)
_APOSTROPHE_RE = re.compile(r"'(\d[\dXx]*)")
_SCIENTIFIC_RE = re.compile(r"[+-]?\d+(?:\.\d+)?[eE]\+?(\d+)")
_MERGE_RE = re.compile(rb'<(?:[A-Za-z0-9_]+:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3}[0-9]{1,7}(?::[A-Za-z]{1,3}[0-9]{1,7})?)"')
_EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                           "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!"})

_LOST_PRECISION = ("该单元格是超过 15 位的数字，Excel 只保留 15 位有效数字，长号码（如身份证号）已丢失末尾几位；"
                   "请把该列设为“文本”格式后重新录入完整内容")
_SCIENTIFIC = ("该单元格为科学计数法（如 2.11021E+17），长号码已丢失精度；"
               "请把该列设为“文本”格式后重新录入完整内容")


class TableError(Invalid):
    """A file cannot be read as a table. ``message`` says why in Chinese; ``code`` is one of
    ``empty_file``, ``too_large``, ``too_many_rows``, ``too_many_columns``,
    ``unsupported_format``, ``corrupt_file``, ``undecodable``, ``malformed_csv``, ``no_sheet``,
    ``no_header``, ``duplicate_header``, ``missing_column``, ``ambiguous_column``."""

    code = "invalid_table"

    def __init__(self, message: str, code: str, *, details: Any = None) -> None:
        status = 413 if code in ("too_large", "too_many_rows", "too_many_columns") else None
        super().__init__(message, code=code, status=status, details=details)

    def __repr__(self) -> str:
        return f"TableError(code={self.code!r}, message={self.message!r})"


@dataclass(slots=True)
class RawRow:
    """One data row as read.

    * ``number`` — the 1-based row number as the user sees it in Excel (for CSV: the record
      number, which is the row Excel shows when it opens the file);
    * ``values`` — header name → cleaned string, ``None`` for an empty cell;
    * ``raw`` — the cell values as the file stored them (numbers, dates, strings), by position;
    * ``problems`` — header name → Chinese reason for cells that could not be read faithfully
      (a long number that lost precision, an Excel error value); key ``""`` holds a problem of
      the row as a whole (content outside the header's columns).
    """

    number: int
    values: dict[str, str | None]
    raw: list[Any]
    problems: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Table:
    """A table read from a file: named columns and data rows, plus how it was read."""

    headers: list[str]
    rows: list[RawRow]
    format: str
    columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1
    header_rows: int = 1
    title_rows: list[str] = field(default_factory=list)
    empty_rows: int = 0
    repeated_header_rows: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def first_data_row(self) -> int:
        return self.header_row + self.header_rows


# --------------------------------------------------------------------------------------------
# Names and values


def column_letter(index: int) -> str:
    """Excel column letters for a 0-based column index (0 → ``A``, 26 → ``AA``)."""
    n, letters = index + 1, ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_EDGE_CHARS = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def clean_value(value: str | None) -> str | None:
    """Strip whitespace, full-width spaces and zero-width characters; ``None`` if nothing is left."""
    if not value:
        return None
    first, last = value[0], value[-1]
    if not (first.isspace() or last.isspace() or first in _EDGE_CHARS or last in _EDGE_CHARS):
        return value
    s = _STRIP_RE.sub("", value)
    return s or None


def clean_header(value: str | None) -> str:
    """A header name as displayed: all whitespace (also full-width spaces and newlines inside the
    name) removed, and the required marker (``*``, ``（必填）``) dropped."""
    if not value:
        return ""
    s = _HEADER_SPACE_RE.sub("", value).strip("*＊")
    s = _HEADER_MARK_RE.sub("", s)
    return s.strip("*＊")


def header_key(value: str | None) -> str:
    """The key headers are matched by: :func:`clean_header`, NFKC (full-width letters and
    brackets to ASCII), case-folded, without a trailing colon."""
    s = unicodedata.normalize("NFKC", clean_header(value)).casefold()
    return clean_header(s).rstrip(":")


def _excel_cell(value: Any, data_type: str) -> tuple[str | None, str | None]:
    """Normalise one openpyxl value to ``(text, problem)``."""
    if value is None:
        return None, None
    if type(value) is str and data_type != "e":
        return clean_value(value), None
    if data_type == "e":
        text = str(value)
        return text, f"单元格为公式错误值 {text}，请修正公式或改为实际内容"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, int):
        text = str(value)
        return text, (_LOST_PRECISION if abs(value) >= 10**15 else None)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value), "单元格不是有效数字"
        if abs(value) >= 1e15:
            return f"{value:.15G}", _LOST_PRECISION
        if value.is_integer():
            return str(int(value)), None
        text = format(value, ".15g")
        if "e" in text:
            text = format(Decimal(text), "f")
        return text, None
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat(), None
        spec = "microseconds" if value.microsecond else "seconds"
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec=spec), None
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, time):
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds"), None
    if isinstance(value, timedelta):
        total = int(value.total_seconds())
        sign, total = ("-", -total) if total < 0 else ("", total)
        return f"{sign}{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}", None
    return clean_value(str(value)), None


def _text_cell(value: str) -> tuple[str | None, str | None]:
    """Normalise one CSV field to ``(text, problem)``."""
    s = clean_value(value)
    if s is None:
        return None, None
    first = s[0]
    if first == "=" and (m := _EXCEL_TEXT_RE.fullmatch(s)):  # ="0123" keeps text in a CSV
        s = clean_value(m.group(1))
        if s is None:
            return None, None
        first = s[0]
    if first == "'" and (m := _APOSTROPHE_RE.fullmatch(s)):  # '211021... typed to keep a long number
        s = m.group(1)
    if ("E" in s or "e" in s) and (m := _SCIENTIFIC_RE.fullmatch(s)) and int(m.group(1)) >= 11:
        return s, _SCIENTIFIC
    return s, None


# --------------------------------------------------------------------------------------------
# The common pipeline: a stream of rows → header detection → data rows


@dataclass(slots=True)
class _Row:
    number: int
    raw: list[Any]
    cells: list[str | None]
    problems: dict[int, str]


@dataclass(frozen=True, slots=True)
class _Merge:
    min_col: int  # 1-based, inclusive
    min_row: int
    max_col: int
    max_row: int


@dataclass(frozen=True, slots=True)
class _Header:
    index: int  # position in the buffer
    rows: int
    names: list[str]


def _header_names(block: list[_Row], merges: list[_Merge] | None) -> list[str]:
    """Column names of a header made of the rows in ``block``.

    With merge information (xlsx), a merged cell's value is spread over the upper header rows
    it covers and down its first column; a column whose bottom header cell is covered by a
    merge starting further left is a visual continuation of that column and gets no name.
    Without it (CSV), an empty upper cell takes the value on its left when both columns have
    something below (how a merged group header looks once flattened to text).
    """
    width = max((len(r.cells) for r in block), default=0)
    if merges:
        first, final = block[0].number, block[-1].number
        width = max([width, *(m.max_col for m in merges if m.min_row <= final and m.max_row >= first)])
    grid = [[clean_header(r.cells[c]) if c < len(r.cells) else "" for c in range(width)] for r in block]
    last = len(block) - 1
    covered: set[int] = set()
    if merges is not None:
        numbers = [r.number for r in block]
        for m in merges:
            if m.max_row < numbers[0] or m.min_row > numbers[-1]:
                continue
            top = grid[numbers.index(m.min_row)][m.min_col - 1] if m.min_row >= numbers[0] and m.min_col <= width else ""
            for i, number in enumerate(numbers):
                if not m.min_row <= number <= m.max_row:
                    continue
                for c in range(m.min_col - 1, min(m.max_col, width)):
                    if i == last and c > m.min_col - 1:
                        covered.add(c)
                    elif not grid[i][c] and (c == m.min_col - 1 or i < last):
                        grid[i][c] = top
    elif len(block) > 1:
        for i in range(last):
            for c in range(1, width):
                below_here = any(grid[j][c] for j in range(i + 1, len(block)))
                below_left = any(grid[j][c - 1] for j in range(i + 1, len(block)))
                if not grid[i][c] and grid[i][c - 1] and below_here and below_left:
                    grid[i][c] = grid[i][c - 1]
    names: list[str] = []
    for c in range(width):
        if c in covered:
            names.append("")
            continue
        parts: list[str] = []
        for i in range(len(block)):
            part = grid[i][c]
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        names.append("-".join(parts))
    while names and not names[-1] and len(names) - 1 not in covered:
        names.pop()
    return names


def _score(names: list[str], expected: frozenset[str]) -> int:
    return len({header_key(n) for n in names if n} & expected)


def _is_empty(row: _Row) -> bool:
    return not any(row.cells)  # cells are None or non-empty strings


def _find_header(buffer: list[_Row], merges: list[_Merge] | None, expected: frozenset[str],
                 header_rows: int | None, header_row: int | None) -> _Header | None:
    if merges and buffer:  # only merges reaching into the rows searched matter here
        merges = [m for m in merges if m.min_row <= buffer[-1].number]
    sizes = (header_rows,) if header_rows else tuple(range(1, MAX_HEADER_ROWS + 1))
    if header_row is not None:
        index = next((i for i, r in enumerate(buffer) if r.number == header_row), None)
        if index is None:
            return None
        k = header_rows or 1
        if expected and not header_rows:  # the caller fixed the position, we may still pick the depth
            k = max(sizes, key=lambda n: (_score(_header_names(buffer[index:index + n], merges), expected), -n))
        return _Header(index, k, _header_names(buffer[index:index + k], merges))
    if not expected:
        candidates = [i for i, r in enumerate(buffer[:HEADER_SCAN_ROWS]) if not _is_empty(r)]
        if not candidates:
            return None
        wide = [i for i in candidates if len({c for c in buffer[i].cells if c is not None}) >= 2]
        index = wide[0] if wide else candidates[0]
        k = header_rows or 1
        return _Header(index, k, _header_names(buffer[index:index + k], merges))
    threshold = min(2, len(expected))
    memo: dict[int, tuple[int, _Header] | None] = {}

    def best_at(i: int) -> tuple[int, _Header] | None:
        if i in memo:
            return memo[i]
        here: tuple[int, _Header] | None = None
        if i >= len(buffer) or _is_empty(buffer[i]):
            memo[i] = None
            return None
        for k in sizes:
            if i + k > len(buffer):
                break
            names = _header_names(buffer[i:i + k], merges)
            score = _score(names, expected)
            if here is None or score > here[0]:
                here = (score, _Header(i, k, names))
        memo[i] = here
        return here

    best: tuple[int, _Header] | None = None
    for i in range(min(HEADER_SCAN_ROWS, len(buffer))):
        here = best_at(i)
        if here is None:
            continue
        if here[1].rows > 1:
            # a title line above a one-row header also "matches" as the top of a two-row header:
            # the header starts at row i only if row i adds matches the rows below lack
            below = best_at(i + 1)
            if below is not None and below[0] >= here[0]:
                continue
        if here[0] >= threshold:
            return here[1]
        if here[0] > 0 and (best is None or here[0] > best[0]):
            best = here
    return best[1] if best else None


def _assemble(stream: Iterator[_Row], *, fmt: str, merges: list[_Merge] | None, expected: frozenset[str],
              header_rows: int | None, header_row: int | None, max_rows: int,
              warnings_: list[str], **meta: Any) -> Table:
    buffer: list[_Row] = []
    limit = max(HEADER_SCAN_ROWS, header_row or 0) + MAX_HEADER_ROWS
    for row in stream:
        buffer.append(row)
        if len(buffer) >= limit:
            break
    if all(_is_empty(r) for r in buffer):
        if any(not _is_empty(r) for r in stream):
            raise TableError(f"前 {limit} 行全部为空，未找到表头；请删除表头上方的空行", "no_header")
        raise TableError("文件中没有任何内容（全部为空行）", "empty_file")
    header = _find_header(buffer, merges, expected, header_rows, header_row)
    if header is None or not any(header.names):
        if header_row is not None:
            raise TableError(f"指定的表头行第 {header_row} 行不存在或为空", "no_header")
        sample = "、".join(sorted(expected)[:6])
        raise TableError(f"未找到表头：前 {HEADER_SCAN_ROWS} 行中没有一行包含预期的列名（如 {sample}）；"
                         "请确认使用的是导入模板，且表头文字未被修改", "no_header")
    names = header.names
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            seen.setdefault(header_key(name), []).append(i)
    dups = [idx for idx in seen.values() if len(idx) > 1]
    if dups:
        text = "；".join(f"“{names[idx[0]]}”出现在第 {'、'.join(column_letter(i) for i in idx)} 列" for idx in dups)
        raise TableError(f"表头重复：{text}；请删除或改名后重新导入", "duplicate_header",
                         details={"duplicates": [names[idx[0]] for idx in dups]})
    headers = [n for n in names if n]
    width = len(names)
    header_numbers = {r.number for r in buffer[header.index:header.index + header.rows]}
    title_rows = []
    for r in buffer[:header.index]:
        texts = list(dict.fromkeys(c for c in r.cells if c is not None))
        if texts:
            title_rows.append(" ".join(texts))

    # vertical merges in the data area: the value of the top cell applies to every row below
    starts: dict[int, list[_Merge]] = {}
    if merges:
        for m in merges:
            if m.max_row > m.min_row:
                starts.setdefault(m.min_row, []).append(m)
    active: list[tuple[_Merge, str | None]] = []
    filled = 0

    keys = [header_key(n) if n else "" for n in names]
    leaf_keys = [header_key(n.rsplit("-", 1)[-1]) if n else "" for n in names]
    named = [i for i, n in enumerate(names) if n]
    first_char = names[named[0]][:1] if named else ""
    rows: list[RawRow] = []
    pending_empty = empty_rows = repeated = 0
    unnamed_with_data: set[int] = set()
    last_header = header.index + header.rows

    def data_rows() -> Iterator[_Row]:
        yield from buffer
        yield from stream

    for row in data_rows():
        if starts:
            for m in starts.get(row.number, ()):
                value = row.cells[m.min_col - 1] if m.min_col <= len(row.cells) else None
                active.append((m, value))
        if row.number in header_numbers or row.number < buffer[last_header - 1].number:
            continue
        if active:
            keep = []
            for m, value in active:
                if row.number > m.max_row:
                    continue
                keep.append((m, value))
                if row.number > m.min_row and value is not None:
                    c = m.min_col - 1
                    if c >= len(row.cells):
                        row.cells.extend([None] * (c + 1 - len(row.cells)))
                    if row.cells[c] is None:
                        row.cells[c] = value
                        filled += 1
            active = keep
        if _is_empty(row):
            pending_empty += 1
            continue
        lead = row.cells[named[0]] if named and named[0] < len(row.cells) else None
        if len(named) >= 2 and lead is not None and first_char in lead and all(
            i < len(row.cells) and row.cells[i] is not None
            and header_key(row.cells[i]) in (keys[i], leaf_keys[i]) for i in named
        ):
            repeated += 1
            continue
        empty_rows += pending_empty
        pending_empty = 0
        if len(rows) >= max_rows:
            raise TableError(f"数据行数超过上限 {max_rows:,} 行，请拆分为多个文件后分别导入", "too_many_rows",
                             details={"max_rows": max_rows})
        cells = row.cells
        values = {names[i]: (cells[i] if i < len(cells) else None) for i in named}
        problems: dict[str, str] = {}
        for i, message in row.problems.items():
            if i < width and names[i]:
                problems[names[i]] = message
        outside = [i for i in range(width, len(cells)) if cells[i] is not None]
        if outside:
            cols = "、".join(column_letter(i) for i in outside[:5]) + ("等" if len(outside) > 5 else "")
            problems[""] = f"第 {cols} 列在表头范围之外却有内容（可能是数据错位），请删除或为该列补充表头"
        for i in range(min(width, len(cells))):
            if not names[i] and cells[i] is not None:
                unnamed_with_data.add(i)
        rows.append(RawRow(row.number, values, row.raw, problems))

    table_warnings = list(warnings_)
    if title_rows:
        table_warnings.append(f"已跳过表头上方的 {len(title_rows)} 行标题或说明：{'；'.join(title_rows)[:200]}")
    if not rows:
        table_warnings.append("文件只有表头，没有数据行")
    if empty_rows:
        table_warnings.append(f"已跳过 {empty_rows} 个空行")
    if repeated:
        table_warnings.append(f"已跳过 {repeated} 个重复的表头行")
    if filled:
        table_warnings.append(f"数据区有纵向合并单元格，已将合并值填充到其覆盖的每一行（共 {filled} 个单元格）")
    if unnamed_with_data:
        cols = "、".join(column_letter(i) for i in sorted(unnamed_with_data))
        table_warnings.append(f"第 {cols} 列没有表头，其中的内容未导入")
    return Table(
        headers=headers, rows=rows, format=fmt, columns=names,
        header_row=buffer[header.index].number, header_rows=header.rows, title_rows=title_rows,
        empty_rows=empty_rows, repeated_header_rows=repeated, warnings=table_warnings, **meta,
    )


# --------------------------------------------------------------------------------------------
# Format detection


def _extension(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _unsupported(message: str) -> TableError:
    return TableError(message, "unsupported_format")


def _sniff_zip(data: bytes) -> tuple[str, zipfile.ZipFile | None]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
    except Exception:  # any damage in an untrusted archive is "corrupt"
        return "corrupt", None
    try:
        if "[Content_Types].xml" in names:
            with zf.open("[Content_Types].xml") as f:
                types = f.read(1 << 20)
            if any(t in types for t in _SPREADSHEETML_TYPES):
                return "xlsx", zf
            if b"wordprocessingml" in types:
                return "docx", zf
            if b"presentationml" in types:
                return "pptx", zf
        if "mimetype" in names:
            with zf.open("mimetype") as f:
                if b"opendocument.spreadsheet" in f.read(200):
                    return "ods", zf
        if "xl/workbook.xml" in names:
            return "xlsx", zf
    except Exception:
        return "corrupt", None
    return "zip", zf


def _looks_like_markup(head: str) -> str | None:
    h = head.lstrip("\ufeff \t\r\n").lower()
    if not h.startswith(_MARKUP_PREFIXES):
        return None
    if h.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" not in h[:4000]:
        return "XML 文件"
    return "网页（HTML）或 XML 电子表格"


# --------------------------------------------------------------------------------------------
# Text (CSV/TSV)


def _offset_line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: BOM first, then strict UTF-8, then GBK, then GB18030."""
    for bom, codec, label in ((codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
                              (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
                              (codecs.BOM_UTF16_BE, "utf-16", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec), label
            except UnicodeDecodeError as e:
                raise TableError(
                    f"文件以 {label.upper()} 标记开头，但在字节偏移 {e.start}（约第 {_offset_line(data, e.start)} 行）"
                    f"处无法按 {label.upper()} 解码；请重新保存为 UTF-8 编码的 CSV",
                    "undecodable", details={"encoding": label, "offset": e.start}) from None
    if b"\x00" in data:
        raise _unsupported("文件含有二进制内容（空字节），不是文本表格；请上传 .xlsx 或 CSV 文件"
                           "（UTF-16 编码的文本需带 BOM）")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e8:
        utf8_error = e8
    prefix = data[:utf8_error.start].decode("utf-8")
    cjk = sum(1 for ch in prefix if "\u4e00" <= ch <= "\u9fff")
    if cjk >= 4:
        line = _offset_line(data, utf8_error.start)
        raise TableError(
            f"文件编码混杂：前面的内容是 UTF-8 编码，但从字节偏移 {utf8_error.start}（约第 {line} 行）起出现了"
            "非 UTF-8（可能是 GBK）内容；请用同一种编码重新保存整个文件",
            "undecodable", details={"utf8_offset": utf8_error.start, "line": line})
    try:
        return data.decode("gbk"), "gbk"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as eg:
        raise TableError(
            f"无法识别文件编码：按 UTF-8 解码在字节偏移 {utf8_error.start}（约第 {_offset_line(data, utf8_error.start)} 行）"
            f"处出错，按 GBK/GB18030 解码在字节偏移 {eg.start}（约第 {_offset_line(data, eg.start)} 行）处出错；"
            "请另存为 UTF-8 或 GBK 编码的 CSV",
            "undecodable", details={"utf8_offset": utf8_error.start, "gb18030_offset": eg.start}) from None


def _csv_reader(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _sniff_delimiter(text: str, expected: frozenset[str]) -> str:
    sample = text[:65536]
    truncated = len(sample) < len(text)
    best: tuple[tuple[int, int, int, int], str] | None = None
    for rank, d in enumerate(DELIMITERS):
        records: list[list[str]] = []
        try:
            for rec in _csv_reader(sample, d):
                records.append(rec)
                if len(records) >= 80:
                    break
        except csv.Error:
            if not records:
                continue
        if truncated and len(records) > 1:
            records = records[:-1]
        records = [r for r in records if any(f.strip() for f in r)]
        widths = Counter(len(r) for r in records if len(r) > 1)
        if widths:
            width, freq = max(widths.items(), key=lambda kv: (kv[1], kv[0]))
        else:
            width, freq = 1, 0
        hscore = 0
        if expected:
            hscore = max((_score([clean_header(f) for f in r], expected) for r in records[:HEADER_SCAN_ROWS]),
                         default=0)
        key = (hscore, freq, width, -rank)
        if best is None or key > best[0]:
            best = (key, d)
    return best[1] if best else ","


def _csv_rows(text: str, delimiter: str) -> Iterator[_Row]:
    reader = _csv_reader(text, delimiter)
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            line = reader.line_num
            if "field larger than field limit" in str(e):
                reason = "有单元格超过 131072 个字符，通常是引号不成对造成的"
            else:
                reason = "引号不成对或引号后紧跟了其他字符"
            raise TableError(f"CSV 格式错误（约第 {line} 行）：{reason}；请检查该行的英文双引号", "malformed_csv",
                             details={"line": line}) from None
        number += 1
        if len(record) > MAX_COLUMNS:
            raise TableError(f"第 {number} 行有 {len(record)} 列，超过上限 {MAX_COLUMNS} 列", "too_many_columns")
        cells: list[str | None] = []
        problems: dict[int, str] = {}
        for i, value in enumerate(record):
            text_value, problem = _text_cell(value)
            cells.append(text_value)
            if problem:
                problems[i] = problem
        yield _Row(number, list(record), cells, problems)


def _read_text(data: bytes, *, expected: frozenset[str], header_rows: int | None, header_row: int | None,
               max_rows: int, warnings_: list[str]) -> Table:
    text, encoding = _decode(data)
    markup = _looks_like_markup(text[:8192])
    if markup:
        raise _unsupported(f"文件内容实为{markup}（常见于系统导出的“伪 Excel”文件），不是表格文件；"
                           "请用 Excel 或 WPS 打开后另存为 .xlsx 或 CSV")
    head = text[:65536]
    controls = sum(1 for ch in head if (ord(ch) < 32 and ch not in "\t\r\n\f\v\x1a") or ch == "\x7f")
    if controls > max(3, len(head) // 100):
        raise _unsupported("文件内容含大量控制字符，不是文本表格；请上传 .xlsx 或 CSV 文件")
    if not text.strip():
        raise TableError("文件中没有任何内容", "empty_file")
    delimiter = _sniff_delimiter(text, expected)
    return _assemble(_csv_rows(text, delimiter), fmt="csv", merges=None, expected=expected,
                     header_rows=header_rows, header_row=header_row, max_rows=max_rows,
                     warnings_=warnings_, encoding=encoding, delimiter=delimiter)


# --------------------------------------------------------------------------------------------
# xlsx


def _sheet_merges(zf: zipfile.ZipFile, path: str) -> list[_Merge]:
    from openpyxl.utils.cell import range_boundaries

    refs: set[bytes] = set()
    tail = b""
    with zf.open(path.lstrip("/")) as f:
        while chunk := f.read(1 << 20):
            block = tail + chunk
            refs.update(_MERGE_RE.findall(block))
            tail = block[-512:]
    merges = []
    for ref in refs:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii"))
        except (ValueError, TypeError):
            continue
        if min_col is None or min_row is None or max_col is None or max_row is None:
            continue
        merges.append(_Merge(min(min_col, max_col), min(min_row, max_row), max(min_col, max_col),
                             max(min_row, max_row)))
    merges.sort(key=lambda m: (m.min_row, m.min_col))
    return merges


def _xlsx_rows(ws: Any, max_row: int | None = None) -> Iterator[_Row]:
    ws.reset_dimensions()
    for number, row in enumerate(ws.iter_rows(min_row=1, max_row=max_row), start=1):
        if len(row) > MAX_COLUMNS:
            raise TableError(f"第 {number} 行有 {len(row)} 列，超过上限 {MAX_COLUMNS} 列", "too_many_columns")
        raw: list[Any] = []
        cells: list[str | None] = []
        problems: dict[int, str] = {}
        for i, cell in enumerate(row):
            value = getattr(cell, "value", None)
            text_value, problem = _excel_cell(value, getattr(cell, "data_type", "n"))
            raw.append(value)
            cells.append(text_value)
            if problem:
                problems[i] = problem
        yield _Row(number, raw, cells, problems)


def _read_xlsx(data: bytes, zf: zipfile.ZipFile, *, sheet: str | None, expected: frozenset[str],
               header_rows: int | None, header_row: int | None, max_rows: int, max_bytes: int,
               warnings_: list[str]) -> Table:
    unzipped = sum(info.file_size for info in zf.infolist())
    if unzipped > UNZIPPED_RATIO * max_bytes:
        raise TableError(f"工作簿解压后过大（{_mb(unzipped)}），超过上限 {_mb(UNZIPPED_RATIO * max_bytes)}；"
                         "请删除无关的工作表或拆分文件", "too_large", details={"unzipped_bytes": unzipped})
    if any(info.flag_bits & 0x1 for info in zf.infolist()):
        raise _unsupported("工作簿已加密，请取消密码后重新保存")
    try:
        from openpyxl import load_workbook

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as e:  # openpyxl raises many types on damaged files
        raise TableError("文件已损坏或不是有效的 .xlsx 工作簿，请用 Excel 或 WPS 打开后重新另存为 .xlsx",
                         "corrupt_file", details={"error": type(e).__name__}) from None
    try:
        sheets = list(wb.worksheets)
        if sheet is not None:
            chosen = [ws for ws in sheets if ws.title == sheet] or [
                ws for ws in sheets if header_key(ws.title) == header_key(sheet)]
            if not chosen:
                names = "、".join(ws.title for ws in sheets) or "（无）"
                raise TableError(f"找不到工作表“{sheet}”，文件中的工作表有：{names}", "no_sheet")
            candidates = chosen[:1]
        else:
            candidates = [ws for ws in sheets if getattr(ws, "sheet_state", "visible") == "visible"] or sheets
            if not candidates:
                raise TableError("工作簿中没有工作表", "no_sheet")
        ws = candidates[0]
        if expected and len(candidates) > 1:
            # the first sheet whose header matches; otherwise the best-matching one; otherwise the first
            scan = HEADER_SCAN_ROWS + MAX_HEADER_ROWS
            best_score, best_ws = -1, candidates[0]
            for candidate in candidates:
                merges = _sheet_merges(zf, candidate._worksheet_path)
                buffer = list(_xlsx_rows(candidate, max_row=scan))
                found = _find_header(buffer, merges, expected, header_rows, header_row) if buffer else None
                score = _score(found.names, expected) if found else 0
                if score > best_score:
                    best_score, best_ws = score, candidate
                if score >= min(2, len(expected)):
                    break
            ws = best_ws
            if ws is not candidates[0]:
                warnings_.append(f"第一个工作表中没有找到表头，已读取工作表“{ws.title}”")
        elif sheet is None and len(candidates) > 1:
            warnings_.append(f"工作簿有 {len(candidates)} 个工作表，已读取第一个：“{ws.title}”")
        merges = _sheet_merges(zf, ws._worksheet_path)
        return _assemble(_xlsx_rows(ws), fmt="xlsx", merges=merges, expected=expected,
                         header_rows=header_rows, header_row=header_row, max_rows=max_rows,
                         warnings_=warnings_, sheet=ws.title)
    except TableError:
        raise
    except Exception as e:  # damage found while streaming an untrusted workbook
        raise TableError("读取工作簿时出错，文件可能已损坏；请用 Excel 或 WPS 打开后重新另存为 .xlsx",
                         "corrupt_file", details={"error": type(e).__name__}) from None
    finally:
        wb.close()


# --------------------------------------------------------------------------------------------
# Entry point


def read_table(data: bytes, filename: str, *, sheet: str | None = None, header_rows: int | None = None,
               header_row: int | None = None, expected_headers: Iterable[str] | None = None,
               max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> Table:
    """Read an uploaded ``.xlsx``/CSV file into a :class:`Table`.

    * ``filename`` — used for its extension only (content decides; the extension breaks ties);
    * ``sheet`` — the worksheet to read (default: the first visible one whose header matches);
    * ``expected_headers`` — the column names (and aliases) the caller knows; the header is the
      first row among the top :data:`HEADER_SCAN_ROWS` that contains at least two of them (or the
      best-matching row). Without them the header is the first row with two different values;
    * ``header_rows`` — how many rows the header spans (default: detected, 1 to 3);
    * ``header_row`` — the 1-based row number where the header starts (default: detected);
    * ``max_bytes``, ``max_rows`` — limits; larger files are refused.

    Raises :class:`TableError` (and nothing else) for anything that is not a readable table.
    """
    if header_rows is not None and not 1 <= header_rows <= MAX_HEADER_ROWS:
        raise ValueError(f"header_rows must be between 1 and {MAX_HEADER_ROWS}")
    if header_row is not None and header_row < 1:
        raise ValueError("header_row is 1-based")
    data = bytes(data)
    expected = frozenset(k for k in (header_key(h) for h in (expected_headers or ())) if k)
    if len(data) > max_bytes:
        raise TableError(f"文件过大（{_mb(len(data))}），上限为 {_mb(max_bytes)}；请拆分后分别导入", "too_large",
                         details={"bytes": len(data), "max_bytes": max_bytes})
    if not data.strip(b" \t\r\n\x00") or data in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise TableError("文件为空", "empty_file")
    ext = _extension(filename)
    notes: list[str] = []
    kw: dict[str, Any] = {"expected": expected, "header_rows": header_rows, "header_row": header_row,
                          "max_rows": max_rows, "warnings_": notes}

    if data.startswith(_OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _unsupported("工作簿设置了打开密码（已加密），请取消密码后另存为 .xlsx 再导入")
        raise _unsupported("不支持旧版 .xls，请另存为 .xlsx 或 CSV")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        kind, zf = _sniff_zip(data)
        if kind == "xlsx" and zf is not None:
            if ext and ext not in XLSX_EXTENSIONS:
                notes.append(f"文件扩展名为 {ext}，但内容是 Excel 工作簿，已按 .xlsx 读取")
            with zf:
                return _read_xlsx(data, zf, sheet=sheet, max_bytes=max_bytes, **kw)
        if zf is not None:
            zf.close()
        messages = {
            "corrupt": "文件已损坏：不是完整的 .xlsx（zip）文件，请重新保存或重新下载后导入",
            "ods": "不支持 OpenDocument 表格（.ods），请另存为 .xlsx 或 CSV",
            "docx": "这是 Word 文档，不是表格文件；请上传 .xlsx 或 CSV 文件",
            "pptx": "这是 PowerPoint 文档，不是表格文件；请上传 .xlsx 或 CSV 文件",
            "zip": "这是压缩包，不是表格文件；请解压后上传其中的 .xlsx 或 CSV 文件",
        }
        raise TableError(messages[kind], "corrupt_file" if kind == "corrupt" else "unsupported_format")
    for signature, what in _BINARY_SIGNATURES:
        if what and data.startswith(signature):
            raise _unsupported(f"这是{what}，不是表格文件；请上传 .xlsx 或 CSV 文件")
    markup = _looks_like_markup(data[:8192].decode("latin-1"))
    if markup:
        raise _unsupported(f"文件内容实为{markup}（常见于系统导出的“伪 Excel”文件），不是表格文件；"
                           "请用 Excel 或 WPS 打开后另存为 .xlsx 或 CSV")
    if ext not in TEXT_EXTENSIONS | XLSX_EXTENSIONS | LEGACY_EXCEL_EXTENSIONS:
        raise _unsupported(f"不支持的文件类型 {ext}：请上传 .xlsx 或 CSV 文件")
    if ext not in TEXT_EXTENSIONS:
        notes.append(f"文件扩展名为 {ext}，但内容是分隔符文本，已按 CSV 读取")
    return _read_text(data, **kw)
