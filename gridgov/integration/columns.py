"""Declarative row schemas: which columns a domain expects, and how each cell is checked.

A domain declares its import once::

    PERSON = RowSchema("实有人口", [
        Column("name", "姓名", required=True, example="张三"),
        Column("citizen_id", "身份证号", aliases=("公民身份号码",), required=True,
               parse=parse_citizen_id_cell, example="211021199001011234"),
        Column("sex", "性别", parse=parse_enum_cell({"男": "male", "女": "female"}), example="男"),
        Column("phone", "联系电话", parse=parse_phone_cell),
    ], unique=["citizen_id"])

    result = PERSON.load(data, "人口.xlsx")   # read_table + validate
    result.good   # GoodRow(number, data={"name": "张三", "citizen_id": "2110...", ...})
    result.bad    # BadRow(number, values={"姓名": ..., ...}, reasons=["身份证号：校验位错误：应为 X，实为 5"])

The same schema writes the template and the error report (:mod:`gridgov.integration.excel`).

Rules:

* a column is found by its Chinese header or any alias, compared by
  :func:`~gridgov.integration.tabular.header_key` (whitespace, ``*``, full/half width and case
  do not matter);
* a missing *required* column refuses the whole file before any row
  (:class:`~gridgov.integration.tabular.TableError` ``missing_column``); a missing optional
  column reads as empty, with a warning; unknown columns are ignored, with a warning (the error
  report's own “原行号”/“错误原因” silently);
* an empty cell is ``None`` (a reason if the column is required); a non-empty cell goes through
  the column's ``parse`` (a callable ``str -> value`` raising :class:`CellError` or
  :class:`~gridgov.codes.CodeError`);
* every reason is Chinese and starts with the column's header as the file spells it:
  ``身份证号：校验位错误：应为 X，实为 5``. Row numbers are left to the report.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from gridgov.codes import (
    CodeError,
    normalize_citizen_id,
    normalize_mobile,
    normalize_phone,
    normalize_region_code,
    parse_uscc,
    region_code_level,
)
from gridgov.integration.tabular import Table, TableError, clean_value, header_key, read_table

__all__ = [
    "REPORT_REASON_HEADER", "REPORT_ROW_HEADER",
    "BadRow", "CellError", "Column", "GoodRow", "RowSchema", "ValidationResult",
    "int_parser", "parse_bool_cell", "parse_citizen_id_cell", "parse_date_cell", "parse_datetime_cell",
    "parse_decimal_cell", "parse_enum_cell", "parse_int_cell", "parse_mobile_cell", "parse_phone_cell",
    "parse_region_code_cell", "parse_text_cell", "parse_uscc_cell", "region_code_parser", "row_digest",
    "text_parser",
]

#: Extra columns of the error report; ignored (without a warning) when the report is re-imported.
REPORT_ROW_HEADER = "原行号"
REPORT_REASON_HEADER = "错误原因"
_REPORT_KEYS = frozenset({header_key(REPORT_ROW_HEADER), header_key(REPORT_REASON_HEADER)})

Parser = Callable[[str], Any]


class CellError(ValueError):
    """A cell's content is not acceptable; ``message`` says why in Chinese, without the column name
    (the schema prefixes it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------
# Schema


@dataclass(frozen=True)
class Column:
    """One expected column.

    ``key`` is the name in code and in :attr:`GoodRow.data`; ``header_cn`` the header in the
    template; ``aliases`` other headers accepted on import; ``parse`` turns a non-empty cell string
    into a value; ``example`` and ``help_cn`` go into the template. ``text`` forces the template
    column to text format (default: taken from the parser, true for IDs, phones and codes);
    ``choices`` gives a drop-down list (default: taken from the parser, e.g. an enum's labels).
    """

    key: str
    header_cn: str
    _: KW_ONLY
    aliases: tuple[str, ...] = ()
    required: bool = False
    parse: Parser | None = None
    example: str = ""
    help_cn: str = ""
    text: bool | None = None
    choices: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.key or not header_key(self.header_cn):
            raise ValueError("a column needs a key and a header")
        object.__setattr__(self, "aliases", tuple(self.aliases))
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))

    @property
    def is_text(self) -> bool:
        """Whether the template keeps this column as text (so Excel does not turn it into a number)."""
        if self.text is not None:
            return self.text
        return bool(getattr(self.parse, "text_format", False))

    @property
    def options(self) -> tuple[str, ...]:
        """Values offered as a drop-down list in the template (empty: free input)."""
        if self.choices is not None:
            return self.choices
        return tuple(getattr(self.parse, "choices", ()) or ())

    @property
    def match_keys(self) -> frozenset[str]:
        return frozenset(header_key(h) for h in (self.header_cn, *self.aliases) if header_key(h))


@dataclass(slots=True)
class GoodRow:
    """A row that passed: ``data`` maps every column key to its parsed value (``None`` if empty)."""

    number: int
    data: dict[str, Any]

    @property
    def digest(self) -> str:
        return row_digest(self.data)


@dataclass(slots=True)
class BadRow:
    """A row that failed: the cells as read (by the file's headers), and every reason.

    ``failed`` lists the headers of the cells that failed (for highlighting in the error report).
    """

    number: int
    values: dict[str, str | None]
    reasons: list[str]
    failed: tuple[str, ...] = ()

    @property
    def reason_text(self) -> str:
        return "；".join(self.reasons)


@dataclass(slots=True)
class ValidationResult:
    """Good rows, bad rows and warnings of one validated table."""

    schema_name: str
    good: list[GoodRow]
    bad: list[BadRow]
    headers: list[str]
    warnings: list[str] = field(default_factory=list)
    empty_rows: int = 0

    @property
    def total(self) -> int:
        return len(self.good) + len(self.bad)

    def summary_cn(self) -> str:
        text = f"{self.schema_name}：共 {self.total} 行，可导入 {len(self.good)} 行，有错误 {len(self.bad)} 行"
        if self.empty_rows:
            text += f"，跳过空行 {self.empty_rows} 行"
        return text


def _strip_prefix(names: Iterable[str], message: str) -> str:
    """``身份证号`` + ``身份证号校验位错误…`` → ``校验位错误…`` (no repeated column name)."""
    for name in sorted(names, key=len, reverse=True):
        if name and message.startswith(name) and len(message) > len(name):
            rest = message[len(name):].lstrip("：: ")
            if rest:
                return rest
    return message


class RowSchema:
    """The columns of one kind of import, with optional uniqueness and cross-column checks.

    * ``unique`` — keys (or tuples of keys) that must not repeat within a file; the first row
      wins, later ones are bad (“身份证号：与第 3 行重复”);
    * ``checks`` — callables ``data -> iterable of Chinese reasons`` run on rows whose cells all
      parsed (e.g. “出生日期：与身份证号中的出生日期不一致”).
    """

    def __init__(self, name_cn: str, columns: Sequence[Column], *,
                 unique: Iterable[str | Sequence[str]] = (),
                 checks: Iterable[Callable[[dict[str, Any]], Iterable[str] | None]] = ()) -> None:
        self.name_cn = name_cn
        self.columns: tuple[Column, ...] = tuple(columns)
        if not self.columns:
            raise ValueError("a schema needs at least one column")
        self.by_key: dict[str, Column] = {}
        self._by_header: dict[str, Column] = {}
        for column in self.columns:
            if column.key in self.by_key:
                raise ValueError(f"duplicate column key {column.key!r}")
            self.by_key[column.key] = column
            for k in column.match_keys:
                if k in self._by_header:
                    raise ValueError(f"header {k!r} names both {self._by_header[k].key!r} and {column.key!r}")
                self._by_header[k] = column
        self.unique: tuple[tuple[str, ...], ...] = tuple(
            (u,) if isinstance(u, str) else tuple(u) for u in unique)
        for keys in self.unique:
            for k in keys:
                if k not in self.by_key:
                    raise ValueError(f"unique key {k!r} is not a column")
        self.checks = tuple(checks)

    @property
    def expected_headers(self) -> list[str]:
        """Every header and alias, for :func:`~gridgov.integration.tabular.read_table`."""
        return [h for c in self.columns for h in (c.header_cn, *c.aliases)]

    def read(self, data: bytes, filename: str, **kwargs: Any) -> Table:
        """:func:`~gridgov.integration.tabular.read_table` with this schema's headers expected."""
        return read_table(data, filename, expected_headers=self.expected_headers, **kwargs)

    def load(self, data: bytes, filename: str, **kwargs: Any) -> ValidationResult:
        """Read and validate in one step."""
        return self.validate(self.read(data, filename, **kwargs))

    def _map_headers(self, table: Table) -> tuple[dict[str, Column], list[str]]:
        mapping: dict[str, Column] = {}
        found: dict[str, str] = {}
        unknown: list[str] = []
        for h in table.headers:
            k = header_key(h)
            column = self._by_header.get(k)
            if column is None:
                if k not in _REPORT_KEYS:
                    unknown.append(h)
                continue
            if column.key in found:
                raise TableError(f"列“{found[column.key]}”和“{h}”都对应“{column.header_cn}”，请只保留一列",
                                 "ambiguous_column", details={"column": column.header_cn})
            found[column.key] = h
            mapping[h] = column
        missing = [c.header_cn for c in self.columns if c.required and c.key not in found]
        if missing:
            raise TableError(f"缺少必填列：{'、'.join(missing)}", "missing_column", details={"missing": missing})
        warnings = []
        if unknown:
            warnings.append(f"未识别的列（已忽略）：{'、'.join(unknown)}")
        absent = [c.header_cn for c in self.columns if not c.required and c.key not in found]
        if absent:
            warnings.append(f"文件中没有以下可选列（按空值处理）：{'、'.join(absent)}")
        return mapping, warnings

    def _is_example(self, values: Mapping[str, str | None], header_of: Mapping[str, str]) -> bool:
        compared = 0
        for column in self.columns:
            if not column.example or column.key not in header_of:
                continue
            if clean_value(values.get(header_of[column.key])) != clean_value(column.example):
                return False
            compared += 1
        return compared >= 2

    def validate(self, table: Table) -> ValidationResult:
        """Check every row of ``table``; see the module docstring for the rules."""
        mapping, warnings = self._map_headers(table)
        header_of = {column.key: h for h, column in mapping.items()}
        good: list[GoodRow] = []
        bad: list[BadRow] = []
        seen: dict[tuple[str, ...], dict[tuple[Any, ...], int]] = {keys: {} for keys in self.unique}
        for row in table.rows:
            reasons: list[str] = []
            failed: list[str] = []
            data: dict[str, Any] = {}
            if "" in row.problems:
                reasons.append(row.problems[""])
            for column in self.columns:
                h = header_of.get(column.key)
                if h is None:
                    data[column.key] = None
                    continue
                problem = row.problems.get(h)
                value = row.values.get(h)
                if problem is not None:
                    reasons.append(f"{h}：{problem}")
                    failed.append(h)
                    continue
                if value is None:
                    if column.required:
                        reasons.append(f"{h}：必填项为空")
                        failed.append(h)
                    data[column.key] = None
                    continue
                if column.parse is None:
                    data[column.key] = value
                    continue
                try:
                    data[column.key] = column.parse(value)
                except (CellError, CodeError) as e:
                    reasons.append(f"{h}：{_strip_prefix((h, column.header_cn, *column.aliases), e.message)}")
                    failed.append(h)
                except (ValueError, TypeError, ArithmeticError):
                    reasons.append(f"{h}：格式错误")
                    failed.append(h)
            if not reasons and self._is_example(row.values, header_of):
                reasons.append("该行是模板中的示例行，请删除或改为真实数据后再导入")
            if not reasons:
                for keys in self.unique:
                    value_key = tuple(data[k] for k in keys)
                    if any(v is None for v in value_key):
                        continue
                    first = seen[keys].get(value_key)
                    if first is not None:
                        names = [header_of.get(k, self.by_key[k].header_cn) for k in keys]
                        reasons.append(f"{'、'.join(names)}：与第 {first} 行重复")
                        failed.extend(n for n in names if n in row.values)
                if not reasons:
                    for check in self.checks:
                        reasons.extend(check(data) or ())
            if reasons:
                bad.append(BadRow(row.number, dict(row.values), reasons, tuple(dict.fromkeys(failed))))
                continue
            for keys in self.unique:
                value_key = tuple(data[k] for k in keys)
                if not any(v is None for v in value_key):
                    seen[keys].setdefault(value_key, row.number)
            good.append(GoodRow(row.number, data))
        return ValidationResult(self.name_cn, good, bad, list(table.headers), [*table.warnings, *warnings],
                                table.empty_rows)


# --------------------------------------------------------------------------------------------
# Idempotence


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | str | int | float):
        return value
    if isinstance(value, Enum):
        return _canonical(value.value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return {"$decimal": str(value)}
        return {"$decimal": format(value.normalize(), "f")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    raise TypeError(f"row_digest cannot canonicalise {type(value).__name__}")


def row_digest(data: Mapping[str, Any]) -> str:
    """A stable SHA-256 (hex) of a row's content: the same keys and values give the same digest in
    any order and any process (``Decimal('1.50')`` equals ``Decimal('1.5')``), so a re-import of
    the same file can be recognised and skipped."""
    text = json.dumps(_canonical(dict(data)), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# Cell parsers


def _meta(fn: Parser, *, text: bool = False, choices: Sequence[str] = ()) -> Parser:
    fn.text_format = text  # type: ignore[attr-defined]
    fn.choices = tuple(choices)  # type: ignore[attr-defined]
    return fn


def _nfkc(s: str) -> str:
    """Full-width digits, letters and punctuation to ASCII, and surrounding space removed."""
    return unicodedata.normalize("NFKC", s).strip()


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", _nfkc(s))


def parse_text_cell(s: str) -> str:
    """The cell as it is (already stripped by the reader)."""
    return s


def text_parser(max_length: int | None = None) -> Parser:
    """Free text of at most ``max_length`` characters."""

    def parse(s: str) -> str:
        if max_length is not None and len(s) > max_length:
            raise CellError(f"长度超过 {max_length} 个字（实为 {len(s)} 个字）")
        return s

    return _meta(parse)


def parse_citizen_id_cell(s: str) -> str:
    """A citizen ID in canonical 18-character form (a valid 15-digit one is upgraded; full-width
    digits and inner spaces are tolerated)."""
    return normalize_citizen_id(_compact(s))


def parse_uscc_cell(s: str) -> str:
    """A unified social credit code, upper-cased."""
    return parse_uscc(_compact(s)).code


def parse_phone_cell(s: str) -> str:
    """A mobile (11 digits) or landline (``区号-号码``) number."""
    return normalize_phone(_nfkc(s))


def parse_mobile_cell(s: str) -> str:
    """A mobile number (11 digits)."""
    return normalize_mobile(_nfkc(s))


def parse_region_code_cell(s: str) -> str:
    """A region code of any level (division, grid, micro-grid), in natural form."""
    return normalize_region_code(_compact(s))


_LEVEL_NAMES = {
    "province": "省级", "city": "地市级", "county": "县级", "street": "乡镇（街道）级", "community": "村（社区）级",
    "grid": "网格", "exclusive_grid": "专属网格", "micro_grid": "微网格",
}


def region_code_parser(*levels: str) -> Parser:
    """A region code restricted to some levels, e.g. ``region_code_parser("grid", "exclusive_grid")``."""
    unknown = set(levels) - set(_LEVEL_NAMES)
    if unknown:
        raise ValueError(f"unknown region levels {sorted(unknown)}")

    def parse(s: str) -> str:
        code = normalize_region_code(_compact(s))
        if levels and region_code_level(code) not in levels:
            wanted = "或".join(_LEVEL_NAMES[lv] for lv in levels)
            raise CellError(f"应为{wanted}代码，实为{_LEVEL_NAMES[region_code_level(code)]}代码")
        return code

    return _meta(parse, text=True)


_DATE_RES = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
_DATE_FORMS = "2024-01-05、2024/1/5、2024.1.5、20240105 或 2024年1月5日"
MIN_YEAR, MAX_YEAR = 1800, 2200


def _split_datetime(s: str) -> tuple[str, str | None]:
    t = _nfkc(s)
    for sep in ("T", " "):
        if sep in t:
            d, _, rest = t.partition(sep)
            return d.strip(), rest.strip() or None
    return t, None


def _date(text: str) -> date:
    for pattern in _DATE_RES:
        m = pattern.fullmatch(text)
        if m:
            year, month, day = (int(g) for g in m.groups())
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise CellError(f"日期年份应在 {MIN_YEAR}–{MAX_YEAR} 之间")
            try:
                return date(year, month, day)
            except ValueError:
                raise CellError("不是有效日期：月份或日超出范围") from None
    raise CellError(f"日期格式无法识别，应为 {_DATE_FORMS}")


def _time(text: str) -> time:
    m = _TIME_RE.fullmatch(text)
    if not m:
        raise CellError("时间格式无法识别，应为 10:30 或 10:30:00")
    hour, minute = int(m.group(1)), int(m.group(2))
    second = int(m.group(3) or 0)
    micro = int((m.group(4) or "0").ljust(6, "0"))
    try:
        return time(hour, minute, second, micro)
    except ValueError:
        raise CellError("不是有效时间：时、分或秒超出范围") from None


def parse_date_cell(s: str) -> date:
    """A date written as ``2024-01-05``, ``2024/1/5``, ``2024.1.5``, ``20240105`` or
    ``2024年1月5日`` (Excel dates arrive as ISO strings from the reader). A time part is accepted
    only if it is midnight."""
    d, t = _split_datetime(s)
    result = _date(d)
    if t is not None and _time(t) != time(0):
        raise CellError("应为日期，不应包含时间")
    return result


def parse_datetime_cell(s: str) -> datetime:
    """A date with an optional time (``2024-01-05 10:30``, ``2024/1/5 10:30:00``); no time means
    midnight."""
    d, t = _split_datetime(s)
    result = _date(d)
    return datetime.combine(result, _time(t) if t is not None else time(0))


_INT_RE = re.compile(r"[+-]?\d+")
_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+")
_INT_FLOAT_RE = re.compile(r"([+-]?\d+)\.0*")
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def _ungroup(t: str) -> str:
    if _GROUPED_RE.fullmatch(t.split(".", 1)[0]):
        return t.replace(",", "")
    return t


def int_parser(minimum: int | None = None, maximum: int | None = None) -> Parser:
    """An integer (``1,234`` and ``12.0`` accepted), optionally within ``[minimum, maximum]``."""

    def parse(s: str) -> int:
        t = _ungroup(_compact(s))
        m = _INT_FLOAT_RE.fullmatch(t)
        if m:
            t = m.group(1)
        if not _INT_RE.fullmatch(t) or len(t) > 19:
            raise CellError("应为整数")
        n = int(t)
        if minimum is not None and n < minimum:
            raise CellError(f"不能小于 {minimum}")
        if maximum is not None and n > maximum:
            raise CellError(f"不能大于 {maximum}")
        return n

    return _meta(parse)


parse_int_cell = int_parser()
parse_int_cell.__doc__ = "An integer (``1,234`` and ``12.0`` accepted)."


def parse_decimal_cell(s: str) -> Decimal:
    """A decimal number (``1,234.50``, ``-0.5``, ``.5``), exact (no binary floating point)."""
    t = _ungroup(_compact(s))
    if not _DECIMAL_RE.fullmatch(t) or len(t) > 40:
        raise CellError("应为数字")
    try:
        return Decimal(t)
    except InvalidOperation:
        raise CellError("应为数字") from None


def _choice_key(s: str) -> str:
    return _compact(s).casefold()


def parse_enum_cell(mapping: Mapping[str, Any]) -> Parser:
    """A value from a fixed list: ``mapping`` maps the Chinese label to the stored code, e.g.
    ``{"男": "male", "女": "female"}``. The label or the code itself is accepted (width and case
    do not matter); the template offers the labels as a drop-down list."""
    lookup: dict[str, Any] = {}
    for label, code in mapping.items():
        lookup.setdefault(_choice_key(label), code)
    for code in mapping.values():
        if isinstance(code, str):
            lookup.setdefault(_choice_key(code), code)
    labels = "、".join(mapping)

    def parse(s: str) -> Any:
        try:
            return lookup[_choice_key(s)]
        except KeyError:
            raise CellError(f"“{s}”不是可选值，应为：{labels}") from None

    return _meta(parse, choices=tuple(mapping))


_TRUE = frozenset({"是", "y", "yes", "true", "1", "对", "√", "✓", "有", "t"})
_FALSE = frozenset({"否", "n", "no", "false", "0", "错", "×", "✗", "无", "f"})


def parse_bool_cell(s: str) -> bool:
    """是/否, Y/N, yes/no, true/false, 1/0, 对/错, √/×, 有/无."""
    k = _choice_key(s)
    if k in _TRUE:
        return True
    if k in _FALSE:
        return False
    raise CellError("应为“是”或“否”")


for _fn, _text in ((parse_citizen_id_cell, True), (parse_uscc_cell, True), (parse_phone_cell, True),
                   (parse_mobile_cell, True), (parse_region_code_cell, True), (parse_text_cell, False),
                   (parse_date_cell, False), (parse_datetime_cell, False), (parse_decimal_cell, False)):
    _meta(_fn, text=_text)
_meta(parse_bool_cell, choices=("是", "否"))
