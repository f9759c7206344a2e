"""Benchmark: 考核评价 indicators over a large events table (SQL GROUP BY vs a naive Python loop).

Bulk-inserts ``--events`` synthetic events (default 200,000; a year of reports in one county: 12
streets × 10 communities × 8 grids, 43 departments, 400 grid workers, every state of the workflow
with consistent milestones) into a fresh migrated database (SQLite by default, or
``--database-url``), then times :func:`gridgov.events.metrics_service.compute` for every grouping,

* as the county ``admin`` (scope: everything) over the whole year and over the last 90 days, and
* as a ``leader`` whose scope is one street (the index on ``(region_code, created_at)`` applies),

best of ``--repeat`` runs each. Baseline in the same run: the loop people write first — load the
cohort's events as ORM objects and classify each in Python (``metrics.classify`` with the scalar
working-hours call), grouped in a dict — for the department grouping of each scope. The baseline's
counters must equal the SQL's (the run fails otherwise). The plan of the main query is printed.

    python benchmarks/bench_metrics.py [--events 200000] [--database-url URL] [--repeat 3] [--seed 1]

(``--database-url`` of a database an earlier run filled skips the insert.)

Last line: {"name": "metrics", "figures": {...}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

COUNTY = "211021"
STREETS, COMMUNITIES, GRIDS = 12, 10, 8
DEPARTMENTS, WORKERS = 43, 400
GROUPINGS = (
    ("department", {}),
    ("region", {"level": "street"}),
    ("region", {"level": "grid"}),
    ("grid_worker", {}),
    ("period", {"period": "day"}),
    ("period", {"period": "week"}),
    ("period", {"period": "month"}),
)


def setup(url: str, n: int, seed: int):
    """A migrated database with departments, users, one catalog version and ``n`` events (a database
    filled by an earlier run is reused as it is)."""
    from sqlalchemy import func, insert, select

    from gridgov.access.models import Department, User, UserScope
    from gridgov.db import analyze, get_engine, session_scope, upgrade
    from gridgov.events.models import CatalogVersion, Event

    upgrade(url)
    engine = get_engine(url)
    with session_scope(engine) as db:
        if db.scalar(select(func.count()).select_from(Event)):
            print("reusing the events already in the database", file=sys.stderr)
            return engine, datetime.now(UTC), 0.0
    rng = np.random.default_rng(seed)
    with session_scope(engine) as db:
        db.execute(
            insert(Department),
            [
                {
                    "id": i,
                    "code": f"{COUNTY}-D{i:02d}",
                    "name": f"职能部门{i:02d}",
                    "region_code": COUNTY,
                    "is_centre": i == 1,
                }
                for i in range(1, DEPARTMENTS + 1)
            ],
        )
        users = [
            {"id": 1, "username": "bench-admin", "display_name": "管理员", "role": "admin"},
            {"id": 2, "username": "bench-leader", "display_name": "街道领导", "role": "leader"},
        ]
        users += [
            {
                "id": 10 + i,
                "username": f"bench-gw{i}",
                "display_name": f"网格员{i:03d}",
                "role": "grid_worker",
            }
            for i in range(WORKERS)
        ]
        db.execute(insert(User), [{**u, "password_hash": "x", "active": True} for u in users])
        db.execute(insert(UserScope), [{"user_id": 2, "region_code": f"{COUNTY}001"}])
        db.execute(insert(CatalogVersion), [{"id": 1, "number": 1, "is_current": True}])
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    batch = 20_000
    with session_scope(engine) as db:
        for start in range(0, n, batch):
            db.execute(insert(Event), synthetic_events(rng, start, min(batch, n - start), now))
        analyze(db, "events")
    return engine, now, time.perf_counter() - t0


#: every row names every column (an executemany takes its columns from the first row)
EMPTY = dict.fromkeys(
    ("accepted_at", "dispatched_at", "handled_at", "handle_due_at", "handled_on_time", "closed_at", "rating")
)


def synthetic_events(rng: np.random.Generator, start: int, k: int, now: datetime) -> list[dict]:
    """``k`` events with a consistent life: the further along the loop, the more milestones are set."""
    hour = timedelta(hours=1)
    created = [now - timedelta(seconds=float(s)) for s in rng.uniform(60, 365 * 86400, k)]
    stage = rng.choice(9, size=k, p=[0.04, 0.03, 0.03, 0.04, 0.03, 0.08, 0.05, 0.25, 0.45])
    # 0 reported 1 rejected 2 merged 3 accepted 4 dispatched 5 in_progress 6 handled 7 closed 8 evaluated
    dept = rng.integers(2, DEPARTMENTS + 1, k)
    street = rng.integers(1, STREETS + 1, k)
    community = rng.integers(1, COMMUNITIES + 1, k)
    grid = rng.integers(1, GRIDS + 1, k)
    worker = rng.integers(0, WORKERS, k)
    grid_channel = rng.random(k) < 0.6
    self_res = grid_channel & (stage >= 7) & (rng.random(k) < 0.1)
    lag = rng.exponential(30, (k, 4))
    limit = rng.choice([8.0, 16.0, 40.0, 80.0], k)
    extended = (stage >= 5) & (rng.random(k) < 0.05)
    rework = np.where((stage >= 5) & (rng.random(k) < 0.12), rng.integers(1, 3, k), 0)
    ratings = np.array(["satisfied", "basic", "unsatisfied"])[rng.choice(3, k, p=[0.7, 0.2, 0.1])]
    states = [
        "reported",
        "rejected",
        "merged",
        "accepted",
        "dispatched",
        "in_progress",
        "handled",
        "closed",
        "evaluated",
    ]
    rows = []
    for j in range(k):  # building the test data; the measured code has no such loop
        i, s, c = start + j, int(stage[j]), created[j]
        code = f"{COUNTY}{street[j]:03d}{community[j]:03d}{grid[j]:03d}"
        row = {
            "id": i + 1,
            "code": f"SJ{i + 1:012d}",
            "channel": "grid" if grid_channel[j] else "resident",
            "tracking_code": f"T{i + 1:09d}",
            "catalog_version_id": 1,
            "item_code": "SR001",
            "category_code": "SR",
            "severity": "normal",
            "title": "合成事件",
            "description": "基准测试",
            "region_code": code,
            "grid_code": code,
            "state": states[s],
            "level": 0,
            "lead_department_id": int(dept[j]),
            "reporter_user_id": int(10 + worker[j]) if grid_channel[j] else None,
            "created_at": c,
            "updated_at": c,
            "step_started_at": c,
            "self_resolved": bool(self_res[j]),
            "extended": bool(extended[j]),
            "rework_count": int(rework[j]),
            "ever_overdue": bool(lag[j, 2] > 60),
            "is_dispute": False,
            "version": 1,
            "warned": False,
            "overdue": False,
            **EMPTY,
        }
        if self_res[j]:
            row.update(
                state="evaluated" if s == 8 else "closed",
                handled_at=c,
                closed_at=c,
                handled_on_time=True,
                rating=str(ratings[j]) if s == 8 else None,
            )
            rows.append(row)
            continue
        if s >= 3 or (s == 2 and lag[j, 0] < 20):
            row["accepted_at"] = c + lag[j, 0] * 0.1 * hour
        if s >= 4:
            row["dispatched_at"] = d = c + lag[j, 0] * 0.2 * hour
        if s >= 5:
            row["handle_due_at"] = due = row["dispatched_at"] + float(limit[j]) * 2 * hour
        if s >= 6:
            row["handled_at"] = h = d + lag[j, 1] * hour
            row["handled_on_time"] = h <= due
        if s >= 7:
            row["closed_at"] = h + lag[j, 3] * 0.5 * hour
        if s == 8:
            row["rating"] = str(ratings[j])
        rows.append(row)
    return rows


def naive(db, user, q):
    """The baseline: every event of the cohort as an ORM object, classified in a Python loop."""
    from sqlalchemy import select

    from gridgov.events import metrics
    from gridgov.events.clock import calendar
    from gridgov.events.models import Event
    from gridgov.events.parties import visible_clause

    cal = calendar()
    names = tuple(metrics.EventFacts.__dataclass_fields__)
    out: dict = {}
    stmt = select(Event).where(visible_clause(user), Event.created_at >= q.since, Event.created_at < q.until)
    for e in db.scalars(stmt.execution_options(yield_per=5000)):
        key = e.lead_department_id or 0
        facts = metrics.EventFacts(**{f: getattr(e, f) for f in names})
        out[key] = out.get(key, metrics.Counters()) + metrics.classify(
            facts, q.as_of, cal.working_hours_between
        )
    db.expunge_all()
    return out


def same(a: dict, b: dict) -> bool:
    from dataclasses import replace

    if set(a) != set(b):
        return False
    plain = {
        "reviews": 0,
        "routing_score_sum": 0,
        "handling_score_sum": 0,
        "effect_score_sum": 0,
        "handle_hours": 0,
    }
    return all(
        replace(a[k], **plain) == replace(b[k], **plain)
        and abs(a[k].handle_hours - b[k].handle_hours) < 1e-3 * max(1.0, b[k].handle_hours)
        for k in a
    )


def plan(db, user, q) -> list[str]:
    from sqlalchemy import select, text

    from gridgov.events import metrics_service as ms

    key = ms.group_key(db, q).label("key")
    stmt = (
        select(key, *[ms._count(c) for c in ms.conditions(q.as_of).values()])
        .where(*ms.cohort(user, q))
        .group_by(key)
    )
    sql = str(stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
    if db.get_bind().dialect.name == "sqlite":
        return [r[-1] for r in db.execute(text("EXPLAIN QUERY PLAN " + sql))]
    return [r[0] for r in db.execute(text("EXPLAIN " + sql))][:8]


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--database-url", help="an empty database to fill, or one an earlier run filled (reused)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from sqlalchemy import func, select

    from gridgov.access.models import User
    from gridgov.db import session_scope
    from gridgov.events import metrics_service as ms
    from gridgov.events.models import Event

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='gridgov-metrics-')) / 'bench.db'}"
    print(f"inserting {args.events:,} events into {url.split('@')[-1]} …", file=sys.stderr, flush=True)
    engine, now, insert_s = setup(url, args.events, args.seed)
    with session_scope(engine) as db:
        total = db.scalar(select(func.count()).select_from(Event))
    figures: dict = {"events": total, "backend": engine.dialect.name, "insert_s": round(insert_s, 1)}
    ok = True
    with session_scope(engine) as db:
        users = {u.username: u for u in db.scalars(select(User).where(User.id.in_([1, 2])))}
        scopes = {
            "admin_year": (users["bench-admin"], 366),
            "admin_90d": (users["bench-admin"], 90),
            "leader_street_year": (users["bench-leader"], 366),
        }
        print(f"\n{total:,} events ({engine.dialect.name}); best of {args.repeat}, milliseconds")
        for scope, (user, days) in scopes.items():
            for group, extra in GROUPINGS:
                q = ms.make_query(
                    group,
                    since=now - timedelta(days=days),
                    until=now + timedelta(minutes=1),
                    now=now,
                    **extra,
                )
                seconds, out = best(lambda q=q, user=user: ms.compute(db, user, q), args.repeat)
                name = f"{scope}.{group}" + (f"_{next(iter(extra.values()))}" if extra else "")
                figures[f"{name}_ms"] = round(seconds * 1000, 1)
                print(
                    f"  {name:<36} {seconds * 1000:9.1f}   rows {len(out['rows']):>5}   "
                    f"cohort {out['total']['reported']:>8,}"
                )
            q = ms.make_query(
                "department", since=now - timedelta(days=days), until=now + timedelta(minutes=1), now=now
            )
            sql_s, sql_counts = best(lambda q=q, user=user: ms.count_groups(db, user, q), 1)
            base_s, base_counts = best(lambda q=q, user=user: naive(db, user, q), 1)
            agree = same(sql_counts, base_counts)
            ok = ok and agree
            figures[f"{scope}.baseline_ms"] = round(base_s * 1000, 1)
            figures[f"{scope}.speedup"] = round(base_s * 1000 / figures[f"{scope}.department_ms"], 1)
            print(
                f"  {scope + '.naive python loop':<36} {base_s * 1000:9.1f}   "
                f"{figures[f'{scope}.speedup']}x slower than SQL; results {'agree' if agree else 'DIFFER'}"
            )
        q = ms.make_query("department", since=now - timedelta(days=90), until=now, now=now)
        print("\nplan (leader, one street, by department):")
        for line in plan(db, users["bench-leader"], q):
            print("  ", line)
    figures["results_agree"] = ok
    print(json.dumps({"name": "metrics", "figures": figures}, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
