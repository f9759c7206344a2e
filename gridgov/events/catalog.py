"""The catalog in the database: versions, items, and who is responsible (权责清单).

Editing the catalog writes a new version (a copy with the changes) and makes it current; events
keep the version they were filed under, so an edit never changes the limits of a running case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import Department, User
from gridgov.access.roles import Permission
from gridgov.access.service import require_permission
from gridgov.errors import Invalid, NotFound
from gridgov.events.catalog_defaults import load_default_catalog
from gridgov.events.models import CatalogCategory, CatalogItem, CatalogVersion, Event, ResponsibilityRule

#: severity code → label (轻微 / 一般 / 严重 / 紧急), from the shipped severity table
SEVERITIES = {s.code: s.label for s in load_default_catalog().severities}


@dataclass(frozen=True)
class ItemInfo:
    """A detached snapshot of one catalog item (cached per version; versions never change)."""

    version_id: int
    code: str
    category_code: str
    name: str
    severity: str
    department_code: str | None
    self_resolvable: bool
    limits: dict[str, Any] = field(hash=False)


_ITEMS: dict[int, dict[str, ItemInfo]] = {}


def _snapshot(row: CatalogItem) -> ItemInfo:
    return ItemInfo(row.version_id, row.code, row.category_code, row.name, row.severity, row.department_code,
                    row.self_resolvable, dict(row.limits))


def _items_of(db: Session, version_id: int) -> dict[str, ItemInfo]:
    items = _ITEMS.get(version_id)
    if items is None:
        rows = db.scalars(select(CatalogItem).where(CatalogItem.version_id == version_id))
        items = _ITEMS[version_id] = {r.code: _snapshot(r) for r in rows}
    return items


def current_version(db: Session) -> CatalogVersion:
    v = db.scalar(select(CatalogVersion).where(CatalogVersion.is_current.is_(True)))
    if v is None:
        raise Invalid("事项清单尚未初始化（运行 gridgov catalog install）", code="catalog_missing", status=409)
    return v


def current_item(db: Session, code: str) -> tuple[CatalogVersion, ItemInfo]:
    v = current_version(db)
    item = _items_of(db, v.id).get((code or "").strip())
    if item is None:
        raise Invalid(f"事项编码 {code!r} 不在现行事项清单中", code="unknown_item", details={"item_code": code})
    return v, item


def item_of(db: Session, e: Event) -> ItemInfo:
    return _items_of(db, e.catalog_version_id)[e.item_code]


def responsible_department(db: Session, item: ItemInfo, region_code: str) -> int | None:
    """The lead department: the most specific responsibility rule (item over category, deeper region
    over shallower), else the item's default department serving that region; None → manual queue."""
    rules = db.execute(select(ResponsibilityRule.lead_department_id, ResponsibilityRule.item_code,
                              ResponsibilityRule.region_code).where(
        or_(ResponsibilityRule.item_code == item.code,
            (ResponsibilityRule.item_code.is_(None)) & (ResponsibilityRule.category_code == item.category_code)))).all()
    best = max(((r.item_code is not None, len(r.region_code), r.lead_department_id) for r in rules
                if region_code.startswith(r.region_code)), default=None)
    if best is not None:
        return best[2]
    if not item.department_code:
        return None
    depts = db.execute(select(Department.id, Department.region_code).where(
        Department.code.endswith(f"-{item.department_code}", autoescape=True))).all()
    serving = [(len(d.region_code), d.id) for d in depts if region_code.startswith(d.region_code)]
    return max(serving)[1] if serving else None


# --- reading and editing --------------------------------------------------------------------

def item_out(row: CatalogItem | ItemInfo) -> dict[str, Any]:
    return {"code": row.code, "category_code": row.category_code, "name": row.name,
            "description": getattr(row, "description", None), "severity": row.severity,
            "severity_label": SEVERITIES.get(row.severity, row.severity), "department_code": row.department_code,
            "self_resolvable": row.self_resolvable, "keywords": getattr(row, "keywords", None),
            "limits": row.limits}


def catalog_out(db: Session, version: CatalogVersion | None = None) -> dict[str, Any]:
    v = version or current_version(db)
    cats = db.scalars(select(CatalogCategory).where(CatalogCategory.version_id == v.id).order_by(
        CatalogCategory.sort, CatalogCategory.code))
    items = list(db.scalars(select(CatalogItem).where(CatalogItem.version_id == v.id).order_by(CatalogItem.code)))
    by_cat: dict[str, list[dict[str, Any]]] = {}
    for it in items:
        by_cat.setdefault(it.category_code, []).append(item_out(it))
    return {"version": v.number, "created_at": v.created_at, "note": v.note,
            "categories": [{"code": c.code, "name": c.name, "items": by_cat.get(c.code, [])} for c in cats]}


def versions(db: Session) -> list[dict[str, Any]]:
    rows = db.scalars(select(CatalogVersion).order_by(CatalogVersion.number.desc()))
    return [{"version": v.number, "is_current": v.is_current, "note": v.note, "created_by": v.created_by,
             "created_at": v.created_at} for v in rows]


def version_by_number(db: Session, number: int) -> CatalogVersion:
    v = db.scalar(select(CatalogVersion).where(CatalogVersion.number == number))
    if v is None:
        raise NotFound(f"事项清单第 {number} 版不存在", code="catalog_version_not_found")
    return v


ITEM_FIELDS = ("category_code", "name", "description", "severity", "department_code", "self_resolvable",
               "keywords", "limits")


def write_version(db: Session, actor: User | None, *, categories: list[dict[str, Any]],
                  items: list[dict[str, Any]], note: str | None) -> CatalogVersion:
    """Store a complete catalog as the new current version."""
    cat_codes = [c["code"] for c in categories]
    if len(set(cat_codes)) != len(cat_codes):
        raise Invalid("类别编码重复", code="duplicate_category")
    item_codes = [i["code"] for i in items]
    if len(set(item_codes)) != len(item_codes):
        raise Invalid("事项编码重复", code="duplicate_item")
    bad = sorted({i["code"] for i in items if i["category_code"] not in set(cat_codes)})
    if bad:
        raise Invalid("事项的类别不存在", code="unknown_category", details={"items": bad[:20]})
    bad = sorted({i["code"] for i in items if i["severity"] not in SEVERITIES})
    if bad:
        raise Invalid(f"严重程度须为 {', '.join(SEVERITIES)}", code="invalid_severity", details={"items": bad[:20]})
    number = (db.scalar(select(func.max(CatalogVersion.number))) or 0) + 1
    db.execute(update(CatalogVersion).values(is_current=False))
    v = CatalogVersion(number=number, note=note, is_current=True, created_by=getattr(actor, "username", None))
    db.add(v)
    db.flush()
    db.add_all(CatalogCategory(version_id=v.id, code=c["code"], name=c["name"], sort=n)
               for n, c in enumerate(categories))
    db.add_all(CatalogItem(version_id=v.id, code=i["code"], **{k: i.get(k) for k in ITEM_FIELDS}) for i in items)
    db.flush()
    audit.record(db, actor, "catalog.version", "catalog", number,
                 after={"categories": len(categories), "items": len(items), "note": note})
    return v


def edit(db: Session, actor: User, changes: list[dict[str, Any]], note: str | None) -> CatalogVersion:
    """Apply item changes (``{"code", ...fields}`` upserts; ``{"code", "remove": true}`` drops) as a new version."""
    require_permission(actor, Permission.catalog_manage)
    v = current_version(db)
    cats = [{"code": c.code, "name": c.name} for c in db.scalars(
        select(CatalogCategory).where(CatalogCategory.version_id == v.id).order_by(CatalogCategory.sort))]
    items = {i.code: {"code": i.code, **{k: getattr(i, k) for k in ITEM_FIELDS}}
             for i in db.scalars(select(CatalogItem).where(CatalogItem.version_id == v.id))}
    for ch in changes:
        code = ch["code"]
        if ch.get("remove"):
            if code not in items:
                raise Invalid(f"事项 {code} 不存在", code="unknown_item")
            del items[code]
            continue
        base = items.get(code)
        if base is None:
            missing = [k for k in ("category_code", "name", "severity", "limits") if ch.get(k) is None]
            if missing:
                raise Invalid(f"新增事项 {code} 缺少字段：{', '.join(missing)}", code="missing_fields")
            base = {"code": code, "self_resolvable": False}
        items[code] = {**base, **{k: v_ for k, v_ in ch.items() if k in ITEM_FIELDS and v_ is not None}}
    return write_version(db, actor, categories=cats, items=list(items.values()), note=note)


def add_rule(db: Session, actor: User, data: dict[str, Any]) -> ResponsibilityRule:
    require_permission(actor, Permission.catalog_manage)
    if not data.get("item_code") and not data.get("category_code"):
        raise Invalid("请指定事项编码或类别编码", code="rule_target_required")
    v = current_version(db)
    item, cat = data.get("item_code"), data.get("category_code")
    if item and db.scalar(select(CatalogItem.id).where(CatalogItem.version_id == v.id, CatalogItem.code == item)) is None:
        raise Invalid(f"事项编码：{item} 不在现行事项清单中", code="unknown_item")
    if cat and db.scalar(select(CatalogCategory.id).where(CatalogCategory.version_id == v.id,
                                                         CatalogCategory.code == cat)) is None:
        raise Invalid(f"类别编码：{cat} 不在现行事项清单中", code="unknown_category")
    if db.get(Department, data["lead_department_id"]) is None:
        raise Invalid("牵头部门不存在", code="unknown_department")
    rule = ResponsibilityRule(item_code=data.get("item_code"), category_code=data.get("category_code"),
                              region_code=data["region_code"], lead_department_id=data["lead_department_id"],
                              assist_department_ids=data.get("assist_department_ids") or [], note=data.get("note"))
    db.add(rule)
    db.flush()
    audit.record(db, actor, "catalog.rule", "responsibility_rule", rule.id, after=data)
    return rule
