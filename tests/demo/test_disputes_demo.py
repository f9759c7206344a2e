"""The demo's dispute records (gridgov/demo/disputes.py) on SQLite and PostgreSQL: every record
belongs to a dispute event of the demo, its parties exist in the register (persons of the event's
grid), its colour is what the service's rule computes from the data, its status agrees with the
event's state, and the API shows them (化解率, the list with masked names)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from gridgov.db import get_engine, session_scope
from gridgov.demo.disputes import Register, generate
from gridgov.disputes import service
from gridgov.disputes.models import Agreement, Dispute, DisputeParty, FollowUp, MediationSession, Referral
from gridgov.events.models import Event
from gridgov.people.models import Organization, Person
from gridgov.settings import get_settings

CLOSED = ("closed", "evaluated")
WORKING = ("accepted", "dispatched", "in_progress")


def _rows(db, model) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for r in db.scalars(select(model).order_by(model.id)):
        out[r.dispute_id].append(r)
    return out


def _demo(db):
    """The demo's disputes (the ones the generator wrote: registered by no API call, before any test's)."""
    return db.execute(
        select(Dispute, Event)
        .join(Event, Event.id == Dispute.event_id)
        .where(~Dispute.id.in_(select(Dispute.id).where(Dispute.created_at >= _loaded_at(db))))
        .order_by(Dispute.id)
    ).all()


def _loaded_at(db):
    from gridgov.access.models import AuditEntry

    return db.scalar(select(AuditEntry.at).where(AuditEntry.action == "demo.disputes"))


def test_every_dispute_event_has_its_record_and_the_parties_exist(demo_db):
    with session_scope(get_engine(demo_db.url)) as db:
        rows = _demo(db)
        events = set(db.scalars(select(Event.id).where(Event.is_dispute.is_(True), Event.created_at < _loaded_at(db))))
        assert rows and len(rows) >= 20
        assert {e.id for _, e in rows} == events  # one record per dispute event, no other event
        assert all(e.is_dispute and e.category_code == "MD" and d.region_code == e.region_code for d, e in rows)
        parties = _rows(db, DisputeParty)
        persons = {p.id: p for p in db.scalars(select(Person))}
        orgs = {o.id: o for o in db.scalars(select(Organization))}
        kinds = Counter()
        for d, e in rows:
            ps = parties[d.id]
            assert len(ps) >= 2 and len({p.party_key for p in ps}) == len(ps)
            assert d.people_involved >= sum(1 for p in ps if p.kind != "organization")
            for p in ps:
                kinds[p.kind] += 1
                if p.kind == "person":
                    person = persons[p.person_id]
                    assert p.party_key == f"P{person.id}" and p.name == person.name
                    assert person.grid_code[:15] == e.region_code[:15]  # living in the event's grid
                elif p.kind == "organization":
                    assert p.party_key == f"O{p.organization_id}" and p.name == orgs[p.organization_id].name
                else:
                    assert p.party_key == service.free_party_key(p.name, p.phone)
        assert kinds["person"] > kinds["organization"] > 0 and kinds["free"] > 0
        assert len({d.type for d, _ in rows}) >= 6


def test_colours_are_what_the_service_computes(demo_db):
    with session_scope(get_engine(demo_db.url)) as db:
        rows = _demo(db)
        stored = {d.id: (d.colour, d.colour_reason, d.repeat_count) for d, _ in rows}
        for d, e in rows:
            service.reassess(db, d, e)  # the rule on the data: parties, groups, earlier disputes, sessions
        again = {d.id: (d.colour, d.colour_reason, d.repeat_count) for d, _ in rows}
        db.rollback()
    assert again == stored
    colours = Counter(c for c, _, _ in stored.values())
    assert colours["green"] and colours["yellow"] and colours["red"]
    assert any(n >= 1 for _, _, n in stored.values())  # repeats between the same parties


def test_status_and_record_agree_with_the_event(demo_db):
    tz = ZoneInfo(get_settings().work_timezone)
    today = datetime.now(tz).date()
    with session_scope(get_engine(demo_db.url)) as db:
        rows = _demo(db)
        sessions, agreements = _rows(db, MediationSession), _rows(db, Agreement)
        referrals, follow_ups = _rows(db, Referral), _rows(db, FollowUp)
        for d, e in rows:
            s, a, r, f = sessions[d.id], agreements[d.id], referrals[d.id], follow_ups[d.id]
            day = e.created_at.replace(tzinfo=e.created_at.tzinfo or UTC).astimezone(tz).date()
            assert all(day <= x.held_on <= today for x in s)
            assert all(day <= x.visited_on <= today for x in f)
            assert sum(x.result == "failed" for x in s) == 0 or d.colour != "green"
            if e.state in ("rejected", "merged", "reported"):
                assert d.status == "registered" and not (s or a or r or f), (e.state, d.status)
            elif e.state in WORKING:
                assert d.status == "mediating" and s and s[-1].result in ("continued", "partial")
            elif e.state == "handled":
                assert d.status == "resolved"
            else:
                assert e.state in CLOSED and d.status in ("resolved", "referred"), (e.state, d.status)
            if d.status == "resolved":
                assert d.resolved_at is not None and d.resolution in ("mediation", "agreement", "referral")
                assert {
                    "mediation": any(x.result == "success" for x in s),
                    "agreement": any(x.performed for x in a),
                    "referral": any(x.result == "resolved" for x in r),
                }[d.resolution]
            if d.status == "referred":
                assert r and r[-1].result == "pending" and d.resolved_at is None
            if d.relapsed:
                assert any(not x.stable for x in f) and d.colour != "green"
        statuses = Counter(d.status for d, _ in rows)
    assert statuses["resolved"] and statuses["referred"] and statuses["registered"]


def test_resolution_rate_and_the_list_for_the_leader(client, auth, demo_db):
    s = client.get("/api/v1/disputes/stats", headers=auth("leader"), params={"level": "county"})
    assert s.status_code == 200, s.text
    t = s.json()["total"]
    assert t["registered"] >= 20 and t["resolved"] > 0
    assert 0 < t["resolution_rate"] < 1 and t["red"] + t["yellow"] + t["green"] == t["registered"]
    r = client.get("/api/v1/disputes", headers=auth("leader"), params={"limit": 50})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 50
    with session_scope(get_engine(demo_db.url)) as db:
        names = {p.id: p.name for p in db.scalars(select(DisputeParty))}
    for item in items:
        for p in item["parties"]:
            if p["kind"] != "organization":
                assert p["masked"] and "*" in p["name"] and p["name"] != names[p["id"]]


def _events(n: int, item: str, grid: str, state: str, start: int) -> dict[str, list]:
    return {"id": list(range(1, n + 1)), "created_s": [start + k * 86_400 * 10 for k in range(n)],
            "item_code": [item] * n, "severity": ["normal"] * n, "state": [state] * n,
            "region_code": [grid + "01"] * n, "end_s": [start + k * 86_400 * 10 + 3600 for k in range(n)],
            "reporter": [None] * n}


def test_the_generator_is_deterministic_and_repeats_family_quarrels():
    grid = "211021001001001"
    reg = Register(person_id=list(range(100, 120)), person_name=[f"王{c}" for c in "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸"],
                   person_sex=["男", "女"] * 10, person_house=[k // 2 for k in range(20)],
                   persons_by_grid={grid: list(range(20))})
    now = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())
    events = _events(30, "MD002", grid, "closed", now - 400 * 86_400)
    kw = {"now_s": now, "tz": "Asia/Shanghai", "mediators": {grid: (7, "网格员 王芳")}, "operator": (2, "坐席"),
          "referral_targets": {}, "town_names": {grid[:9]: "首山镇"}}
    a = generate(np.random.default_rng(1), events, reg, **kw)
    b = generate(np.random.default_rng(1), events, reg, **kw)
    assert a == b
    assert {d["type"] for d in a["disputes"]} == {"family"}
    assert any(d["colour"] == "red" and "家庭类纠纷90天内再次发生" in d["colour_reason"] for d in a["disputes"])
    # family quarrels inside one house when the house has two residents
    by = defaultdict(list)
    for p in a["parties"]:
        by[p["dispute_id"]].append(p)
    same_house = sum(1 for ps in by.values() if ps[0]["person_id"] and ps[1]["person_id"]
                     and (ps[0]["person_id"] - 100) // 2 == (ps[1]["person_id"] - 100) // 2)
    assert same_house >= len(by) // 2
