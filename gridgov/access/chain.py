"""The audit hash chain: canonical digests and verification. Pure: no database imports.

Each entry's hash covers its own content and the previous entry's hash, so changing, deleting or
reordering any entry breaks every hash after it. The chain starts from GENESIS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def digest(value: Any) -> str | None:
    """SHA-256 of the canonical JSON of an object's state (None stays None: no state)."""
    if value is None:
        return None
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainFields:
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    before_digest: str | None
    after_digest: str | None
    detail: str

    def content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "before": self.before_digest,
            "after": self.after_digest,
            "detail": self.detail,
        }


def entry_hash(fields: ChainFields, prev_hash: str) -> str:
    payload = canonical_json({"prev": prev_hash, "content": fields.content()})
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(
    rows: Iterable[tuple[ChainFields, str, str]], head: Mapping[str, Any] | None = None
) -> tuple[int, ChainBreak | None]:
    """Check ``(fields, prev_hash, row_hash)`` rows in seq order; return (count, first break).

    ``head`` (seq, last_hash) catches deletion of the newest rows.
    """
    prev, expected_seq, count = GENESIS, 1, 0
    for fields, prev_hash, row_hash in rows:
        count += 1
        if fields.seq != expected_seq:
            return count, ChainBreak(fields.seq, f"sequence gap: expected {expected_seq}, found {fields.seq}")
        if prev_hash != prev:
            return count, ChainBreak(fields.seq, "prev_hash does not match the previous row's hash")
        if entry_hash(fields, prev_hash) != row_hash:
            return count, ChainBreak(fields.seq, "row content does not match its hash")
        prev, expected_seq = row_hash, expected_seq + 1
    if head is not None:
        if int(head["seq"]) != expected_seq - 1:
            return count, ChainBreak(expected_seq, f"head says {head['seq']} rows, found {expected_seq - 1}")
        if head["last_hash"] != prev:
            return count, ChainBreak(expected_seq - 1, "head hash does not match the last row")
    return count, None
