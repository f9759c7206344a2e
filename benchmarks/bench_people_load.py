"""Benchmark: loading the demo register (target: the city, ~1.5M persons and ~1.2M houses, into
SQLite in ≤ 10 min; PostgreSQL reported too).

For each backend, `gridgov demo --scale S --no-serve` runs in a fresh process into a fresh database
(a temporary SQLite file; a throwaway PostgreSQL database on 127.0.0.1:5432), timing the wall clock
and reading that child's peak RSS (``os.wait4``). The people step's own figures (rows and seconds
per table) come from its audit entry ``demo.people``.

Baseline, measured in the same run on the same backend: persons of the county (the same generator,
seed 1) stored the obvious way — one ``session.add(Person(...))`` per row through the ORM — for a
sample of ``--orm-sample`` rows, next to the same sample through the bulk writer the demo uses. The
ORM's time for all persons is **extrapolated** linearly from the sample (it only gets worse as the
indexes grow, so the extrapolation flatters the ORM).

    python benchmarks/bench_people_load.py [--scale county|city] [--postgres] [--sqlite-only]
                                           [--orm-sample 20000] [--keep]

Last line: {"name": "people_load", "figures": {...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TABLES = ("buildings", "houses", "persons", "households", "household_members", "residences",
          "special_group_members", "visits", "organizations", "users", "regions")


def pg_create() -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    name = f"gridgov_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def pg_drop(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run_demo(scale: str, url: str, seed: int) -> dict:
    """`gridgov demo` in a child process: wall seconds and that child's peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gridgov.cli", "demo", "--scale", scale, "--seed", str(seed),
                             "--no-serve", "--database-url", url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"gridgov demo failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def step_figures(url: str) -> dict:
    """Rows per table and the people step's seconds, from the database and its audit entry."""
    from sqlalchemy import create_engine, select, text

    from gridgov.access.models import AuditEntry

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in TABLES}
        detail = conn.execute(select(AuditEntry.detail).where(AuditEntry.action == "demo.people")
                              .order_by(AuditEntry.seq.desc()).limit(1)).scalar()
        size = None
        if engine.dialect.name == "postgresql":
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        size = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
    detail = json.loads(detail or "{}")
    return {"rows": rows, "step_seconds": detail.get("seconds", {}), "db_size_mb": round((size or 0) / 2**20, 1)}


def person_sample(n: int):
    """The first ``n`` persons of the county register (seed 1) as plain dicts."""
    import numpy as np

    from gridgov.demo.geometry import generate_regions
    from gridgov.demo.people import RegionTable, generate_register

    rt = RegionTable.from_specs(generate_regions("county", seed=1))
    reg = generate_register(rt, "county", 1)
    p, b = reg.persons, reg.buildings
    total = len(p["birth"])
    idx = np.arange(min(n, total))
    addresses = reg.house_texts(p["house"][idx])[0]
    birth = (np.datetime64("1970-01-01") + p["birth"][idx].astype("timedelta64[D]")).astype(object)
    moved = (np.datetime64("1970-01-01") + p["moved_in"][idx].astype("timedelta64[D]")).astype(object)
    micro = np.array(rt.micro_code, dtype=object)[p["micro"][idx]]
    bld = p["building"][idx]
    rows = []
    for k, i in enumerate(idx.tolist()):
        phone = int(p["phone"][i])
        rows.append({
            "citizen_id": p["citizen_id"][i], "name": p["name"][i], "name_pinyin": p["name_pinyin"][i],
            "name_initials": p["name_initials"][i], "sex": p["sex"][i], "birth_date": birth[k],
            "ethnicity": p["ethnicity"][i], "phone": str(phone) if phone else None,
            "phone_tail": f"{phone % 10000:04d}" if phone else None, "hukou_region_code": p["hukou_region_code"][i],
            "hukou_address": p["hukou_address"][i] or addresses[k], "residence_address": addresses[k],
            "population_type": p["population_type"][i], "moved_in_on": moved[k], "status": "active",
            "lon": float(b["lon"][bld[k]]), "lat": float(b["lat"][bld[k]]), "h3": int(b["h3"][bld[k]]),
            "grid_code": micro[k],
        })
    return rows, total


def orm_baseline(url: str, rows: list[dict]) -> float:
    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.people.models import Person

    upgrade(url)
    t0 = time.perf_counter()
    with session_scope(get_engine(url)) as db:
        for r in rows:
            db.add(Person(**r))
    return time.perf_counter() - t0


def bulk_sample(url: str, rows: list[dict]) -> float:
    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.demo.people import _Bulk
    from gridgov.people.models import Person

    upgrade(url)
    t0 = time.perf_counter()
    with session_scope(get_engine(url)) as db:
        bulk = _Bulk(db, lambda *a: None)
        cols = {k: [r[k] for r in rows] for k in rows[0]}
        cols["birth_date"] = [d.isoformat() for d in cols["birth_date"]]
        cols["moved_in_on"] = [d.isoformat() for d in cols["moved_in_on"]]
        cols["created_at"] = cols["updated_at"] = bulk.now
        bulk.insert(Person.__table__, len(rows), cols, "bench")
    return time.perf_counter() - t0


def one_backend(backend: str, scale: str, seed: int, sample: list[dict], county_persons: int, keep: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="gridgov-bench-"))
    made: list[str] = []

    def fresh() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp / f'{secrets.token_hex(3)}.db'}"
        name, url = pg_create()
        made.append(name)
        return url

    try:
        url = fresh()
        print(f"[{backend}] gridgov demo --scale {scale} …", file=sys.stderr, flush=True)
        run = run_demo(scale, url, seed)
        figures = step_figures(url)
        secs = figures["step_seconds"]
        rows = figures["rows"]
        loaded = sum(v for k, v in rows.items() if k not in ("regions", "users"))
        per_table = {t: {"rows": rows[t], "seconds": secs.get(f"write_{t}"),
                         "rows_per_s": round(rows[t] / secs[f"write_{t}"]) if secs.get(f"write_{t}") else None}
                     for t in TABLES if t not in ("regions", "users")}
        print(f"[{backend}] ORM baseline: {len(sample):,} persons one session.add() each …", file=sys.stderr, flush=True)
        orm_s = orm_baseline(fresh(), sample)
        bulk_s = bulk_sample(fresh(), sample)
        orm_rate = len(sample) / orm_s
        out = {
            "wall_seconds": run["seconds"], "peak_rss_mb": run["peak_rss_mb"], "db_size_mb": figures["db_size_mb"],
            "people_step_seconds": secs.get("total"), "generate_seconds": secs.get("generate"),
            "index_rebuild_seconds": secs.get("indexes"), "rows_loaded": loaded,
            "rows_per_s_people_step": round(loaded / secs["total"]) if secs.get("total") else None,
            "tables": per_table,
            "baseline": {
                "sample": len(sample), "orm_seconds": round(orm_s, 2), "orm_rows_per_s": round(orm_rate),
                "bulk_sample_seconds": round(bulk_s, 3), "bulk_sample_rows_per_s": round(len(sample) / bulk_s),
                "bulk_vs_orm_sample": round(orm_s / bulk_s, 1),
                "orm_county_persons_extrapolated_s": round(county_persons / orm_rate, 1),
                "orm_all_persons_extrapolated_s": round(rows["persons"] / orm_rate, 1),
                "orm_all_rows_extrapolated_s": round(loaded / orm_rate, 1),
                "persons_bulk_vs_orm_extrapolated": (round(rows["persons"] / orm_rate / secs["write_persons"], 1)
                                                     if secs.get("write_persons") else None),
            },
        }
        if keep:
            out["database_url"] = url
            if backend == "postgresql":
                made.remove(url.rsplit("/", 1)[-1])
        return out
    finally:
        for name in made:
            pg_drop(name)
        if not keep and backend == "sqlite":
            for f in tmp.glob("*"):
                f.unlink()
            tmp.rmdir()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="city", choices=("county", "city"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--postgres", action="store_true", help="also load into a throwaway PostgreSQL database")
    ap.add_argument("--orm-sample", type=int, default=20_000)
    ap.add_argument("--keep", action="store_true", help="keep the loaded databases (prints their URLs)")
    args = ap.parse_args()

    print("generating the county sample for the ORM baseline …", file=sys.stderr, flush=True)
    sample, county_persons = person_sample(args.orm_sample)
    figures: dict = {"scale": args.scale, "seed": args.seed, "target_sqlite_s": 600}
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    for backend in backends:
        figures[backend] = one_backend(backend, args.scale, args.seed, sample, county_persons, args.keep)

    print(f"\n{'':<14}" + "".join(f"{b:>16}" for b in backends))
    for label, key in (("wall s", "wall_seconds"), ("peak RSS MB", "peak_rss_mb"), ("people step s", "people_step_seconds"),
                       ("generate s", "generate_seconds"), ("indexes s", "index_rebuild_seconds"),
                       ("rows loaded", "rows_loaded"), ("rows/s", "rows_per_s_people_step"), ("DB MB", "db_size_mb")):
        print(f"{label:<14}" + "".join(f"{figures[b][key]!s:>16}" for b in backends))
    for t in figures["sqlite"]["tables"]:
        print(f"  {t:<22}" + "".join(f"{figures[b]['tables'][t]['rows']:>10,} {figures[b]['tables'][t]['rows_per_s'] or 0:>9,}/s"
                                      for b in backends))
    for b in backends:
        base = figures[b]["baseline"]
        print(f"[{b}] ORM {base['orm_rows_per_s']:,} persons/s vs bulk {base['bulk_sample_rows_per_s']:,}/s on the same "
              f"{base['sample']:,} rows ({base['bulk_vs_orm_sample']}x); all {figures[b]['tables']['persons']['rows']:,} "
              f"persons by ORM ≈ {base['orm_all_persons_extrapolated_s']} s (extrapolated), all rows ≈ "
              f"{base['orm_all_rows_extrapolated_s']} s (extrapolated)")
    print(json.dumps({"name": "people_load", "figures": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
