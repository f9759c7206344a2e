"""Photos and documents attached to events: checked by size and by their bytes (not their name),
stored once per content under ``settings.attachments_dir``, then claimed by a report or an action.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access.models import User
from gridgov.errors import AppError, Invalid, NotFound
from gridgov.events.models import Attachment
from gridgov.settings import get_settings

#: accepted types, recognised by their first bytes
SIGNATURES: tuple[tuple[str, bytes, int, str], ...] = (
    ("image/jpeg", b"\xff\xd8\xff", 0, ".jpg"),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0, ".png"),
    ("image/webp", b"WEBP", 8, ".webp"),
    ("image/heic", b"ftypheic", 4, ".heic"),
    ("application/pdf", b"%PDF-", 0, ".pdf"),
    ("video/mp4", b"ftypisom", 4, ".mp4"),
)


class TooLarge(AppError):
    status = 413
    code = "attachment_too_large"


def sniff(head: bytes) -> tuple[str, str] | None:
    for content_type, magic, offset, ext in SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return content_type, ext
    return None


def store(db: Session, actor: User | None, filename: str, data: bytes) -> Attachment:
    settings = get_settings()
    if not data:
        raise Invalid("附件为空", code="attachment_empty")
    if len(data) > settings.attachment_max_bytes:
        raise TooLarge(f"附件超过 {settings.attachment_max_bytes // (1024 * 1024)} MB 上限",
                       details={"size": len(data), "max": settings.attachment_max_bytes})
    kind = sniff(data[:16])
    if kind is None:
        raise Invalid("附件类型不支持：仅接受 JPEG、PNG、WebP、HEIC 照片、PDF 和 MP4", code="attachment_type",
                      status=415)
    content_type, ext = kind
    sha = hashlib.sha256(data).hexdigest()
    rel = Path(sha[:2]) / f"{sha}{ext}"
    path = settings.attachments_dir / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    row = Attachment(filename=(filename or "upload")[-200:], content_type=content_type, size=len(data),
                     sha256=sha, path=str(rel), uploaded_by=getattr(actor, "id", None))
    db.add(row)
    db.flush()
    return row


def claim(db: Session, event_id: int, ids: list[int]) -> None:
    rows = list(db.scalars(select(Attachment).where(Attachment.id.in_(ids))))
    missing = set(ids) - {r.id for r in rows}
    taken = [r.id for r in rows if r.event_id not in (None, event_id)]
    if missing or taken:
        raise Invalid("附件编号无效或已被其他事件使用", code="invalid_attachment",
                      details={"missing": sorted(missing), "taken": taken})
    for r in rows:
        r.event_id = event_id


def open_attachment(db: Session, attachment_id: int) -> tuple[Attachment, Path]:
    row = db.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在", code="attachment_not_found")
    return row, get_settings().attachments_dir / row.path


def of_event(db: Session, event_id: int, limit: int = 50) -> list[Attachment]:
    """The attachments claimed by one event (the caller has checked that the user may see it)."""
    return list(db.scalars(select(Attachment).where(Attachment.event_id == event_id)
                           .order_by(Attachment.id).limit(limit)))
