"""Benchmark: person search at city scale (target: p95 < 100 ms for every kind of query).

On a city-scale demo database (``--database-url``, or a fresh SQLite one made with
`gridgov demo --scale city --no-serve`), runs ``--queries`` realistic queries of each kind through
``gridgov.people.service.search_persons`` — a full name, its pinyin, its initials, a full citizen
ID, a full phone number, the last four digits of a phone, an address (a building's road/compound
key, ``光华北路11号怡和花园1号楼``), and the two short queries people type first: the surname alone
(``张``) and the first two initials (``zh``), which match a large share of everybody — each query
about a random resident, as

* the city-level ``leader`` (scope: the whole city), and
* the grid worker of that resident's grid (scope: one grid; the realistic way they search),

reporting p50/p95/p99 milliseconds per kind. Baseline in the same run: the naive scan people write
first, ``name LIKE '%q%'`` and ``residence_address LIKE '%q%'`` (ordered like the service, limit 20),
for the first ``--baseline-queries`` of the same name and address queries. For every kind the plan of
one query (EXPLAIN QUERY PLAN / EXPLAIN) is printed, so a slow kind says why.

Without the address parser in the tree (``gridgov.places.address``), ``address_key`` is replaced by
the identity for the address queries (the queries are keys already) and the output says so.

    python benchmarks/bench_search.py [--database-url URL] [--queries 500] [--baseline-queries 50] [--seed 1]

Last line: {"name": "person_search", "figures": {...}}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KINDS = ("name", "surname", "pinyin", "initials", "initials2", "citizen_id", "phone", "phone_tail", "address")
TARGET_P95_MS = 100.0


def make_city_db() -> str:
    path = Path(tempfile.mkdtemp(prefix="gridgov-search-")) / "city.db"
    url = f"sqlite:///{path}"
    print(f"generating the city demo into {path} (a few minutes) …", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "gridgov.cli", "demo", "--scale", "city", "--no-serve",
                    "--database-url", url], check=True, stdout=subprocess.DEVNULL)
    return url


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.array(ms)
    return {"n": len(a), "p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "p99": round(float(np.percentile(a, 99)), 2), "max": round(float(a.max()), 2)}


def sample_queries(db, n: int, rng: np.random.Generator) -> list[dict]:
    """``n`` random residents with a phone, and the text of each kind of query about them."""
    from sqlalchemy import func, select

    from gridgov.people.models import Person
    from gridgov.places.models import Building, House

    lo, hi = db.execute(select(func.min(Person.id), func.max(Person.id))).one()
    picked: list[dict] = []
    seen: set[int] = set()
    while len(picked) < n:
        ids = [int(i) for i in rng.integers(lo, hi + 1, size=2 * n) if int(i) not in seen]
        rows = db.execute(select(Person.id, Person.name, Person.name_pinyin, Person.name_initials, Person.citizen_id,
                                 Person.phone, Person.phone_tail, Person.grid_code, Building.addr_key)
                          .join(House, House.id == Person.house_id).join(Building, Building.id == House.building_id)
                          .where(Person.id.in_(ids), Person.phone.isnot(None))).all()
        for r in rows:
            if r.id not in seen and len(picked) < n:
                seen.add(r.id)
                picked.append({"id": r.id, "grid": r.grid_code[:15], "name": r.name, "surname": r.name[:1],
                               "pinyin": r.name_pinyin, "initials": r.name_initials,
                               "initials2": r.name_initials[:2], "citizen_id": r.citizen_id, "phone": r.phone,
                               "phone_tail": r.phone_tail, "address": r.addr_key})
    order = rng.permutation(len(picked))
    return [picked[i] for i in order]


class Recorder:
    """Keeps the last SQL statement run (to EXPLAIN it)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.last: tuple[str, object] | None = None
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.last = (statement, parameters)


def explain(db, recorder: Recorder) -> list[str]:
    statement, params = recorder.last
    raw = db.connection().connection.driver_connection
    cur = raw.cursor()
    if db.get_bind().dialect.name == "sqlite":
        cur.execute("EXPLAIN QUERY PLAN " + statement, params)
        lines = [row[-1] for row in cur.fetchall()]
    else:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF, SUMMARY ON) " + statement, params)
        lines = [row[0] for row in cur.fetchall()]
    cur.close()
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--baseline-queries", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from sqlalchemy import func, select

    from gridgov.access.models import User, UserScope
    from gridgov.db import get_engine, session_factory
    from gridgov.people import service
    from gridgov.people.models import Person

    url = args.database_url or make_city_db()
    engine = get_engine(url)
    recorder = Recorder(engine)
    db = session_factory(engine)()
    persons = db.scalar(select(func.count()).select_from(Person))
    print(f"{engine.dialect.name}: {persons:,} persons", file=sys.stderr, flush=True)
    parser = True
    try:
        from gridgov.places.address import parse_address  # noqa: F401
    except ImportError:
        parser = False
        service.address_key = lambda q: q   # the queries are keys already; see the docstring
    rng = np.random.default_rng(args.seed)
    queries = sample_queries(db, args.queries, rng)
    leader = db.scalar(select(User).where(User.username == "leader"))
    grids = sorted({q["grid"] for q in queries})
    workers: dict[str, User] = {}
    rows = db.execute(select(UserScope.region_code, User).join(User, User.id == UserScope.user_id)
                      .where(User.role == "grid_worker", UserScope.region_code.in_(grids))).all()
    for code, user in rows:
        workers[code] = user
    _ = [w.region_codes for w in workers.values()]          # load scopes before timing

    figures: dict = {"backend": engine.dialect.name, "persons": persons, "queries_per_kind": len(queries),
                     "address_parser": parser, "target_p95_ms": TARGET_P95_MS, "service": {}, "baseline": {},
                     "plans": {}}
    for actor in ("leader", "grid_worker"):
        out = {}
        for kind in KINDS:
            times, found, hits = [], 0, 0
            for q in queries[:20]:                       # warm up
                service.search_persons(db, leader if actor == "leader" else workers[q["grid"]], q[kind])
            for q in queries:
                user = leader if actor == "leader" else workers[q["grid"]]
                t0 = time.perf_counter()
                res = service.search_persons(db, user, q[kind])
                times.append((time.perf_counter() - t0) * 1000)
                ids = [r["id"] for r in res["results"]]
                found += q["id"] in ids
                hits += len(ids)
                db.expunge_all()
            stats = percentiles(times)
            stats.update(found_share=round(found / len(queries), 3), mean_results=round(hits / len(queries), 1),
                         ok=stats["p95"] < TARGET_P95_MS)
            out[kind] = stats
            if actor == "leader" or kind in ("name", "surname", "initials2", "phone_tail", "address"):
                first = leader if actor == "leader" else workers[queries[0]["grid"]]
                service.search_persons(db, first, queries[0][kind])
                figures["plans"][f"{actor}:{kind}"] = explain(db, recorder)
            print(f"{actor:<12}{kind:<11} p50 {stats['p50']:>8.2f}  p95 {stats['p95']:>8.2f}  p99 {stats['p99']:>8.2f} ms"
                  f"  found {stats['found_share']:.0%}  {'ok' if stats['ok'] else 'SLOW'}", file=sys.stderr, flush=True)
        figures["service"][actor] = out

    # the naive scan, for the same name and address queries (leader's scope: everything)
    from sqlalchemy import text

    for kind, column in (("name", "name"), ("address", "residence_address")):
        times = []
        for q in queries[: args.baseline_queries]:
            t0 = time.perf_counter()
            db.execute(text(f"SELECT * FROM persons WHERE {column} LIKE :q ORDER BY name, id LIMIT 20"),
                       {"q": f"%{q[kind]}%"}).all()
            times.append((time.perf_counter() - t0) * 1000)
        stats = percentiles(times)
        stats["service_p50_ratio"] = round(stats["p50"] / max(figures["service"]["leader"][kind]["p50"], 1e-6), 1)
        figures["baseline"][kind] = stats
        print(f"naive LIKE  {kind:<11} p50 {stats['p50']:>8.2f}  p95 {stats['p95']:>8.2f} ms "
              f"({stats['service_p50_ratio']}x the service's p50)", file=sys.stderr, flush=True)
    for key, lines in figures["plans"].items():
        print(f"-- plan {key}", file=sys.stderr)
        for line in lines:
            print(f"   {line}", file=sys.stderr)
    db.close()
    print(json.dumps({"name": "person_search", "figures": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
