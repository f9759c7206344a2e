"""Benchmark: generating the demo county and city (targets: county ≤ 30 s, city ≤ 5 min, ≤ 4 GB).

Each scale runs `gridgov demo --no-serve` in a fresh process into a fresh SQLite file, timing the
wall clock and reading the child's peak RSS. Baseline, measured in the same run: storing the
county's regions through the plain ORM (one `Region` object per row, `session.add_all`), against
our bulk path — the ratio says what the bulk writer buys.

Usage: python benchmarks/bench_demo.py [--scales county,city] [--postgres]
Last line: {"name": "demo", "figures": {...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_demo(scale: str, url: str) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gridgov.cli", "demo", "--scale", scale, "--no-serve",
                    "--database-url", url], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(max(peak, before) / 1024, 1)}


def orm_baseline(scale: str, url: str) -> float:
    """Store the same regions one ORM object at a time (the obvious way)."""
    import shapely

    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.demo.geometry import generate_regions
    from gridgov.regions import geo
    from gridgov.regions.models import Region

    specs = generate_regions(scale, seed=1)
    upgrade(url)
    t0 = time.perf_counter()
    from gridgov.db import utcnow

    now = utcnow()
    with session_scope(get_engine(url)) as db:
        for s in specs:
            r = Region(code=s.code, name=s.name, level=s.level, parent_code=s.parent_code, version=1,
                       exclusive_type=s.exclusive_type, valid_from=now)
            if s.geometry is not None:
                g = s.geometry
                p = g.point_on_surface()
                r.geometry = shapely.to_wkb(g)
                r.geometry_digest = geo.geometry_digest(g)
                r.area_m2 = float(geo.area_m2(g)[0])
                r.min_lon, r.min_lat, r.max_lon, r.max_lat = g.bounds
                r.lon, r.lat, r.h3 = p.x, p.y, geo.h3_cell(p.x, p.y, 10)
            db.add(r)
    return time.perf_counter() - t0


def bulk_regions_only(scale: str, url: str) -> float:
    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.demo.geometry import generate_regions
    from gridgov.regions.service import write_regions
    from gridgov.regions.topology import RegionInput

    specs = generate_regions(scale, seed=1)
    items = [RegionInput(s.code, s.name, s.level, s.parent_code, s.geometry, s.exclusive_type) for s in specs]
    upgrade(url)
    t0 = time.perf_counter()
    with session_scope(get_engine(url)) as db:
        write_regions(db, items)
    return time.perf_counter() - t0


def pg_url() -> str:
    from sqlalchemy import create_engine, text

    name = f"gridgov_bench_{secrets.token_hex(3)}"
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="county,city")
    ap.add_argument("--postgres", action="store_true", help="also load each scale into PostgreSQL")
    args = ap.parse_args()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales.split(","):
            figures[f"{scale}_sqlite"] = run_demo(scale, f"sqlite:///{Path(tmp) / f'{scale}.db'}")
            if args.postgres:
                figures[f"{scale}_postgresql"] = run_demo(scale, pg_url())
        base = orm_baseline("county", f"sqlite:///{Path(tmp) / 'orm.db'}")
        ours = bulk_regions_only("county", f"sqlite:///{Path(tmp) / 'bulk.db'}")
    figures["county_regions_write_orm_s"] = round(base, 2)
    figures["county_regions_write_bulk_s"] = round(ours, 2)
    figures["bulk_vs_orm_speedup"] = round(base / ours, 2)
    print(f"{'run':<28}{'seconds':>10}{'peak MB':>10}")
    for k, v in figures.items():
        if isinstance(v, dict):
            print(f"{k:<28}{v['seconds']:>10}{v['peak_rss_mb']:>10}")
    print(f"regions write, county: ORM {base:.2f} s, bulk {ours:.2f} s ({base / ours:.1f}×)")
    print(json.dumps({"name": "demo", "figures": figures}))


if __name__ == "__main__":
    os.environ.setdefault("GRIDGOV_ARGON2_TIME_COST", "3")
    main()
