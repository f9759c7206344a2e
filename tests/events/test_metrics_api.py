"""考核评价 through the API on SQLite and PostgreSQL: indicators per group on a hand-built set of
events (moved to June 2019 so that no other test's events fall in the range), the SQL against the
event-by-event reference, the Excel export, permissions, and the departments' reverse evaluation."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from gridgov.access.models import AuditEntry, User
from gridgov.db import get_engine, session_scope
from gridgov.events import metrics, metrics_service
from gridgov.events.clock import calendar
from gridgov.events.models import Event
from gridgov.events.parties import visible_clause

CST = ZoneInfo("Asia/Shanghai")
RANGE = {"since": "2019-06-01", "until": "2019-07-01"}  # local dates


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def items(client, auth):
    cat = client.get("/api/v1/catalog", headers=auth("operator")).json()
    flat = [i for c in cat["categories"] for i in c["items"]]
    me = client.get("/api/v1/auth/me", headers=auth("handler")).json()
    suffix = me["department"]["code"].rsplit("-", 1)[-1]
    return {
        "handler": next(i for i in flat if i["department_code"] == suffix),
        "self": next(i for i in flat if i["self_resolvable"]),
        "department_id": me["department"]["id"],
    }


def _report(client, auth, where, item, **extra):
    body = {
        "item_code": item["code"],
        "description": "考核评价测试事件",
        "client_id": str(uuid.uuid4()),
        **where,
        **extra,
    }
    r = client.post("/api/v1/events", headers=auth("grid_worker"), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _act(client, auth, role, ev, action, **body):
    r = client.post(
        f"/api/v1/events/{ev['code']}/actions/{action}",
        headers=auth(role),
        json={"version": ev["version"], **body},
    )
    assert r.status_code == 200, (action, r.text)
    return r.json()


def _to_handled(client, auth, ev, rework=False):
    ev = _act(client, auth, "operator", ev, "accept")
    ev = _act(client, auth, "operator", ev, "dispatch")
    ev = _act(client, auth, "handler", ev, "sign")
    ev = _act(client, auth, "handler", ev, "handle", note="已处置")
    if rework:
        ev = _act(client, auth, "grid_worker", ev, "verify_fail", note="未处置到位")
        ev = _act(client, auth, "handler", ev, "handle", note="已重新处置")
    return ev


def _move(demo_db, code, **values):
    with session_scope(get_engine(demo_db.url)) as db:
        db.execute(
            update(Event)
            .where(Event.code == code)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


@pytest.fixture(scope="module")
def scenario(client, auth, where, items, demo_db):
    """Seven events of June 2019 (local time) with known indicators (see the assertions)."""
    h = items["handler"]
    a = _to_handled(client, auth, _report(client, auth, where, h), rework=True)
    a = _act(client, auth, "grid_worker", a, "verify_pass")
    a = _act(client, auth, "operator", a, "evaluate", rating="satisfied")
    b = _to_handled(client, auth, _report(client, auth, where, h))
    b = _act(client, auth, "grid_worker", b, "verify_pass")
    b = _act(client, auth, "operator", b, "evaluate", rating="unsatisfied", comment="拖了很久")
    c = _act(client, auth, "operator", _report(client, auth, where, h), "reject", note="不属于受理范围")
    d = _act(client, auth, "operator", _report(client, auth, where, h), "merge", into=a["code"])
    e = _act(client, auth, "operator", _report(client, auth, where, h), "accept")
    e = _act(client, auth, "operator", e, "dispatch")
    e = _act(client, auth, "handler", e, "sign")
    f = _report(client, auth, where, items["self"], self_resolve=True, result="已当场处理")
    g = _act(client, auth, "operator", _report(client, auth, where, h), "accept")
    g = _act(client, auth, "operator", g, "dispatch")
    g = _act(client, auth, "handler", g, "sign")
    g = _act(client, auth, "handler", g, "request_extension", hours=8, note="需协调")
    g = _act(client, auth, "operator", g, "approve_extension")
    created = utc(2019, 6, 10, 17)  # 2019-06-11 01:00 in Shanghai (a Tuesday)
    fri_4pm, mon_10am = utc(2019, 6, 14, 8), utc(2019, 6, 17, 2)  # 3 working hours apart
    mon_830, mon_1730 = utc(2019, 6, 17, 0, 30), utc(2019, 6, 17, 9, 30)  # 7 working hours apart
    _move(
        demo_db,
        a["code"],
        created_at=created,
        dispatched_at=fri_4pm,
        handled_at=mon_10am,
        handled_on_time=True,
        handle_due_at=utc(2019, 6, 20),
        closed_at=utc(2019, 6, 18),
    )
    _move(
        demo_db,
        b["code"],
        created_at=created,
        dispatched_at=mon_830,
        handled_at=mon_1730,
        handled_on_time=False,
        handle_due_at=utc(2019, 6, 17),
        closed_at=utc(2019, 6, 19),
    )
    _move(demo_db, c["code"], created_at=created)
    _move(demo_db, d["code"], created_at=created)
    _move(demo_db, e["code"], created_at=utc(2019, 6, 20, 3), handle_due_at=utc(2019, 6, 25))
    _move(demo_db, f["code"], created_at=created)
    _move(demo_db, g["code"], created_at=created, handle_due_at=utc(2019, 6, 25))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def _get(client, auth, role="operator", **params):
    r = client.get("/api/v1/metrics", headers=auth(role), params={**RANGE, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_indicators_of_the_scenario(client, auth, scenario):
    t = _get(client, auth, group="grid_worker")["total"]
    assert {
        k: t[k]
        for k in (
            "reported",
            "merged",
            "rejected",
            "self_resolved",
            "accepted",
            "dispatched",
            "handled",
            "handled_on_time",
            "reworked",
            "closed",
            "due",
            "deferred",
            "closed_on_time",
            "rated",
            "satisfied",
            "unsatisfied",
        )
    } == {
        "reported": 7,
        "merged": 1,
        "rejected": 1,
        "self_resolved": 1,
        "accepted": 5,
        "dispatched": 4,
        "handled": 2,
        "handled_on_time": 1,
        "reworked": 1,
        "closed": 3,
        "due": 5,
        "deferred": 1,
        "closed_on_time": 2,
        "rated": 2,
        "satisfied": 1,
        "unsatisfied": 1,
    }
    assert t["acceptance_rate"] == round(5 / 6, 4)
    assert t["handling_rate"] == 0.5 and t["on_time_handling_rate"] == 0.5 and t["rework_rate"] == 0.5
    assert t["closing_rate"] == 0.6  # 3 / (7 − 1 rejected − 1 merged)
    assert t["on_time_closing_rate"] == 0.5  # 2 / (5 due − 1 deferred)
    assert t["avg_handle_hours"] == 5.0  # (3 + 7) / 2 working hours
    assert t["satisfaction_rate"] == 0.5 and t["dissatisfaction_rate"] == 0.5


def test_groups_and_labels(client, auth, scenario, demo_db, items):
    by_worker = _get(client, auth, group="grid_worker")
    assert [r["label"] for r in by_worker["rows"]] == ["网格员 王芳"]
    by_grid = _get(client, auth, group="region", level="grid")
    assert [r["key"] for r in by_grid["rows"]] == [demo_db.first_grid]
    assert by_grid["rows"][0]["label"] != demo_db.first_grid  # the grid's name
    by_county = _get(client, auth, group="region", level="county")
    assert [r["key"] for r in by_county["rows"]] == [demo_db.first_grid[:6]] and by_county[
        "level"
    ] == "county"
    assert _get(client, auth, group="region")["level"] == "street"
    by_dept = _get(client, auth, group="department")
    mine = next(r for r in by_dept["rows"] if r["key"] == str(items["department_id"]))
    assert (mine["dispatched"], mine["handled"]) == (4, 2)
    assert sum(r["reported"] for r in by_dept["rows"]) == by_dept["total"]["reported"] == 7


def test_periods_are_local_days_weeks_months(client, auth, scenario):
    day = _get(client, auth, group="period", period="day")
    assert [(r["key"], r["reported"]) for r in day["rows"]] == [("2019-06-11", 6), ("2019-06-20", 1)]
    week = _get(client, auth, group="period", period="week")
    assert [r["key"] for r in week["rows"]] == ["2019-06-10", "2019-06-17"]
    assert week["rows"][0]["label"] == "2019年第24周（06-10起）"
    month = _get(client, auth, group="period")
    assert [(r["key"], r["label"], r["reported"]) for r in month["rows"]] == [("2019-06", "2019年6月", 7)]
    narrow = _get(client, auth, group="period", since="2019-06-11T00:30:00", until="2019-06-11T02:00:00")
    assert narrow["total"]["reported"] == 6  # 01:00 local time is inside; in UTC it would be the 10th


def _reference(db, user, q) -> dict:
    """The indicators computed the slow way: every event of the cohort classified in Python."""
    cal = calendar()
    out: dict = {}
    for e in db.scalars(select(Event).where(visible_clause(user))):
        if not (q.since <= e.created_at < q.until):
            continue
        if user.role == "handler" and e.lead_department_id != user.department_id:
            continue
        if q.group == "department":
            key = e.lead_department_id or 0
        elif q.group == "region":
            key = e.region_code[: metrics_service.LEVELS[q.level][0]]
        elif q.group == "grid_worker":
            if e.channel != "grid" or e.reporter_user_id is None:
                continue
            key = e.reporter_user_id
        else:
            local = e.created_at.astimezone(CST).date()
            key = {
                "day": local.isoformat(),
                "month": local.strftime("%Y-%m"),
                "week": (local - timedelta(days=local.weekday())).isoformat(),
            }[q.period]
        facts = metrics.EventFacts(**{f: getattr(e, f) for f in metrics.EventFacts.__dataclass_fields__})
        out[key] = out.get(key, metrics.Counters()) + metrics.classify(
            facts, q.as_of, cal.working_hours_between
        )
    return out


@pytest.mark.parametrize("role", ["admin", "leader", "handler"])
@pytest.mark.parametrize(
    "group,extra",
    [
        ("department", {}),
        ("region", {"level": "community"}),
        ("grid_worker", {}),
        ("period", {"period": "day"}),
        ("period", {"period": "week"}),
    ],
)
def test_sql_agrees_with_the_event_by_event_reference(scenario, demo_db, role, group, extra):
    with session_scope(get_engine(demo_db.url)) as db:
        user = db.scalar(select(User).where(User.username == demo_db.users[role][0]))
        now = datetime.now(UTC)
        q = metrics_service.make_query(
            group, since=now - timedelta(days=3650), until=now + timedelta(days=1), now=now, **extra
        )
        got = metrics_service.count_groups(db, user, q)
        want = _reference(db, user, q)
    assert set(got) == set(want)
    for key, c in want.items():
        g = got[key]
        assert g.handle_hours == pytest.approx(c.handle_hours, abs=1e-3)
        assert metrics.Counters.of(
            {
                **g.as_dict(),
                "handle_hours": 0,
                "reviews": 0,
                "routing_score_sum": 0,
                "handling_score_sum": 0,
                "effect_score_sum": 0,
            }
        ) == metrics.Counters.of({**c.as_dict(), "handle_hours": 0}), key


def test_handler_sees_only_their_department(client, auth, scenario, items):
    rows = _get(client, auth, role="handler", group="department")["rows"]
    assert [r["key"] for r in rows] == [str(items["department_id"])]
    everyone = _get(client, auth, role="leader", group="department")
    assert everyone["total"]["reported"] == 7
    theirs = next(r for r in everyone["rows"] if r["key"] == str(items["department_id"]))
    assert (
        _get(client, auth, role="handler", group="grid_worker")["total"]["reported"]
        == theirs["reported"]
        >= 6
    )


@pytest.mark.parametrize("role", ["grid_worker", "resident"])
def test_who_may_not_see_metrics(client, auth, role):
    r = client.get("/api/v1/metrics", headers=auth(role))
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    assert client.get("/api/v1/metrics.xlsx", headers=auth(role)).status_code == 403
    assert client.get("/api/v1/metrics").status_code == 401


@pytest.mark.parametrize(
    "params,code",
    [
        ({"group": "everything"}, "invalid_request"),
        ({"group": "region", "level": "planet"}, "invalid_request"),
        ({"group": "period", "period": "year"}, "invalid_request"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "invalid_range"),
        ({"since": "2000-01-01", "until": "2026-01-01"}, "range_too_long"),
        ({"since": "yesterday"}, "invalid_request"),
        ({"until": "0001-01-01T00:00:00"}, "invalid_range"),
        ({"since": "9999-12-31T23:59:59+14:00"}, "invalid_range"),
        ({"region": "21x"}, "invalid_request"),
    ],
)
def test_bad_queries(client, auth, params, code):
    r = client.get("/api/v1/metrics", headers=auth("leader"), params=params)
    assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text


def test_default_range_and_empty_groups(client, auth):
    body = _get(client, auth, since="1990-01-01", until="1990-02-01")
    assert body["rows"] == [] and body["total"]["reported"] == 0
    assert body["total"]["closing_rate"] is None and body["total"]["avg_handle_hours"] is None
    r = client.get("/api/v1/metrics", headers=auth("leader")).json()
    since, until = (datetime.fromisoformat(r[k].replace("Z", "+00:00")) for k in ("since", "until"))
    assert until - since == timedelta(days=30)


def test_definitions(client, auth):
    r = client.get("/api/v1/metrics/definitions", headers=auth("leader"))
    assert r.status_code == 200
    names = {d["name"]: d for d in r.json()}
    assert names["on_time_closing_rate"]["denominator"] == "应结案数 − 延期数"
    assert set(names) == {d.name for d in metrics.DEFINITIONS}


def test_excel_export(client, auth, scenario, demo_db):
    r = client.get("/api/v1/metrics.xlsx", headers=auth("leader"), params={**RANGE, "group": "department"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["考核指标", "指标说明"]
    ws = wb["考核指标"]
    mark = ws["A1"].value
    assert (
        "导出人：" + demo_db.users["leader"][0] in mark
        and "导出时间：" in mark
        and "统计区间：2019-06-01" in mark
    )
    headers = [c.value for c in ws[2]]
    assert (
        headers[:3] == ["部门", "代码", "上报数"]
        and "按期结案率" in headers
        and "平均处置时长（小时）" in headers
    )
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "合计" and last[2] == 7
    col = headers.index("按期结案率") + 1
    assert ws.cell(ws.max_row, col).value == 0.5 and ws.cell(ws.max_row, col).number_format == "0.0%"
    dash_col = headers.index("部门评价数") + 1  # a count: 0, not a dash
    assert ws.cell(ws.max_row, dash_col).value in (0, 2)
    explained = [row[0].value for row in wb["指标说明"].iter_rows(min_row=3)]
    assert {"受理率", "按期结案率", "满意率", "平均处置时长"} <= set(explained)
    with session_scope(get_engine(demo_db.url)) as db:
        entry = db.scalar(
            select(AuditEntry)
            .where(AuditEntry.action == "metrics.export")
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
        assert entry is not None and entry.actor_name == demo_db.users["leader"][0]


def test_excel_shows_a_dash_where_a_rate_is_undefined(client, auth):
    r = client.get(
        "/api/v1/metrics.xlsx",
        headers=auth("operator"),
        params={"since": "1990-01-01", "until": "1990-02-01", "group": "period"},
    )
    ws = load_workbook(io.BytesIO(r.content))["考核指标"]
    headers = [c.value for c in ws[2]]
    total = [c.value for c in ws[3]]
    assert total[0] == "合计" and total[headers.index("结案率")] == "—"


# --- reverse evaluation ---------------------------------------------------------------------------


def _review(client, auth, role, ev, **body):
    scores = {"routing_score": 5, "handling_score": 4, "effect_score": 3, **body}
    return client.post(f"/api/v1/events/{ev['code']}/department-review", headers=auth(role), json=scores)


def test_reverse_evaluation(client, auth, scenario, items, demo_db):
    a, b, e, f = scenario["a"], scenario["b"], scenario["e"], scenario["f"]
    r = _review(client, auth, "grid_worker", a, comment="处置及时")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["department_id"] == items["department_id"] and body["reviewer"] == "网格员 王芳"
    assert (body["routing_score"], body["handling_score"], body["effect_score"]) == (5, 4, 3)
    again = _review(client, auth, "grid_worker", a)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reviewed"
    assert (
        _review(client, auth, "operator", b, routing_score=3, handling_score=2, effect_score=1).status_code
        == 201
    )
    r = _review(client, auth, "grid_worker", e)
    assert r.status_code == 409 and r.json()["error"]["code"] == "event_not_closed"
    r = _review(client, auth, "grid_worker", f)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_dispatched"
    for role in ("handler", "leader"):
        r = _review(client, auth, role, b)
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_step", role
    listed = client.get(f"/api/v1/events/{a['code']}/department-reviews", headers=auth("operator")).json()
    assert [x["comment"] for x in listed] == ["处置及时"]
    row = next(
        x for x in _get(client, auth, group="department")["rows"] if x["key"] == str(items["department_id"])
    )
    assert row["reviews"] == 2
    assert (row["avg_routing_score"], row["avg_handling_score"], row["avg_effect_score"]) == (4.0, 3.0, 2.0)
    assert _get(client, auth, group="grid_worker")["total"]["reviews"] == 2
    with session_scope(get_engine(demo_db.url)) as db:
        assert db.scalar(
            select(AuditEntry.seq).where(
                AuditEntry.action == "event.department_review", AuditEntry.object_id == str(a["id"])
            )
        )


@pytest.mark.parametrize(
    "body",
    [
        {"routing_score": 0},
        {"effect_score": 6},
        {"handling_score": "5"},
        {"routing_score": True},
        {"comment": "长" * 501},
        {"routing_score": 4.5},
    ],
)
def test_bad_reviews(client, auth, scenario, body):
    r = _review(client, auth, "operator", scenario["a"], **body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request", r.text


def test_review_of_an_unknown_or_invisible_event(client, auth):
    r = client.post(
        "/api/v1/events/999999999/department-review",
        headers=auth("grid_worker"),
        json={"routing_score": 5, "handling_score": 5, "effect_score": 5},
    )
    assert r.status_code == 404


def test_instants_outside_the_calendar_add_no_hours(client, auth, where, items, demo_db):
    """Bad imported data (a dispatch in 1960) must not fail the query."""
    ev = _to_handled(client, auth, _report(client, auth, where, items["handler"]))
    _move(
        demo_db,
        ev["code"],
        created_at=utc(2018, 3, 5, 2),
        dispatched_at=utc(1960, 1, 1),
        handled_at=utc(2018, 3, 6),
    )
    body = _get(client, auth, since="2018-03-01", until="2018-04-01")
    assert (body["total"]["handled"], body["total"]["avg_handle_hours"]) == (1, 0.0)
