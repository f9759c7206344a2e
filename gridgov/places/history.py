"""Keeping the history of register records: a change row with the values (scoped like the record)
and an audit-chain entry with digests, in the same transaction as the change."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.places.models import RecordChange

#: the fields of each register record that are personal data, and how their values are masked when a
#: change history is read (the history keeps the values; whoever reads it sees them as the record's
#: own masked view shows them — a reveal is for the record, not its history)
PERSONAL_FIELDS: dict[str, dict[str, str]] = {
    "person": {"name": "name", "citizen_id": "id", "phone": "phone", "birth_date": "date",
               "hukou_address": "address", "residence_address": "address"},
    "house": {"owner_name": "name", "owner_phone": "phone", "owner_citizen_id": "id"},
    "organization": {"legal_rep_name": "name", "legal_rep_citizen_id": "id", "legal_rep_phone": "phone",
                     "contact_name": "name", "contact_phone": "phone"},
}


def masked_changes(entity_type: str, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """A change row's ``{field: [before, after]}`` with personal values masked."""
    from gridgov.access.masking import mask_by_kind

    kinds = PERSONAL_FIELDS.get(entity_type, {})

    def mask(kind: str, value: Any) -> Any:
        if value in (None, ""):
            return value
        return "****-**-**" if kind == "date" else mask_by_kind(kind, str(value))

    return {field: [mask(kinds[field], v) for v in pair] if field in kinds else pair
            for field, pair in changes.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: _plain(getattr(row, f)) for f in fields}


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    before = before or {}
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record_change(db: Session, actor: Any, entity_type: str, entity_id: int, action: str,
                  before: dict[str, Any] | None, after: dict[str, Any], grid_code: str | None,
                  detail: dict[str, Any] | None = None) -> None:
    changes = diff(before, after)
    if not changes and action == "update":
        return
    db.add(RecordChange(entity_type=entity_type, entity_id=entity_id, actor_id=getattr(actor, "id", None),
                        action=action, changes=json.dumps(changes, ensure_ascii=False, default=str),
                        grid_code=grid_code))
    audit.record(db, actor, f"{entity_type}.{action}", entity_type, entity_id, before=before, after=after,
                 detail=detail)


def get_register_record(db: Session, actor: Any, model: type, record_id: int, *, label: str, code: str) -> Any:
    """Load one register record the actor may read: 404 if missing, 403 if outside their scope.
    ``label`` is the Chinese noun (楼栋, 房屋, 人员, 单位); ``code`` the machine prefix (``building``)."""
    from gridgov.access.roles import Permission
    from gridgov.access.scope import require_visible
    from gridgov.access.service import require_permission
    from gridgov.errors import NotFound

    require_permission(actor, Permission.register_read)
    row = db.get(model, record_id)
    if row is None:
        raise NotFound(f"{label}不存在", code=f"{code}_not_found")
    require_visible(actor, region_code=row.grid_code, what=f"该{label}")
    return row
