"""Appending to and verifying the audit chain in the database.

Appends are serialised by updating the single ``audit_head`` row first: that takes a row lock on
PostgreSQL and the write lock on SQLite, so two writers can never chain onto the same previous
hash. The entry commits or rolls back together with the change it records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from gridgov.access.chain import (
    GENESIS,
    ChainBreak,
    ChainFields,
    canonical_json,
    digest,
    entry_hash,
    verify_chain,
)
from gridgov.access.models import AuditEntry, AuditHead
from gridgov.db import utcnow

SYSTEM = "system"


def ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, last_hash=GENESIS))
        session.flush()


_BUMP = (update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
         .returning(AuditHead.seq, AuditHead.last_hash).execution_options(synchronize_session=False))


def record(
    session: Session,
    actor: Any,
    action: str,
    object_type: str,
    object_id: str | int,
    *,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``actor`` is a User, or None for the system."""
    # one statement takes the lock and reads the head (UPDATE … RETURNING: PostgreSQL, SQLite ≥ 3.35)
    head = session.execute(_BUMP).first()
    if head is None:  # a new database: make the head, then bump it
        ensure_head(session)
        head = session.execute(_BUMP).one()
    fields = ChainFields(
        seq=int(head.seq),
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or SYSTEM,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before_digest=digest(before),
        after_digest=digest(after),
        detail=canonical_json(detail or {}),
    )
    row_hash = entry_hash(fields, head.last_hash)
    entry = AuditEntry(
        seq=fields.seq, at=fields.at, actor_id=fields.actor_id, actor_name=fields.actor_name,
        action=action, object_type=object_type, object_id=fields.object_id,
        before_digest=fields.before_digest, after_digest=fields.after_digest, detail=fields.detail,
        prev_hash=head.last_hash, row_hash=row_hash,
    )
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=row_hash))
    session.flush()
    return entry


def append_many(conn: Any, entries: list[dict[str, Any]]) -> list[int]:
    """Append several entries at once (group commit of event intake): one head bump for all of
    them, one multi-row INSERT, one head update; returns their seqs, in order.

    ``conn`` is a Session or a Core Connection inside the caller's transaction; each entry holds
    ``actor_id``, ``actor_name``, ``action``, ``object_type``, ``object_id`` and optionally
    ``before``, ``after``, ``detail`` (what :func:`record` takes). The chain is the same as if
    :func:`record` had been called for each entry in turn."""
    if not entries:
        return []
    n = len(entries)
    bump = (update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + n)
            .returning(AuditHead.seq, AuditHead.last_hash))
    head = conn.execute(bump).first()
    if head is None:  # a new database: make the head, then bump it
        conn.execute(insert(AuditHead).values(id=1, seq=0, last_hash=GENESIS))
        head = conn.execute(bump).one()
    seq, prev = int(head.seq) - n, head.last_hash
    rows, seqs = [], []
    for entry in entries:
        seq += 1
        fields = ChainFields(
            seq=seq, at=entry.get("at") or utcnow(), actor_id=entry.get("actor_id"),
            actor_name=entry.get("actor_name") or SYSTEM, action=entry["action"],
            object_type=entry["object_type"], object_id=str(entry["object_id"]),
            before_digest=digest(entry.get("before")), after_digest=digest(entry.get("after")),
            detail=canonical_json(entry.get("detail") or {}),
        )
        row_hash = entry_hash(fields, prev)
        rows.append({"seq": seq, "at": fields.at, "actor_id": fields.actor_id, "actor_name": fields.actor_name,
                     "action": fields.action, "object_type": fields.object_type, "object_id": fields.object_id,
                     "before_digest": fields.before_digest, "after_digest": fields.after_digest,
                     "detail": fields.detail, "prev_hash": prev, "row_hash": row_hash})
        seqs.append(seq)
        prev = row_hash
    conn.execute(insert(AuditEntry), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    return seqs


def _rows(session: Session, batch: int = 5000) -> Iterator[tuple[ChainFields, str, str]]:
    last = 0
    while True:
        chunk = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not chunk:
            return
        for e in chunk:
            yield (
                ChainFields(e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type, e.object_id,
                            e.before_digest, e.after_digest, e.detail),
                e.prev_hash,
                e.row_hash,
            )
        last = chunk[-1].seq
        session.expunge_all()


def verify(session: Session) -> tuple[int, ChainBreak | None]:
    """Recompute the whole chain; return (rows checked, first break or None)."""
    head = session.execute(select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    head_map = {"seq": head.seq, "last_hash": head.last_hash} if head else {"seq": 0, "last_hash": GENESIS}
    return verify_chain(_rows(session), head_map)
