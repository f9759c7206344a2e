"""The catalog in the database: versions, items, and who is responsible (权责清单).

Editing the catalog writes a new version (a copy with the changes) and makes it current; events
keep the version they were filed under, so an edit never changes the limits of a running case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import Department, User
from gridgov.access.roles import Permission
from gridgov.access.service import require_permission
from gridgov.cache import ProcessCache
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
    public: bool = True  # 对公众开放: residents (随手拍, Open311) may file it


_ITEMS: dict[tuple[str, int], dict[str, ItemInfo]] = {}  # (database URL, version id) → items


def _snapshot(row: CatalogItem) -> ItemInfo:
    return ItemInfo(row.version_id, row.code, row.category_code, row.name, row.severity, row.department_code,
                    row.self_resolvable, dict(row.limits), row.public)


def _items_of(db: Session, version_id: int) -> dict[str, ItemInfo]:
    key = (str(db.get_bind().url), version_id)  # ids repeat across databases (tests, several demos)
    items = _ITEMS.get(key)
    if items is None:
        rows = db.scalars(select(CatalogItem).where(CatalogItem.version_id == version_id))
        items = _ITEMS[key] = {r.code: _snapshot(r) for r in rows}
    return items


def current_version(db: Session) -> CatalogVersion:
    v = db.scalar(select(CatalogVersion).where(CatalogVersion.is_current.is_(True)))
    if v is None:
        raise Invalid("事项清单尚未初始化（运行 gridgov catalog install）", code="catalog_missing", status=409)
    return v


# --- the intake's caches ----------------------------------------------------------------------
# Every report needs the current catalog version and the responsibility list (rules and
# departments). A worker process keeps them for CACHE_SECONDS (gridgov.cache.ProcessCache): a
# change committed through this process drops them at once, another worker process's change is seen
# within 2 × CACHE_SECONDS. An event filed in that window keeps the version it was filed under, as
# every event does.

#: how long a worker process trusts its copy of the current catalog version and the
#: responsibility list (seconds); edits through the same process are seen at once
CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class VersionRef:
    """The current catalog version's id and number (what intake needs of it)."""

    id: int
    number: int


_WATCHED = (CatalogVersion, CatalogItem, CatalogCategory, ResponsibilityRule, Department)
_CACHE = ProcessCache("catalog", CACHE_SECONDS, _WATCHED)


def invalidate_caches() -> None:
    """Drop the cached current version and responsibility list (every database)."""
    _CACHE.invalidate()


def current_version_ref(db: Session) -> VersionRef:
    """The current version (cached for :data:`CACHE_SECONDS`)."""
    def load(s: Session) -> VersionRef:
        v = current_version(s)
        return VersionRef(v.id, v.number)

    return _CACHE.get(db, "version", load)


def current_item(db: Session, code: str) -> tuple[VersionRef, ItemInfo]:
    v = current_version_ref(db)
    item = _items_of(db, v.id).get((code or "").strip())
    if item is None:
        raise Invalid(f"事项编码 {code!r} 不在现行事项清单中", code="unknown_item", details={"item_code": code})
    return v, item


def item_of(db: Session, e: Event) -> ItemInfo:
    return _items_of(db, e.catalog_version_id)[e.item_code]


def current_public_item(db: Session, code: str) -> tuple[VersionRef, ItemInfo]:
    """:func:`current_item` for the public channels (随手拍 page and API, Open311): an internal item
    (``public`` false) is refused with 422 ``item_not_public``; staff channels use :func:`current_item`."""
    v, item = current_item(db, code)
    if not item.public:
        raise Invalid(f"事项编码 {item.code} 不受理群众上报，请从公开的事项中选择；如遇违法犯罪或紧急情况请拨打 110",
                      code="item_not_public", details={"item_code": item.code})
    return v, item


def responsible_department(db: Session, item: ItemInfo, region_code: str) -> int | None:
    """The lead department: the most specific responsibility rule (item over category, deeper region
    over shallower), else the item's default department serving that region; None → manual queue."""
    rules, depts = _responsibility(db)
    best = max(((r_item is not None, len(r_region), lead)
                for r_item, r_cat, r_region, lead in rules.get(item.code, ()) + rules.get((None, item.category_code), ())
                if region_code.startswith(r_region)), default=None)
    if best is not None:
        return best[2]
    if not item.department_code:
        return None
    serving = [(len(d_region), d_id) for d_id, d_region in depts.get(item.department_code, ())
               if region_code.startswith(d_region)]
    return max(serving)[1] if serving else None


def _responsibility(db: Session) -> tuple[dict, dict]:
    """The responsibility list by item code (or ``(None, category)``) and the departments by their
    kind (the code's part after the last ``-``), cached for :data:`CACHE_SECONDS`."""
    def load(s: Session) -> tuple[dict, dict]:
        rules: dict[Any, tuple] = {}
        for r in s.execute(select(ResponsibilityRule.item_code, ResponsibilityRule.category_code,
                                   ResponsibilityRule.region_code, ResponsibilityRule.lead_department_id)):
            key = r.item_code if r.item_code is not None else (None, r.category_code)
            rules[key] = (*rules.get(key, ()), tuple(r))
        depts: dict[str, tuple] = {}
        for d in s.execute(select(Department.id, Department.code, Department.region_code)):
            # a department "<region>-<KIND>" serves its region for items whose department is KIND
            # (the code may hold several dashes: every suffix after one counts, as LIKE '%-KIND' did)
            parts = d.code.split("-")
            for i in range(1, len(parts)):
                kind = "-".join(parts[i:])
                depts[kind] = (*depts.get(kind, ()), (d.id, d.region_code))
        return rules, depts

    return _CACHE.get(db, "responsibility", load)


# --- reading and editing --------------------------------------------------------------------

def item_out(row: CatalogItem | ItemInfo) -> dict[str, Any]:
    return {"code": row.code, "category_code": row.category_code, "name": row.name,
            "description": getattr(row, "description", None), "severity": row.severity,
            "severity_label": SEVERITIES.get(row.severity, row.severity), "department_code": row.department_code,
            "self_resolvable": row.self_resolvable, "public": row.public,
            "keywords": getattr(row, "keywords", None), "limits": row.limits}


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
               "keywords", "limits", "public")


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
    bad = sorted(i["code"] for i in items if not isinstance(i.get("public", True), bool | None))
    if bad:
        raise Invalid("「对公众开放」（public）须为 true 或 false", code="invalid_public", details={"items": bad[:20]})
    number = (db.scalar(select(func.max(CatalogVersion.number))) or 0) + 1
    db.execute(update(CatalogVersion).values(is_current=False))
    v = CatalogVersion(number=number, note=note, is_current=True, created_by=getattr(actor, "username", None))
    db.add(v)
    db.flush()
    db.add_all(CatalogCategory(version_id=v.id, code=c["code"], name=c["name"], sort=n)
               for n, c in enumerate(categories))
    db.add_all(CatalogItem(version_id=v.id, code=i["code"], **{k: i.get(k) for k in ITEM_FIELDS if k != "public"},
                           public=i.get("public") is not False) for i in items)
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
        if ch.get("limits") is not None:
            items[code]["limits"] = merge_limits(code, (base or {}).get("limits"), ch["limits"])
    return write_version(db, actor, categories=cats, items=list(items.values()), note=note)


LIMIT_STEPS = ("accept", "dispatch", "sign", "handle", "verify")


def merge_limits(code: str, old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, dict[str, float]]:
    """An edit's time limits replace the severities and steps it names and keep the rest; a severity
    left without a step gets the normal hours × the severity's factor (``severity_factors.csv``).
    Every severity must end with every step: the clock reads them all."""
    merged = {sev: dict(steps) for sev, steps in (old or {}).items()}
    for sev, steps in new.items():
        merged.setdefault(sev, {}).update(steps)
    normal = merged.get("normal", {})
    factors = {s.code: s.factor for s in load_default_catalog().severities}
    for sev, factor in factors.items():
        for step in LIMIT_STEPS:
            if step not in merged.setdefault(sev, {}) and step in normal:
                merged[sev][step] = round(normal[step] * factor, 6)
    missing = [f"{sev}.{step}" for sev in factors for step in LIMIT_STEPS if step not in merged[sev]]
    if missing:
        raise Invalid(f"事项 {code} 的时限不完整，缺少：{', '.join(missing[:10])}（至少给出 normal 的全部五个环节）",
                      code="incomplete_limits", details={"missing": missing})
    return merged


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
