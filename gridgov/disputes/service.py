"""Disputes (矛盾纠纷): registering them as events, their parties and colour, reading them.

A dispute is filed through :func:`gridgov.events.service.report` (``is_dispute``, an item of
category ``MD``), so its event runs the ordinary workflow (accept, dispatch, handle, verify, close,
evaluate through :func:`gridgov.events.service.act`); the disputes domain adds what the workflow
does not know: the parties, the mediation record (:mod:`gridgov.disputes.records`), the dispute's
own status and its colour (:mod:`gridgov.disputes.colour`), and 化解率 (:mod:`gridgov.disputes.stats`).

Who may see a dispute is who may see its event (:func:`gridgov.events.parties.get_visible`);
register parties must exist and lie in the actor's scope; names and phones are shown masked.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.masking import mask_name, mask_phone
from gridgov.access.models import User
from gridgov.access.scope import scope_of
from gridgov.disputes.colour import (
    COLOUR_LABELS,
    MAX_WINDOW_DAYS,
    TYPE_LABELS,
    Colour,
    DisputeType,
    Facts,
    assess,
)
from gridgov.disputes.models import Agreement, Dispute, DisputeParty, FollowUp, MediationSession, Referral
from gridgov.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.events import catalog
from gridgov.events import service as events
from gridgov.events.models import Event
from gridgov.events.parties import get_visible, parties_of, visible_clause
from gridgov.events.workflow import State
from gridgov.people.models import Organization, Person, SpecialGroupMember
from gridgov.settings import get_settings

DISPUTE_CATEGORY = "MD"
#: the catalog item filed for each type when the client names none
DEFAULT_ITEMS: dict[DisputeType, str] = {
    DisputeType.family: "MD002",
    DisputeType.neighbour: "MD001",
    DisputeType.romance: "MD019",
    DisputeType.property: "MD021",
    DisputeType.labour: "MD021",
    DisputeType.land: "MD006",
    DisputeType.expropriation: "MD013",
    DisputeType.medical: "MD010",
    DisputeType.consumer: "MD011",
    DisputeType.loan: "MD015",
    DisputeType.traffic: "MD012",
    DisputeType.other: "MD021",
}
#: items that are a threat of violence by definition (家庭暴力, 有激化风险的矛盾纠纷)
THREAT_ITEMS = frozenset({"MD003", "MD020"})

STATUS_LABELS = {
    "registered": "已登记",
    "mediating": "调解中",
    "resolved": "已化解",
    "referred": "已移交",
    "failed": "调解不成",
}
RESOLUTION_LABELS = {"mediation": "调解成功", "agreement": "协议履行", "referral": "移交后化解"}
PARTY_KINDS = {"person": "登记人员", "organization": "登记单位", "free": "其他当事人"}
PARTY_ROLES = {"applicant": "申请人", "respondent": "被申请人", "other": "其他当事人"}
SESSION_RESULTS = {
    "success": "调解成功",
    "partial": "部分达成",
    "failed": "调解不成",
    "continued": "继续调解",
}
REFERRAL_KINDS = {
    "mediation_committee": "人民调解委员会",
    "justice_office": "司法所",
    "police": "派出所",
    "court": "法院诉前调解",
    "other": "其他",
}
REFERRAL_RESULTS = {"pending": "办理中", "resolved": "已化解", "unresolved": "未化解"}


# --- helpers --------------------------------------------------------------------------------


def local_today() -> date:
    return datetime.now(ZoneInfo(get_settings().work_timezone)).date()


def local_month(at: datetime) -> str:
    return at.astimezone(ZoneInfo(get_settings().work_timezone)).strftime("%Y-%m")


_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+|\s+(?=[\u3400-\u9fff])")


def clean_name(name: str) -> str:
    """NFKC, trimmed, runs of spaces collapsed, no spaces next to Chinese characters (赵 明 → 赵明)."""
    return _CJK_SPACE.sub("", " ".join(unicodedata.normalize("NFKC", name).split()))


def free_party_key(name: str, phone: str | None) -> str:
    """``N`` + a digest of the normalised name (NFKC, no spaces, case-folded) and phone."""
    norm = "".join(unicodedata.normalize("NFKC", name).split()).casefold()
    return "N" + hashlib.sha256(f"{norm}|{phone or ''}".encode()).hexdigest()[:32]


def get_dispute(db: Session, actor: User | None, dispute_id: int) -> tuple[Dispute, Event]:
    """The dispute and its event, if the actor may see the event (404 otherwise, as for events)."""
    d = db.get(Dispute, dispute_id) if 0 < dispute_id <= 2**31 - 1 else None
    try:
        if d is None:
            raise NotFound("纠纷不存在")
        e = get_visible(db, actor, d.event_id)
    except NotFound:
        raise NotFound("纠纷不存在或不在您的权限范围内", code="dispute_not_found") from None
    return d, e


# --- parties --------------------------------------------------------------------------------


def _resolve_parties(db: Session, actor: User, items: list[dict[str, Any]]) -> list[DisputeParty]:
    """Check every party (register ids exist and lie in the actor's scope) and key it."""
    from gridgov.people.service import validate_phone

    scope = scope_of(actor)
    out: list[DisputeParty] = []
    for n, p in enumerate(items):
        kind, role = p.get("kind"), p.get("role") or "other"
        if role not in PARTY_ROLES:
            raise Invalid(f"当事人身份无效：{role}", code="invalid_party", details={"index": n})
        if kind == "person":
            row = db.get(Person, p["person_id"]) if is_id(p.get("person_id")) else None
            if row is None:
                raise Invalid(
                    f"第{n + 1}位当事人：人员 {p.get('person_id')} 不存在",
                    code="person_not_found",
                    details={"index": n, "person_id": p.get("person_id")},
                )
            if not scope.covers_region(row.grid_code):
                raise Forbidden(
                    f"第{n + 1}位当事人不在您的权限范围内", code="party_out_of_scope", details={"index": n}
                )
            out.append(
                DisputeParty(kind=kind, person_id=row.id, name=row.name, role=role, party_key=f"P{row.id}")
            )
        elif kind == "organization":
            row = db.get(Organization, p["organization_id"]) if is_id(p.get("organization_id")) else None
            if row is None:
                raise Invalid(
                    f"第{n + 1}位当事人：单位 {p.get('organization_id')} 不存在",
                    code="organization_not_found",
                    details={"index": n},
                )
            if not scope.covers_region(row.grid_code):
                raise Forbidden(
                    f"第{n + 1}位当事人不在您的权限范围内", code="party_out_of_scope", details={"index": n}
                )
            out.append(
                DisputeParty(
                    kind=kind, organization_id=row.id, name=row.name, role=role, party_key=f"O{row.id}"
                )
            )
        elif kind == "free":
            name = clean_name(p.get("name") or "")
            if not name:
                raise Invalid(
                    f"第{n + 1}位当事人须填写姓名或名称", code="invalid_party", details={"index": n}
                )
            phone = validate_phone(p["phone"]) if p.get("phone") else None
            out.append(
                DisputeParty(
                    kind=kind, name=name[:120], phone=phone, role=role, party_key=free_party_key(name, phone)
                )
            )
        else:
            raise Invalid(f"当事人类别无效：{kind}", code="invalid_party", details={"index": n})
    keys = [p.party_key for p in out]
    if len(set(keys)) != len(keys):
        raise Invalid("同一当事人不能重复登记", code="duplicate_party")
    if len(keys) < 2:
        raise Invalid("矛盾纠纷至少应有两方当事人", code="two_parties_required")
    return out


def is_id(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 2**31 - 1


def party_out(p: DisputeParty) -> dict[str, Any]:
    """A party as shown: personal names and phones masked; organization names are not personal."""
    return {
        "id": p.id,
        "kind": p.kind,
        "kind_label": PARTY_KINDS[p.kind],
        "role": p.role,
        "role_label": PARTY_ROLES[p.role],
        "person_id": p.person_id,
        "organization_id": p.organization_id,
        "name": p.name if p.kind == "organization" else mask_name(p.name),
        "phone": mask_phone(p.phone),
        "masked": True,
    }


# --- colour ---------------------------------------------------------------------------------


def earlier_days(db: Session, d: Dispute) -> list[int]:
    """Days between each earlier dispute that shares at least two parties with ``d`` and ``d``
    itself, inside the longest window (rejected and merged events do not count)."""
    keys = list(db.scalars(select(DisputeParty.party_key).where(DisputeParty.dispute_id == d.id)))
    if len(keys) < 2:
        return []
    rows = db.scalars(
        select(Dispute.created_at)
        .join(DisputeParty, DisputeParty.dispute_id == Dispute.id)
        .join(Event, Event.id == Dispute.event_id)
        .where(
            DisputeParty.party_key.in_(keys),
            Dispute.id < d.id,
            Dispute.created_at >= d.created_at - timedelta(days=MAX_WINDOW_DAYS),
            Event.state.notin_((State.rejected.value, State.merged.value)),
        )
        .group_by(Dispute.id, Dispute.created_at)
        .having(func.count(func.distinct(DisputeParty.party_key)) >= 2)
    )
    return [max(0, (d.created_at - at).days) for at in rows]


def _groups(db: Session, d: Dispute) -> frozenset[str]:
    today = local_today()
    person_ids = select(DisputeParty.person_id).where(
        DisputeParty.dispute_id == d.id, DisputeParty.person_id.is_not(None)
    )
    rows = db.scalars(
        select(SpecialGroupMember.group)
        .where(
            SpecialGroupMember.person_id.in_(person_ids),
            SpecialGroupMember.valid_from <= today,
            (SpecialGroupMember.valid_to.is_(None)) | (SpecialGroupMember.valid_to >= today),
        )
        .distinct()
    )
    return frozenset(rows)


def reassess(db: Session, d: Dispute, e: Event) -> None:
    """Recompute the colour from the current facts (see :mod:`gridgov.disputes.colour`)."""
    failed = (
        db.scalar(
            select(func.count())
            .select_from(MediationSession)
            .where(MediationSession.dispute_id == d.id, MediationSession.result == "failed")
        )
        or 0
    )
    a = assess(
        Facts(
            type=DisputeType(d.type),
            severity=e.severity,
            threat=d.threat,
            people_involved=d.people_involved,
            groups=_groups(db, d),
            earlier_days=tuple(earlier_days(db, d)),
            failed_mediations=failed,
            relapsed=d.relapsed,
            manual=Colour(d.manual_colour) if d.manual_colour else None,
        )
    )
    d.colour, d.colour_reason, d.repeat_count = a.colour.value, a.reason[:500], a.repeats


# --- create ---------------------------------------------------------------------------------


def create(db: Session, actor: User, data: dict[str, Any]) -> tuple[Dispute, bool]:
    """Report the event and register the dispute. Returns ``(dispute, created)`` (idempotent by client_id)."""
    try:
        type_ = DisputeType(data.get("type"))
    except ValueError:
        raise Invalid(f"纠纷类型无效：{data.get('type')}", code="invalid_type") from None
    item_code = data.get("item_code") or DEFAULT_ITEMS[type_]
    _, item = catalog.current_item(db, item_code)
    if item.category_code != DISPUTE_CATEGORY:
        raise Invalid(
            f"事项「{item.name}」不是矛盾纠纷类事项（MD）",
            code="not_a_dispute_item",
            details={"item_code": item.code},
        )
    manual = data.get("colour")
    if manual is not None and manual not in COLOUR_LABELS:
        raise Invalid(f"颜色无效：{manual}", code="invalid_colour")
    parties = _resolve_parties(db, actor, data.get("parties") or [])
    channel = data.get("channel") or ("grid" if actor.role == "grid_worker" else "centre")
    intake = {
        k: data.get(k)
        for k in (
            "client_id",
            "title",
            "description",
            "severity",
            "lon",
            "lat",
            "crs",
            "region_code",
            "address",
            "external_id",
            "attachment_ids",
            "note",
        )
    }
    e, created = events.report(
        db,
        actor,
        {**intake, "item_code": item.code, "is_dispute": True},
        channel=channel,
        reporter={"name": data.get("reporter_name"), "phone": data.get("reporter_phone")},
    )
    if not created:
        found = db.scalar(select(Dispute).where(Dispute.event_id == e.id))
        if found is None:
            raise Conflict(
                "该幂等键已用于一件非纠纷事件", code="idempotency_key_reused", details={"event_code": e.code}
            )
        return found, False
    now = e.created_at
    people = max(int(data.get("people_involved") or 0), sum(1 for p in parties if p.kind != "organization"))
    d = Dispute(
        event_id=e.id,
        type=type_.value,
        colour=Colour.green.value,
        colour_reason="",
        manual_colour=manual,
        threat=bool(data.get("threat")) or item.code in THREAT_ITEMS,
        people_involved=people,
        status="registered",
        region_code=e.region_code,
        registered_month=local_month(now),
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.add(d)
    db.flush()
    for p in parties:
        p.dispute_id = d.id
        db.add(p)
    db.flush()
    reassess(db, d, e)
    audit.record(
        db,
        actor,
        "dispute.create",
        "dispute",
        d.id,
        after={
            "event": e.code,
            "type": d.type,
            "colour": d.colour,
            "parties": [p.party_key for p in parties],
        },
        detail={"event_code": e.code, "type": d.type, "colour": d.colour, "repeats": d.repeat_count},
    )
    db.flush()
    return d, True


# --- reading --------------------------------------------------------------------------------


def summary_out(d: Dispute, e: Event, parties: list[DisputeParty]) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": e.id,
        "event_code": e.code,
        "title": e.title,
        "item_code": e.item_code,
        "event_state": e.state,
        "type": d.type,
        "type_label": TYPE_LABELS[DisputeType(d.type)],
        "colour": d.colour,
        "colour_label": COLOUR_LABELS[Colour(d.colour)],
        "colour_reason": d.colour_reason,
        "repeat_count": d.repeat_count,
        "threat": d.threat,
        "people_involved": d.people_involved,
        "status": d.status,
        "status_label": STATUS_LABELS[d.status],
        "resolution": d.resolution,
        "resolution_label": RESOLUTION_LABELS.get(d.resolution or ""),
        "resolved_at": d.resolved_at,
        "region_code": d.region_code,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "parties": [party_out(p) for p in parties],
    }


def detail(db: Session, actor: User, dispute_id: int) -> dict[str, Any]:
    d, e = get_dispute(db, actor, dispute_id)
    parties = list(
        db.scalars(select(DisputeParty).where(DisputeParty.dispute_id == d.id).order_by(DisputeParty.id))
    )
    out = summary_out(d, e, parties)
    out["event"] = events.event_out(e, parties=parties_of(db, actor, e))
    out["sessions"] = [
        {
            "id": s.id,
            "mediator_user_id": s.mediator_user_id,
            "mediator_name": s.mediator_name,
            "held_on": s.held_on,
            "place": s.place,
            "result": s.result,
            "result_label": SESSION_RESULTS[s.result],
            "notes": s.notes,
            "created_at": s.created_at,
        }
        for s in _rows(db, MediationSession, d.id)
    ]
    out["agreements"] = [
        {
            "id": a.id,
            "signed_on": a.signed_on,
            "content": a.content,
            "performed": a.performed,
            "performed_on": a.performed_on,
            "created_at": a.created_at,
        }
        for a in _rows(db, Agreement, d.id)
    ]
    out["referrals"] = [
        {
            "id": r.id,
            "to_kind": r.to_kind,
            "to_kind_label": REFERRAL_KINDS[r.to_kind],
            "to_department_id": r.to_department_id,
            "to_name": r.to_name,
            "note": r.note,
            "referred_at": r.referred_at,
            "result": r.result,
            "result_label": REFERRAL_RESULTS[r.result],
            "result_note": r.result_note,
            "result_at": r.result_at,
        }
        for r in _rows(db, Referral, d.id)
    ]
    out["follow_ups"] = [
        {
            "id": f.id,
            "visited_on": f.visited_on,
            "by_user_id": f.by_user_id,
            "notes": f.notes,
            "stable": f.stable,
            "created_at": f.created_at,
        }
        for f in _rows(db, FollowUp, d.id)
    ]
    return out


def _rows(db: Session, model: type, dispute_id: int) -> list[Any]:
    return list(db.scalars(select(model).where(model.dispute_id == dispute_id).order_by(model.id)))


def search(
    db: Session,
    actor: User,
    *,
    colour: str | None = None,
    type: str | None = None,
    status: str | None = None,
    region: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Disputes the actor may see (their events), newest first, keyset-paginated by id."""
    conds: list[ColumnElement[bool]] = [visible_clause(actor)]
    if colour:
        conds.append(Dispute.colour == colour)
    if type:
        conds.append(Dispute.type == type)
    if status:
        conds.append(Dispute.status == status)
    if region:
        conds.append(Dispute.region_code.startswith(region, autoescape=True))
    if since:
        conds.append(Dispute.created_at >= since)
    if until:
        conds.append(Dispute.created_at < until)
    if before_id:
        conds.append(Dispute.id < before_id)
    rows = db.execute(
        select(Dispute, Event)
        .join(Event, Event.id == Dispute.event_id)
        .where(*conds)
        .order_by(Dispute.id.desc())
        .limit(limit)
    ).all()
    ids = [d.id for d, _ in rows]
    parties: dict[int, list[DisputeParty]] = {i: [] for i in ids}
    if ids:
        for p in db.scalars(
            select(DisputeParty).where(DisputeParty.dispute_id.in_(ids)).order_by(DisputeParty.id)
        ):
            parties[p.dispute_id].append(p)
    return {
        "items": [summary_out(d, e, parties[d.id]) for d, e in rows],
        "next_before_id": rows[-1][0].id if len(rows) == limit else None,
    }


def vocabulary() -> dict[str, Any]:
    """The codes and labels a client needs to build the forms."""
    return {
        "types": {t.value: TYPE_LABELS[t] for t in DisputeType},
        "default_items": {t.value: code for t, code in DEFAULT_ITEMS.items()},
        "colours": {c.value: COLOUR_LABELS[c] for c in Colour},
        "statuses": STATUS_LABELS,
        "party_kinds": PARTY_KINDS,
        "party_roles": PARTY_ROLES,
        "session_results": SESSION_RESULTS,
        "referral_kinds": REFERRAL_KINDS,
        "referral_results": REFERRAL_RESULTS,
    }
