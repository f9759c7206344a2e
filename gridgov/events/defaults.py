"""Installing the shipped catalog and a territory's departments into a database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access.models import Department, User
from gridgov.events.catalog import write_version
from gridgov.events.catalog_defaults import load_default_catalog
from gridgov.events.models import CatalogVersion

#: departments that exist once per town (属地: the town government, its police station, ...)
PER_TOWN = ("XZ", "PCS", "SFS", "SJS", "CJ")


def install_catalog(db: Session, actor: User | None = None) -> CatalogVersion | None:
    """Write the shipped catalog as version 1 if the database has none; else do nothing."""
    if db.scalar(select(CatalogVersion.id).limit(1)) is not None:
        return None
    cat = load_default_catalog()
    categories = [{"code": c.code, "name": c.name} for c in cat.categories]
    items = [{"code": i.code, "category_code": i.category_code, "name": i.name, "description": i.description,
              "severity": i.severity, "department_code": i.department_code, "self_resolvable": i.self_resolvable,
              "keywords": "、".join(i.keywords), "limits": cat.limits(i), "public": i.public} for i in cat.items]
    return write_version(db, actor, categories=categories, items=items, note="系统默认事项清单")


def install_departments(db: Session, top_code: str, top_name: str, towns: list[tuple[str, str]]) -> int:
    """The shipped department list for a county (``{top_code}-{code}``), with the 属地 ones per town
    (``{town_code}-{code}``, serving that town). Existing codes are left alone. Returns rows added."""
    existing = set(db.scalars(select(Department.code)))
    rows = []
    for d in load_default_catalog().departments:
        if d.code in PER_TOWN and towns:
            for town_code, town_name in towns:
                rows.append(Department(code=f"{town_code}-{d.code}", name=_local(d.code, town_name),
                                       region_code=town_code, is_centre=False))
        else:
            rows.append(Department(code=f"{top_code}-{d.code}", name=f"{top_name}{d.name}", region_code=top_code,
                                   is_centre=d.kind == "centre"))
    new = [r for r in rows if r.code not in existing]
    db.add_all(new)
    db.flush()
    return len(new)


def _local(code: str, town: str) -> str:
    if code == "XZ":
        return f"{town}办事处" if town.endswith("街道") else f"{town}人民政府"
    return town + {"PCS": "派出所", "SFS": "司法所", "SJS": "市场监管所", "CJ": "村（居）民委员会"}[code]
