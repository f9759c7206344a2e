"""Keeping the history of register records: a change row with the values (scoped like the record)
and an audit-chain entry with digests, in the same transaction as the change."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.places.models import RecordChange


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
