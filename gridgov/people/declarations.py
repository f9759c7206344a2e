"""Self-declaration (自主申报): residents and landlords declare residence or tenants through a
building's public form; the grid worker reviews; approval writes the links with history.

Each building has a public URL ``/declare/{token}`` (printable as a QR code). A declaration gets
a tracking code the declarer uses to see the outcome (and the reason, if rejected).
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.masking import mask_citizen_id, mask_name, mask_phone
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.access.scope import require_visible, scope_clause
from gridgov.access.service import require_permission
from gridgov.errors import Conflict, Invalid, NotFound
from gridgov.people.models import Declaration, Person
from gridgov.people.service import RELATIONS, create_person, move_person, validate_identity, validate_phone
from gridgov.places.models import Building, House
from gridgov.places.service import building_by_token, create_house

STATUS_LABELS = {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}
MAX_PEOPLE = 20


def _clean_people(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not people:
        raise Invalid("请至少填写一名居住人员", code="people_required")
    if len(people) > MAX_PEOPLE:
        raise Invalid(f"一次最多申报 {MAX_PEOPLE} 人", code="too_many_people")
    out, seen = [], set()
    for n, person in enumerate(people, start=1):
        name = str(person.get("name") or "").strip()
        if not name or len(name) > 30:
            raise Invalid(f"第 {n} 人：请填写姓名（最多 30 字）", code="invalid_name")
        try:
            ident = validate_identity(str(person.get("citizen_id") or ""), phone=person.get("phone") or None)
        except Invalid as exc:
            raise Invalid(f"第 {n} 人：{exc.message}", code=exc.code) from exc
        if ident["citizen_id"] in seen:
            raise Invalid(f"第 {n} 人：身份证号重复", code="duplicate_person")
        seen.add(ident["citizen_id"])
        relation = person.get("relation") or "other"
        if relation not in RELATIONS:
            raise Invalid(f"第 {n} 人：与户主关系应为 {'、'.join(RELATIONS)}", code="invalid_relation")
        out.append({"name": name, "citizen_id": ident["citizen_id"], "phone": ident.get("phone"),
                     "relation": relation})
    return out


def submit(db: Session, token: str, data: dict[str, Any]) -> Declaration:
    """Public: no login. Everything is validated before it reaches the review queue."""
    building = building_by_token(db, token)
    kind = data.get("kind", "residence")
    if kind not in ("residence", "tenants"):
        raise Invalid("申报类型应为 residence（本人居住）或 tenants（房东申报租户）", code="invalid_kind")
    room = str(data.get("room_no") or "").strip()
    if not room or len(room) > 20:
        raise Invalid("请填写房号", code="room_required")
    declarer_name = str(data.get("declarer_name") or "").strip()
    if not declarer_name:
        raise Invalid("请填写申报人姓名", code="declarer_required")
    declarer_phone = validate_phone(str(data.get("declarer_phone") or ""))
    moved_in = data.get("moved_in_on") or date.today().isoformat()
    try:
        moved_in_on = date.fromisoformat(str(moved_in))
    except ValueError as exc:
        raise Invalid("入住日期格式应为 YYYY-MM-DD", code="invalid_date") from exc
    if moved_in_on > date.today():
        raise Invalid("入住日期不能晚于今天", code="invalid_date")
    payload = {"unit_no": str(data.get("unit_no") or "").strip() or None, "room_no": room,
               "moved_in_on": moved_in_on.isoformat(), "people": _clean_people(list(data.get("people") or []))}
    d = Declaration(tracking_code=secrets.token_hex(4).upper(), building_id=building.id, kind=kind,
                    declarer_name=declarer_name, declarer_phone=declarer_phone,
                    payload=json.dumps(payload, ensure_ascii=False), grid_code=building.grid_code)
    db.add(d)
    db.flush()
    audit.record(db, None, "declaration.submit", "declaration", d.id, after={"tracking_code": d.tracking_code},
                 detail={"building_id": building.id, "people": len(payload["people"])})
    return d


def status(db: Session, tracking_code: str) -> dict[str, Any]:
    """Public: what became of a declaration (no personal data beyond the declarer's masked name)."""
    d = db.scalar(select(Declaration).where(Declaration.tracking_code == tracking_code.strip().upper()))
    if d is None:
        raise NotFound("未找到该申报编号", code="declaration_not_found")
    building = db.get(Building, d.building_id)
    return {"tracking_code": d.tracking_code, "status": d.status, "status_label": STATUS_LABELS[d.status],
            "building": building.name if building else None, "declarer_name": mask_name(d.declarer_name),
            "reason": d.reason, "created_at": d.created_at, "reviewed_at": d.reviewed_at}


def declaration_out(d: Declaration, building: Building | None = None) -> dict[str, Any]:
    payload = json.loads(d.payload)
    people = [{**p, "name": mask_name(p["name"]), "citizen_id": mask_citizen_id(p["citizen_id"]),
               "phone": mask_phone(p.get("phone"))} for p in payload["people"]]
    return {"id": d.id, "tracking_code": d.tracking_code, "building_id": d.building_id, "kind": d.kind,
            "declarer_name": mask_name(d.declarer_name), "declarer_phone": mask_phone(d.declarer_phone),
            "unit_no": payload["unit_no"], "room_no": payload["room_no"], "moved_in_on": payload["moved_in_on"],
            "people": people, "status": d.status, "status_label": STATUS_LABELS[d.status], "reason": d.reason,
            "grid_code": d.grid_code, "created_at": d.created_at, "reviewed_at": d.reviewed_at,
            "building_name": building.name if building else None,
            "building_address": building.address if building else None}


def queue(db: Session, actor: User, status_filter: str = "pending", limit: int = 100) -> list[dict[str, Any]]:
    require_permission(actor, Permission.declarations_review)
    stmt = select(Declaration).where(scope_clause(actor, region_column=Declaration.grid_code))
    if status_filter != "all":
        stmt = stmt.where(Declaration.status == status_filter)
    rows = list(db.scalars(stmt.order_by(Declaration.created_at).limit(limit)))
    buildings = {b.id: b for b in db.scalars(select(Building).where(Building.id.in_({d.building_id for d in rows})))}
    return [declaration_out(d, buildings.get(d.building_id)) for d in rows]


def _reviewable(db: Session, actor: User, declaration_id: int) -> Declaration:
    require_permission(actor, Permission.declarations_review)
    d = db.get(Declaration, declaration_id)
    if d is None:
        raise NotFound("申报不存在", code="declaration_not_found")
    require_visible(actor, region_code=d.grid_code, what="该申报")
    if d.status != "pending":
        raise Conflict(f"该申报{STATUS_LABELS[d.status]}，不能重复审核", code="already_reviewed")
    return d


def approve(db: Session, actor: User, declaration_id: int) -> dict[str, Any]:
    """Write the house (if new), the persons (if new) and their residence links, with history."""
    d = _reviewable(db, actor, declaration_id)
    payload = json.loads(d.payload)
    house = db.scalar(select(House).where(House.building_id == d.building_id,
                                          House.unit_no.is_(payload["unit_no"]) if payload["unit_no"] is None
                                          else House.unit_no == payload["unit_no"],
                                          House.room_no == payload["room_no"]))
    if house is None:
        house = create_house(db, actor, d.building_id, {
            "unit_no": payload["unit_no"], "room_no": payload["room_no"],
            "is_rental": d.kind == "tenants", "status": "rented" if d.kind == "tenants" else "self_occupied"})
    moved_in_on = date.fromisoformat(payload["moved_in_on"])
    role = "tenant" if d.kind == "tenants" else "family"
    created = moved = 0
    for p in payload["people"]:
        existing = db.scalar(select(Person).where(Person.citizen_id == p["citizen_id"]))
        if existing is None:
            create_person(db, actor, {**p, "house_id": house.id, "role": role, "moved_in_on": moved_in_on,
                                      "population_type": "floating" if d.kind == "tenants" else "registered",
                                      "source": "declaration"})
            created += 1
        elif existing.house_id != house.id:
            move_person(db, actor, existing.id, house.id, role=role, on=moved_in_on, source="declaration")
            moved += 1
    d.status, d.reviewer_id, d.reviewed_at = "approved", actor.id, datetime.now(UTC)
    audit.record(db, actor, "declaration.approve", "declaration", d.id,
                 detail={"house_id": house.id, "created": created, "moved": moved})
    return {**declaration_out(d), "house_id": house.id, "created": created, "moved": moved}


def reject(db: Session, actor: User, declaration_id: int, reason: str) -> dict[str, Any]:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Invalid("请填写不通过的原因，申报人会看到它", code="reason_required")
    d = _reviewable(db, actor, declaration_id)
    d.status, d.reason, d.reviewer_id, d.reviewed_at = "rejected", reason, actor.id, datetime.now(UTC)
    audit.record(db, actor, "declaration.reject", "declaration", d.id, detail={"reason": reason})
    return declaration_out(d)
