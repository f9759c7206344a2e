"""From user text to a match query: clean, parse (the statistical parser), canonical elements and
keys, and the reason when there is nothing to match. Pure apart from the parser's model file."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from gridgov.places.addressing import address_key
from gridgov.places.matching.canonical import (
    Elements,
    canonical_text,
    clean,
    from_parsed,
    local_key,
    rule_parse,
)

log = logging.getLogger("gridgov.addresses")
_degraded: list[bool] = []

MAX_TEXT = 200

REASONS = {
    "empty": "地址为空（或只有噪声词、标点）",
    "unparseable": "无法解析出任何地址要素",
    "region_only": "只识别出行政区划，没有道路、门牌、小区或楼栋",
    "no_candidates": "标准地址库中没有同一道路、门牌或小区的地址",
    "below_threshold": "标准地址库中没有足够相似的地址",
}


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    cleaned: str
    elements: Elements
    keys: tuple[str, ...]  # exact-match keys: from the elements, and the rule-based key
    reason: str | None = None  # why there is nothing to match (see REASONS)

    def as_dict(self) -> dict:
        e = self.elements
        return {
            "text": self.text,
            "normalized": self.cleaned,
            "canonical": canonical_text(e) or None,
            "key": self.keys[0] if self.keys else None,
            "level": e.level if e.has_local else None,
            "elements": {k: v for k, v in e.as_dict().items() if v},
            "ignored": list(e.ignored),
        }


def _parse(texts: Sequence[str]) -> list[list[tuple[str, str]]]:
    """The statistical parser's labels; the rule-based parse when its model cannot be used (a
    missing or incompatible model file must not turn every match into a server error)."""
    try:
        from gridgov.places.address import parse_many

        return [[(x.label, x.text) for x in elements] for elements in parse_many(texts)]
    except Exception:  # any failure of the model: degrade, and say so once
        if not _degraded:
            _degraded.append(True)
            log.exception("address parser unavailable: matching with the rule-based parse")
        return [rule_parse(t) for t in texts]


def prepare_many(texts: Sequence[str]) -> list[Query]:
    cleaned = [clean(t)[:MAX_TEXT] for t in texts]
    todo = [i for i, c in enumerate(cleaned) if c]
    parsed = dict(zip(todo, _parse([cleaned[i] for i in todo]))) if todo else {}
    out = []
    for i, text in enumerate(texts):
        if i not in parsed:
            out.append(Query(text, "", Elements(), (), "empty"))
            continue
        e = from_parsed(parsed[i], cleaned[i])
        reason = None if e.has_local else "region_only" if e.regions else "unparseable"
        keys = () if reason else tuple(dict.fromkeys(k for k in (local_key(e), address_key(cleaned[i])) if k))
        out.append(Query(text, cleaned[i], e, keys, reason))
    return out


def prepare(text: str) -> Query:
    return prepare_many([text])[0]
