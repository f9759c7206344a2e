"""The default event catalog (package data) and its loader/validator (pure, no database)."""

from __future__ import annotations

import re

import pytest

from gridgov.events.catalog_defaults import (
    CATALOG_COLUMNS,
    SEVERITIES,
    STEPS,
    Catalog,
    CatalogError,
    load_catalog,
    load_default_catalog,
    read_data,
    severity_clock,
    time_limit_hours,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_default_catalog()


# --- the shipped data ---------------------------------------------------------------------------


def test_size(catalog):
    assert len(catalog.categories) >= 12
    assert len(catalog.items) >= 150
    assert all(len(c.item_codes) >= 5 for c in catalog.categories)


def test_covers_the_ground_of_the_seeds(catalog):
    names = " ".join(c.name for c in catalog.categories)
    for word in (
        "党建",
        "平安",
        "矛盾纠纷",
        "治安",
        "安全生产",
        "消防",
        "城市管理",
        "生态环境",
        "食品药品",
        "民生",
        "特殊人群",
        "应急",
        "物业",
    ):
        assert word in names, word


def test_codes(catalog):
    item_codes = [i.code for i in catalog.items]
    assert len(set(item_codes)) == len(item_codes)
    for item in catalog.items:
        assert re.fullmatch(r"[A-Z]{2}\d{3}", item.code)
        assert item.code.startswith(item.category_code)
    for cat in catalog.categories:  # numbered 001, 002, ... in the shipped data
        assert [c[2:] for c in cat.item_codes] == [f"{n:03d}" for n in range(1, len(cat.item_codes) + 1)]
    assert [c.sort for c in catalog.categories] == list(range(1, len(catalog.categories) + 1))


def test_every_item_is_complete(catalog):
    departments = {d.code for d in catalog.departments}
    for item in catalog.items:
        assert item.name and item.description and item.keywords, item.code
        assert item.severity in SEVERITIES
        assert item.department_code in departments
        assert all(item.base_hours(step) > 0 for step in STEPS)
        assert all("," not in k and "，" not in k for k in item.keywords)


def test_self_resolve_is_for_small_things(catalog):
    assert catalog.item("CG001").name == "暴露垃圾" and catalog.item("CG001").self_resolvable
    fire = next(i for i in catalog.items if i.name == "火灾")
    assert fire.severity == "urgent" and not fire.self_resolvable
    assert not any(i.self_resolvable for i in catalog.items if i.severity in ("high", "urgent"))
    assert 20 <= sum(i.self_resolvable for i in catalog.items) <= len(catalog.items) // 2


def test_departments(catalog):
    by_code = {d.code: d for d in catalog.departments}
    assert [d.code for d in catalog.departments if d.kind == "centre"] == ["ZZ"]
    assert by_code["PCS"].parent_code == "GA"
    assert {"utility", "town", "department", "centre"} == {d.kind for d in catalog.departments}
    for code in ("ZZ", "CG", "GA", "YJ", "SJ", "ST", "ZJ", "MZ", "WJ", "SF"):  # the demo's departments
        assert code in by_code
    assert all(len(d.code) <= 14 and not d.name.startswith("县") for d in catalog.departments)


def test_severity_scale(catalog):
    assert [s.code for s in catalog.severities] == list(SEVERITIES)
    assert [s.label for s in catalog.severities] == ["轻微", "一般", "严重", "紧急"]
    assert [s.factor for s in catalog.severities] == [1.5, 1.0, 0.5, 0.25]
    assert [s.clock for s in catalog.severities] == ["working", "working", "working", "natural"]


def test_files_are_plain_utf8():
    for name in ("catalog.csv", "departments.csv", "severity_factors.csv", "holidays.csv"):
        text = read_data(name)
        assert not text.startswith("\ufeff")
    assert read_data("catalog.csv").splitlines()[0] == ",".join(CATALOG_COLUMNS)


# --- time limits --------------------------------------------------------------------------------


def test_time_limit_hours(catalog):
    manhole = catalog.item("CG012")  # 井盖缺失破损, high by default
    assert manhole.name == "井盖缺失破损" and manhole.severity == "high"
    assert time_limit_hours(manhole, "handle") == manhole.handle_hours * 0.5
    assert time_limit_hours("CG012", "handle", "normal") == manhole.handle_hours
    assert time_limit_hours("CG012", "accept", "low") == manhole.accept_hours * 1.5
    assert time_limit_hours("CG012", "verify", "urgent") == manhole.verify_hours * 0.25
    assert severity_clock("urgent") == "natural" and severity_clock("normal") == "working"


def test_limits_shape(catalog):
    limits = catalog.limits("YJ001")
    assert set(limits) == set(SEVERITIES)
    assert all(set(v) == set(STEPS) for v in limits.values())
    assert (
        limits["urgent"]["accept"]
        < limits["high"]["accept"]
        < limits["normal"]["accept"]
        < limits["low"]["accept"]
    )


def test_time_limit_errors(catalog):
    with pytest.raises(ValueError, match="step"):
        time_limit_hours("CG001", "archive")
    with pytest.raises(ValueError, match="severity"):
        time_limit_hours("CG001", "handle", "critical")
    with pytest.raises(KeyError, match="ZZ999"):
        catalog.item("ZZ999")


def test_items_of(catalog):
    items = catalog.items_of("XF")
    assert items[0].code == "XF001" and all(i.category_code == "XF" for i in items)
    assert catalog.category("XF").name == "消防安全"


# --- validation ---------------------------------------------------------------------------------

DEPARTMENTS = "department_code,name,kind,parent_code\nZZ,综治中心,centre,\nCG,城管局,department,\n"
SEVERITY_TABLE = read_data("severity_factors.csv")
HEADER = ",".join(CATALOG_COLUMNS)


def row(
    cat="CG",
    name="城市管理",
    code="CG001",
    item="暴露垃圾",
    severity="low",
    dept="CG",
    selfres="true",
    hours=("2", "2", "4", "7", "7"),
) -> str:
    return ",".join([cat, name, code, item, "说明", severity, dept, selfres, "垃圾、脏乱", *hours])


def load(*rows: str, departments: str = DEPARTMENTS) -> Catalog:
    return load_catalog(
        "\n".join([HEADER, *rows]) + "\n", departments, SEVERITY_TABLE, min_categories=1, min_items=1
    )


def test_small_valid_catalog():
    c = load(row(), row(code="CG002", item="乱堆物堆料"))
    assert [i.code for i in c.items] == ["CG001", "CG002"]
    assert c.item("CG001").keywords == ("垃圾", "脏乱")


def test_every_problem_is_listed():
    with pytest.raises(CatalogError) as err:
        load(
            row(),
            row(item="重复编码"),  # duplicate code
            row(code="XF002", item="前缀不符"),  # wrong category prefix
            row(code="CG003", item="未知部门", dept="NOPE"),  # unknown department
            row(code="CG004", item="未知等级", severity="critical"),
            row(code="CG005", item="负时限", hours=("2", "2", "4", "-1", "7")),
            row(code="CG006", item="非数字", hours=("2", "x", "4", "7", "7")),
            row(code="CG007", item="自处置布尔", selfres="yes"),
            row(code="CG008", item="紧急自处置", severity="urgent"),
            row(code="CG9", item="编码格式"),
            row(code="CG010", item="暴露垃圾"),  # repeated name in the category
            row(code="CG011", item="改名", name="城管"),  # category renamed midway
        )
    problems = err.value.problems
    text = " | ".join(problems)
    for fragment in (
        "'CG001' already used",
        "does not start with its category",
        "'NOPE'",
        "'critical'",
        "hours must be positive",
        "'x' is not a number",
        "must be true or false",
        "cannot be self-resolvable",
        "three digits",
        "repeats CG001",
        "is named",
    ):
        assert fragment in text, fragment
    assert "row 3" in text  # rows are numbered as in a spreadsheet (header = row 1)


def test_minimum_size_is_enforced():
    with pytest.raises(CatalogError, match="at least 12 are required"):
        load_catalog(HEADER + "\n" + row() + "\n", DEPARTMENTS, SEVERITY_TABLE)


def test_missing_columns():
    with pytest.raises(CatalogError, match="missing column"):
        load_catalog(
            "category_code,item_code\nCG,CG001\n", DEPARTMENTS, SEVERITY_TABLE, min_categories=0, min_items=0
        )


def test_department_checks():
    bad = (
        "department_code,name,kind,parent_code\nCG,城管局,agency,\nGA,公安局,department,XX\n"
        "AA,甲,department,BB\nBB,乙,department,AA\nCG,重复,department,\nlower,小写,department,\n"
    )
    with pytest.raises(CatalogError) as err:
        load(row(), departments=bad)
    text = " | ".join(err.value.problems)
    for fragment in (
        "kind 'agency'",
        "parent 'XX'",
        "own ancestor",
        "'CG' already used",
        "capital letters",
        "no department of kind centre",
    ):
        assert fragment in text, fragment


def test_severity_table_checks():
    bad = "severity,label,color,rank,factor,clock,description\nlow,轻微,蓝,1,0,sundial,\nnormal,一般,黄,1,1,working,\n"
    with pytest.raises(CatalogError) as err:
        load_catalog(HEADER + "\n" + row() + "\n", DEPARTMENTS, bad, min_categories=0, min_items=0)
    text = " | ".join(err.value.problems)
    for fragment in (
        "factor must be positive",
        "clock 'sundial'",
        "'high' must appear exactly once",
        "ranks must be distinct",
    ):
        assert fragment in text, fragment
