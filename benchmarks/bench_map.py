"""Benchmark: the map's APIs at city scale (辽阳市: 3,343 grids, 66,340 micro-grids, a year of events).

On a city-scale demo database (``--database-url``, or a fresh SQLite one made with
`gridgov demo --scale city --no-serve`), requests ``--views`` random viewports per map level, as a
1366×768 screen (padded by 30 % like the page) at the zoom where the page draws that level, centred on
random micro-grids, through the whole app (``TestClient``: routing, login token, scope, JSON) as the
city ``leader``:

* ``GET /api/v1/grids`` per level (street z11, community z12, grid z14, exclusive grid z14, micro-grid
  z16) with the ``limit`` the page sends for a 1366×768 screen (views denser than that answer
  ``truncated``, counted): in-process with a cold then warm simplification cache, then over HTTP;
* ``GET /api/v1/map/metrics`` (open events per grid at z14, population per micro-grid at z16),
  ``GET /api/v1/map/heat`` (last 30 days at z12 and z14), ``GET /api/v1/map/events`` (z12, z15).

Each is also timed in-process (the service function + JSON, no HTTP), which is what the ratios
compare against the naive baselines, run in the same process on the same viewports:

* grids: the original ``regions.service.features_in_bbox`` (clip + simplify every time, dicts encoded
  by FastAPI's ``jsonable_encoder`` + ``json.dumps``, everything up to 5,000 features: the old page);
* metrics: one COUNT query per region in view (over the code index);
* heat: every event row in the view fetched and ``h3.cell_to_parent`` per row in Python;
* events: every open event in the view fetched and encoded (no clustering).

    python benchmarks/bench_map.py [--database-url URL] [--views 60] [--baseline-views 20] [--seed 1]

Last line: {"name": "map", "figures": {...}} (milliseconds p50/p95, bytes p50, speed-up ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np

os.environ.setdefault("GRIDGOV_EVENT_CLOCK_ENABLED", "false")

LEVEL_ZOOM = {"street": 11, "community": 12, "grid": 14, "exclusive_grid": 14, "micro_grid": 16}
SCREEN = (1366 - 300, 768 - 52)  # the map area beside the side panel, under the header
PAGE_LIMIT = round(SCREEN[0] * SCREEN[1] * 1.6 * 1.6 / (36 * 36))  # what map.js sends as `limit`


def make_city_db() -> str:
    path = Path(tempfile.mkdtemp(prefix="gridgov-map-")) / "city.db"
    url = f"sqlite:///{path}"
    print(f"generating the city demo into {path} (a few minutes) …", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "gridgov.cli", "demo", "--scale", "city", "--no-serve",
                    "--database-url", url], check=True, stdout=subprocess.DEVNULL)
    return url


def pct(ms: list[float]) -> dict[str, float]:
    a = np.array(ms)
    return {"n": len(a), "p50": round(float(np.percentile(a, 50)), 1), "p95": round(float(np.percentile(a, 95)), 1),
            "max": round(float(a.max()), 1)}


def viewport(lon: float, lat: float, zoom: int) -> tuple[float, float, float, float]:
    deg_per_px = 360.0 / (256 * 2**zoom)
    half_w = SCREEN[0] * 1.6 / 2 * deg_per_px
    half_h = SCREEN[1] * 1.6 / 2 * deg_per_px * np.cos(np.radians(lat))
    return (lon - half_w, lat - half_h, lon + half_w, lat + half_h)


def bbox_text(b) -> str:
    return ",".join(f"{v:.6f}" for v in b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url")
    ap.add_argument("--views", type=int, default=60)
    ap.add_argument("--baseline-views", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    url = args.database_url or make_city_db()

    import h3
    from fastapi.encoders import jsonable_encoder
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from gridgov.access.models import User
    from gridgov.access.scope import subtree_clause
    from gridgov.app import create_app
    from gridgov.db import get_engine, session_scope, utcnow
    from gridgov.demo.loader import DEMO_PASSWORD
    from gridgov.events import geo_service
    from gridgov.events.models import Event
    from gridgov.events.parties import visible_clause
    from gridgov.regions import service as regions
    from gridgov.regions.models import Region

    rng = np.random.default_rng(args.seed)
    engine = get_engine(url)
    with session_scope(engine) as db:
        centres = np.array(db.execute(select(Region.lon, Region.lat).where(
            Region.valid_to.is_(None), Region.level == "micro_grid")).all(), dtype=float)
        counts = {lvl: db.scalar(select(func.count()).select_from(Region).where(
            Region.valid_to.is_(None), Region.level == lvl)) for lvl in LEVEL_ZOOM}
        n_events = db.scalar(select(func.count()).select_from(Event))
    print(f"database: {url}\nregions: {counts}, events: {n_events}", file=sys.stderr)
    picks = centres[rng.choice(len(centres), args.views, replace=False)]

    app = create_app(url, check_migrations=False)
    figures: dict[str, object] = {"regions": counts, "events": n_events}
    with TestClient(app) as client, session_scope(engine) as db:
        r = client.post("/api/v1/auth/token", data={"username": "leader", "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        leader = db.scalar(select(User).where(User.username == "leader"))

        def timed_get(path: str, params: dict) -> tuple[float, int]:
            t = time.perf_counter()
            resp = client.get(path, params=params, headers=headers)
            ms = (time.perf_counter() - t) * 1000
            assert resp.status_code == 200, (path, params, resp.text[:300])
            return ms, len(resp.content)

        def timed(fn) -> float:
            t = time.perf_counter()
            fn()
            return (time.perf_counter() - t) * 1000

        def dumps(data) -> str:
            return json.dumps(data, default=str, ensure_ascii=False, separators=(",", ":"))

        # --- /api/v1/grids: new (in-process cold and warm cache, then through HTTP) vs the original
        for level, zoom in LEVEL_ZOOM.items():
            views = [viewport(lon, lat, zoom) for lon, lat in picks]
            runs = {}
            regions._SIMPLIFIED.clear()
            for name in ("cold", "warm"):
                runs[name] = pct([timed(lambda b=b, z=zoom, lv=level: regions.features_in_bbox_json(
                    db, leader, b, z, lv, limit=PAGE_LIMIT)) for b in views])
            ms, sizes = [], []
            for b in views:
                m, size = timed_get("/api/v1/grids", {"bbox": bbox_text(b), "level": level, "zoom": zoom,
                                                      "limit": PAGE_LIMIT})
                ms.append(m)
                sizes.append(size)
            runs["api_warm"] = {**pct(ms), "bytes_p50": int(np.median(sizes)),
                                "truncated": sum(size < 100 for size in sizes)}
            base, base_sizes = [], []
            for b in views[:args.baseline_views]:
                t = time.perf_counter()
                fc = regions.features_in_bbox(db, leader, tuple(float(f"{v:.6f}") for v in b), zoom, level)
                body = json.dumps(jsonable_encoder(fc), ensure_ascii=False)
                base.append((time.perf_counter() - t) * 1000)
                base_sizes.append(len(body.encode()))
            runs["baseline"] = {**pct(base), "bytes_p50": int(np.median(base_sizes))}
            runs["speedup_p50_cold"] = round(runs["baseline"]["p50"] / max(runs["cold"]["p50"], 0.01), 1)
            runs["speedup_p50_warm"] = round(runs["baseline"]["p50"] / max(runs["warm"]["p50"], 0.01), 1)
            figures[f"grids_{level}_z{zoom}"] = runs
            print(f"grids {level:14s} z{zoom}: {runs}", file=sys.stderr, flush=True)

        # --- metrics: one grouped query vs one COUNT per region
        for level, zoom, metric in (("grid", 14, "open"), ("micro_grid", 16, "population")):
            geo_service.clear_population_cache()
            views = [viewport(lon, lat, zoom) for lon, lat in picks]
            ms = [timed_get("/api/v1/map/metrics", {"bbox": bbox_text(b), "level": level, "metric": metric})[0]
                  for b in views]
            if metric == "population":
                geo_service.clear_population_cache()  # the first view pays for the cache
            svc = [timed(lambda b=b, lv=level, m=metric: dumps(geo_service.metric_values(db, leader, lv, b, m))) for b in views]
            base = []
            for b in views[:args.baseline_views]:
                t = time.perf_counter()
                codes = geo_service.regions_in_view(db, leader, level, b)
                if metric == "population":
                    from gridgov.people.models import Person
                    values = {c: db.scalar(select(func.count()).select_from(Person).where(
                        subtree_clause(Person.grid_code, c))) for c in codes}
                else:
                    values = {c: db.scalar(select(func.count()).select_from(Event).where(
                        subtree_clause(Event.region_code, c), geo_service.metric_clause(metric),
                        visible_clause(leader))) for c in codes}
                json.dumps(values)
                base.append((time.perf_counter() - t) * 1000)
            runs = {"api": pct(ms), "service": pct(svc), "baseline": pct(base)}
            runs["speedup_p50"] = round(runs["baseline"]["p50"] / max(runs["service"]["p50"], 0.01), 1)
            figures[f"metrics_{metric}_{level}_z{zoom}"] = runs
            print(f"metrics {metric} {level} z{zoom}: {runs}", file=sys.stderr, flush=True)

        # --- heat: grouped by the shifted H3 key in SQL vs rows + h3.cell_to_parent in Python
        for zoom in (12, 14):
            views = [viewport(lon, lat, zoom) for lon, lat in picks]
            ms = [timed_get("/api/v1/map/heat", {"bbox": bbox_text(b), "zoom": zoom, "period": "30d"})[0]
                  for b in views]
            svc = [timed(lambda b=b, z=zoom: dumps(geo_service.heat(db, leader, b, z, "30d"))) for b in views]
            res = geo_service.heat_resolution(zoom)
            since = utcnow() - timedelta(days=30)
            base = []
            for b in views[:args.baseline_views]:
                t = time.perf_counter()
                cells = db.scalars(select(Event.h3).where(
                    Event.h3.isnot(None), Event.created_at >= since, Event.lon.between(b[0], b[2]),
                    Event.lat.between(b[1], b[3]), visible_clause(leader))).all()
                counted = Counter(h3.cell_to_parent(format(c, "x"), res) for c in cells)
                json.dumps([{"h3": k, "count": n, "boundary": h3.cell_to_boundary(k)} for k, n in counted.items()])
                base.append((time.perf_counter() - t) * 1000)
            runs = {"api": pct(ms), "service": pct(svc), "baseline": pct(base)}
            runs["speedup_p50"] = round(runs["baseline"]["p50"] / max(runs["service"]["p50"], 0.01), 1)
            figures[f"heat_30d_z{zoom}"] = runs
            print(f"heat z{zoom}: {runs}", file=sys.stderr, flush=True)

        # --- open events in view: points or clusters vs every open event
        for zoom in (12, 15):
            views = [viewport(lon, lat, zoom) for lon, lat in picks]
            ms, sizes = [], []
            for b in views:
                m, size = timed_get("/api/v1/map/events", {"bbox": bbox_text(b), "zoom": zoom})
                ms.append(m)
                sizes.append(size)
            svc = [timed(lambda b=b, z=zoom: dumps(geo_service.events_in_bbox(db, leader, b, z))) for b in views]
            base, base_sizes = [], []
            for b in views[:args.baseline_views]:
                t = time.perf_counter()
                rows = db.execute(select(Event).where(
                    Event.state.in_(geo_service.OPEN_STATES), Event.lon.between(b[0], b[2]),
                    Event.lat.between(b[1], b[3]), visible_clause(leader))).scalars().all()
                from gridgov.events.service import event_out
                body = json.dumps(jsonable_encoder([event_out(e) for e in rows]), ensure_ascii=False)
                base.append((time.perf_counter() - t) * 1000)
                base_sizes.append(len(body.encode()))
            runs = {"api": {**pct(ms), "bytes_p50": int(np.median(sizes))}, "service": pct(svc),
                    "baseline": {**pct(base), "bytes_p50": int(np.median(base_sizes))}}
            runs["speedup_p50"] = round(runs["baseline"]["p50"] / max(runs["service"]["p50"], 0.01), 1)
            figures[f"events_z{zoom}"] = runs
            print(f"events z{zoom}: {runs}", file=sys.stderr, flush=True)

    print(json.dumps({"name": "map", "figures": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
