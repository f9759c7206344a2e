"""A year of event history for the demo: generated in columns, bulk-inserted.

Each event gets a whole timeline at once (report → accept → dispatch → sign → handle → [rework] →
verify → evaluate, or self-resolve, reject, merge), with step durations drawn around the catalog's
time limits on the working calendar; the timeline is then cut at "now", which gives the recent
events their open states, due times and overdue flags. Events sit at the register's buildings, so
their points, grids and addresses are real. The mix: categories weighted like a county's case load
(市容 and 民生 first), more on weekdays and office hours, more 市容/环境 in summer; channels
grid 52 %, hotline 25 %, resident 13 %, centre 6 %, Open311 4 %.

The history is generated data, not recorded actions: its log rows carry no audit-chain entry
(``audit_seq`` is null) and one audit entry records the generation itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from gridgov.demo.loader import Progress

US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR

#: share of the case load per category (others share the rest evenly)
CATEGORY_WEIGHTS = {"CG": 26, "MS": 11, "WY": 9, "HB": 8, "MD": 8, "ZA": 6, "AQ": 5, "XF": 4, "SP": 3,
                    "TS": 3, "ZZ": 3, "YJ": 2, "NY": 2, "LD": 2, "GT": 2, "WJ": 2, "DJ": 1, "QT": 1}
CHANNELS = np.array(["grid", "hotline", "resident", "centre", "open311"], dtype=object)
CHANNEL_P = np.array([0.52, 0.25, 0.13, 0.06, 0.04])
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 18, 15, 9, 10, 15, 17, 16, 13, 9, 7, 5, 4, 3, 2], float)
RATINGS = np.array(["satisfied", "basic", "unsatisfied"], dtype=object)
STEPS = ("accept", "dispatch", "sign", "handle", "verify")
CALLERS = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
OPENERS = ("群众反映：", "网格员巡查发现：", "来电反映：", "", "")
PLACES = ("门前", "附近", "路口", "楼下", "院内", "旁边")
ALPHABET = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))


#: the history covers this many days up to now
DAYS = 365
#: events generated and written at a time (memory stays flat however many are asked for)
CHUNK = 100_000


def per_day(scale: str) -> int:
    return {"tiny": 6, "county": 220, "city": 1_000}[scale]


def events_total(ctx) -> int:
    """How many events the history holds: ``ctx.events``, or a year at the scale's daily volume."""
    return ctx.events if ctx.events is not None else per_day(ctx.scale) * DAYS


def _tracking_codes(rng: np.random.Generator, n: int, prefix: str = "") -> np.ndarray:
    """``n`` distinct 10-character codes; a chunk's own ``prefix`` keeps chunks apart."""
    while True:
        codes = np.array([prefix + "".join(r) for r in ALPHABET[rng.integers(0, len(ALPHABET), (n, 10 - len(prefix)))]],
                         dtype=object)
        if len(np.unique(codes)) == n:
            return codes


def chunk_prefix(k: int, chunks: int) -> str:
    """Two alphabet characters naming chunk ``k`` of a history written in several chunks ("" for one)."""
    if chunks <= 1:
        return ""
    if k >= len(ALPHABET) ** 2:
        raise ValueError(f"at most {len(ALPHABET) ** 2} chunks of events")
    return str(ALPHABET[k // len(ALPHABET)]) + str(ALPHABET[k % len(ALPHABET)])


def report_times(rng: np.random.Generator, n: int, *, n_days: int, now_us: int) -> np.ndarray:
    """When ``n`` events were reported over the last ``n_days`` (µs since the epoch, sorted): days
    weighted by weekday and season, hours by the office rhythm."""
    day0 = (now_us // DAY) - n_days
    days = day0 + np.arange(n_days + 1)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    doy = (days % 365.25) / 365.25
    day_w = np.where(weekday < 5, 1.0, 0.55) * (1 + 0.25 * np.sin(2 * np.pi * (doy - 0.3)))
    day_w *= rng.gamma(20, 1 / 20, len(days))
    day = rng.choice(days, n, p=day_w / day_w.sum())
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    t0 = day * DAY + hour * HOUR + rng.integers(0, HOUR, n) - 8 * HOUR  # local (UTC+8) hours → UTC
    return np.sort(np.minimum(t0, now_us - 60 * US))


def generate(rng: np.random.Generator, t0: np.ndarray, *, items: dict[str, np.ndarray],
             places: dict[str, np.ndarray], calendar: Any) -> dict[str, np.ndarray]:
    """The columns of the events reported at ``t0`` and their milestone times (µs since the epoch,
    -1 = never)."""
    n = len(t0)
    # --- what and where
    cat_codes = items["category_code"]
    w = np.array([CATEGORY_WEIGHTS.get(c, 1) for c in cat_codes], float)
    summer = np.isin(cat_codes, ["CG", "HB"])
    item = rng.choice(len(cat_codes), n, p=w / w.sum())
    month = ((t0 // DAY - 3) % 365) // 30
    hot = summer[item] & np.isin(month, [5, 6, 7]) & (rng.random(n) < 0.2)
    item[hot] = rng.choice(np.flatnonzero(summer), hot.sum())
    place = rng.integers(0, len(places["lon"]), n)
    channel = CHANNELS[rng.choice(len(CHANNELS), n, p=CHANNEL_P)]
    if "public" in items:  # residents file public items only: an internal one (党建, 特殊人群, leads) is a grid worker's
        channel[~items["public"][item] & np.isin(channel, ["resident", "open311"])] = "grid"
    # --- which path
    r = rng.random(n)
    self_res = (channel == "grid") & items["self_resolvable"][item] & (r < 0.6)
    rejected = ~self_res & (r > 0.97)
    merged = ~self_res & ~rejected & (r > 0.95) & (np.arange(n) > 0)
    normal = ~(self_res | rejected | merged)
    rework = normal & (rng.random(n) < 0.05)
    overdue_bias = rng.random(n) < 0.08  # this share runs past some limit
    severity = items["severity"][item]
    natural = severity == "urgent"

    def step(start: np.ndarray, name: str, mask: np.ndarray) -> np.ndarray:
        limit = items[f"{name}_hours"][item]
        share = rng.lognormal(np.log(0.35), 0.6, n)
        share = np.where(overdue_bias & (rng.random(n) < 0.5), 1 + rng.exponential(0.6, n), np.minimum(share, 0.98))
        hours = np.maximum(limit * share, 0.05)
        out = np.full(n, -1, dtype=np.int64)
        work = mask & ~natural & (start >= 0)
        nat = mask & natural & (start >= 0)
        if work.any():
            out[work] = calendar.add_working_hours_many(start[work], hours[work]).view(np.int64)
        out[nat] = start[nat] + (hours[nat] * HOUR).astype(np.int64)
        return out

    def deadline(start: np.ndarray, name: str) -> np.ndarray:
        limit = items[f"{name}_hours"][item]
        out = np.full(n, -1, dtype=np.int64)
        work = ~natural & (start >= 0)
        nat = natural & (start >= 0)
        if work.any():
            out[work] = calendar.add_working_hours_many(start[work], limit[work]).view(np.int64)
        out[nat] = start[nat] + (limit[nat] * HOUR).astype(np.int64)
        return out

    none = np.full(n, -1, dtype=np.int64)
    t_accept = step(t0, "accept", normal)
    t_reject = step(t0, "accept", rejected)
    t_merge = step(t0, "accept", merged)
    t_dispatch = step(t_accept, "dispatch", normal)
    t_sign = step(t_dispatch, "sign", normal)
    t_handle1 = step(t_sign, "handle", normal)
    t_fail = np.where(rework, step(t_handle1, "verify", rework), none)
    t_handle2 = np.where(rework, step(t_fail, "handle", rework), none)
    last_handle = np.where(rework, t_handle2, t_handle1)
    t_pass = step(last_handle, "verify", normal)
    t_self = np.where(self_res, t0 + rng.integers(10, 90, n) * 60 * US, none)
    closed = np.where(self_res, t_self, t_pass)
    rated = (closed >= 0) & (rng.random(n) < np.where(channel == "grid", 0.3, 0.7))
    t_eval = np.where(rated, closed + rng.integers(1, 72, n) * HOUR, none)
    rating = RATINGS[rng.choice(3, n, p=[0.82, 0.13, 0.05])]
    handle_due = deadline(t_sign, "handle")
    return {"n": n, "t0": t0, "item": item, "place": place, "channel": channel, "severity": severity,
            "self_res": self_res, "rejected": rejected, "merged": merged, "rework": rework, "rating": rating,
            "milestones": {"accept": t_accept, "reject": t_reject, "merge": t_merge, "dispatch": t_dispatch,
                           "sign": t_sign, "handle": t_handle1, "verify_fail": t_fail, "handle2": t_handle2,
                           "verify_pass": t_pass, "self_resolve": t_self, "evaluate": t_eval},
            "handle_due": handle_due, "deadline": deadline}


#: milestone → (action logged, state after); in timeline order
MILESTONES = (("accept", "accept", "accepted"), ("reject", "reject", "rejected"), ("merge", "merge", "merged"),
              ("dispatch", "dispatch", "dispatched"), ("sign", "sign", "in_progress"),
              ("handle", "handle", "handled"), ("verify_fail", "verify_fail", "in_progress"),
              ("handle2", "handle", "handled"), ("verify_pass", "verify_pass", "closed"),
              ("self_resolve", "handle", "closed"), ("evaluate", "evaluate", "evaluated"))
STEP_OF = {"reported": "accept", "accepted": "dispatch", "dispatched": "sign", "in_progress": "handle",
           "handled": "verify"}
PARTY = {"accept": "centre", "reject": "centre", "merge": "centre", "dispatch": "centre", "sign": "department",
         "handle": "department", "verify_fail": "grid", "verify_pass": "grid", "evaluate": "reporter"}
NOTES = {"reject": "经核实不属于受理范围，已向反映人解释", "handle": "已到现场处置完毕", "verify_fail": "现场复核未整改到位",
         "self_resolve": "网格员现场处置完毕"}


def load_events(db, ctx, progress: Progress | None = None) -> None:
    """The loader step: a year of events over the register just written — ``ctx.events`` of them
    (default: the scale's daily volume for a year, :func:`per_day`), generated and written in chunks of
    :data:`CHUNK` so that memory stays flat for millions (``gridgov demo --scale city --events 10000000``)."""
    from sqlalchemy import select, text

    from gridgov.access import audit
    from gridgov.access.models import Department, User
    from gridgov.events.catalog import current_version
    from gridgov.events.models import CatalogItem
    from gridgov.places.models import Building

    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    rng = np.random.default_rng(ctx.seed + 4242)
    now = datetime.now(UTC)
    now_us = int(now.timestamp() * US)
    version = current_version(db)
    rows = db.execute(select(CatalogItem).where(CatalogItem.version_id == version.id).order_by(CatalogItem.code)).scalars().all()
    items = {"code": np.array([r.code for r in rows], dtype=object),
             "name": np.array([r.name for r in rows], dtype=object),
             "description": np.array([r.description or r.name for r in rows], dtype=object),
             "category_code": np.array([r.category_code for r in rows], dtype=object),
             "severity": np.array([r.severity for r in rows], dtype=object),
             "department_code": np.array([r.department_code or "" for r in rows], dtype=object),
             "self_resolvable": np.array([r.self_resolvable for r in rows], dtype=bool),
             "public": np.array([r.public for r in rows], dtype=bool)}
    for s in STEPS:
        items[f"{s}_hours"] = np.array([r.limits["normal"][s] for r in rows], dtype=float)
    sev_factor = {sev: rows[0].limits[sev]["accept"] / rows[0].limits["normal"]["accept"] for sev in rows[0].limits}
    b = db.execute(select(Building.lon, Building.lat, Building.h3, Building.grid_code, Building.grid_region_id,
                          Building.address).where(Building.grid_code.is_not(None))).all()
    if not b:
        return
    places = {"lon": np.array([x[0] for x in b]), "lat": np.array([x[1] for x in b]),
              "h3": np.array([x[2] for x in b], dtype=object), "grid_code": np.array([x[3] for x in b], dtype=object),
              "grid_region_id": np.array([x[4] for x in b], dtype=object),
              "address": np.array([x[5] for x in b], dtype=object)}
    setting = _Setting(
        now_us=now_us, version_id=version.id, items=items, sev_factor=sev_factor, places=places, top=ctx.top_code,
        depts={code: i for i, code in db.execute(select(Department.id, Department.code)).all()},
        users={name: uid for name, uid in db.execute(select(User.username, User.id)).all()})
    total = events_total(ctx)
    times = report_times(rng, total, n_days=DAYS, now_us=now_us)  # all of them first: ids follow time
    chunks = max(1, -(-total // CHUNK))
    counts = {"events": 0, "event_logs": 0, "assignments": 0, "open": 0, "overdue": 0}
    for k in range(chunks):
        t0 = times[k * CHUNK:(k + 1) * CHUNK]
        for key, value in _write_chunk(db, setting, rng, t0, chunk_prefix(k, chunks), report).items():
            counts[key] += value
        if chunks > 1:
            report("写入事件（分块）", counts["events"], total)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text('ANALYZE "events", "event_logs", "event_assignments"'))
    seconds = round(time.perf_counter() - started, 2)
    audit.record(db, None, "demo.events", "demo_events", f"demo-{ctx.scale}-{ctx.seed}",
                 detail={"counts": counts, "seconds": seconds, "days": DAYS})
    ctx.register.update({"events": counts["events"], "event_logs": counts["event_logs"],
                         "event_assignments": counts["assignments"], "events_s": seconds})


@dataclass(frozen=True)
class _Setting:
    """What every chunk of the history shares: the clock's "now", the catalog, the places, who is who."""

    now_us: int
    version_id: int
    items: dict[str, np.ndarray]
    sev_factor: dict[str, float]
    places: dict[str, np.ndarray]
    top: str
    depts: dict[str, int]
    users: dict[str, int]


def _write_chunk(db, setting: _Setting, rng: np.random.Generator, t0: np.ndarray, prefix: str, report) -> dict[str, int]:
    """Generate the events reported at ``t0``, with their timelines cut at "now", and write them."""
    from gridgov.demo.bulk import Bulk
    from gridgov.events import clock
    from gridgov.events.defaults import PER_TOWN
    from gridgov.events.models import Assignment, Event, EventLog

    now_us, items, sev_factor, places, users = setting.now_us, setting.items, setting.sev_factor, setting.places, setting.users
    g = generate(rng, t0, items=items, places=places, calendar=clock.calendar())
    n = g["n"]
    report("生成事件", n, n)
    it, pl = g["item"], g["place"]
    grid = places["grid_code"][pl]
    # --- departments: the 属地 ones by town, the others at the top
    dep_code = items["department_code"][it]
    town = np.array([c[:9] for c in grid.tolist()], dtype=object)
    key = np.where(np.isin(dep_code, PER_TOWN), town, setting.top) + "-" + dep_code
    lead = np.array([setting.depts.get(k) for k in key.tolist()], dtype=object)
    # --- reporters
    operator = users.get("operator")
    grid_workers = {name[2:]: uid for name, uid in users.items() if name.startswith("gw")}
    basic = np.array([c[:15] for c in grid.tolist()], dtype=object)
    gw = np.array([grid_workers.get(c) for c in basic.tolist()], dtype=object)
    reporter = np.where(g["channel"] == "grid", gw, np.where(np.isin(g["channel"], ["centre", "hotline"]), operator, None))
    callers = np.array([CALLERS[i] + ("先生" if j else "女士") for i, j in zip(
        rng.integers(0, len(CALLERS), n).tolist(), (rng.random(n) < 0.5).tolist())], dtype=object)
    phones = np.array([f"1{p}" for p in rng.integers(3_000_000_000, 9_999_999_999, n).tolist()], dtype=object)
    # --- states at "now"
    ms = g["milestones"]
    state = np.full(n, "reported", dtype=object)
    last_t = g["t0"].copy()
    passed = {}
    for name, _action, after in MILESTONES:
        t = ms[name]
        ok = (t >= 0) & (t <= now_us)
        passed[name] = ok
        state[ok] = after
        last_t = np.where(ok, np.maximum(last_t, t), last_t)
    open_ = np.isin(state, list(STEP_OF))
    # --- the current step's clock for open events
    due = np.full(n, -1, dtype=np.int64)
    warn = np.full(n, -1, dtype=np.int64)
    for st, stepname in STEP_OF.items():
        m = open_ & (state == st)
        if m.any():
            hours = items[f"{stepname}_hours"][it[m]] * np.array([sev_factor[s] for s in g["severity"][m].tolist()])
            nat = g["severity"][m] == "urgent"
            start = last_t[m]
            d = np.where(nat, start + (hours * HOUR).astype(np.int64), 0)
            wv = np.where(nat, start + (hours * 0.8 * HOUR).astype(np.int64), 0)
            if (~nat).any():
                cal = clock.calendar()
                d[~nat] = cal.add_working_hours_many(start[~nat], hours[~nat]).view(np.int64)
                wv[~nat] = cal.add_working_hours_many(start[~nat], hours[~nat] * 0.8).view(np.int64)
            due[m], warn[m] = d, wv
    overdue = open_ & (due >= 0) & (due <= now_us)
    warned = open_ & (warn >= 0) & (warn <= now_us)
    handled_at = np.where(passed["handle2"], ms["handle2"], np.where(passed["handle"], ms["handle"],
                                                                       np.where(passed["self_resolve"], ms["self_resolve"], -1)))
    closed_at = np.where(passed["verify_pass"], ms["verify_pass"], np.where(passed["self_resolve"], ms["self_resolve"], -1))
    on_time = np.where(handled_at >= 0, (g["handle_due"] < 0) | (handled_at <= g["handle_due"]), None)
    ever_overdue = overdue | ((handled_at >= 0) & (g["handle_due"] >= 0) & (handled_at > g["handle_due"]))
    # --- write
    bulk = Bulk(db, report)

    def stamps(us: np.ndarray) -> np.ndarray:
        out = bulk.stamps(np.maximum(us, 0) // US)
        return np.where(us >= 0, out, None).astype(object)

    e0 = bulk.next_id(Event.__table__)
    ids = e0 + np.arange(n)
    day_text = np.char.replace(np.datetime_as_string((g["t0"] // DAY).astype("datetime64[D]")), "-", "")
    codes = np.array([f"SJ{d}{i:07d}" for d, i in zip(day_text.tolist(), ids.tolist())], dtype=object)
    merged_into = np.where(g["merged"] & passed["merge"], np.maximum(ids - 1 - rng.integers(0, 5, n), e0), None)
    desc = np.array([f"{OPENERS[o]}{a or ''}{PLACES[p]}，{d}" for o, a, p, d in zip(
        rng.integers(0, len(OPENERS), n).tolist(), places["address"][pl].tolist(),
        rng.integers(0, len(PLACES), n).tolist(), items["description"][it].tolist())], dtype=object)
    hotline = g["channel"] == "hotline"
    rated = passed["evaluate"]
    bulk.insert(Event.__table__, n, {
        "id": ids, "code": codes, "channel": g["channel"], "client_id": None,
        "external_id": np.where(hotline, np.char.add("12345-", codes.astype(str)), None).astype(object),
        "tracking_code": _tracking_codes(rng, n, prefix), "catalog_version_id": setting.version_id, "item_code": items["code"][it],
        "category_code": items["category_code"][it], "severity": g["severity"], "title": items["name"][it],
        "description": desc, "address": places["address"][pl], "region_code": grid, "state": state,
        "level": np.where(overdue, 1, 0), "lead_department_id": np.where(g["self_res"], None, lead),
        "reporter_user_id": reporter, "reporter_name": np.where(g["channel"] == "grid", None, callers),
        "reporter_phone": np.where(np.isin(g["channel"], ["hotline", "resident"]), phones, None),
        "merged_into_id": merged_into, "is_dispute": items["category_code"][it] == "MD",
        "step_started_at": stamps(last_t), "due_at": stamps(due), "warn_at": stamps(warn), "warned": warned,
        "overdue": overdue, "ever_overdue": ever_overdue, "handle_due_at": stamps(g["handle_due"]),
        "extension_pending_hours": None, "extended": False, "rework_count": np.where(
            g["rework"] & passed["verify_fail"], 1, 0), "created_at": stamps(g["t0"]), "updated_at": stamps(last_t),
        "accepted_at": stamps(np.where(passed["accept"], ms["accept"], -1)),
        "dispatched_at": stamps(np.where(passed["dispatch"], ms["dispatch"], -1)),
        "handled_at": stamps(handled_at), "closed_at": stamps(closed_at), "handled_on_time": on_time,
        "self_resolved": g["self_res"], "rating": np.where(rated, g["rating"], None),
        "rating_comment": None, "evaluated_at": stamps(np.where(rated, ms["evaluate"], -1)),
        "version": 1, "lon": places["lon"][pl], "lat": places["lat"][pl], "h3": places["h3"][pl],
        "grid_code": grid, "grid_region_id": places["grid_region_id"][pl],
    }, "写入事件")
    # --- the log: one row per milestone passed
    parts = [(ids, np.full(n, "report", dtype=object), None, "reported", g["t0"], reporter, "reporter")]
    prev_state = np.full(n, "reported", dtype=object)
    order = {name: k for k, (name, _a, _s) in enumerate(MILESTONES)}
    for name, action, after in sorted(MILESTONES, key=lambda m: order[m[0]]):
        m = passed[name]
        if not m.any():
            continue
        actor = {"centre": operator, "grid": gw, "department": None, "reporter": reporter}[PARTY.get(name, "grid")]
        parts.append((ids[m], np.full(m.sum(), action, dtype=object), prev_state[m].copy(), after, ms[name][m],
                      actor[m] if isinstance(actor, np.ndarray) else actor, PARTY.get(name, "grid")))
        prev_state[m] = after
    ev_id = np.concatenate([p[0] for p in parts])
    act = np.concatenate([p[1] for p in parts])
    frm = np.concatenate([p[2] if p[2] is not None else np.full(len(p[0]), None, dtype=object) for p in parts])
    to = np.concatenate([np.full(len(p[0]), p[3], dtype=object) for p in parts])
    at = np.concatenate([p[4] for p in parts])
    who = np.concatenate([p[5] if isinstance(p[5], np.ndarray) else np.full(len(p[0]), p[5], dtype=object)
                          for p in parts])
    party = np.concatenate([np.full(len(p[0]), p[6], dtype=object) for p in parts])
    sort = np.lexsort((at, ev_id))
    ev_id, act, frm, to, at, who, party = (x[sort] for x in (ev_id, act, frm, to, at, who, party))
    self_handle = (act == "handle") & (frm == "reported")
    act = np.where((act == "report") & np.isin(ev_id, ids[g["self_res"]]), "self_resolve", act)
    names = {uid: name for name, uid in users.items()}
    actor_name = np.array([("系统演示" if w is None else names.get(w, "演示用户")) for w in who.tolist()], dtype=object)
    note = np.array([NOTES.get("self_resolve" if s else a) for a, s in zip(act.tolist(), self_handle.tolist())],
                    dtype=object)
    bulk.insert(EventLog.__table__, len(ev_id), {
        "event_id": ev_id, "action": act, "from_state": frm, "to_state": to, "actor_id": who,
        "actor_name": actor_name, "party": party, "note": note, "data": "{}", "audit_seq": None, "at": stamps(at),
    }, "写入事件日志")
    d = passed["dispatch"] & np.array([x is not None for x in lead.tolist()])
    bulk.insert(Assignment.__table__, int(d.sum()), {
        "event_id": ids[d], "department_id": lead[d], "kind": "lead",
        "status": np.where(passed["sign"][d], "signed", "pending"), "due_at": None,
        "answered_at": stamps(np.where(passed["sign"][d], ms["sign"][d], -1)), "created_at": stamps(ms["dispatch"][d]),
    }, "写入派遣")
    bulk.fix_sequences([Event.__table__, EventLog.__table__, Assignment.__table__])
    return {"events": n, "event_logs": len(ev_id), "assignments": int(d.sum()), "open": int(open_.sum()),
            "overdue": int(overdue.sum())}
