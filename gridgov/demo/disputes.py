"""Dispute records (矛盾纠纷) for the demo's dispute events: parties, mediation, colour.

The event history (``events.py``) files about 8 % of the county's case load under category ``MD``;
this step gives each of those events the dispute record the disputes domain keeps
(``gridgov/disputes/``), as if it had been registered and worked through the API:

- **type** from the event's item (MD002–MD005 家庭, MD001/MD014 邻里, MD006–MD008/MD017 土地, MD013
  征地拆迁, MD010 医患, MD011 消费, MD015 借贷, MD012 交通事故, MD019 婚恋, MD009 物业; MD016 and
  MD021 split between 物业, 劳资 and 其他; MD020 有激化风险 is a family, neighbour, land or labour quarrel);
- **parties** from the register: persons living in the event's basic grid (family quarrels inside one
  house), an organization of the register for labour, medical and consumer disputes when one is at
  hand, and free-text parties (a property company, a partner from elsewhere, villagers' representatives);
- **repeats**: a share of family, neighbour and land quarrels come back between the same two parties
  (a family quarrel often within weeks), so yellow and red appear for the reason the rule intends;
- **the course** follows the event's state: a closed event's dispute is resolved (mediation, a
  performed agreement, or a referral that ended well) or referred (pending at the receiving body);
  a handled one is resolved; an accepted, dispatched or in-progress one is in mediation (one or two
  sessions, sometimes a failed one first); a just-reported one is registered; a rejected or merged
  one has no mediation record. Resolved disputes get a follow-up visit, and a few relapse (矛盾反弹)
  and are mediated again;
- **colour** by :func:`gridgov.disputes.colour.assess` from the same facts the service looks at
  (type, event severity, threat, people involved, the parties' special groups today, earlier
  disputes sharing two parties inside the window, failed sessions, relapse).

:func:`generate` is pure (numpy generator, plain inputs, rows out); :func:`load_disputes` reads the
events and the register and writes the rows with :class:`gridgov.demo.bulk.Bulk`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from gridgov.disputes.colour import MAX_WINDOW_DAYS, Colour, DisputeType, Facts, assess

DAY_S = 86_400

#: item → (type, weight) choices
ITEM_TYPES: dict[str, tuple[tuple[str, float], ...]] = {
    "MD001": (("neighbour", 1),), "MD002": (("family", 1),), "MD003": (("family", 1),),
    "MD004": (("family", 1),), "MD005": (("family", 1),), "MD006": (("land", 1),), "MD007": (("land", 1),),
    "MD008": (("land", 1),), "MD009": (("property", 1),), "MD010": (("medical", 1),),
    "MD011": (("consumer", 1),), "MD012": (("traffic", 1),), "MD013": (("expropriation", 1),),
    "MD014": (("neighbour", 1),), "MD015": (("loan", 1),), "MD016": (("labour", 0.6), ("other", 0.4)),
    "MD017": (("land", 1),), "MD018": (("other", 1),), "MD019": (("romance", 1),),
    "MD020": (("family", 0.4), ("neighbour", 0.3), ("land", 0.15), ("labour", 0.15)),
    "MD021": (("property", 0.4), ("neighbour", 0.3), ("labour", 0.15), ("other", 0.15)),
}
THREAT_ITEMS = frozenset({"MD003", "MD020"})  # as gridgov.disputes.service.THREAT_ITEMS
#: chance that a dispute of this type repeats an earlier one of the same type in the same grid
REPEAT_P = {"family": 0.35, "romance": 0.3, "neighbour": 0.25, "land": 0.2}
REFERRAL_KINDS = ("mediation_committee", "justice_office", "police", "court")
REFERRAL_P = (0.4, 0.3, 0.12, 0.18)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅飞鹏辉建国志文斌海波"
FREE_COMPANIES = ("物业服务有限公司", "物业管理有限公司")
PLACES = ("村（居）委会调解室", "网格服务站", "当事人家中", "司法所调解室", "社区党群服务中心")
AGREEMENTS = {
    "family": "双方同意互相尊重、和睦相处，赡养、抚养及财产事项按协议约定办理",
    "romance": "双方同意解除关系，彩礼及共同财产按协议约定返还、分割",
    "neighbour": "双方同意按现场勘验结果修复、赔偿，今后互谅互让",
    "land": "双方按确权登记确认界址，争议部分由村集体协调划定",
    "expropriation": "按补偿安置方案核定补偿款，限期签约搬迁",
    "labour": "用人单位分期支付拖欠工资，劳动者撤回投诉",
    "property": "物业公司限期整改服务问题，业主按约定补缴物业费",
    "medical": "医疗机构按协议给予一次性补偿，双方不再追究",
    "consumer": "经营者退还货款并赔偿损失",
    "loan": "借款人按协议分期归还借款",
    "traffic": "责任方按协议一次性赔偿医疗费、误工费等损失",
    "other": "双方就争议事项达成一致，按协议履行",
}


@dataclass
class Register:
    """What the generator draws parties from (indexes into parallel lists)."""

    person_id: list[int]
    person_name: list[str]
    person_sex: list[str]
    person_house: list[int | None]
    persons_by_grid: dict[str, list[int]]  # basic grid (15 digits) → person indexes
    org_id: list[int] = field(default_factory=list)
    org_name: list[str] = field(default_factory=list)
    orgs_by_grid: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (grid, org_type) → indexes
    orgs_by_type: dict[str, list[int]] = field(default_factory=dict)  # org_type → indexes (the county)
    groups: dict[int, frozenset[str]] = field(default_factory=dict)  # person id → special groups valid today


@dataclass
class Party:
    kind: str
    key: str
    name: str
    role: str
    person_id: int | None = None
    organization_id: int | None = None
    phone: str | None = None


def _free(rng: Draws, role: str, name: str | None = None) -> Party:
    from gridgov.disputes.service import clean_name, free_party_key

    if name is None:
        name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(
            GIVEN[int(rng.integers(len(GIVEN)))] for _ in range(int(rng.integers(1, 3))))
    name = clean_name(name)
    phone = f"1{int(rng.choice([3, 5, 8]))}{int(rng.integers(0, 10**9)):09d}"
    return Party("free", free_party_key(name, phone), name, role, phone=phone)


def _parties(rng: Draws, reg: Register, type_: str, grid: str, town_name: str) -> list[Party]:
    pool = reg.persons_by_grid.get(grid) or []
    chosen: list[int] = []

    def person(role: str, *, same_house_as: int | None = None, other_sex_than: int | None = None) -> Party | None:
        cands = pool
        if same_house_as is not None and reg.person_house[same_house_as] is not None:
            house = reg.person_house[same_house_as]
            near = [i for i in pool if reg.person_house[i] == house and i not in chosen]
            if near:
                cands = near
        if other_sex_than is not None:
            sex = reg.person_sex[other_sex_than]
            other = [i for i in cands if reg.person_sex[i] != sex and i not in chosen]
            if other:
                cands = other
        cands = [i for i in cands if i not in chosen] if len(cands) < 64 else cands
        for _ in range(8):
            if not cands:
                return None
            i = cands[int(rng.integers(len(cands)))]
            if i not in chosen:
                chosen.append(i)
                return Party("person", f"P{reg.person_id[i]}", reg.person_name[i], role,
                             person_id=reg.person_id[i])
        return None

    def org(types: tuple[str, ...], role: str) -> Party | None:
        cands = [i for t in types for i in reg.orgs_by_grid.get((grid, t), [])]
        if not cands:
            cands = [i for t in types for i in reg.orgs_by_type.get(t, [])]
        if not cands:
            return None
        i = cands[int(rng.integers(len(cands)))]
        return Party("organization", f"O{reg.org_id[i]}", reg.org_name[i], role, organization_id=reg.org_id[i])

    out: list[Party | None] = []
    a = person("applicant")
    out.append(a)
    first = chosen[0] if chosen else None
    if type_ == "family":
        out.append(person("respondent", same_house_as=first))
        if rng.random() < 0.15:
            out.append(person("other", same_house_as=first))
    elif type_ == "romance":
        out.append(person("respondent", other_sex_than=first) if rng.random() < 0.6 else _free(rng, "respondent"))
    elif type_ == "neighbour":
        out.append(person("respondent"))
        if rng.random() < 0.12:
            out.append(person("other"))
    elif type_ in ("land", "expropriation"):
        out.append(person("respondent") if type_ == "land" else
                   _free(rng, "respondent", f"{town_name}征收工作组"))
        for _ in range(int(rng.integers(0, 3))):
            out.append(person("applicant"))
    elif type_ == "labour":
        for _ in range(int(rng.integers(0, 3))):
            out.append(person("applicant"))
        out.append(org(("enterprise", "individual"), "respondent") or _free(rng, "respondent", "某建筑劳务公司包工头"))
    elif type_ == "medical":
        out.append(org(("hospital",), "respondent") or _free(rng, "respondent", f"{town_name}卫生院"))
    elif type_ == "consumer":
        out.append(org(("individual", "enterprise"), "respondent") or _free(rng, "respondent"))
    elif type_ == "property":
        company = FREE_COMPANIES[int(rng.integers(len(FREE_COMPANIES)))]
        out.append(org(("enterprise",), "respondent") if rng.random() < 0.3 else None)
        if out[-1] is None:
            out[-1] = _free(rng, "respondent", town_name.removesuffix("镇").removesuffix("街道") + company)
    else:  # loan, traffic, other
        out.append(person("respondent") if rng.random() < 0.6 else _free(rng, "respondent"))
    parties = [p for p in out if p is not None]
    while len(parties) < 2:  # a grid without enough residents: a free-text other side
        parties.append(_free(rng, "respondent"))
    seen: set[str] = set()
    return [p for p in parties if not (p.key in seen or seen.add(p.key))]


class Draws:
    """Scalar draws from blocks of a numpy generator: the per-dispute decisions without paying numpy's
    per-call overhead (same seed, same draws). Offers the few ``Generator`` methods used here."""

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self.rng, self.block = rng, block
        self.buf: list[float] = []
        self.k = 0

    def random(self) -> float:
        if self.k >= len(self.buf):
            self.buf, self.k = self.rng.random(self.block).tolist(), 0
        self.k += 1
        return self.buf[self.k - 1]

    def integers(self, lo: int, hi: int | None = None) -> int:
        if hi is None:
            lo, hi = 0, lo
        return lo + min(int(self.random() * (hi - lo)), hi - lo - 1)

    def choice(self, a: Any, p: Any = None) -> Any:
        seq = range(a) if isinstance(a, int) else a
        if p is None:
            return seq[self.integers(len(seq))]
        u, acc = self.random() * float(sum(p)), 0.0
        for x, w in zip(seq, p):
            acc += float(w)
            if u < acc:
                return x
        return seq[len(seq) - 1]


def _day(rng: Draws, lo: date, hi: date) -> date:
    span = (hi - lo).days
    return lo + timedelta(days=int(rng.integers(0, span + 1))) if span > 0 else lo


def generate(rng: np.random.Generator, events: dict[str, list[Any]], reg: Register, *, now_s: int, tz: str,
             mediators: dict[str, tuple[int | None, str]], operator: tuple[int | None, str],
             referral_targets: dict[str, dict[str, tuple[int | None, str]]], town_names: dict[str, str],
             first_id: int = 1) -> dict[str, list[dict[str, Any]]]:
    """Rows for disputes, parties, sessions, agreements, referrals and follow-ups.

    ``events`` holds parallel lists (ordered by event id, i.e. by report time): ``id``, ``created_s``,
    ``item_code``, ``severity``, ``state``, ``region_code``, ``end_s`` (handled or closed, seconds,
    or None), ``reporter`` (user id or None). Times are seconds since the epoch (UTC); dates are
    local (``tz``). ``mediators``: basic grid → the grid worker (user id, name).
    """
    zone = ZoneInfo(tz)
    rng = Draws(rng)  # type: ignore[assignment]

    def local(s: int) -> date:
        return datetime.fromtimestamp(s, UTC).astimezone(zone).date()

    today = local(now_s)
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in
                                             ("disputes", "parties", "sessions", "agreements", "referrals",
                                              "follow_ups")}
    by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)  # two party keys → dispute indexes
    recent: dict[tuple[str, str], list[int]] = defaultdict(list)  # (grid, type) → dispute indexes
    parties_of: list[list[Party]] = []
    counted: list[bool] = []
    created: list[int] = []
    n = len(events["id"])
    for i in range(n):
        did = first_id + i
        item, state, created_s = events["item_code"][i], events["state"][i], events["created_s"][i]
        grid = events["region_code"][i][:15]
        town = grid[:9]
        choices = ITEM_TYPES.get(item, (("other", 1),))
        type_ = choices[int(rng.choice(len(choices), p=[c[1] for c in choices]))][0]
        # --- parties: a repeat of an earlier quarrel in the grid, or new ones
        parties: list[Party] | None = None
        earlier = [j for j in recent[(grid, type_)] if created_s - created[j] <= 365 * DAY_S]
        if earlier and rng.random() < REPEAT_P.get(type_, 0.0):
            j = earlier[-1 - int(rng.integers(min(len(earlier), 3)))]
            parties = parties_of[j][:2]
        if parties is None:
            parties = _parties(rng, reg, type_, grid, town_names.get(town, ""))
        recent[(grid, type_)].append(i)
        keys = [p.key for p in parties]
        parties_of.append(parties)
        created.append(created_s)
        counted.append(state not in ("rejected", "merged"))
        for p in parties:
            out["parties"].append({"dispute_id": did, "kind": p.kind, "person_id": p.person_id,
                                   "organization_id": p.organization_id, "name": p.name[:120], "phone": p.phone,
                                   "role": p.role, "party_key": p.key})
        group = type_ in ("land", "expropriation", "labour") and rng.random() < 0.15
        people = max(sum(1 for p in parties if p.kind != "organization"),
                     int(rng.integers(5, 30)) if group else int(rng.integers(2, 4)))
        threat = item in THREAT_ITEMS or (type_ in ("family", "neighbour") and rng.random() < 0.03)
        # --- the course, from the event's state
        reg_day = min(local(created_s), today)
        end_s = events["end_s"][i]
        end_day = min(local(end_s), today) if end_s is not None else today
        gw = mediators.get(grid) or operator
        people_mediator = (None, f"人民调解员 {SURNAMES[int(rng.integers(len(SURNAMES)))]}"
                                 f"{GIVEN[int(rng.integers(len(GIVEN)))]}")
        by = gw if rng.random() < 0.7 else (operator if rng.random() < 0.3 else people_mediator)
        sessions: list[tuple[date, str, tuple[int | None, str]]] = []
        status, resolution, resolved_s, relapsed = "registered", None, None, False
        agreement = referral = None
        follow: list[tuple[date, bool]] = []
        if state in ("accepted", "dispatched", "in_progress"):
            status = "mediating"
            if rng.random() < 0.25:
                sessions.append((_day(rng, reg_day, today), "failed", by))
            sessions.append((_day(rng, max(reg_day, sessions[-1][0] if sessions else reg_day), today),
                             "continued" if rng.random() < 0.6 else "partial", by))
        elif state in ("handled", "closed", "evaluated"):
            r = rng.random() if state != "handled" else 0.0
            resolved_s = end_s
            for _ in range(int(rng.choice(3, p=[0.65, 0.28, 0.07]))):
                last = sessions[-1][0] if sessions else reg_day
                sessions.append((_day(rng, last, end_day), "failed" if rng.random() < 0.25 else "continued",
                                 by))
            last = sessions[-1][0] if sessions else reg_day
            if r < 0.70:  # mediation succeeded (with a written agreement for some)
                sessions.append((end_day, "success", by))
                status, resolution = "resolved", "mediation"
                if rng.random() < 0.3:
                    agreement = (end_day, end_day)
            elif r < 0.82:  # an agreement carried out
                sessions.append((_day(rng, last, end_day), "partial", by))
                signed = _day(rng, sessions[-1][0], end_day)
                agreement = (signed, end_day)
                status, resolution = "resolved", "agreement"
            else:  # referred: ended well at the receiving body, or still pending there
                kind = REFERRAL_KINDS[int(rng.choice(len(REFERRAL_KINDS), p=REFERRAL_P))]
                at = _day(rng, last, end_day)
                done = r < 0.91
                referral = (kind, at, done)
                status, resolution = ("resolved", "referral") if done else ("referred", None)
                if not done:
                    resolved_s = None
            if status == "resolved":
                visit = end_day + timedelta(days=int(rng.integers(7, 31)))
                if visit <= today:
                    relapse_day = visit + timedelta(days=int(rng.integers(3, 21)))
                    if rng.random() < 0.05 and relapse_day <= today and resolution != "referral":
                        relapsed = True
                        follow.append((visit, False))
                        sessions.append((relapse_day, "success", by))
                        resolved_s = max(end_s, _local_noon_s(relapse_day, zone))
                        resolution = "mediation"
                    else:
                        follow.append((visit, True))
        failed = sum(1 for s in sessions if s[1] == "failed")
        # --- repeats: earlier disputes sharing two parties inside the longest window (the service's query)
        hits: set[int] = set()
        for pair in combinations(sorted(set(keys)), 2):
            hits.update(by_pair[pair])
        earlier_days = tuple(sorted(
            max(0, (created_s - created[j]) // DAY_S) for j in hits
            if counted[j] and created[j] >= created_s - MAX_WINDOW_DAYS * DAY_S))
        for pair in combinations(sorted(set(keys)), 2):
            by_pair[pair].append(i)
        groups = frozenset().union(*(reg.groups.get(p.person_id, frozenset()) for p in parties if p.person_id))
        a = assess(Facts(type=DisputeType(type_), severity=events["severity"][i], threat=threat,
                         people_involved=people, groups=groups, earlier_days=earlier_days,
                         failed_mediations=failed, relapsed=relapsed))
        upd = max([created_s] + [_local_noon_s(s[0], zone) for s in sessions] + [resolved_s or 0])
        out["disputes"].append({
            "id": did, "event_id": events["id"][i], "type": type_, "colour": a.colour.value,
            "colour_reason": a.reason[:500], "manual_colour": None, "repeat_count": a.repeats, "threat": threat,
            "people_involved": people, "relapsed": relapsed, "status": status, "resolution": resolution,
            "resolved_s": resolved_s, "region_code": events["region_code"][i],
            "registered_month": datetime.fromtimestamp(created_s, UTC).astimezone(zone).strftime("%Y-%m"),
            "created_by": events["reporter"][i], "created_s": created_s, "updated_s": min(upd, now_s)})
        for held, result, (uid, name) in sessions:
            out["sessions"].append({"dispute_id": did, "mediator_user_id": uid, "mediator_name": name,
                                    "held_on": held, "place": PLACES[int(rng.integers(len(PLACES)))],
                                    "result": result, "notes": None, "created_by": uid or operator[0],
                                    "created_s": min(_local_noon_s(held, zone), now_s)})
        if agreement:
            signed, performed = agreement
            out["agreements"].append({"dispute_id": did, "signed_on": signed, "content": AGREEMENTS[type_],
                                      "performed": True, "performed_on": performed, "created_by": gw[0],
                                      "created_s": min(_local_noon_s(signed, zone), now_s)})
        if referral:
            kind, at, done = referral
            dept, name = referral_targets.get(town, {}).get(kind, (None, None))
            out["referrals"].append({"dispute_id": did, "to_kind": kind, "to_department_id": dept,
                                     "to_name": name, "note": "经调解未能达成一致，依程序移交",
                                     "referred_s": min(_local_noon_s(at, zone), now_s),
                                     "result": "resolved" if done else "pending",
                                     "result_note": "已调解结案" if done else None,
                                     "result_s": end_s if done else None, "created_by": gw[0]})
        for visited, stable in follow:
            out["follow_ups"].append({"dispute_id": did, "visited_on": visited, "by_user_id": gw[0],
                                      "notes": "回访当事人，协议履行良好，矛盾未反弹" if stable
                                      else "回访发现双方再起争执，矛盾反弹，重新调解",
                                      "stable": stable, "created_s": min(_local_noon_s(visited, zone), now_s)})
    return out


def _local_noon_s(d: date, zone: ZoneInfo) -> int:
    return int(datetime(d.year, d.month, d.day, 12, tzinfo=zone).timestamp())


def load_disputes(db, ctx, progress=None) -> None:
    """The loader step: dispute records for the dispute events the event history wrote."""
    from sqlalchemy import select, text

    from gridgov.access import audit
    from gridgov.access.models import Department, User
    from gridgov.demo.bulk import Bulk
    from gridgov.disputes.models import Agreement, Dispute, DisputeParty, FollowUp, MediationSession, Referral
    from gridgov.events.models import Event
    from gridgov.people.models import Organization, SpecialGroupMember
    from gridgov.regions.models import Region
    from gridgov.settings import get_settings

    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    rng = np.random.default_rng(ctx.seed + 5353)
    now_s = int(datetime.now(UTC).timestamp())
    tz = get_settings().work_timezone
    rows = db.execute(select(Event.id, Event.created_at, Event.item_code, Event.severity, Event.state,
                             Event.region_code, Event.handled_at, Event.closed_at, Event.reporter_user_id)
                      .where(Event.is_dispute.is_(True), Event.region_code.startswith(ctx.top_code))
                      .order_by(Event.id)).all()
    if not rows:
        return

    def secs(at: datetime | None) -> int | None:
        return None if at is None else int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp())

    events = {"id": [r[0] for r in rows], "created_s": [secs(r[1]) for r in rows], "item_code": [r[2] for r in rows],
              "severity": [r[3] for r in rows], "state": [r[4] for r in rows], "region_code": [r[5] for r in rows],
              "end_s": [secs(r[6]) or secs(r[7]) for r in rows], "reporter": [r[8] for r in rows]}
    grids = {c[:15] for c in events["region_code"]}
    # the register's residents: ~300,000 rows at county scale, read on the driver's cursor (no ORM rows)
    raw = db.connection().connection.driver_connection.cursor()
    try:
        raw.execute('SELECT id, grid_code, name, sex, house_id FROM "persons" '
                    "WHERE moved_out_on IS NULL AND grid_code IS NOT NULL ORDER BY id")
        people = raw.fetchall()
    finally:
        raw.close()
    by_grid: dict[str, list[int]] = defaultdict(list)
    for k, p in enumerate(people):
        if p[1] and p[1][:15] in grids:
            by_grid[p[1][:15]].append(k)
    orgs = db.execute(select(Organization.id, Organization.name, Organization.org_type, Organization.grid_code)
                      .where(Organization.org_type.in_(("enterprise", "individual", "hospital")))
                      .order_by(Organization.id)).all()
    orgs_by_grid: dict[tuple[str, str], list[int]] = defaultdict(list)
    orgs_by_type: dict[str, list[int]] = defaultdict(list)
    for k, o in enumerate(orgs):
        orgs_by_type[o[2]].append(k)
        if o[3]:
            orgs_by_grid[(o[3][:15], o[2])].append(k)
    today = datetime.now(ZoneInfo(tz)).date()  # as the service's local_today()
    groups: dict[int, set[str]] = defaultdict(set)
    for pid, g in db.execute(select(SpecialGroupMember.person_id, SpecialGroupMember.group).where(
            SpecialGroupMember.valid_from <= today,
            SpecialGroupMember.valid_to.is_(None) | (SpecialGroupMember.valid_to >= today))):
        groups[pid].add(g)
    reg = Register(person_id=[p[0] for p in people], person_name=[p[2] for p in people],
                   person_sex=[p[3] for p in people], person_house=[p[4] for p in people], persons_by_grid=by_grid,
                   org_id=[o[0] for o in orgs], org_name=[o[1] for o in orgs], orgs_by_grid=orgs_by_grid,
                   orgs_by_type=orgs_by_type, groups={k: frozenset(v) for k, v in groups.items()})
    users = db.execute(select(User.id, User.username, User.display_name).where(
        (User.username == "operator") | User.username.startswith("gw"))).all()
    mediators = {u[1][2:]: (u[0], u[2] or u[1]) for u in users if u[1].startswith("gw")}
    operator = next(((u[0], u[2] or u[1]) for u in users if u[1] == "operator"), (None, "综治中心"))
    depts = {code: (i, name) for i, code, name in db.execute(select(Department.id, Department.code, Department.name))}
    towns = dict(db.execute(select(Region.code, Region.name).where(Region.level == "town",
                                                                   Region.code.startswith(ctx.top_code))).all())
    court = f"{ctx.top_name}人民法院诉前调解中心"
    targets = {code: {"mediation_committee": (None, f"{name}人民调解委员会"),
                      "justice_office": depts.get(f"{code}-SFS", (None, f"{name}司法所")),
                      "police": depts.get(f"{code}-PCS", (None, f"{name}派出所")),
                      "court": (None, court)} for code, name in towns.items()}
    report("生成矛盾纠纷", 0, len(rows))
    bulk = Bulk(db, report)
    first = bulk.next_id(Dispute.__table__)
    g = generate(rng, events, reg, now_s=now_s, tz=tz, mediators=mediators, operator=operator,
                 referral_targets=targets, town_names=towns, first_id=first)
    report("生成矛盾纠纷", len(rows), len(rows))

    def stamps(values: list[int | None]) -> list[Any]:
        arr = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
        text_ = bulk.stamps(arr)
        return [t if v is not None else None for t, v in zip(text_.tolist(), values)]

    def write(table, rows_: list[dict[str, Any]], stage: str, times: dict[str, str],
              dates: tuple[str, ...] = ()) -> None:
        cols: dict[str, Any] = {}
        for name in (rows_[0] if rows_ else {}):
            if name in times:
                continue
            vals = [r[name] for r in rows_]
            cols[name] = [v.isoformat() if v is not None else None for v in vals] if name in dates else vals
        for src, dst in times.items():
            cols[dst] = stamps([r[src] for r in rows_])
        bulk.insert(table, len(rows_), cols, stage)

    write(Dispute.__table__, g["disputes"], "写入矛盾纠纷",
          {"resolved_s": "resolved_at", "created_s": "created_at", "updated_s": "updated_at"})
    write(DisputeParty.__table__, g["parties"], "写入纠纷当事人", {})
    write(MediationSession.__table__, g["sessions"], "写入调解记录", {"created_s": "created_at"}, ("held_on",))
    write(Agreement.__table__, g["agreements"], "写入调解协议", {"created_s": "created_at"},
          ("signed_on", "performed_on"))
    write(Referral.__table__, g["referrals"], "写入移交记录", {"referred_s": "referred_at", "result_s": "result_at"})
    write(FollowUp.__table__, g["follow_ups"], "写入回访记录", {"created_s": "created_at"}, ("visited_on",))
    tables = [Dispute.__table__, DisputeParty.__table__, MediationSession.__table__, Agreement.__table__,
              Referral.__table__, FollowUp.__table__]
    bulk.fix_sequences(tables)
    if bulk.dialect == "postgresql":
        db.execute(text("ANALYZE " + ", ".join(f'"{t.name}"' for t in tables)))
    seconds = round(time.perf_counter() - started, 2)
    colours = {c.value: sum(1 for d in g["disputes"] if d["colour"] == c.value) for c in Colour}
    counts = {k: len(v) for k, v in g.items()} | {"colours": colours,
                                                  "repeats": sum(1 for d in g["disputes"] if d["repeat_count"])}
    audit.record(db, None, "demo.disputes", "demo_disputes", f"demo-{ctx.scale}-{ctx.seed}",
                 detail={"counts": counts, "seconds": seconds})
    ctx.register.update({"disputes": len(g["disputes"]), "dispute_parties": len(g["parties"]),
                         "mediation_sessions": len(g["sessions"]), "disputes_s": seconds})
