"""Organizations (法人/单位): registered by USCC (GB 32100), located to a grid."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.masking import mask_citizen_id, mask_name, mask_phone
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.access.scope import require_visible, scope_clause
from gridgov.access.service import require_permission
from gridgov.codes import parse_uscc
from gridgov.codes.errors import CodeError
from gridgov.errors import Conflict, Invalid
from gridgov.people.models import Organization
from gridgov.people.service import require_reveal, validate_identity, validate_phone
from gridgov.places.history import get_register_record, record_change, snapshot
from gridgov.regions.service import place_point

ORG_TYPES = {"enterprise": "企业", "individual": "个体工商户", "institution": "事业单位", "government": "机关",
             "social": "社会组织", "school": "学校", "hospital": "医疗机构", "other": "其他"}
# what org_out masks: the legal representative's and the contact's personal data
PERSONAL_FIELDS = ("legal_rep_name", "legal_rep_citizen_id", "legal_rep_phone", "contact_name", "contact_phone")
ORG_FIELDS = ("name", "org_type", "address", "legal_rep_name", "legal_rep_phone", "contact_name", "contact_phone",
              "employees", "grid_code")


def org_out(o: Organization, reveal: bool = False) -> dict[str, Any]:
    return {"id": o.id, "uscc": o.uscc, "name": o.name, "org_type": o.org_type,
            "org_type_label": ORG_TYPES.get(o.org_type, o.org_type), "address": o.address,
            "legal_rep_name": o.legal_rep_name if reveal else mask_name(o.legal_rep_name),
            "legal_rep_citizen_id": o.legal_rep_citizen_id if reveal else mask_citizen_id(o.legal_rep_citizen_id),
            "legal_rep_phone": o.legal_rep_phone if reveal else mask_phone(o.legal_rep_phone),
            "contact_name": o.contact_name if reveal else mask_name(o.contact_name),
            "contact_phone": o.contact_phone if reveal else mask_phone(o.contact_phone),
            "employees": o.employees, "grid_code": o.grid_code, "lon": o.lon, "lat": o.lat}


def check_uscc(value: str) -> str:
    try:
        return parse_uscc(value).code
    except CodeError as exc:
        raise Invalid(f"统一社会信用代码无效：{exc.message}", code="invalid_uscc") from exc


def create_organization(db: Session, actor: User | None, data: dict[str, Any]) -> Organization:
    if actor is not None:
        require_permission(actor, Permission.register_write)
    uscc = check_uscc(data["uscc"])
    if data.get("org_type", "enterprise") not in ORG_TYPES:
        raise Invalid(f"单位类型应为：{'、'.join(ORG_TYPES)}", code="invalid_org_type")
    if db.scalar(select(Organization.id).where(Organization.uscc == uscc)):
        raise Conflict("该统一社会信用代码已登记", code="organization_exists")
    where = place_point(db, data["lon"], data["lat"], data.get("crs", "wgs84"))
    if actor is not None:
        require_visible(actor, region_code=where["grid_code"], what="该单位所在网格")
    extra: dict[str, Any] = {}
    if data.get("legal_rep_citizen_id"):
        extra["legal_rep_citizen_id"] = validate_identity(data["legal_rep_citizen_id"])["citizen_id"]
    for key in ("legal_rep_phone", "contact_phone"):
        if data.get(key):
            extra[key] = validate_phone(data[key])
    o = Organization(uscc=uscc, name=data["name"], org_type=data.get("org_type", "enterprise"),
                     address=data.get("address"), building_id=data.get("building_id"),
                     legal_rep_name=data.get("legal_rep_name"), contact_name=data.get("contact_name"),
                     employees=data.get("employees"), row_digest=data.get("row_digest"), **extra, **where)
    db.add(o)
    db.flush()
    record_change(db, actor, "organization", o.id, "create", None, snapshot(o, ORG_FIELDS), o.grid_code)
    return o


def get_organization(db: Session, actor: User, org_id: int) -> Organization:
    return get_register_record(db, actor, Organization, org_id, label="单位", code="organization")


def reveal_organization(db: Session, actor: User, org_id: int, purpose: str) -> dict[str, Any]:
    """The organization with its legal representative and contact unmasked, for a stated purpose;
    who saw whose data and why is audited (like a person's reveal)."""
    purpose = require_reveal(actor, purpose)
    o = get_organization(db, actor, org_id)
    audit.record(db, actor, "personal.reveal", "organization", o.id,
                 detail={"purpose": purpose, "fields": [f for f in PERSONAL_FIELDS if getattr(o, f)]})
    return org_out(o, reveal=True)


def list_organizations(db: Session, actor: User, *, q: str | None = None, limit: int = 50,
                       offset: int = 0) -> list[dict[str, Any]]:
    require_permission(actor, Permission.register_read)
    stmt = select(Organization).where(scope_clause(actor, region_column=Organization.grid_code))
    if q:
        stmt = stmt.where(Organization.name.contains(q, autoescape=True) | (Organization.uscc == q.upper()))
    return [org_out(o) for o in db.scalars(stmt.order_by(Organization.name).limit(limit).offset(offset))]
