"""The responsibility list (权责清单) in and out of Excel: who leads which item in which region.

One row per rule: an item code (or a whole category), a region subtree, the lead department and
any assisting departments. Rows are validated against the current catalog and the departments;
bad rows are quarantined with their reason in a downloadable error report; a rule is keyed by
(item or category, region), so importing the same file again changes nothing and a changed row
updates its rule.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access.models import Department, User
from gridgov.access.roles import Permission
from gridgov.access.service import require_permission
from gridgov.errors import Invalid
from gridgov.events.catalog import current_version
from gridgov.events.models import CatalogCategory, CatalogItem, ResponsibilityRule
from gridgov.integration import pipeline
from gridgov.integration.columns import Column, RowSchema, parse_region_code_cell, text_parser
from gridgov.integration.excel import template_xlsx
from gridgov.integration.models import ImportRun

ENTITY = "responsibility"

SCHEMA = RowSchema("权责清单", [
    Column("item_code", "事项编码", parse=text_parser(16), example="CG001"),
    Column("category_code", "类别编码", parse=text_parser(16), example=""),
    Column("region_code", "区划代码", required=True, parse=parse_region_code_cell, example="211021"),
    Column("lead", "牵头部门编码", required=True, parse=text_parser(32), example="211021-CG"),
    Column("assist", "协办部门编码", parse=text_parser(200), example="211021-SJ、211021-ZJ"),
    Column("note", "备注", parse=text_parser(200), example="占道经营由综合执法局牵头"),
])


def template() -> bytes:
    return template_xlsx(SCHEMA)


def _split(codes: str | None) -> list[str]:
    if not codes:
        return []
    for sep in ",，;；/ ":
        codes = codes.replace(sep, "、")
    return [c for c in (x.strip() for x in codes.split("、")) if c]


def _resolve(db: Session, data: dict[str, Any], items: set[str], categories: set[str],
             departments: dict[str, int]) -> dict[str, Any]:
    item, cat = data.get("item_code"), data.get("category_code")
    if bool(item) == bool(cat):
        raise Invalid("事项编码与类别编码须且只能填写一个", code="rule_target")
    if item and item not in items:
        raise Invalid(f"事项编码：{item} 不在现行事项清单中", code="unknown_item")
    if cat and cat not in categories:
        raise Invalid(f"类别编码：{cat} 不在现行事项清单中", code="unknown_category")
    lead = departments.get(data["lead"])
    if lead is None:
        raise Invalid(f"牵头部门编码：{data['lead']} 不存在", code="unknown_department")
    assist = []
    for code in _split(data.get("assist")):
        if code not in departments:
            raise Invalid(f"协办部门编码：{code} 不存在", code="unknown_department")
        if departments[code] != lead:
            assist.append(departments[code])
    return {"item_code": item, "category_code": cat, "region_code": data["region_code"],
            "lead_department_id": lead, "assist_department_ids": sorted(set(assist)), "note": data.get("note")}


def _upsert(db: Session, rule: dict[str, Any]) -> str:
    found = db.scalar(select(ResponsibilityRule).where(
        ResponsibilityRule.item_code.is_(None) if rule["item_code"] is None
        else ResponsibilityRule.item_code == rule["item_code"],
        ResponsibilityRule.category_code.is_(None) if rule["category_code"] is None
        else ResponsibilityRule.category_code == rule["category_code"],
        ResponsibilityRule.region_code == rule["region_code"]))
    if found is None:
        db.add(ResponsibilityRule(**rule))
        return "created"
    same = (found.lead_department_id == rule["lead_department_id"]
            and sorted(found.assist_department_ids or []) == rule["assist_department_ids"]
            and found.note == rule["note"])
    if same:
        return "unchanged"
    found.lead_department_id, found.assist_department_ids, found.note = (
        rule["lead_department_id"], rule["assist_department_ids"], rule["note"])
    return "updated"


def import_file(db: Session, actor: User, data: bytes, filename: str) -> ImportRun:
    """Validate and load a responsibility list; every row is accounted for in the returned run."""
    require_permission(actor, Permission.catalog_manage)
    table = SCHEMA.read(data, filename)
    v = current_version(db)
    items = set(db.scalars(select(CatalogItem.code).where(CatalogItem.version_id == v.id)))
    categories = set(db.scalars(select(CatalogCategory.code).where(CatalogCategory.version_id == v.id)))
    departments = {code: i for code, i in db.execute(select(Department.code, Department.id)).all()}
    return pipeline.import_rows(
        db, actor, entity=ENTITY, schema=SCHEMA, table=table,
        write=lambda row: _upsert(db, _resolve(db, row.data, items, categories, departments)),
        filename=filename, file_digest=hashlib.sha256(data).hexdigest(), audit_action="catalog.rules.import")


def run_out(db: Session, run: ImportRun) -> dict[str, Any]:
    # the whole quarantine: a responsibility list is short, and admins fix it in one go
    return pipeline.run_out(db, run, error_report="/api/v1/catalog/rules/imports/{id}/errors.xlsx",
                            limit=None)


def get_run(db: Session, actor: User, run_id: int) -> ImportRun:
    require_permission(actor, Permission.catalog_manage)
    return pipeline.find_run(db, actor, run_id, (ENTITY,))


def error_report(db: Session, actor: User, run_id: int) -> bytes:
    return pipeline.error_report(db, get_run(db, actor, run_id), SCHEMA)


def list_rules(db: Session, actor: User, region: str | None = None) -> list[dict[str, Any]]:
    require_permission(actor, Permission.regions_read)
    stmt = select(ResponsibilityRule, Department.code, Department.name).join(
        Department, Department.id == ResponsibilityRule.lead_department_id)
    if region:
        stmt = stmt.where(ResponsibilityRule.region_code.startswith(region, autoescape=True))
    rows = db.execute(stmt.order_by(ResponsibilityRule.region_code, ResponsibilityRule.item_code,
                                    ResponsibilityRule.category_code).limit(5000))
    return [{"id": r.id, "item_code": r.item_code, "category_code": r.category_code, "region_code": r.region_code,
             "lead_department_id": r.lead_department_id, "lead_department_code": code, "lead_department": name,
             "assist_department_ids": r.assist_department_ids, "note": r.note} for r, code, name in rows]
