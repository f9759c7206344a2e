"""Reading and writing the standard address library: search, one address, new addresses (located,
in the writer's scope, audited) and aliases / former names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.access.scope import require_visible
from gridgov.access.service import require_permission
from gridgov.errors import Conflict, Invalid, NotFound
from gridgov.places.addressing import prefix_range
from gridgov.places.history import record_change, snapshot
from gridgov.places.matching.canonical import (
    FIELDS,
    REGION_FIELDS,
    Elements,
    building_key,
    canonical_text,
    local_key,
    with_values,
)
from gridgov.places.matching.query import prepare
from gridgov.places.matching.scoring import name_sim
from gridgov.places.matching.service import A, h3_hex, key_is, require_reader
from gridgov.places.models import AddressAlias

ADDRESS_FIELDS = (
    "code",
    "text",
    "level",
    "addr_key",
    "parent_id",
    *FIELDS,
    "community_code",
    "lon",
    "lat",
    "grid_code",
)


def address_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "text": row.text,
        "level": row.level,
        "key": row.addr_key,
        "parent_id": row.parent_id,
        "elements": {f: getattr(row, f) for f in FIELDS if getattr(row, f)},
        "community_code": row.community_code,
        "lon": row.lon,
        "lat": row.lat,
        "h3": h3_hex(row.h3),
        "grid_code": row.grid_code,
    }


# --- reading ----------------------------------------------------------------------------------


def list_addresses(
    db: Session,
    actor: User | None,
    *,
    q: str | None = None,
    grid_code: str | None = None,
    level: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Addresses whose key starts with what ``q`` names from the road down (or whose code starts
    with ``q``: found through the grid code it embeds), optionally in a grid subtree and at one
    level; ordered by key (by id when nothing narrows the list)."""
    require_reader(actor)
    stmt = select(A)
    code = q.strip().upper() if q else ""
    if code.startswith("A") and code[1:].replace("-", "").isdigit():  # a code: A + grid code + …
        grid = code[1:18]
        stmt = stmt.where(
            A.grid_code == grid if len(grid) == 17 else prefix_range(A.grid_code, grid),
            A.code.startswith(code, autoescape=True),
        )
    elif q:
        query = prepare(q)
        key = query.keys[0] if query.keys else None
        if key:
            stmt = stmt.where(
                A.level.in_((level,) if level else ("building", "unit", "room")),
                prefix_range(A.addr_key, key),
            )
        else:
            return []
    if grid_code:
        stmt = stmt.where(prefix_range(A.grid_code, grid_code))
    if level:
        stmt = stmt.where(A.level == level)
    # narrowed lists in key order (an index order or a small sort); the unfiltered one by id
    order = (A.addr_key, A.id) if (q or grid_code or level) else (A.id,)
    rows = db.scalars(stmt.order_by(*order).limit(limit).offset(offset))
    return [address_out(r) for r in rows]


def get_address(db: Session, actor: User | None, address_id: int) -> dict[str, Any]:
    require_reader(actor)
    row = db.get(A, address_id)
    if row is None:
        raise NotFound("标准地址不存在", code="address_not_found")
    out = address_out(row)
    out["children"] = db.scalar(select(func.count()).select_from(A).where(A.parent_id == row.id)) or 0
    return out


# --- writing ----------------------------------------------------------------------------------


def _region_names(db: Session, community_code: str | None) -> dict[str, str | None]:
    """Region elements (province … community) of the community ``community_code`` lies in."""
    from gridgov.regions.models import Region

    if not community_code:
        return {}
    codes = [community_code[:n] for n in (2, 4, 6, 9, 12)]
    rows = dict(
        db.execute(
            select(Region.code, Region.name).where(Region.valid_to.is_(None), Region.code.in_(codes))
        ).all()
    )
    return {f: rows.get(c) for f, c in zip(REGION_FIELDS, codes)}


def _check_regions(given: Elements, located: dict[str, str | None]) -> None:
    wrong = {
        f: {"given": getattr(given, f), "located": located[f]}
        for f in REGION_FIELDS
        if getattr(given, f) and located.get(f) and name_sim(getattr(given, f), located[f]) < 0.9
    }
    if wrong:
        raise Invalid("地址中的行政区划与坐标所在区划不一致", code="region_mismatch", details=wrong)


def _check_lengths(e: Elements) -> None:
    """Every element fits its column and the canonical text its 200 characters (nothing is cut)."""
    long = {f: v for f in FIELDS if (v := getattr(e, f)) and len(v) > A.__table__.c[f].type.length}
    text = (local_key(e) or "") if not long else ""
    if long or len(canonical_text(e)) >= 200 or len(text) >= 160:
        raise Invalid("地址要素过长", code="address_too_long", details={"elements": long or None})


def _next_code(db: Session, grid_code: str) -> str:
    """The next free building code ``A`` + grid code + 5 digits (units and rooms extend their
    building's code); looked up through the grid's rows, not a scan of the codes."""
    prefix = f"A{grid_code}"
    codes = db.scalars(select(A.code).where(A.grid_code == grid_code, A.level == "building"))
    tails = [int(c[len(prefix) :]) for c in codes if c.startswith(prefix) and c[len(prefix) :].isdigit()]
    return f"{prefix}{max(tails, default=0) + 1:05d}"


def _parent(db: Session, e: Elements, community_code: str | None) -> Any:
    """The unit (for a room in a unit) or building row an address hangs under, in its community
    when the location is known; 422 when missing or (without a location) ambiguous."""
    if e.level == "building":
        return None
    for key, level in ((local_key(e.parent()), "unit"), (building_key(e), "building")):
        if level == "unit" and not (e.level == "room" and e.unit_no):
            continue
        stmt = select(A).where(key_is(key, level))
        if community_code:
            stmt = stmt.where(A.community_code == community_code)
        rows = db.scalars(stmt.order_by(A.id).limit(2)).all()
        if len(rows) > 1:
            raise Invalid(f"有多个楼栋地址为 {key}，请给出坐标 lon/lat", code="parent_ambiguous")
        if rows:
            return rows[0]
    raise Invalid(f"所在楼栋的标准地址不存在：{building_key(e)}，请先创建楼栋地址", code="parent_missing")


def create_address(db: Session, actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Add an address: its elements come from ``text`` (parsed) and ``elements`` (which win);
    regions are filled from where the point lies, and must agree with the ones given. A unit or
    room hangs under its building (which must exist) and defaults to its location."""
    from gridgov.regions.service import locate, place_point

    require_permission(actor, Permission.register_write)
    q = prepare(data.get("text") or "")
    e = with_values(q.elements, data.get("elements") or {})
    if not (e.road or e.poi):
        raise Invalid("地址缺少道路或小区（楼宇）名称", code="address_incomplete", details=q.as_dict())
    if data.get("lon") is not None and data.get("lat") is not None:
        where = place_point(db, data["lon"], data["lat"], data.get("crs", "wgs84"))
        parent = _parent(db, e, (locate(db, [where["lon"]], [where["lat"]])[0] or {}).get("community"))
    else:
        parent = _parent(db, e, None)
        if parent is None:
            raise Invalid("楼栋地址需要坐标 lon/lat", code="location_required")
        where = {k: getattr(parent, k) for k in ("lon", "lat", "h3", "grid_code", "grid_region_id")}
    require_visible(actor, region_code=where["grid_code"], what="该地址所在网格")
    community = (locate(db, [where["lon"]], [where["lat"]])[0] or {}).get("community")
    located = _region_names(db, community)
    _check_regions(e, located)
    e = with_values(e, {f: located.get(f) or getattr(e, f) for f in REGION_FIELDS})
    _check_lengths(e)
    key = local_key(e)
    clash = db.scalar(select(A).where(key_is(key, e.level), A.community_code == community).limit(1))
    if clash is not None:
        raise Conflict(
            f"标准地址已存在：{clash.text}",
            code="address_exists",
            details={"id": clash.id, "code": clash.code},
        )
    if parent is None:
        code = _next_code(db, where["grid_code"])
    else:
        root = parent.code.split("-")[0]
        code = f"{root}-{e.unit_no or 0}-{e.room_no}" if e.level == "room" else f"{root}-{e.unit_no}"
    row = A(
        code=code,
        text=canonical_text(e),
        addr_key=key,
        level=e.level,
        parent_id=parent.id if parent else None,
        community_code=community,
        **e.as_dict(),
        **where,
    )
    db.add(row)
    db.flush()
    record_change(db, actor, "address", row.id, "create", None, snapshot(row, ADDRESS_FIELDS), row.grid_code)
    return address_out(row)


def create_alias(db: Session, actor: User, data: dict[str, Any]) -> dict[str, Any]:
    require_permission(actor, Permission.register_write)
    if data["alias"] == data["name"]:
        raise Invalid("别名与标准名称相同", code="alias_same_as_name")
    exists = db.scalar(
        select(AddressAlias).where(
            AddressAlias.field == data["field"],
            AddressAlias.alias == data["alias"],
            AddressAlias.name == data["name"],
        )
    )
    if exists is not None:
        raise Conflict("该别名已存在", code="alias_exists", details={"id": exists.id})
    row = AddressAlias(**{k: data.get(k) for k in ("field", "alias", "name", "kind", "region_code")})
    db.add(row)
    db.flush()
    after = {k: getattr(row, k) for k in ("field", "alias", "name", "kind", "region_code")}
    audit.record(db, actor, "address_alias.create", "address_alias", row.id, after=after)
    return {"id": row.id, **after}
