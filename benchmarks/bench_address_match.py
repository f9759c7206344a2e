"""Benchmark: matching addresses against the standard address library (county demo).

On a county demo database (``--database-url``, or a fresh SQLite one made with
`gridgov demo --scale county --no-serve`), takes ``--queries`` random library addresses and makes a
query of each kind from each:

* ``exact``: the canonical text;        * ``short``: the key alone (no regions);
* ``messy``: Chinese numerals, 栋/户, full-width digits and noise (附近, a bracketed remark);
* ``no_road``: community + compound + building/unit/room, the road and number left out;
* ``typo``: one character of the compound name replaced.

It reports, per kind and overall, top-1 accuracy and p50/p95 latency of one match as the API does it
(clean + parse + :func:`gridgov.places.matching.service.match_query`; the parse and the database
part also apart), and the throughput of the batch path (``match_many``: one parser batch, then the
matches) in matches/s.

Baseline in the same run: the naive matcher — every address of the library scored with the same
scorer (rows read into memory once, not timed), best five kept — for the first
``--baseline-queries`` queries. The ratio is naive / ours.

    python benchmarks/bench_address_match.py [--database-url URL] [--queries 400] [--baseline-queries 20]

Last line: {"name": "address_match", "figures": {...}}.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KINDS = ("exact", "short", "messy", "no_road", "typo")
CN = "〇一二三四五六七八九"
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def make_county_db() -> str:
    path = Path(tempfile.mkdtemp(prefix="gridgov-addr-")) / "county.db"
    url = f"sqlite:///{path}"
    print(f"generating the county demo into {path} …", file=sys.stderr, flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "gridgov.cli",
            "demo",
            "--scale",
            "county",
            "--no-serve",
            "--database-url",
            url,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.array(ms)
    return {
        "n": len(a),
        "p50": round(float(np.percentile(a, 50)), 2),
        "p95": round(float(np.percentile(a, 95)), 2),
        "max": round(float(a.max()), 2),
    }


def query_text(row, kind: str, rng: random.Random) -> str | None:
    key = row.addr_key
    if kind == "exact":
        return row.text
    if kind == "short":
        return key
    if kind == "messy":
        cn = re.sub(r"\d+(?=号楼|单元|室)", lambda m: "".join(CN[int(d)] for d in m.group(0)), key)
        return row.district + cn.replace("号楼", "栋").replace("室", "户").translate(FULL) + "（东门）附近"
    if kind == "no_road":
        if not row.poi or not row.road or row.road.endswith("组"):
            return None
        return row.community + key.split("号", 1)[1]
    if kind == "typo":
        if not row.poi or len(row.poi) < 3:
            return None
        i = rng.randrange(1, len(row.poi))
        return row.text.replace(row.poi, row.poi[:i] + "某" + row.poi[i + 1 :])
    raise ValueError(kind)


def sample(db, n: int, seed: int) -> list[tuple[str, str, int]]:
    from sqlalchemy import func, select

    from gridgov.places.models import StandardAddress as A

    rng = random.Random(seed)
    top = db.scalar(select(func.max(A.id)))
    rows = db.execute(select(A).where(A.id.in_(rng.sample(range(1, top + 1), n)))).scalars().all()
    return [(kind, text, r.id) for r in rows for kind in KINDS if (text := query_text(r, kind, rng))]


def naive_matcher(db):
    """Every address in memory; a query scores all of them (the same scorer), best five."""
    from sqlalchemy import select

    from gridgov.places.matching.canonical import FIELDS, Elements
    from gridgov.places.matching.scoring import score
    from gridgov.places.models import StandardAddress as A

    rows = db.execute(select(A.id, A.addr_key, *(getattr(A, f) for f in FIELDS))).all()
    library = [(r.id, r.addr_key, Elements(**{f: getattr(r, f) for f in FIELDS})) for r in rows]

    def match(q) -> list[int]:
        if q.reason:
            return []
        best = sorted(
            ((score(q.elements, e, exact_key=k in q.keys).total, i) for i, k, e in library), reverse=True
        )
        return [i for s, i in best[:5] if s >= 0.6]

    return match, len(library)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url")
    ap.add_argument("--queries", type=int, default=400, help="library addresses sampled (× the kinds)")
    ap.add_argument("--baseline-queries", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from gridgov.db import get_engine, session_scope
    from gridgov.places.matching.query import prepare, prepare_many
    from gridgov.places.matching.service import match_query

    url = args.database_url or make_county_db()
    with session_scope(get_engine(url)) as db:
        cases = sample(db, args.queries, args.seed)
        for _, text, _ in cases[:30]:  # warm-up: parser model, statement caches
            match_query(db, prepare(text))
        per_kind: dict[str, list[float]] = {k: [] for k in KINDS}
        parse_ms, match_ms = [], []
        hits: dict[str, int] = dict.fromkeys(KINDS, 0)
        for kind, text, target in cases:
            t0 = time.perf_counter()
            q = prepare(text)
            t1 = time.perf_counter()
            out = match_query(db, q)
            t2 = time.perf_counter()
            parse_ms.append((t1 - t0) * 1000)
            match_ms.append((t2 - t1) * 1000)
            per_kind[kind].append((t2 - t0) * 1000)
            hits[kind] += bool(out["candidates"]) and out["candidates"][0]["id"] == target
        t0 = time.perf_counter()
        queries = prepare_many([t for _, t, _ in cases])
        for q in queries:
            match_query(db, q)
        batch_rate = len(cases) / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        naive, library_size = naive_matcher(db)
        load_s = time.perf_counter() - t0
        base_ms, base_hits = [], 0
        for (_, _, target), q in zip(cases[: args.baseline_queries], queries):
            t0 = time.perf_counter()
            found = naive(q)
            base_ms.append((time.perf_counter() - t0) * 1000)
            base_hits += bool(found) and found[0] == target

    ours = percentiles([x for k in KINDS for x in per_kind[k]])
    base = percentiles(base_ms)
    figures = {
        "library_rows": library_size,
        "queries": len(cases),
        "accuracy_top1": round(sum(hits.values()) / len(cases), 4),
        "per_kind": {
            k: {**percentiles(per_kind[k]), "top1": round(hits[k] / max(len(per_kind[k]), 1), 4)}
            for k in KINDS
            if per_kind[k]
        },
        "single_ms": ours,
        "single_parse_ms": percentiles(parse_ms),
        "single_match_ms": percentiles(match_ms),
        "single_matches_per_s": round(1000 / float(np.mean([x for k in KINDS for x in per_kind[k]])), 1),
        "batch_matches_per_s": round(batch_rate, 1),
        "naive_scan": {
            **base,
            "matches_per_s": round(1000 / float(np.mean(base_ms)), 3),
            "top1": round(base_hits / len(base_ms), 4),
            "load_s_not_timed": round(load_s, 2),
        },
        "ratio_p50": round(base["p50"] / ours["p50"], 1),
        "ratio_p95": round(base["p95"] / ours["p95"], 1),
        "database": url.split(":", 1)[0],
    }
    for kind, f in figures["per_kind"].items():
        print(
            f"{kind:8s} top1 {f['top1']:.3f}  p50 {f['p50']:7.2f} ms  p95 {f['p95']:7.2f} ms", file=sys.stderr
        )
    print(f"naive scan of {library_size} rows: p50 {base['p50']} ms, p95 {base['p95']} ms", file=sys.stderr)
    print(json.dumps({"name": "address_match", "figures": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
