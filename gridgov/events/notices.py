"""一键通: notices from the centre to grid workers, with read receipts and replies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import User, UserScope
from gridgov.access.roles import Role
from gridgov.access.scope import require_visible
from gridgov.db import utcnow
from gridgov.errors import Forbidden, Invalid, NotFound
from gridgov.events.models import Notice, NoticeReceipt


def _require_centre(actor: User) -> None:
    if actor.role not in (Role.operator.value, Role.admin.value):
        raise Forbidden("只有中心坐席可以发送一键通通知", code="permission_denied")


def send(db: Session, actor: User, *, title: str, body: str, region_code: str,
         requires_reply: bool = False) -> Notice:
    """Send to every active grid worker whose grid lies in ``region_code``'s subtree."""
    _require_centre(actor)
    require_visible(actor, region_code=region_code, what="通知范围")
    recipients = sorted(set(db.scalars(
        select(User.id).join(UserScope, UserScope.user_id == User.id).where(
            User.role == Role.grid_worker.value, User.active.is_(True),
            UserScope.region_code.startswith(region_code, autoescape=True)))))
    if not recipients:
        raise Invalid("该范围内没有网格员", code="no_recipients")
    n = Notice(title=title, body=body, sender_id=actor.id, region_code=region_code, requires_reply=requires_reply)
    db.add(n)
    db.flush()
    db.add_all(NoticeReceipt(notice_id=n.id, user_id=uid) for uid in recipients)
    audit.record(db, actor, "notice.send", "notice", n.id,
                 after={"title": title, "region_code": region_code, "recipients": len(recipients)})
    return n


def notice_out(n: Notice, receipt: NoticeReceipt | None = None) -> dict[str, Any]:
    out = {"id": n.id, "title": n.title, "body": n.body, "region_code": n.region_code,
           "requires_reply": n.requires_reply, "created_at": n.created_at}
    if receipt is not None:
        out.update(read_at=receipt.read_at, reply=receipt.reply, replied_at=receipt.replied_at)
    return out


def my_notices(db: Session, user: User, limit: int = 50) -> list[dict[str, Any]]:
    rows = db.execute(select(Notice, NoticeReceipt).join(NoticeReceipt, NoticeReceipt.notice_id == Notice.id)
                      .where(NoticeReceipt.user_id == user.id).order_by(Notice.id.desc()).limit(limit))
    return [notice_out(n, r) for n, r in rows]


def _receipt(db: Session, user: User, notice_id: int) -> NoticeReceipt:
    r = db.scalar(select(NoticeReceipt).where(NoticeReceipt.notice_id == notice_id, NoticeReceipt.user_id == user.id))
    if r is None:
        raise NotFound("通知不存在", code="notice_not_found")
    return r


def mark_read(db: Session, user: User, notice_id: int) -> dict[str, Any]:
    r = _receipt(db, user, notice_id)
    r.read_at = r.read_at or utcnow()
    return notice_out(db.get(Notice, notice_id), r)


def reply(db: Session, user: User, notice_id: int, text: str) -> dict[str, Any]:
    r = _receipt(db, user, notice_id)
    now = utcnow()
    r.read_at = r.read_at or now
    r.reply, r.replied_at = text, now
    audit.record(db, user, "notice.reply", "notice", notice_id, after={"reply": text})
    return notice_out(db.get(Notice, notice_id), r)


def sent(db: Session, actor: User, limit: int = 50) -> list[dict[str, Any]]:
    """The centre's view: its notices with how many were read and replied."""
    _require_centre(actor)
    stats = (select(NoticeReceipt.notice_id, func.count().label("total"),
                    func.count(NoticeReceipt.read_at).label("read"),
                    func.count(NoticeReceipt.replied_at).label("replied"))
             .group_by(NoticeReceipt.notice_id).subquery())
    rows = db.execute(select(Notice, stats.c.total, stats.c.read, stats.c.replied)
                      .join(stats, stats.c.notice_id == Notice.id).where(Notice.sender_id == actor.id)
                      .order_by(Notice.id.desc()).limit(limit))
    return [{**notice_out(n), "recipients": total, "read": read, "replied": replied}
            for n, total, read, replied in rows]


def receipts(db: Session, actor: User, notice_id: int) -> list[dict[str, Any]]:
    _require_centre(actor)
    n = db.get(Notice, notice_id)
    if n is None or (n.sender_id != actor.id and actor.role != Role.admin.value):
        raise NotFound("通知不存在", code="notice_not_found")
    rows = db.execute(select(NoticeReceipt, User.display_name).join(User, User.id == NoticeReceipt.user_id)
                      .where(NoticeReceipt.notice_id == notice_id).order_by(User.display_name))
    return [{"user_id": r.user_id, "name": name, "read_at": r.read_at, "reply": r.reply,
             "replied_at": r.replied_at} for r, name in rows]
