"""The responsibility list (权责清单) in and out of Excel: who leads which item in which region.

One row per rule: an item code (or a whole category), a region subtree, the lead department and
any assisting departments. Rows are validated against the current catalog and the departments;
bad rows are quarantined with their reason in a downloadable error report; a rule is keyed by
(item or category, region), so importing the same file again changes nothing and a changed row
updates its rule.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import Department, User
from gridgov.access.roles import Permission
from gridgov.access.service import require_permission
from gridgov.errors import AppError, Invalid, NotFound
from gridgov.events.catalog import current_version
from gridgov.events.models import CatalogCategory, CatalogItem, ResponsibilityRule
from gridgov.integration.columns import BadRow, Column, RowSchema, parse_region_code_cell, text_parser
from gridgov.integration.excel import error_report_xlsx, template_xlsx
from gridgov.integration.models import ImportRun, QuarantineRow

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
    result = SCHEMA.validate(table)
    v = current_version(db)
    items = set(db.scalars(select(CatalogItem.code).where(CatalogItem.version_id == v.id)))
    categories = set(db.scalars(select(CatalogCategory.code).where(CatalogCategory.version_id == v.id)))
    departments = {code: i for code, i in db.execute(select(Department.code, Department.id)).all()}
    run = ImportRun(entity=ENTITY, filename=filename[:200], file_digest=hashlib.sha256(data).hexdigest(),
                    encoding=table.encoding or table.format, actor_id=actor.id, scope="全部",
                    total=result.total + result.empty_rows, empty_rows=result.empty_rows,
                    warnings=json.dumps(result.warnings, ensure_ascii=False))
    db.add(run)
    db.flush()
    bad: list[BadRow] = list(result.bad)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for row in result.good:
        try:
            with db.begin_nested():
                counts[_upsert(db, _resolve(db, row.data, items, categories, departments))] += 1
        except AppError as exc:
            bad.append(BadRow(row.number, {SCHEMA.by_key[k].header_cn: (None if val is None else str(val))
                                           for k, val in row.data.items()}, [exc.message]))
    for b in sorted(bad, key=lambda r: r.number):
        db.add(QuarantineRow(run_id=run.id, row_number=b.number, values=json.dumps(b.values, ensure_ascii=False),
                             reasons=json.dumps(b.reasons, ensure_ascii=False)))
    run.created, run.updated, run.unchanged, run.quarantined = (
        counts["created"], counts["updated"], counts["unchanged"], len(bad))
    audit.record(db, actor, "catalog.rules.import", "import_run", run.id,
                 detail={"file": run.file_digest, **counts, "quarantined": len(bad)})
    db.flush()
    return run


def run_out(db: Session, run: ImportRun) -> dict[str, Any]:
    rows = db.scalars(select(QuarantineRow).where(QuarantineRow.run_id == run.id).order_by(QuarantineRow.row_number))
    return {"id": run.id, "filename": run.filename, "total": run.total, "created": run.created,
            "updated": run.updated, "unchanged": run.unchanged, "quarantined": run.quarantined,
            "empty_rows": run.empty_rows,
            "error_report": f"/api/v1/catalog/rules/imports/{run.id}/errors.xlsx" if run.quarantined else None,
            "quarantine": [{"row": r.row_number, "reasons": json.loads(r.reasons)} for r in rows]}


def get_run(db: Session, actor: User, run_id: int) -> ImportRun:
    require_permission(actor, Permission.catalog_manage)
    run = db.get(ImportRun, run_id)
    if run is None or run.entity != ENTITY:
        raise NotFound("导入记录不存在", code="import_not_found")
    return run


def error_report(db: Session, actor: User, run_id: int) -> bytes:
    run = get_run(db, actor, run_id)
    rows = [BadRow(r.row_number, json.loads(r.values), json.loads(r.reasons)) for r in db.scalars(
        select(QuarantineRow).where(QuarantineRow.run_id == run.id).order_by(QuarantineRow.row_number))]
    return error_report_xlsx(SCHEMA, rows, source_name=run.filename)


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
