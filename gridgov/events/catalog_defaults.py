"""The default event catalog (事项清单) shipped as package data, loaded and validated. Pure: no database.

Three CSV files in ``gridgov/events/catalog_data/`` (UTF-8, Chinese content, English columns):

``catalog.csv``
    One row per item (事项): ``category_code, category_name, item_code, item_name, description,
    severity, department_code, self_resolvable, keywords, accept_hours, dispatch_hours, sign_hours,
    handle_hours, verify_hours``. Categories are the distinct ``category_code`` values in order of
    first appearance. The five ``*_hours`` columns are the working-hour limits of each step at
    severity ``normal``.
``departments.csv``
    ``department_code, name, kind, parent_code`` — the default lead departments. ``kind`` is
    ``centre``, ``department``, ``utility`` or ``town``; names carry no county prefix (a deployment
    creates ``<county code>-<department_code>`` named ``<county name><name>``).
``severity_factors.csv``
    ``severity, label, color, rank, factor, clock, description`` — the four levels
    (low 轻微 蓝 ×1.5, normal 一般 黄 ×1, high 严重 橙 ×0.5, urgent 紧急 红 ×0.25 on the natural
    clock). The limit of a step is ``base hours × factor`` (:func:`time_limit_hours`).

Codes
-----
* category: two capital letters, the pinyin initials of its name (``CG`` 城市管理);
* item: category code + three digits (``CG012`` 井盖缺失破损); numbers are never reused — a
  retired item keeps its number, a new item takes the next free one;
* department: 2–6 capital letters, pinyin initials (``GA`` 公安局, ``PCS`` 派出所), ≤ 14 chars so
  that ``<17-digit region>-<code>`` fits a 32-character department code.

Validation (:func:`load_catalog`) collects every problem and raises :class:`CatalogError` listing
them: unique codes, item codes in their category, known severities and departments, positive hours,
no self-resolvable item of default severity high or urgent, department parents that exist and form
no cycle, and at least ``min_categories``/``min_items``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Literal

STEPS: tuple[str, ...] = ("accept", "dispatch", "sign", "handle", "verify")
"""The clocked steps: 受理, 派遣, 签收, 处置, 核查."""
STEP_LABELS: dict[str, str] = {
    "accept": "受理",
    "dispatch": "派遣",
    "sign": "签收",
    "handle": "处置",
    "verify": "核查",
}
SEVERITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
DEPARTMENT_KINDS: tuple[str, ...] = ("centre", "department", "utility", "town")
CLOCKS: tuple[str, ...] = ("working", "natural")
SELF_RESOLVE_FORBIDDEN: frozenset[str] = frozenset({"high", "urgent"})
"""Serious items always go through the centre: a grid worker may not close them on the spot."""

MIN_CATEGORIES = 12
MIN_ITEMS = 150

# --- which items the public sees (对公众开放) -----------------------------------------------------
# An item is public when a resident can witness it and report it themselves: a problem of a place,
# a facility or a public service, a dispute they are a party to, or a request for their own (or a
# neighbour's) help. It is internal when filing it or even listing it as a public service would be
# wrong: the party's own organisation work, a task staff record in their own work, following people
# on a watch list, intelligence and police leads, a risk judged by staff. Internal items stay usable by
# every staff channel (grid worker, centre, hotline, sensors); residents (the 随手拍 page and API,
# Open311) see and file public items only. docs/catalog.md gives the rule and the list.
INTERNAL_CATEGORIES: frozenset[str] = frozenset({"DJ"})
"""Whole categories that are internal: 党建引领 (the party's own organisation work)."""
INTERNAL_ITEMS: dict[str, str] = {
    # 平安建设: staff tasks, security infrastructure, intelligence and stability leads
    "ZZ001": "security",  # 视频监控点位故障: where the cameras are, and which are down
    "ZZ002": "task",  # 群防群治力量需求
    "ZZ004": "lead",  # 护路护线隐患
    "ZZ005": "lead",  # 邪教活动线索
    "ZZ006": "lead",  # 非法宗教活动线索
    "ZZ008": "task",  # 反诈宣传需求
    "ZZ009": "lead",  # 涉黑涉恶线索
    "ZZ010": "lead",  # 非法集资线索
    "ZZ011": "task",  # 寄递物流安全问题 (an inspection)
    "ZZ012": "person",  # 民族团结事项 (ethnicity is sensitive personal data)
    "ZZ013": "person",  # 重点人员动向异常
    "ZZ014": "lead",  # 群体性事件苗头
    "ZZ015": "lead",  # 涉本地网络舆情
    "ZZ016": "task",  # 平安创建宣传
    # 矛盾纠纷: the risk of escalation is the staff's judgement; a party files the dispute itself
    "MD020": "task",  # 有激化风险的矛盾纠纷
    # 治安隐患: police leads and registration checks (a crime in progress: 110)
    "ZA001": "lead",  # 盗窃线索
    "ZA002": "lead",  # 聚众赌博
    "ZA003": "lead",  # 涉黄线索
    "ZA004": "lead",  # 涉毒线索
    "ZA005": "lead",  # 打架斗殴
    "ZA006": "person",  # 可疑人员
    "ZA007": "person",  # 流动人口信息未登记
    "ZA008": "person",  # 出租房屋治安隐患 (the tenants)
    "ZA009": "task",  # 旅馆业未实名登记 (an inspection)
    "ZA011": "lead",  # 管制器具和枪爆物品线索
    # 特殊人群: people on a watch list, followed by staff
    "TS001": "person",  # 社区矫正对象异常
    "TS002": "person",  # 刑满释放人员安置帮教
    "TS003": "person",  # 严重精神障碍患者病情异常
    "TS004": "person",  # 精神障碍患者随访服药
    "TS005": "person",  # 社区戒毒康复人员管理
    "TS006": "person",  # 失学辍学
    "TS007": "person",  # 重点青少年帮扶
    "TS010": "person",  # 艾滋病感染者服务管理
    "TS011": "person",  # 重点信访人员动态
    "TS012": "person",  # 计生特殊家庭帮扶
    "TS014": "task",  # 特殊人群走访发现问题
    # 农业农村: a household watch list (a family asks for help through MS002 临时救助需求)
    "NY008": "person",  # 防止返贫监测
    # 综合事项: filed by staff for someone, or the hotline's own item
    "QT004": "task",  # 信访事项代办
    "QT005": "task",  # 热线转办一般事项
}
"""Internal items of otherwise public categories, with why: ``task`` (staff work), ``person`` (a
watch list or sensitive personal data), ``lead`` (intelligence or police lead), ``security``."""
INTERNAL_REASONS: dict[str, str] = {
    "party": "党建组织工作",
    "task": "工作人员的工作事项",
    "person": "涉及重点人员或敏感个人信息",
    "lead": "内部线索（紧急情况请拨打110）",
    "security": "安防设施信息",
}


def is_public(item_code: str, category_code: str) -> bool:
    """Whether the shipped rule opens an item to the public (residents, Open311).

    >>> is_public("CG012", "CG"), is_public("TS001", "TS"), is_public("TS013", "TS"), is_public("DJ003", "DJ")
    (True, False, True, False)
    """
    return category_code not in INTERNAL_CATEGORIES and item_code not in INTERNAL_ITEMS

CATALOG_COLUMNS: tuple[str, ...] = (
    "category_code",
    "category_name",
    "item_code",
    "item_name",
    "description",
    "severity",
    "department_code",
    "self_resolvable",
    "keywords",
    *(f"{s}_hours" for s in STEPS),
)
DEPARTMENT_COLUMNS: tuple[str, ...] = ("department_code", "name", "kind", "parent_code")
SEVERITY_COLUMNS: tuple[str, ...] = ("severity", "label", "color", "rank", "factor", "clock", "description")

CATEGORY_CODE = re.compile(r"^[A-Z]{2}$")
ITEM_CODE = re.compile(r"^([A-Z]{2})(\d{3})$")
DEPARTMENT_CODE = re.compile(r"^[A-Z]{2,6}$")
KEYWORD_SEPARATOR = "、"

_DATA_PACKAGE = "gridgov.events.catalog_data"


class CatalogError(ValueError):
    """The catalog data is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "; ".join(problems[:20])
        more = f" (+{len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"invalid catalog: {shown}{more}")


@dataclass(frozen=True, slots=True)
class Severity:
    code: str  # low | normal | high | urgent
    label: str  # 轻微 / 一般 / 严重 / 紧急
    color: str  # 蓝色 / 黄色 / 橙色 / 红色
    rank: int  # 1 (least) .. 4 (most serious)
    factor: float  # multiplies the base (normal) hours
    clock: Literal["working", "natural"]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    kind: str  # centre | department | utility | town
    parent_code: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """事项: one kind of reportable problem."""

    code: str
    category_code: str
    name: str
    description: str
    severity: str  # the default severity
    department_code: str  # the default lead department
    self_resolvable: bool  # a grid worker may resolve it on the spot (自处置)
    keywords: tuple[str, ...]
    accept_hours: float
    dispatch_hours: float
    sign_hours: float
    handle_hours: float
    verify_hours: float
    public: bool = True  # residents may see and file it (:func:`is_public`)

    def base_hours(self, step: str) -> float:
        """The working-hour limit of ``step`` at severity ``normal``."""
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; steps are {', '.join(STEPS)}")
        return getattr(self, f"{step}_hours")


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    item_codes: tuple[str, ...]
    sort: int


@dataclass(frozen=True)
class Catalog:
    categories: tuple[Category, ...]
    items: tuple[Item, ...]
    departments: tuple[Department, ...]
    severities: tuple[Severity, ...]

    @cached_property
    def _items(self) -> dict[str, Item]:
        return {i.code: i for i in self.items}

    @cached_property
    def _categories(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    @cached_property
    def _departments(self) -> dict[str, Department]:
        return {d.code: d for d in self.departments}

    @cached_property
    def _severities(self) -> dict[str, Severity]:
        return {s.code: s for s in self.severities}

    def item(self, code: str) -> Item:
        try:
            return self._items[code]
        except KeyError:
            raise KeyError(f"no catalog item {code!r}") from None

    def category(self, code: str) -> Category:
        try:
            return self._categories[code]
        except KeyError:
            raise KeyError(f"no catalog category {code!r}") from None

    def department(self, code: str) -> Department:
        try:
            return self._departments[code]
        except KeyError:
            raise KeyError(f"no department {code!r}") from None

    def severity(self, code: str) -> Severity:
        try:
            return self._severities[code]
        except KeyError:
            raise ValueError(f"unknown severity {code!r}; severities are {', '.join(SEVERITIES)}") from None

    def items_of(self, category_code: str) -> tuple[Item, ...]:
        return tuple(self._items[c] for c in self.category(category_code).item_codes)

    def time_limit_hours(self, item: Item | str, step: str, severity: str | None = None) -> float:
        """Hours allowed for ``step`` of ``item`` at ``severity`` (default: the item's own).

        The hours are on the severity's clock (:meth:`clock`): working hours except for ``urgent``.
        """
        it = self.item(item) if isinstance(item, str) else item
        level = self.severity(severity or it.severity)
        return round(it.base_hours(step) * level.factor, 6)

    def clock(self, severity: str) -> Literal["working", "natural"]:
        """``working`` (office hours, holidays excluded) or ``natural`` (24 × 7) for a severity."""
        return self.severity(severity).clock

    def limits(self, item: Item | str) -> dict[str, dict[str, float]]:
        """``{severity: {step: hours}}`` for every severity — the shape stored on a catalog item row."""
        it = self.item(item) if isinstance(item, str) else item
        return {
            s.code: {step: self.time_limit_hours(it, step, s.code) for step in STEPS} for s in self.severities
        }


# --- parsing and validation ---------------------------------------------------------------------


def _rows(
    text: str, columns: tuple[str, ...], source: str, problems: list[str]
) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    present = [c.strip() for c in reader.fieldnames or ()]
    missing = [c for c in columns if c not in present]
    if missing:
        problems.append(f"{source}: missing column(s) {', '.join(missing)}")
        return []
    reader.fieldnames = present
    return [
        (n, {k: (v or "").strip() for k, v in row.items() if k is not None})
        for n, row in enumerate(reader, start=2)
    ]


def _hours(value: str, where: str, problems: list[str]) -> float:
    try:
        h = float(value)
    except ValueError:
        problems.append(f"{where}: {value!r} is not a number of hours")
        return 0.0
    if not math.isfinite(h) or h <= 0:
        problems.append(f"{where}: hours must be positive, got {value!r}")
    return h


def _parse_severities(text: str, problems: list[str]) -> list[Severity]:
    out: list[Severity] = []
    source = "severity_factors.csv"
    for n, r in _rows(text, SEVERITY_COLUMNS, source, problems):
        where = f"{source} row {n}"
        code = r["severity"]
        if code not in SEVERITIES:
            problems.append(f"{where}: severity {code!r} must be one of {', '.join(SEVERITIES)}")
            continue
        try:
            rank, factor = int(r["rank"]), float(r["factor"])
        except ValueError:
            problems.append(f"{where}: rank must be an integer and factor a number")
            continue
        if not math.isfinite(factor) or factor <= 0:
            problems.append(f"{where}: factor must be positive")
        if r["clock"] not in CLOCKS:
            problems.append(f"{where}: clock {r['clock']!r} must be working or natural")
        out.append(Severity(code, r["label"], r["color"], rank, factor, r["clock"], r["description"]))  # type: ignore[arg-type]
    codes = [s.code for s in out]
    for code in SEVERITIES:
        if codes.count(code) != 1:
            problems.append(
                f"{source}: severity {code!r} must appear exactly once (found {codes.count(code)})"
            )
    ranks = [s.rank for s in out]
    if len(set(ranks)) != len(ranks):
        problems.append(f"{source}: ranks must be distinct")
    return sorted(out, key=lambda s: s.rank)


def _parse_departments(text: str, problems: list[str]) -> list[Department]:
    out: list[Department] = []
    seen: dict[str, int] = {}
    source = "departments.csv"
    for n, r in _rows(text, DEPARTMENT_COLUMNS, source, problems):
        where = f"{source} row {n}"
        code = r["department_code"]
        if not DEPARTMENT_CODE.match(code):
            problems.append(f"{where}: department code {code!r} must be 2–6 capital letters")
        if code in seen:
            problems.append(f"{where}: department code {code!r} already used on row {seen[code]}")
            continue
        seen[code] = n
        if not r["name"]:
            problems.append(f"{where}: department {code!r} has no name")
        if r["kind"] not in DEPARTMENT_KINDS:
            problems.append(f"{where}: kind {r['kind']!r} must be one of {', '.join(DEPARTMENT_KINDS)}")
        out.append(Department(code, r["name"], r["kind"], r["parent_code"] or None))
    by_code = {d.code: d for d in out}
    for d in out:
        if d.parent_code is not None and d.parent_code not in by_code:
            problems.append(f"{source}: parent {d.parent_code!r} of {d.code!r} is not a department")
    for d in out:  # cycles
        chain, cur = {d.code}, d
        while cur.parent_code is not None and cur.parent_code in by_code:
            if cur.parent_code in chain:
                problems.append(f"{source}: department {d.code!r} is its own ancestor")
                break
            chain.add(cur.parent_code)
            cur = by_code[cur.parent_code]
    if out and not any(d.kind == "centre" for d in out):
        problems.append(f"{source}: no department of kind centre")
    return out


def _parse_items(
    text: str, departments: Mapping[str, Department], severities: set[str], problems: list[str]
) -> tuple[list[Category], list[Item]]:
    source = "catalog.csv"
    items: list[Item] = []
    item_rows: dict[str, int] = {}
    cat_names: dict[str, str] = {}
    cat_items: dict[str, list[str]] = {}
    names: dict[tuple[str, str], str] = {}
    for n, r in _rows(text, CATALOG_COLUMNS, source, problems):
        where = f"{source} row {n}"
        cat, code = r["category_code"], r["item_code"]
        if not CATEGORY_CODE.match(cat):
            problems.append(f"{where}: category code {cat!r} must be two capital letters")
        if not r["category_name"]:
            problems.append(f"{where}: category {cat!r} has no name")
        elif cat_names.setdefault(cat, r["category_name"]) != r["category_name"]:
            problems.append(
                f"{where}: category {cat!r} is named {cat_names[cat]!r} above, {r['category_name']!r} here"
            )
        m = ITEM_CODE.match(code)
        if not m:
            problems.append(
                f"{where}: item code {code!r} must be the category code and three digits (e.g. CG001)"
            )
        elif m.group(1) != cat:
            problems.append(f"{where}: item code {code!r} does not start with its category code {cat!r}")
        elif m.group(2) == "000":
            problems.append(f"{where}: item code {code!r}: numbers start at 001")
        if code in item_rows:
            problems.append(f"{where}: item code {code!r} already used on row {item_rows[code]}")
            continue
        item_rows[code] = n
        if not r["item_name"]:
            problems.append(f"{where}: item {code!r} has no name")
        elif (cat, r["item_name"]) in names:
            problems.append(
                f"{where}: item name {r['item_name']!r} repeats {names[(cat, r['item_name'])]} "
                f"in category {cat!r}"
            )
        else:
            names[(cat, r["item_name"])] = code
        if r["severity"] not in severities:
            problems.append(f"{where}: severity {r['severity']!r} must be one of {', '.join(SEVERITIES)}")
        if r["department_code"] not in departments:
            problems.append(
                f"{where}: department {r['department_code']!r} of item {code!r} is not in departments.csv"
            )
        flag = r["self_resolvable"].lower()
        if flag not in ("true", "false"):
            problems.append(f"{where}: self_resolvable {r['self_resolvable']!r} must be true or false")
        if flag == "true" and r["severity"] in SELF_RESOLVE_FORBIDDEN:
            problems.append(
                f"{where}: item {code!r} is {r['severity']} by default and cannot be self-resolvable"
            )
        keywords = tuple(k.strip() for k in r["keywords"].split(KEYWORD_SEPARATOR) if k.strip())
        hours = [_hours(r[f"{s}_hours"], f"{where} {s}_hours", problems) for s in STEPS]
        items.append(
            Item(
                code,
                cat,
                r["item_name"],
                r["description"],
                r["severity"],
                r["department_code"],
                flag == "true",
                keywords,
                *hours,
                public=is_public(code, cat),
            )
        )
        cat_items.setdefault(cat, []).append(code)
    categories = [
        Category(c, cat_names.get(c, ""), tuple(codes), sort)
        for sort, (c, codes) in enumerate(cat_items.items(), start=1)
    ]
    return categories, items


def load_catalog(
    catalog_csv: str,
    departments_csv: str,
    severities_csv: str,
    *,
    min_categories: int = MIN_CATEGORIES,
    min_items: int = MIN_ITEMS,
) -> Catalog:
    """Parse and validate the three CSV texts; raises :class:`CatalogError` listing every problem."""
    problems: list[str] = []
    severities = _parse_severities(severities_csv, problems)
    departments = _parse_departments(departments_csv, problems)
    categories, items = _parse_items(
        catalog_csv, {d.code: d for d in departments}, {s.code for s in severities}, problems
    )
    if len(categories) < min_categories:
        problems.append(f"catalog.csv: {len(categories)} categories, at least {min_categories} are required")
    if len(items) < min_items:
        problems.append(f"catalog.csv: {len(items)} items, at least {min_items} are required")
    if problems:
        raise CatalogError(problems)
    return Catalog(tuple(categories), tuple(items), tuple(departments), tuple(severities))


def read_data(name: str) -> str:
    """The text of one packaged data file (``catalog.csv``, ``departments.csv``, ...)."""
    return resources.files(_DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_default_catalog() -> Catalog:
    """The catalog shipped with gridgov (validated; cached)."""
    return load_catalog(
        read_data("catalog.csv"), read_data("departments.csv"), read_data("severity_factors.csv")
    )


def time_limit_hours(
    item: Item | str, step: str, severity: str | None = None, *, catalog: Catalog | None = None
) -> float:
    """Hours allowed for ``step`` of ``item`` at ``severity`` (default: the item's default severity).

    ``base hours (the item's *_hours column) × the severity's factor``. The hours run on the
    severity's clock (:func:`severity_clock`): working hours, or natural hours for ``urgent``.
    ``catalog`` defaults to the packaged one (its severity factors, and its items when ``item`` is
    a code).
    """
    return (catalog or load_default_catalog()).time_limit_hours(item, step, severity)


def severity_clock(severity: str, *, catalog: Catalog | None = None) -> Literal["working", "natural"]:
    """The clock a severity's limits run on (``working`` or ``natural``)."""
    return (catalog or load_default_catalog()).clock(severity)
