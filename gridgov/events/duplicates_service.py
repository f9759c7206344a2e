"""Possible duplicates of an event, from the database, and news for the reporters of merged events.

:func:`suggest_duplicates` never scans the events table. It asks for candidates with indexed SQL
and leaves the judging to the pure :mod:`gridgov.events.duplicates`:

* a **located** event: the H3 cells within reach of the radius (``grid_disk``) are sampled
  (centres and corners) and located, which gives the communities the search circle touches;
  candidates are events of those community subtrees — a range on ``ix_events_region_created``
  together with the time window on ``created_at`` — whose ``h3`` cell lies in the disk, plus
  events without a point filed at the event's own region or one of its ancestors (a hotline order
  known only by its county);
* an event **without a point**: events of its region subtree and of its ancestors, in the window.

Only events the actor may see (:func:`gridgov.events.parties.visible_clause`) and that are not
merged or rejected are considered.

:func:`notify_merged_reporters` tells the reporters of events merged into a closed event what
came of it (idempotent; call it after ``close``/``verify_pass`` and after a merge into an event
that is already closed).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from h3.api import basic_int as h3
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gridgov.access.models import User
from gridgov.access.scope import subtree_clause
from gridgov.codes import CodeError, region_code_lineage
from gridgov.errors import Invalid
from gridgov.events.duplicates import DEFAULT_RULES, Match, Report, Rules, rank, search_radius_k
from gridgov.events.models import Event, EventLog, Notification
from gridgov.events.parties import get_visible, visible_clause
from gridgov.events.workflow import State

MAX_CANDIDATES = 500
MAX_RADIUS_M = 1000.0
EXCLUDED_STATES = (State.merged.value, State.rejected.value)
CLOSED_STATES = (State.closed.value, State.evaluated.value)
#: H3 edges vary with the place on the globe; a cell's edge is at least this share of the average
EDGE_SAFETY = 0.7


def snapshot(e: Event) -> Report:
    return Report(
        id=e.id,
        item_code=e.item_code,
        category_code=e.category_code,
        description=e.description or "",
        created_at=e.created_at,
        lon=e.lon,
        lat=e.lat,
    )


def disk_cells(cell: int, radius_m: float) -> list[int]:
    """The H3 cells (at ``cell``'s resolution) holding every point within ``radius_m`` of any point of ``cell``."""
    edge = h3.average_hexagon_edge_length(h3.get_resolution(cell), "m") * EDGE_SAFETY
    return sorted(h3.grid_disk(cell, search_radius_k(radius_m, edge)))


def _communities(db: Session, e: Event, cells: list[int]) -> set[str]:
    """The community (else street, county) codes that the cells' centres and corners fall in."""
    from gridgov.regions.service import locate

    points = {
        (round(lng, 7), round(lat, 7))
        for c in cells
        for lat, lng in (h3.cell_to_latlng(c), *h3.cell_to_boundary(c))
    }
    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    found: set[str] = {e.region_code[:12]}
    for hit in locate(db, lon, lat):
        if hit is not None:
            code = hit.get("community") or hit.get("street") or hit.get("county")
            if code:
                found.add(code)
    return found


def _lineage(code: str) -> list[str]:
    try:
        return list(region_code_lineage(code))
    except CodeError:
        return [code]


def candidate_query(db: Session, actor: User | None, e: Event, rules: Rules) -> Any:
    """The SELECT of candidate events for ``e`` (see the module docstring)."""
    window = and_(
        Event.created_at >= e.created_at - rules.window, Event.created_at <= e.created_at + rules.window
    )
    lineage = _lineage(e.region_code)
    if e.h3 is not None:
        cells = disk_cells(int(e.h3), rules.radius_m)
        prefixes = sorted(_communities(db, e, cells))
        where = or_(
            and_(or_(*(subtree_clause(Event.region_code, p) for p in prefixes)), window, Event.h3.in_(cells)),
            and_(Event.region_code.in_(lineage), window, Event.h3.is_(None)),
        )
    else:
        where = or_(
            and_(subtree_clause(Event.region_code, e.region_code), window),
            and_(Event.region_code.in_(lineage), window),
        )
    return (
        select(Event)
        .where(where, Event.id != e.id, Event.state.notin_(EXCLUDED_STATES), visible_clause(actor))
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(MAX_CANDIDATES)
    )


def rules_from(radius_m: float | None = None, hours: float | None = None) -> Rules:
    radius = DEFAULT_RULES.radius_m if radius_m is None else float(radius_m)
    window = DEFAULT_RULES.window if hours is None else timedelta(hours=float(hours))
    if not 0 < radius <= MAX_RADIUS_M:
        raise Invalid(f"距离范围须在 1 至 {MAX_RADIUS_M:.0f} 米之间", code="invalid_radius")
    if not timedelta(0) < window <= timedelta(days=30):
        raise Invalid("时间窗口须在 1 小时至 30 天之间", code="invalid_window")
    return Rules(radius_m=radius, window=window)


def suggest_duplicates(
    db: Session, actor: User | None, event: Event, *, rules: Rules = DEFAULT_RULES, limit: int = 20
) -> list[tuple[Event, Match]]:
    """Events that may report the same problem as ``event``, best first, each with its match."""
    rows = {r.id: r for r in db.scalars(candidate_query(db, actor, event, rules))}
    ranked = rank(snapshot(event), (snapshot(r) for r in rows.values()), rules, limit=limit)
    return [(rows[report.id], match) for report, match in ranked]


def match_out(match: Match) -> dict[str, Any]:
    return {
        "score": match.score,
        "reasons": list(match.reasons),
        "same_item": match.same_item,
        "same_category": match.same_category,
        "distance_m": match.distance_m,
        "hours_apart": match.hours_apart,
        "text_similarity": match.text_similarity,
        "signals": list(match.signals),
    }


def duplicates_out(
    db: Session,
    actor: User,
    ref: int | str,
    *,
    radius_m: float | None = None,
    hours: float | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """The API's answer: the event, the rules applied, and the candidates with their reasons."""
    from gridgov.events.service import event_out

    e = get_visible(db, actor, ref)
    rules = rules_from(radius_m, hours)
    found = suggest_duplicates(db, actor, e, rules=rules, limit=limit)
    return {
        "event": {"id": e.id, "code": e.code, "state": e.state},
        "rules": {
            "radius_m": rules.radius_m,
            "hours": rules.window.total_seconds() / 3600,
            "identical_text": rules.identical_text,
            "similar_text": rules.similar_text,
        },
        "mergeable": e.state in (State.reported.value, State.accepted.value),
        "candidates": [{"event": event_out(c), **match_out(m)} for c, m in found],
    }


# --- merged events: tell their reporters the outcome ----------------------------------------


def merged_into(db: Session, target: Event, max_depth: int = 10) -> list[Event]:
    """Every event merged into ``target``, also through chains (A → B → target)."""
    out: list[Event] = []
    frontier, seen = [target.id], {target.id}
    for _ in range(max_depth):
        # state first: ix_events_state_region_id narrows to merged events
        rows = list(
            db.scalars(
                select(Event)
                .where(Event.state == State.merged.value, Event.merged_into_id.in_(frontier))
                .order_by(Event.id)
            )
        )
        rows = [r for r in rows if r.id not in seen]
        if not rows:
            break
        seen.update(r.id for r in rows)
        out.extend(rows)
        frontier = [r.id for r in rows]
    return out


def _outcome(db: Session, target: Event) -> str | None:
    return db.scalar(
        select(EventLog.note)
        .where(
            EventLog.event_id == target.id,
            EventLog.action.in_(("handle", "close", "verify_pass", "self_resolve")),
            EventLog.note.isnot(None),
            EventLog.note != "",
        )
        .order_by(EventLog.id.desc())
        .limit(1)
    )


def notify_merged_reporters(db: Session, target: Event, *, actor: User | None = None) -> int:
    """When ``target`` is closed, put a note in the inbox of every reporter (a user) of an event
    merged into it. Idempotent: a reporter is told once per merged event. Returns how many were added."""
    if target.state not in CLOSED_STATES:
        return 0
    merged = [
        m
        for m in merged_into(db, target)
        if m.reporter_user_id is not None and (actor is None or m.reporter_user_id != actor.id)
    ]
    if not merged:
        return 0
    told = set(
        db.execute(
            select(Notification.user_id, Notification.event_id).where(
                Notification.kind == "merged", Notification.event_id.in_([m.id for m in merged])
            )
        ).all()
    )
    active = set(
        db.scalars(
            select(User.id).where(User.id.in_({m.reporter_user_id for m in merged}), User.active.is_(True))
        )
    )
    outcome = _outcome(db, target)
    added = 0
    for m in merged:
        if (m.reporter_user_id, m.id) in told or m.reporter_user_id not in active:
            continue
        body = f"您上报的事件 {m.code}（{m.title}）已并入事件 {target.code} 一并办理，现已办结。"
        if outcome:
            body += f"办理结果：{outcome}"
        db.add(
            Notification(
                user_id=m.reporter_user_id,
                kind="merged",
                event_id=m.id,
                title=f"您反映的问题已办结：{m.code} {m.title}"[:120],
                body=body,
            )
        )
        told.add((m.reporter_user_id, m.id))
        added += 1
    if added:
        db.flush()
    return added
