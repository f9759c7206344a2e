"""API keys of Open311 client apps: made once and shown once, kept as their SHA-256 only.

``gridgov open311 key add|list|revoke`` calls :func:`create_api_key`, :func:`list_api_keys` and
:func:`revoke_api_key`; a POST request passes :func:`check_api_key` (403 when missing, unknown or
revoked). Making and revoking a key are audited.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import User
from gridgov.db import utcnow
from gridgov.errors import Forbidden, Invalid, NotFound
from gridgov.open311.models import ApiKey


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(db: Session, name: str, contact: str | None = None, actor: User | None = None) -> str:
    """Make a key for a client app and return it in plain text — the only time it is seen: the
    database keeps its SHA-256. Audited. (``gridgov open311 key add``.)"""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("密钥名称须为 1 至 100 个字符", code="invalid_key_name")
    if contact is not None and len(contact) > 200:
        raise Invalid("联系方式不能超过 200 个字符", code="invalid_key_contact")
    key = "o311_" + secrets.token_urlsafe(32)
    row = ApiKey(
        key_hash=_hash(key),
        prefix=key[5:11],
        name=name,
        contact=(contact or "").strip() or None,
        active=True,
        created_at=utcnow(),
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor,
        "open311.key_create",
        "open311_api_key",
        row.id,
        after={"name": row.name, "contact": row.contact, "prefix": row.prefix},
    )
    return key


def revoke_api_key(db: Session, key_id: int, actor: User | None = None) -> ApiKey:
    """Switch a key off (it stays listed; its requests keep pointing at it). Audited."""
    row = db.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"Open311 密钥 {key_id} 不存在", code="api_key_not_found")
    if row.active:
        row.active = False
        audit.record(
            db,
            actor,
            "open311.key_revoke",
            "open311_api_key",
            row.id,
            before={"active": True},
            after={"active": False},
        )
    return row


def list_api_keys(db: Session) -> list[dict[str, Any]]:
    return [
        {
            "id": k.id,
            "prefix": k.prefix,
            "name": k.name,
            "contact": k.contact,
            "active": k.active,
            "created_at": k.created_at,
            "last_used_at": k.last_used_at,
        }
        for k in db.scalars(select(ApiKey).order_by(ApiKey.id))
    ]


def check_api_key(db: Session, key: str | None) -> ApiKey:
    """The active key ``key`` is, or 403 (missing, unknown or revoked)."""
    if not key:
        raise Forbidden(
            "api_key：缺少 api_key，提交服务请求须提供有效的 api_key", code="open311_api_key_missing"
        )
    row = db.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key.strip())))
    if row is None or not row.active:
        raise Forbidden("api_key：api_key 无效或已停用，无法提交服务请求", code="open311_api_key_invalid")
    row.last_used_at = utcnow()
    return row
