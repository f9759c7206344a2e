"""Writing spreadsheets: import templates, error reports and watermarked exports (bytes out).

* :func:`template_xlsx` — the download a user fills in: Chinese headers (required ones ``*`` and
  red), a comment on each header with its help and example, a grey italic example row, text
  format on ID/phone/code columns (so Excel keeps all 18 digits), drop-down lists for fixed
  choices, frozen header, and a “填写说明” sheet;
* :func:`error_report_xlsx` — the rows that failed, with the file's own headers first, then
  “原行号” and “错误原因”; failing cells are highlighted. The user fixes the cells and imports the
  report itself: the title row is skipped and the two extra columns are ignored on import;
* :func:`export_xlsx` / :func:`export_csv` / :func:`iter_export_csv` — exports whose first row
  is a watermark naming who exported what, when (:func:`format_watermark`). The xlsx writer
  streams (openpyxl write-only) and the CSV one yields chunks, for 100k+ rows.

Cell values written from user data are always written as text where they are text: a value
starting with ``=`` never becomes a formula, and in CSV a value that a spreadsheet would run as a
formula is prefixed with ``'`` (CSV injection).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from gridgov.integration.columns import REPORT_REASON_HEADER, REPORT_ROW_HEADER, BadRow, RowSchema
from gridgov.integration.tabular import column_letter, header_key

__all__ = [
    "WATERMARK_NOTE", "error_report_xlsx", "export_csv", "export_xlsx", "format_watermark",
    "iter_export_csv", "template_xlsx",
]

#: The closing words of every watermark.
WATERMARK_NOTE = "仅限工作使用，严禁外传"
#: Excel's limit on the characters of one cell.
MAX_CELL_CHARS = 32_767
#: Rows of the template pre-formatted as text in text columns.
TEMPLATE_ROWS = 1000

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_EXAMPLE_FONT = Font(italic=True, color="808080")
_REASON_FONT = Font(color="C00000")
_WATERMARK_FONT = Font(bold=True, color="C00000")
_TITLE_FONT = Font(bold=True, size=12)
_WRAP = Alignment(wrap_text=True, vertical="top")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_LONG_DIGITS = re.compile(r"\d{11,}[\dXx]|0\d+")
_NUMBER_LIKE = re.compile(r"[+-][\d\s.,]*")


def format_watermark(exporter: str, exported_at: datetime, scope: str, *, note: str = WATERMARK_NOTE) -> str:
    """``导出人：leader（分管领导 刘强）｜导出时间：2026-11-22 10:00｜范围：辽阳县 211021｜仅限工作使用，严禁外传``."""
    parts = [f"导出人：{exporter}", f"导出时间：{exported_at:%Y-%m-%d %H:%M}", f"范围：{scope}"]
    if note:
        parts.append(note)
    return "｜".join(parts)


# --------------------------------------------------------------------------------------------
# helpers


def _sheet_title(name: str, fallback: str = "Sheet1") -> str:
    title = _SHEET_TITLE_BAD.sub("_", name or "").strip("'")[:31]
    return title or fallback


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    longest = max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                   for line in text.splitlines() or [""]), default=0)
    return longest


def _fit(width: int) -> float:
    return float(min(max(width + 2, 8), 60))


def _text(value: str) -> str:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value[:MAX_CELL_CHARS]


def _string_cell(ws: Any, value: str, **style: Any) -> WriteOnlyCell:
    """A cell that holds ``value`` as text, whatever it looks like (``=1+1`` stays text)."""
    cell = WriteOnlyCell(ws, value=None)
    cell.value = _text(value)
    cell.data_type = "s"
    for k, v in style.items():
        setattr(cell, k, v)
    return cell


def _needs_string_cell(value: str) -> bool:
    return value.startswith("=") or value in ERROR_CODES


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _merged_row(ws: Any, text: str, width: int, font: Font) -> None:
    ws.append([_string_cell(ws, text, font=font, alignment=Alignment(wrap_text=True, vertical="center"))])
    if width > 1:
        ws.merged_cells.add(f"A1:{column_letter(width - 1)}1")
    ws.row_dimensions[1].height = 30 if _display_width(text) > 12 * max(width, 1) else 20


# --------------------------------------------------------------------------------------------
# template


def _comment(column: Any) -> Comment:
    lines = ["必填" if column.required else "选填"]
    if column.help_cn:
        lines.append(column.help_cn)
    if column.options:
        lines.append("可选值：" + "、".join(column.options))
    if column.example:
        lines.append(f"示例：{column.example}")
    if column.is_text:
        lines.append("本列为文本格式，长号码请完整录入")
    comment = Comment("\n".join(lines), "gridgov")
    comment.width = 260
    comment.height = 40 + 22 * len(lines)
    return comment


def template_xlsx(schema: RowSchema, *, example_row: bool = True) -> bytes:
    """The import template for ``schema`` (see the module docstring)."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_title(schema.name_cn, "数据")
    needs_list_sheet = []
    for j, column in enumerate(schema.columns, start=1):
        letter = column_letter(j - 1)
        cell = ws.cell(1, j, ("*" if column.required else "") + column.header_cn)
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.comment = _comment(column)
        if column.is_text:
            ws.column_dimensions[letter].number_format = "@"
            for r in range(2, TEMPLATE_ROWS + 2):
                ws.cell(r, j).number_format = "@"
        if example_row and column.example:
            ex = ws.cell(2, j)
            ex.value = _text(column.example)
            ex.data_type = "s"
            ex.font = _EXAMPLE_FONT
        width = max(_display_width(cell.value), _display_width(column.example),
                     max((_display_width(o) for o in column.options), default=0))
        ws.column_dimensions[letter].width = _fit(width)
        if column.options:
            options = list(column.options)
            inline = ",".join(options)
            if len(inline) <= 250 and not any(("," in o or '"' in o) for o in options):
                formula = f'"{inline}"'
            else:
                needs_list_sheet.append((column, options))
                formula = f"'选项'!${column_letter(len(needs_list_sheet) - 1)}$1:" \
                          f"${column_letter(len(needs_list_sheet) - 1)}${len(options)}"
            dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                                errorTitle="输入有误", error=f"请从下拉列表中选择“{column.header_cn}”")
            dv.add(f"{letter}2:{letter}1048576")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 22

    notes = wb.create_sheet("填写说明")
    notes.append([f"{schema.name_cn}导入模板 填写说明"])
    notes["A1"].font = _TITLE_FONT
    for line in (
        "1. 第一个工作表的第 1 行是表头，请勿修改、删除或调换顺序；带 * 且标红的列为必填。",
        "2. 灰色斜体的第 2 行是示例，导入前请删除或改为真实数据（未修改的示例行不会被导入）。",
        "3. 身份证号、电话、代码等列已设为文本格式，请完整录入，不要改为数值格式（否则超过 15 位的数字会丢失末尾几位）。",
        "4. 日期可写为 2024-01-05、2024/1/5、2024.1.5、20240105 或 2024年1月5日。",
        "5. 导入后有错误的行会列在“错误报告”中：按“错误原因”修改后，可直接重新导入错误报告文件。",
        "6. 同一文件重复导入不会产生重复数据。",
    ):
        notes.append([line])
    notes.append([])
    header = ["列名", "是否必填", "填写说明", "示例", "可选值"]
    notes.append(header)
    header_row = notes.max_row
    for j in range(1, len(header) + 1):
        notes.cell(header_row, j).font = _HEADER_FONT
        notes.cell(header_row, j).fill = _HEADER_FILL
    for column in schema.columns:
        notes.append([column.header_cn, "必填" if column.required else "选填", column.help_cn,
                      column.example, "、".join(column.options)])
        notes.cell(notes.max_row, 4).data_type = "s"  # an example like "=..." stays text
    for letter, width in zip("ABCDE", (18, 10, 50, 24, 30)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = _WRAP

    if needs_list_sheet:
        lists = wb.create_sheet("选项")
        for j, (_column, options) in enumerate(needs_list_sheet, start=1):
            for i, option in enumerate(options, start=1):
                c = lists.cell(i, j)
                c.value = _text(option)
                c.data_type = "s"
        lists.sheet_state = "hidden"
    wb.active = 0
    return _save(wb)


# --------------------------------------------------------------------------------------------
# error report


def _failed_from_reasons(row: BadRow) -> set[str]:
    """Headers named at the start of the reasons (for rows kept without ``failed``, e.g. from a
    quarantine table that stores only values and reasons)."""
    return {h for h in row.values for reason in row.reasons if reason.startswith(f"{h}：")}


def error_report_xlsx(schema: RowSchema, bad_rows: Sequence[BadRow], *, source_name: str,
                      generated_at: datetime | None = None) -> bytes:
    """The failed rows, ready to fix and re-import (see the module docstring)."""
    report_keys = {header_key(REPORT_ROW_HEADER), header_key(REPORT_REASON_HEADER)}
    # a re-imported report that fails again carries the previous report's own two columns: drop them
    headers: list[str] = [h for h in dict.fromkeys(h for row in bad_rows for h in row.values)
                          if header_key(h) not in report_keys]
    if not headers:
        headers = [c.header_cn for c in schema.columns]
    by_key = {k: c for c in schema.columns for k in c.match_keys}
    text_cols = {i for i, h in enumerate(headers) if (c := by_key.get(header_key(h))) is not None and c.is_text}
    required = {i for i, h in enumerate(headers) if (c := by_key.get(header_key(h))) is not None and c.required}
    all_headers = [*headers, REPORT_ROW_HEADER, REPORT_REASON_HEADER]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(f"{schema.name_cn}错误报告", "错误报告"))
    widths = [_display_width(h) for h in all_headers]
    for row in bad_rows[:200]:
        for i, h in enumerate(headers):
            widths[i] = max(widths[i], _display_width(row.values.get(h)))
        widths[-1] = max(widths[-1], min(_display_width(row.reason_text), 80))
    for i, w in enumerate(widths):
        dim = ws.column_dimensions[column_letter(i)]
        dim.width = _fit(w)
        if i in text_cols:
            dim.number_format = "@"
    ws.freeze_panes = "A3"

    when = f"｜生成时间：{generated_at:%Y-%m-%d %H:%M}" if generated_at else ""
    title = (f"{schema.name_cn}导入错误报告｜来源文件：{source_name}｜共 {len(bad_rows)} 行未导入{when}｜"
             "请按“错误原因”修改标红的单元格后，直接重新导入本文件")
    _merged_row(ws, title, len(all_headers), _TITLE_FONT)
    ws.append([
        _string_cell(ws, h, font=_REQUIRED_FONT if i in required else _HEADER_FONT, fill=_HEADER_FILL)
        for i, h in enumerate(all_headers)
    ])
    for row in bad_rows:
        failed = set(row.failed) or _failed_from_reasons(row)
        cells: list[Any] = []
        for i, h in enumerate(headers):
            value = row.values.get(h)
            style: dict[str, Any] = {}
            if i in text_cols:
                style["number_format"] = "@"
            if h in failed:
                style["fill"] = _BAD_FILL
            if value is None:
                cells.append(WriteOnlyCell(ws, value=None) if style else None)
                if style:
                    for k, v in style.items():
                        setattr(cells[-1], k, v)
            else:
                cells.append(_string_cell(ws, str(value), **style))
        cells.append(row.number)
        cells.append(_string_cell(ws, row.reason_text, font=_REASON_FONT, fill=_BAD_FILL))
        ws.append(cells)
    wb.properties.title = title[:250]
    wb.properties.creator = "gridgov"
    return _save(wb)


# --------------------------------------------------------------------------------------------
# exports


def _export_cell(ws: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value) if abs(value) >= 10**15 else value  # Excel keeps 15 digits only
    if isinstance(value, float | Decimal):
        return value
    if isinstance(value, datetime | time):
        return value.replace(tzinfo=None)  # Excel has no time zones: the wall time as given
    if isinstance(value, date):
        return value
    text = _text(value if isinstance(value, str) else str(value))
    if _needs_string_cell(text):
        return _string_cell(ws, text)
    return text


def export_xlsx(headers_cn: Sequence[str], rows: Iterable[Sequence[Any]], *, watermark: str,
                sheet_name: str = "导出") -> bytes:
    """An ``.xlsx`` whose first row is the merged ``watermark``, then the headers, then ``rows``
    (streamed: any iterable, 100k+ rows)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(sheet_name, "导出"))
    rows = iter(rows)
    head = list(itertools.islice(rows, 200))
    widths = [_display_width(h) for h in headers_cn]
    for row in head:
        for i, value in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], min(_display_width(value), 50))
    for i, w in enumerate(widths):
        ws.column_dimensions[column_letter(i)].width = _fit(w)
    ws.freeze_panes = "A3"
    _merged_row(ws, watermark, max(len(headers_cn), 1), _WATERMARK_FONT)
    ws.append([_string_cell(ws, str(h), font=_HEADER_FONT, fill=_HEADER_FILL) for h in headers_cn])
    for row in itertools.chain(head, rows):
        ws.append([_export_cell(ws, v) for v in row])
    wb.properties.title = _sheet_title(sheet_name, "导出")
    wb.properties.description = watermark
    wb.properties.creator = "gridgov"
    return _save(wb)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    if not text:
        return text
    if text[0] in "=@\t\r" or (text[0] in "+-" and not _NUMBER_LIKE.fullmatch(text)):
        return "'" + text  # would run as a formula in a spreadsheet
    if _LONG_DIGITS.fullmatch(text):
        return "\t" + text  # keeps Excel from turning long numbers / leading zeros into a float
    return text


def iter_export_csv(headers_cn: Sequence[str], rows: Iterable[Sequence[Any]], *, watermark: str,
                    chunk_rows: int = 2000) -> Iterator[bytes]:
    """The CSV export as a stream of byte chunks (UTF-8 with BOM; watermark first line)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([watermark])
    writer.writerow([str(h) for h in headers_cn])
    yield codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")
    buf.seek(0)
    buf.truncate()
    for n, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if n % chunk_rows == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode("utf-8")


def export_csv(headers_cn: Sequence[str], rows: Iterable[Sequence[Any]], *, watermark: str) -> bytes:
    """The CSV export in one piece (see :func:`iter_export_csv`)."""
    return b"".join(iter_export_csv(headers_cn, rows, watermark=watermark))
