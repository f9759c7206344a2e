"""Buildings and houses: create, read, update under scope, with history and audit."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.access.masking import mask_name
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.access.scope import require_visible, scope_clause
from gridgov.access.service import require_permission
from gridgov.errors import Conflict, NotFound
from gridgov.places.addressing import address_key
from gridgov.places.history import get_register_record, masked_changes, record_change, snapshot
from gridgov.places.models import Building, House, RecordChange
from gridgov.places.schemas import STATUS_LABELS, USE_LABELS
from gridgov.regions.service import place_point

BUILDING_FIELDS = ("name", "address", "use", "floors", "units", "built_year", "lon", "lat", "grid_code")
HOUSE_FIELDS = ("unit_no", "floor_no", "room_no", "use", "area_m2", "owner_name", "is_rental", "status")


def _writer(user: User | None) -> None:
    require_permission(user, Permission.register_write)


def building_out(b: Building, house_count: int = 0) -> dict[str, Any]:
    return {"id": b.id, "code": b.code, "name": b.name, "address": b.address, "use": b.use,
            "use_label": USE_LABELS.get(b.use, b.use), "floors": b.floors, "units": b.units,
            "built_year": b.built_year, "lon": b.lon, "lat": b.lat,
            "h3": format(b.h3, "x") if b.h3 is not None else None, "grid_code": b.grid_code,
            "house_count": house_count, "declare_url": f"/declare/{b.declare_token}", "updated_at": b.updated_at}


def house_out(h: House, resident_count: int = 0, reveal: bool = False) -> dict[str, Any]:
    return {"id": h.id, "code": h.code, "building_id": h.building_id, "address": h.address,
            "unit_no": h.unit_no, "floor_no": h.floor_no, "room_no": h.room_no, "use": h.use,
            "area_m2": h.area_m2, "owner_name": h.owner_name if reveal else mask_name(h.owner_name),
            "is_rental": h.is_rental, "status": h.status, "status_label": STATUS_LABELS.get(h.status, h.status),
            "grid_code": h.grid_code, "resident_count": resident_count}


def next_code(db: Session, model: Any, prefix: str) -> str:
    """The next free code ``prefix`` + 5-digit sequence (codes are stable identifiers)."""
    last = db.scalar(select(func.max(model.code)).where(model.code.startswith(prefix)))
    n = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{n:05d}"


def create_building(db: Session, actor: User | None, data: dict[str, Any]) -> Building:
    if actor is not None:
        _writer(actor)
    where = place_point(db, data["lon"], data["lat"], data.get("crs", "wgs84"))
    if actor is not None:
        require_visible(actor, region_code=where["grid_code"], what="该楼栋所在网格")
    fields = {k: v for k, v in data.items() if k in BUILDING_FIELDS and k not in ("lon", "lat")}
    b = Building(code=next_code(db, Building, f"B{where['grid_code']}"), declare_token=secrets.token_urlsafe(12),
                 addr_key=address_key(data.get("address") or data["name"]), **fields, **where)
    db.add(b)
    db.flush()
    record_change(db, actor, "building", b.id, "create", None, snapshot(b, BUILDING_FIELDS), b.grid_code)
    return b


def get_building(db: Session, actor: User, building_id: int) -> Building:
    return get_register_record(db, actor, Building, building_id, label="楼栋", code="building")


def list_buildings(db: Session, actor: User, *, grid_code: str | None = None, q: str | None = None,
                   limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    require_permission(actor, Permission.register_read)
    stmt = select(Building).where(scope_clause(actor, region_column=Building.grid_code))
    if grid_code:
        stmt = stmt.where(Building.grid_code.startswith(grid_code, autoescape=True))
    if q:
        stmt = stmt.where(Building.name.contains(q, autoescape=True) | Building.address.contains(q, autoescape=True))
    # (grid_code, code): the scope is a range on the grid_code index, which then also gives the order
    # (codes start with the grid code), instead of sorting every building in a county for one page
    rows = list(db.scalars(stmt.order_by(Building.grid_code, Building.code).limit(limit).offset(offset)))
    counts = dict(db.execute(select(House.building_id, func.count()).where(
        House.building_id.in_([b.id for b in rows])).group_by(House.building_id)).all())
    return [building_out(b, counts.get(b.id, 0)) for b in rows]


def update_building(db: Session, actor: User, building_id: int, data: dict[str, Any]) -> Building:
    _writer(actor)
    b = get_building(db, actor, building_id)
    before = snapshot(b, BUILDING_FIELDS)
    if "lon" in data and "lat" in data:
        where = place_point(db, data["lon"], data["lat"], data.get("crs", "wgs84"))
        require_visible(actor, region_code=where["grid_code"], what="新位置所在网格")
        for k, v in where.items():
            setattr(b, k, v)
    for k, v in data.items():
        if k in BUILDING_FIELDS and k not in ("lon", "lat", "grid_code"):
            setattr(b, k, v)
    db.flush()
    record_change(db, actor, "building", b.id, "update", before, snapshot(b, BUILDING_FIELDS), b.grid_code)
    return b


def building_by_token(db: Session, token: str) -> Building:
    b = db.scalar(select(Building).where(Building.declare_token == token))
    if b is None:
        raise NotFound("申报链接无效，请向网格员索取楼栋二维码", code="building_not_found")
    return b


def house_address(b: Building, unit_no: str | None, room_no: str | None) -> str:
    base = b.address or b.name
    unit = f"{unit_no}单元" if unit_no else ""
    return f"{base}{unit}{room_no}室" if room_no else base


def house_key(building_key: str | None, unit_no: str | None, room_no: str | None) -> str | None:
    """A house's address key: its building's key plus unit and room, as the canonical text has them."""
    if building_key is None:
        return None
    return (building_key + (f"{unit_no}单元" if unit_no else "") + (f"{room_no}室" if room_no else ""))[:160]


def create_house(db: Session, actor: User | None, building_id: int, data: dict[str, Any]) -> House:
    if actor is not None:
        _writer(actor)
        b = get_building(db, actor, building_id)
    else:
        b = db.get(Building, building_id)
        if b is None:
            raise NotFound("楼栋不存在", code="building_not_found")
    code = f"{b.code}-{data.get('unit_no') or '0'}-{data['room_no']}"
    if db.scalar(select(House.id).where(House.code == code)):
        raise Conflict(f"该楼栋已有 {data.get('unit_no') or ''}单元 {data['room_no']} 室", code="house_exists")
    h = House(code=code, building_id=b.id, address=house_address(b, data.get("unit_no"), data["room_no"]),
              addr_key=house_key(b.addr_key, data.get("unit_no"), data["room_no"]),
              lon=b.lon, lat=b.lat, h3=b.h3, grid_code=b.grid_code, grid_region_id=b.grid_region_id,
              **{k: v for k, v in data.items() if k in HOUSE_FIELDS})
    db.add(h)
    db.flush()
    record_change(db, actor, "house", h.id, "create", None, snapshot(h, HOUSE_FIELDS), h.grid_code)
    return h


def get_house(db: Session, actor: User, house_id: int) -> House:
    return get_register_record(db, actor, House, house_id, label="房屋", code="house")


def reveal_house(db: Session, actor: User, house_id: int, purpose: str) -> dict[str, Any]:
    """The house with its owner unmasked, for a stated purpose (the rule of every reveal:
    ``people.service.require_reveal``); who saw whose data and why is audited."""
    from gridgov.access import audit
    from gridgov.people.service import require_reveal, residents_of_house

    purpose = require_reveal(actor, purpose)
    h = get_house(db, actor, house_id)
    audit.record(db, actor, "personal.reveal", "house", h.id,
                 detail={"purpose": purpose, "fields": ["owner_name"], "owner_person_id": h.owner_person_id})
    return house_out(h, len(residents_of_house(db, h.id)), reveal=True)


def update_house(db: Session, actor: User, house_id: int, data: dict[str, Any]) -> House:
    _writer(actor)
    h = get_house(db, actor, house_id)
    before = snapshot(h, HOUSE_FIELDS)
    for k, v in data.items():
        if k in HOUSE_FIELDS:
            setattr(h, k, v)
    db.flush()
    record_change(db, actor, "house", h.id, "update", before, snapshot(h, HOUSE_FIELDS), h.grid_code)
    return h


def houses_of_building(db: Session, actor: User, building_id: int) -> list[House]:
    b = get_building(db, actor, building_id)
    return list(db.scalars(select(House).where(House.building_id == b.id).order_by(House.code)))


def history(db: Session, actor: User, entity_type: str, entity_id: int, grid_code: str | None) -> list[dict]:
    require_permission(actor, Permission.register_read)
    require_visible(actor, region_code=grid_code)
    rows = db.scalars(select(RecordChange).where(RecordChange.entity_type == entity_type,
                                                 RecordChange.entity_id == entity_id).order_by(RecordChange.id))
    return [{"at": r.at, "actor_id": r.actor_id, "action": r.action,
             "changes": masked_changes(entity_type, json.loads(r.changes))} for r in rows]


def list_houses(db: Session, actor: User, *, building_id: int | None = None, grid_code: str | None = None,
                q: str | None = None, rental: bool | None = None, status: str | None = None, limit: int = 50,
                offset: int = 0) -> list[dict[str, Any]]:
    """Houses in the actor's scope (register pages), with their residents counted in one query."""
    from gridgov.people.models import Person

    require_permission(actor, Permission.register_read)
    stmt = select(House).where(scope_clause(actor, region_column=House.grid_code))
    if building_id is not None:
        stmt = stmt.where(House.building_id == building_id)
    if grid_code:
        stmt = stmt.where(House.grid_code.startswith(grid_code, autoescape=True))
    if q:
        stmt = stmt.where(House.address.contains(q, autoescape=True) | (House.code == q))
    if rental is not None:
        stmt = stmt.where(House.is_rental.is_(rental))
    if status:
        stmt = stmt.where(House.status == status)
    rows = list(db.scalars(stmt.order_by(House.grid_code, House.code).limit(limit).offset(offset)))  # see list_buildings
    counts = dict(db.execute(select(Person.house_id, func.count()).where(
        Person.house_id.in_([h.id for h in rows]), Person.status == "active").group_by(Person.house_id)).all())
    return [house_out(h, counts.get(h.id, 0)) for h in rows]
