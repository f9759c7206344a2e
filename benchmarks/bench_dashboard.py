"""Benchmark: the dashboard's stats API (统计分析) on the county demo, against a naive baseline.

Times every panel of ``/api/v1/stats/...`` through the application (in-process HTTP: routing,
authentication, validation, the service's one ``GROUP BY`` per panel, JSON), as the demo
``leader`` whose scope is the whole county, for the periods 近7天 / 近30天 / 今年 and for one street
drilled into, ``--repeat`` times each, and reports p50 / p95 of the server time per period and
over all requests. The big screen's ``live`` and ``latest`` calls are timed too.

Baseline in the same run: what people write first — load the cohort's events (visible to the
leader, reported in the period) as ORM objects and count every panel in a Python loop
(``metrics.classify`` per event, ``Counter`` per day, category, channel, department and region).
The baseline's figures must equal the API's (the run fails otherwise).

    python benchmarks/bench_dashboard.py [--database-url URL] [--repeat 15]

Without ``--database-url`` the county demo is generated into a temporary SQLite file first
(about a minute). Last line: {"name": "dashboard", "figures": {...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PANELS = ("summary", "daily", "categories", "channels", "departments", "regions", "disputes", "visits")
PERIODS = ("7d", "30d", "year")


def build_demo(url: str) -> None:
    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.demo.loader import load_demo

    upgrade(url)
    with session_scope(get_engine(url)) as db:
        load_demo(db, "county", seed=7)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def naive(db, user, summary: dict) -> dict:
    """Every panel of the cohort counted in Python over ORM objects."""
    from sqlalchemy import select

    from gridgov.events import metrics
    from gridgov.events.models import Event
    from gridgov.events.parties import visible_clause
    from gridgov.events.workflow import FINAL, State

    zone = ZoneInfo("Asia/Shanghai")
    since = datetime.fromisoformat(summary["since"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(summary["until"].replace("Z", "+00:00"))
    as_of = datetime.fromisoformat(summary["as_of"].replace("Z", "+00:00"))
    region = summary["region"]
    child = {6: 9, 9: 12, 12: 15, 15: 17}[len(region)]
    open_states = {s.value for s in State if s not in FINAL}
    names = tuple(metrics.EventFacts.__dataclass_fields__)
    total = metrics.Counters()
    days, cats, chans = Counter(), Counter(), Counter()
    deps: dict = {}
    regions: dict = {}
    opened = overdue = 0
    stmt = select(Event).where(visible_clause(user), Event.created_at >= since, Event.created_at < until)
    for e in db.scalars(stmt.execution_options(yield_per=5000)):
        if not e.region_code.startswith(region):
            continue
        c = metrics.classify(metrics.EventFacts(**{f: getattr(e, f) for f in names}), as_of)
        total = total + c
        opened += e.state in open_states
        overdue += e.state in open_states and e.overdue
        days[e.created_at.astimezone(zone).date().isoformat()] += 1
        cats[e.category_code] += 1
        chans[e.channel] += 1
        if e.lead_department_id is not None:
            deps[e.lead_department_id] = deps.get(e.lead_department_id, metrics.Counters()) + c
        key = e.region_code[:child]
        regions[key] = regions.get(key, 0) + 1
    db.expunge_all()
    return {
        "events": total.reported, "open": opened, "overdue": overdue, "closed_on_time": total.closed_on_time,
        "satisfied": total.satisfied + total.basic, "days": dict(days), "categories": dict(cats),
        "channels": dict(chans), "departments": {k: v.reported for k, v in deps.items()}, "regions": regions,
    }


def from_api(panels: dict) -> dict:
    k = panels["summary"]["kpis"]
    return {
        "events": k["events"], "open": k["open"], "overdue": k["overdue"], "closed_on_time": k["closed_on_time"],
        "satisfied": k["satisfied"],
        "days": {d["date"]: d["count"] for d in panels["daily"]["days"] if d["count"]},
        "categories": {r["code"]: r["count"] for r in panels["categories"]["rows"]},
        "channels": {r["code"]: r["count"] for r in panels["channels"]["rows"]},
        "departments": {r["id"]: r["events"] for r in panels["departments"]["rows"]},
        "regions": {r["code"]: r["events"] for r in panels["regions"]["rows"]},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="a county demo database (default: generate one in a temp dir)")
    ap.add_argument("--repeat", type=int, default=15, help="requests per panel and period")
    ap.add_argument("--baseline-repeat", type=int, default=3)
    args = ap.parse_args()

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from gridgov.access.models import User
    from gridgov.app import create_app
    from gridgov.db import get_engine, session_scope
    from gridgov.events.models import Event

    url = args.database_url
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='gridgov-dash-')) / 'county.db'}"
        print(f"generating the county demo into {url} …", file=sys.stderr, flush=True)
        build_demo(url)
    engine = get_engine(url)
    with session_scope(engine) as db:
        total = db.scalar(select(func.count()).select_from(Event))
    client = TestClient(create_app(url))
    r = client.post("/api/v1/auth/token", data={"username": "leader", "password": "gridgov2026"})
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    cpu_times: list[float] = []

    def call(path: str, **params) -> tuple[float, dict]:
        t, c = time.perf_counter(), time.process_time()
        resp = client.get(path, headers=headers, params=params)
        elapsed = time.perf_counter() - t
        cpu_times.append(time.process_time() - c)
        if resp.status_code != 200:
            raise SystemExit(f"{path} {params}: {resp.status_code} {resp.text[:300]}")
        return elapsed, resp.json()

    county = call("/api/v1/stats/summary")[1]["region"]
    street = next(r["code"] for r in call("/api/v1/stats/regions", period="year")[1]["rows"] if r["drillable"])
    views = [(p, None) for p in PERIODS] + [("year", street)]
    figures: dict = {"events": total, "backend": engine.dialect.name, "county": county, "repeat": args.repeat}
    all_times: list[float] = []
    ok = True
    print(f"\n{total:,} events ({engine.dialect.name}); {args.repeat} requests per panel; milliseconds")
    print(f"{'view':<22}{'panel':<13}{'p50':>8}{'p95':>8}")
    with session_scope(engine) as db:
        leader = db.scalar(select(User).where(User.username == "leader"))
        for period, region in views:
            label = period + ("_street" if region else "")
            params = {"period": period, **({"region": region} if region else {})}
            for panel in PANELS:
                call(f"/api/v1/stats/{panel}", **params)  # warm
            first_cpu = len(cpu_times)
            view_times: list[float] = []
            medians: list[float] = []
            panels: dict = {}
            for panel in PANELS:
                times = []
                for _ in range(args.repeat):
                    elapsed, panels[panel] = call(f"/api/v1/stats/{panel}", **params,
                                                  **({"top": 100} if panel == "categories" else {}))
                    times.append(elapsed)
                view_times += times
                medians.append(percentile(times, 50))
                print(f"{label:<22}{panel:<13}{percentile(times, 50) * 1000:>8.1f}{percentile(times, 95) * 1000:>8.1f}")
                figures[f"{label}.{panel}.p95_ms"] = round(percentile(times, 95) * 1000, 1)
            all_times += view_times
            figures[f"{label}.p50_ms"] = round(percentile(view_times, 50) * 1000, 1)
            figures[f"{label}.p95_ms"] = round(percentile(view_times, 95) * 1000, 1)
            figures[f"{label}.cpu_p95_ms"] = round(percentile(cpu_times[first_cpu:], 95) * 1000, 1)
            # the baseline, same cohort, same figures
            base = []
            for _ in range(args.baseline_repeat):
                t = time.perf_counter()
                want = naive(db, leader, panels["summary"])
                base.append(time.perf_counter() - t)
            agree = want == from_api(panels)
            ok &= agree
            api_all = sum(medians)  # the whole dashboard: its eight panels, each at its median
            figures[f"{label}.baseline_ms"] = round(min(base) * 1000, 1)
            figures[f"{label}.api_8_panels_p50_ms"] = round(api_all * 1000, 1)
            figures[f"{label}.speedup"] = round(min(base) / api_all, 1)
            print(f"{label:<22}{'ALL':<13}{figures[f'{label}.p50_ms']:>8.1f}{figures[f'{label}.p95_ms']:>8.1f}"
                  f"   CPU p95 {figures[f'{label}.cpu_p95_ms']:.0f} ms; baseline (all panels in Python) {min(base) * 1000:.0f} ms; "
                  f"results {'agree' if agree else 'DIFFER'}")
        for name, path, params in (("live", "/api/v1/stats/live", {}), ("latest", "/api/v1/stats/latest", {})):
            times = [call(path, **params)[0] for _ in range(args.repeat)]
            figures[f"screen.{name}.p95_ms"] = round(percentile(times, 95) * 1000, 1)
            all_times += times
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    figures["all.cpu_p95_ms"] = round(percentile(cpu_times, 95) * 1000, 1)
    figures["load_average"] = round(load, 1) if load is not None else None
    figures["all.p50_ms"] = round(percentile(all_times, 50) * 1000, 1)
    figures["all.p95_ms"] = round(percentile(all_times, 95) * 1000, 1)
    figures["results_agree"] = ok
    print(f"\nall {len(all_times)} requests: p50 {figures['all.p50_ms']} ms, p95 {figures['all.p95_ms']} ms "
          f"(CPU time p95 {figures['all.cpu_p95_ms']} ms; load average {figures['load_average']})")
    print(json.dumps({"name": "dashboard", "figures": figures}, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
