"""统计分析 (dashboards, big screen) through the API on SQLite and PostgreSQL.

Every panel's figures are checked against a brute-force count over the same rows (loaded into
Python, filtered by the user's scope rules and the period, counted with ``metrics.classify``),
for a leader (the county), the operator, a handler (their department's events) and a grid worker
(their grid); plus the pure period/series helpers, scope refusals, 422s and the Excel export.
"""

from __future__ import annotations

import io
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from gridgov.access.models import AuditEntry, User
from gridgov.access.scope import scope_of
from gridgov.db import get_engine, session_scope
from gridgov.disputes.models import Dispute
from gridgov.errors import Invalid
from gridgov.events import metrics, stats
from gridgov.events.models import Event
from gridgov.events.workflow import FINAL, State
from gridgov.people.models import SpecialGroupMember

CST = ZoneInfo("Asia/Shanghai")
OPEN = {s.value for s in State if s not in FINAL}
ROLES = ("leader", "operator", "handler", "grid_worker")
PANELS = ("summary", "daily", "categories", "channels", "departments", "regions", "disputes", "visits")


# --- the pure helpers -------------------------------------------------------------------------


def test_day_ranges():
    today = date(2026, 3, 4)
    assert stats.day_range("7d", today) == stats.DayRange("7d", date(2026, 2, 26), today)
    assert stats.day_range("30d", today).days == 30
    assert stats.day_range("year", today).first == date(2026, 1, 1)
    custom = stats.day_range("custom", today, date(2026, 1, 5), date(2026, 1, 5))
    assert custom.days == 1 and custom.label.startswith("自定义")
    for bad in [("week", None, None), ("custom", None, None), ("custom", date(2026, 2, 2), date(2026, 2, 1)),
                ("30d", date(2026, 1, 1), None), ("custom", date(1900, 1, 1), date(1900, 2, 1)),
                ("custom", date(2020, 1, 1), date(2026, 1, 1))]:
        with pytest.raises(Invalid):
            stats.day_range(bad[0], today, bad[1], bad[2])


def test_series_and_levels():
    days = stats.fill_days({"2026-01-02": 5}, date(2026, 1, 1), date(2026, 1, 4))
    assert [d["count"] for d in days] == [0, 5, 0, 0]
    assert [d["weekday"] for d in days] == ["周四", "周五", "周六", "周日"]
    assert [h["count"] for h in stats.fill_hours({3: 2, 23: 1})] == [0, 0, 0, 2] + [0] * 19 + [1]
    rows = [{"code": c, "count": n} for c, n in zip("abcde", (1, 5, 3, 5, 2), strict=True)]
    top = stats.top(rows, 2)
    assert [r["code"] for r in top] == ["b", "d", "_other"] and top[-1]["count"] == 6
    assert stats.top(rows, 9) == sorted(rows, key=lambda r: (-r["count"], r["code"]))
    assert stats.child_length("211021") == 9 and stats.child_length("211021001001001") == 17
    assert stats.child_length(None) == 6 and stats.level_of("211021001") == "street"
    assert stats.ancestors("211021001001") == ["211021", "211021001"]
    f = stats.funnel({"reported": 10, "accepted": 8, "closed": 5})
    assert [s["count"] for s in f] == [10, 8, 0, 0, 5, 0] and f[1]["share"] == 0.8
    assert stats.funnel({})[0]["share"] is None


# --- brute force ------------------------------------------------------------------------------


def _facts(e: Event) -> metrics.EventFacts:
    return metrics.EventFacts(
        state=e.state, self_resolved=e.self_resolved, accepted_at=e.accepted_at, dispatched_at=e.dispatched_at,
        handled_at=e.handled_at, handled_on_time=e.handled_on_time, handle_due_at=e.handle_due_at,
        closed_at=e.closed_at, extended=e.extended, rework_count=e.rework_count, ever_overdue=e.ever_overdue,
        rating=e.rating)


class World:
    """Every event, dispute and special-group member of the demo, loaded once, and the users."""

    def __init__(self, url: str, users: dict[str, tuple[str, str]]):
        with session_scope(get_engine(url)) as db:
            self.events = list(db.scalars(select(Event)))
            self.disputes = {d.event_id: d for d in db.scalars(select(Dispute))}
            self.members = list(db.scalars(select(SpecialGroupMember).where(SpecialGroupMember.valid_to.is_(None))))
            self.users = {}
            for role, (username, _) in users.items():
                u = db.scalar(select(User).where(User.username == username))
                u.region_codes  # load the scope while the session is open  # noqa: B018
                u.department  # noqa: B018
                db.expunge(u)
                self.users[role] = u
            db.expunge_all()

    def visible(self, role: str, e: Event) -> bool:
        """The visibility rules as written in access/scope.py and events/parties.py, in Python."""
        u = self.users[role]
        if role == "handler":  # the cohort of a handler: the events their department leads
            return e.lead_department_id == u.department_id
        return scope_of(u).covers_region(e.region_code) or e.reporter_user_id == u.id

    def cohort(self, role: str, body: dict, region: str | None = None) -> list[Event]:
        since = datetime.fromisoformat(body["since"].replace("Z", "+00:00"))
        until = datetime.fromisoformat(body["until"].replace("Z", "+00:00"))
        region = region if region is not None else body["region"]
        return [e for e in self.events if self.visible(role, e) and since <= e.created_at < until
                and (region is None or e.region_code.startswith(region))]


def _as_of(body: dict) -> datetime:
    return datetime.fromisoformat(body["as_of"].replace("Z", "+00:00"))


def _figures(events: list[Event], as_of: datetime) -> dict:
    c = metrics.total(metrics.classify(_facts(e), as_of) for e in events)
    return {
        "events": len(events),
        "open": sum(e.state in OPEN for e in events),
        "overdue": sum(e.state in OPEN and e.overdue for e in events),
        "closed": c.closed,
        "due": c.due,
        "deferred": c.deferred,
        "closed_on_time": c.closed_on_time,
        "rated": c.rated,
        "satisfied": c.satisfied + c.basic,
        "on_time_closing_rate": metrics.ratio(c.closed_on_time, c.due - c.deferred),
        "satisfaction_rate": metrics.ratio(c.satisfied + c.basic, c.rated),
    }


def _pick(row: dict) -> dict:
    return {k: row[k] for k in ("events", "open", "overdue", "closed", "due", "deferred", "closed_on_time", "rated",
                                "satisfied", "on_time_closing_rate", "satisfaction_rate")}


@pytest.fixture(scope="module")
def disputes(client, auth, demo_db):
    """A few registered disputes of three types in the grid worker's grid, one of them resolved."""
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=auth("operator")).json()
    made = []
    for kind in ("neighbour", "neighbour", "family", "property"):
        body = {"type": kind, "description": "统计测试纠纷", "lon": grid["center"][0], "lat": grid["center"][1],
                "client_id": str(uuid.uuid4()),
                "parties": [{"kind": "free", "name": f"甲{uuid.uuid4().hex[:5]}", "phone": "13912345678"},
                            {"kind": "free", "name": f"乙{uuid.uuid4().hex[:5]}", "phone": "13912345679",
                             "role": "respondent"}]}
        r = client.post("/api/v1/disputes", headers=auth("grid_worker"), json=body)
        assert r.status_code == 201, r.text
        made.append(r.json())
    with session_scope(get_engine(demo_db.url)) as db:
        db.execute(update(Dispute).where(Dispute.id == made[0]["id"]).values(status="resolved"))
    return made


@pytest.fixture(scope="module")
def world(demo_db, disputes) -> World:
    return World(demo_db.url, demo_db.users)


def get(client, auth, role, panel, expect=200, **params):
    r = client.get(f"/api/v1/stats/{panel}", headers=auth(role), params=params)
    assert r.status_code == expect, (panel, params, r.text)
    return r.json()


# --- figures against the brute force ----------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_panels_equal_brute_force(client, auth, world, demo_db, role):
    q = {"period": "year"}
    s = get(client, auth, role, "summary", **q)
    if role in ("leader", "operator"):
        assert s["region"] == demo_db.top_code and s["path"][0]["code"] == demo_db.top_code
    if role == "grid_worker":
        assert s["region"] == demo_db.first_grid and s["child_level"] == "micro_grid"
    cohort = world.cohort(role, s)
    assert cohort, "the demo has events in this year for every role"
    as_of = _as_of(s)
    want = _figures(cohort, as_of)
    assert {k: s["kpis"][k] for k in want} == want
    c = metrics.total(metrics.classify(_facts(e), as_of) for e in cohort)
    assert [f["count"] for f in s["funnel"]] == [len(cohort), c.accepted, c.dispatched, c.handled, c.closed, c.rated]

    daily = get(client, auth, role, "daily", **q)
    by_day = Counter(e.created_at.astimezone(CST).date().isoformat() for e in cohort)
    assert {d["date"]: d["count"] for d in daily["days"] if d["count"]} == dict(by_day)
    assert len(daily["days"]) == (date.fromisoformat(s["last_day"]) - date.fromisoformat(s["first_day"])).days + 1

    cats = get(client, auth, role, "categories", top=100, **q)
    assert {r["code"]: r["count"] for r in cats["rows"]} == dict(Counter(e.category_code for e in cohort))
    top = get(client, auth, role, "categories", **q)["rows"]
    assert len(top) <= 13 and sum(r["count"] for r in top) == len(cohort)

    chans = get(client, auth, role, "channels", **q)
    assert {r["code"]: r["count"] for r in chans["rows"]} == dict(Counter(e.channel for e in cohort))

    deps = get(client, auth, role, "departments", **q)
    led = {}
    for e in cohort:
        if e.lead_department_id is not None:
            led.setdefault(e.lead_department_id, []).append(e)
    assert {r["id"]: _pick(r) for r in deps["rows"]} == {k: _figures(v, as_of) for k, v in led.items()}
    assert [r["rank"] for r in deps["rows"]] == list(range(1, len(deps["rows"]) + 1))
    if role == "handler":
        assert [r["id"] for r in deps["rows"]] == [world.users["handler"].department_id]

    regs = get(client, auth, role, "regions", **q)
    n = stats.child_length(s["region"])
    groups = {}
    for e in cohort:
        groups.setdefault(e.region_code[:n], []).append(e)
    assert {r["code"]: _pick(r) for r in regs["rows"]} == {k: _figures(v, as_of) for k, v in groups.items()}
    assert all(r["code"].startswith(s["region"]) for r in regs["rows"])


@pytest.mark.parametrize("role", ROLES)
def test_disputes_and_visits_equal_brute_force(client, auth, world, role, disputes):
    d = get(client, auth, role, "disputes", period="30d")
    cohort = [e for e in world.cohort(role, d) if e.id in world.disputes]
    by_type: dict[str, Counter] = {}
    for e in cohort:
        x = world.disputes[e.id]
        accepted = e.state not in ("rejected", "merged")
        c = by_type.setdefault(x.type, Counter())
        c.update(registered=1, accepted=int(accepted), resolved=int(accepted and x.status == "resolved"),
                 **{x.colour: 1})
    got = {r["type"]: {k: r[k] for k in ("registered", "accepted", "resolved", "red", "yellow", "green") if r[k]}
           for r in d["rows"]}
    assert got == {k: {n: m for n, m in v.items() if m} for k, v in by_type.items()}
    assert d["unregistered"] == sum(e.is_dispute and e.id not in world.disputes for e in world.cohort(role, d))
    total = sum(by_type.values(), Counter())
    assert d["total"]["resolution_rate"] == metrics.ratio(total["resolved"], total["accepted"])
    assert sum(c["count"] for c in d["colours"]) == total["registered"]
    if role in ("leader", "operator", "grid_worker"):  # the test disputes lie in the grid worker's grid
        assert {"neighbour", "family", "property"} <= set(got) and d["total"]["resolved"] >= 1

    v = get(client, auth, role, "visits")
    if role == "handler":
        assert v["available"] is False and v["rows"] == []
        return
    today = date.fromisoformat(v["as_of_day"])
    roots = scope_of(world.users[role]).regions
    mine = [m for m in world.members if m.grid_code and m.grid_code.startswith(v["region"])
            and any(m.grid_code.startswith(r) for r in roots)]
    want: dict[str, Counter] = {}
    for m in mine:
        want.setdefault(m.group, Counter()).update(
            members=1, covered=int(m.last_visit_at is not None and m.next_visit_due >= today),
            overdue=int(m.next_visit_due < today), never_visited=int(m.last_visit_at is None))
    assert {r["group"]: {k: r[k] for k in ("members", "covered", "overdue", "never_visited")} for r in v["rows"]} \
        == {g: {k: c[k] for k in ("members", "covered", "overdue", "never_visited")} for g, c in want.items()}
    if role == "leader":
        assert v["total"]["members"] > 0 and v["total"]["coverage"] is not None


def test_drill_down_narrows(client, auth, world, demo_db):
    county = get(client, auth, "leader", "regions", period="year")
    street = next(r for r in county["rows"] if r["drillable"])
    s = get(client, auth, "leader", "summary", period="year", region=street["code"])
    assert s["kpis"]["events"] == street["events"] == len(world.cohort("leader", s))
    assert [p["code"] for p in s["path"]] == [demo_db.top_code, street["code"]] and s["child_level"] == "community"
    below = get(client, auth, "leader", "regions", period="year", region=street["code"])["rows"]
    assert sum(r["events"] for r in below) == street["events"]
    assert all(r["code"].startswith(street["code"]) and len(r["code"]) == 12 for r in below)


def test_live_and_latest(client, auth, world, demo_db):
    live = get(client, auth, "leader", "live")
    mine = [e for e in world.events if world.visible("leader", e) and e.region_code.startswith(live["region"])]
    open_ = [e for e in mine if e.state in OPEN]
    assert live["open"] == len(open_) and live["overdue"] == sum(e.overdue for e in open_)
    assert live["grids"] == {g: {"open": sum(e.region_code[:15] == g for e in open_),
                                 "overdue": sum(e.region_code[:15] == g and e.overdue for e in open_)}
                             for g in {e.region_code[:15] for e in open_ if len(e.region_code) >= 15}}
    start = datetime.combine(datetime.now(CST).date(), datetime.min.time(), tzinfo=CST)
    assert live["today"] == sum(e.created_at >= start for e in mine) == sum(h["count"] for h in live["hours"])
    assert len(live["hours"]) == 24

    latest = get(client, auth, "leader", "latest", limit=5)
    newest = sorted(mine, key=lambda e: (e.created_at, e.id), reverse=True)[:5]
    assert [r["code"] for r in latest["rows"]] == [e.code for e in newest]
    for r in latest["rows"]:  # masked: nothing about the reporter, where exactly, or what was said
        assert set(r) == {"code", "created_at", "category", "item", "severity", "state", "state_label", "place"}
    worker = get(client, auth, "grid_worker", "latest", limit=50)["rows"]
    codes = {e.code: e for e in world.events}
    assert worker and all(world.visible("grid_worker", codes[r["code"]]) for r in worker)


# --- scope, permissions and bad input ---------------------------------------------------------


def test_scope_refusals(client, auth, demo_db, world):
    for panel in PANELS:
        r = client.get(f"/api/v1/stats/{panel}", headers=auth("resident"))
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    other_street = get(client, auth, "leader", "regions", period="year")["rows"]
    outside = next(r["code"] for r in other_street if not demo_db.first_grid.startswith(r["code"]))
    r = client.get("/api/v1/stats/summary", headers=auth("grid_worker"), params={"region": outside})
    assert r.status_code == 403 and r.json()["error"]["code"] == "out_of_scope"
    # the grid worker may look from an ancestor of their grid, and still sees only their part
    up = get(client, auth, "grid_worker", "regions", period="year", region=demo_db.first_grid[:12])
    assert demo_db.first_grid in {r["code"] for r in up["rows"]}
    want = Counter(e.region_code[:15] for e in world.cohort("grid_worker", up))
    assert {r["code"]: r["events"] for r in up["rows"]} == dict(want)
    assert all(e.region_code.startswith(demo_db.first_grid) or e.reporter_user_id == world.users["grid_worker"].id
               for e in world.cohort("grid_worker", up))
    r = client.get("/api/v1/stats/summary", headers=auth("leader"), params={"region": demo_db.top_code + "999"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "region_not_found"
    assert client.get("/api/v1/stats/summary").status_code == 401


@pytest.mark.parametrize("params", [
    {"period": "week"},
    {"period": "custom"},
    {"period": "custom", "since": "2026-02-01"},
    {"period": "custom", "since": "2026-02-01", "until": "2026-01-01"},
    {"period": "custom", "since": "2026-13-01", "until": "2026-12-01"},
    {"period": "custom", "since": "1900-01-01", "until": "1900-02-01"},
    {"period": "custom", "since": "2000-01-01", "until": "2026-01-01"},
    {"period": "30d", "since": "2026-01-01", "until": "2026-01-02"},
    {"region": "21"},
    {"region": "2110210010"},
    {"region": "abc123"},
    {"top": "0"},
    {"top": "x"},
])
def test_bad_params_are_422(client, auth, params):
    panel = "categories" if "top" in params else "summary"
    r = client.get(f"/api/v1/stats/{panel}", headers=auth("leader"), params=params)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"]
    r = client.get("/api/v1/stats/dashboard.xlsx", headers=auth("leader"), params=params)
    assert r.status_code == 422 or "top" in params
    for bad in ({"limit": "0"}, {"limit": "51"}, {"region": "1"}):
        assert client.get("/api/v1/stats/latest", headers=auth("leader"), params=bad).status_code == 422


def test_custom_period(client, auth, world):
    last = datetime.now(CST).date() - timedelta(days=20)
    first = last - timedelta(days=40)
    s = get(client, auth, "operator", "summary", period="custom", since=first.isoformat(), until=last.isoformat())
    assert (s["first_day"], s["last_day"]) == (first.isoformat(), last.isoformat())
    assert s["kpis"]["events"] == len(world.cohort("operator", s))
    days = get(client, auth, "operator", "daily", period="custom", since=first.isoformat(), until=last.isoformat())
    assert len(days["days"]) == 41 and sum(d["count"] for d in days["days"]) == s["kpis"]["events"]


# --- Excel ------------------------------------------------------------------------------------


def test_excel_export(client, auth, demo_db):
    r = client.get("/api/v1/stats/dashboard.xlsx", headers=auth("leader"), params={"period": "year"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["概览", "每日趋势", "事件类别", "上报渠道", "部门排名", "区域排名", "矛盾纠纷", "特殊人群走访"]
    username = demo_db.users["leader"][0]
    s = get(client, auth, "leader", "summary", period="year")
    for ws in wb.worksheets:
        mark = ws["A1"].value
        assert f"导出人：{username}" in mark and "导出时间：" in mark and "范围：" in mark and s["region_name"] in mark
        assert ws.max_row >= 3, ws.title
    overview = {row[0]: row[1] for row in wb["概览"].iter_rows(min_row=3, values_only=True)}
    assert overview["上报事件数"] == s["kpis"]["events"]
    assert overview["按期结案率"] == s["kpis"]["on_time_closing_rate"]
    days = list(wb["每日趋势"].iter_rows(min_row=3, values_only=True))
    assert sum(d[2] for d in days) == s["kpis"]["events"]
    with session_scope(get_engine(demo_db.url)) as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "stats.export").order_by(AuditEntry.seq.desc()))
        assert entry is not None and entry.actor_name == username
    handler = load_workbook(io.BytesIO(client.get("/api/v1/stats/dashboard.xlsx", headers=auth("handler")).content))
    assert "本部门" in handler["概览"]["A1"].value
