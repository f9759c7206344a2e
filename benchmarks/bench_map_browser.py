"""Benchmark: the 一张图 map in a real browser at city scale — time from a pan/zoom to the first frame
painted with the new region layers.

Target (the web UI issue): at city scale (辽阳市: 3,343 grids, 66,340 micro-grids) the time for the map
to render a viewport, measured in the browser (goal < 500 ms).

Set-up: a city-scale demo database (``--database-url``, or a fresh SQLite one made here with
``gridgov demo --scale city --no-serve``, ~4 min), served by ``gridgov serve`` in its own process
(the event clock off); Debian's chromium driven by Playwright (``executable_path``), a 1366×768
window, signed in as the ``leader`` (the whole city). For ``--places`` random micro-grids it makes
the moves a leader makes, each measured by the page's own clock (``body[data-paint-ms]``: from the
start of the move to the first frame painted with the new layers; ``gridgov/web/static/js/map.js``):

* **jump** to the micro-grid at zoom 17 (micro-grids drawn; caches cold for that place);
* **zoom out** to 16 (a city centre's micro-grids exceed the page's limit: grids drawn instead);
* **back** to 17;
* **pan** 300×150 px at 17 (the layers kept: mostly nothing requested).

The first place is a warm-up (the server's simplification cache, the browser's JIT) and is not
counted. ``--baseline`` also times the same moves on the county-scale demo in the same run, the
figure the page is known to be quick on.

    python benchmarks/bench_map_browser.py [--database-url URL] [--places 12] [--seed 1]

Last line: {"name": "map_browser", "figures": {...}} (milliseconds p50/p95/max per move).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_intake import (  # the same server set-up (benchmarks/ on sys.path)
    free_port,
    start_server,
    stop_server,
)

CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PASSWORD = "gridgov2026"  # the demo users' password (docs/demo.md)
TARGET_MS = 500.0
MOVES = ("jump", "zoom_out", "back", "pan")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def make_demo(scale: str, workdir: Path) -> str:
    url = f"sqlite:///{workdir / f'{scale}.db'}"
    log(f"making the {scale} demo (gridgov demo --scale {scale}) …")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gridgov.cli", "demo", "--scale", scale, "--no-serve"], check=True,
                   env={**os.environ, "GRIDGOV_DATABASE_URL": url}, stdout=subprocess.DEVNULL)
    log(f"  {scale} demo in {time.perf_counter() - t0:.0f} s")
    return url


def places(url: str, n: int, seed: int) -> list[tuple[float, float]]:
    """Label points of ``n`` random current micro-grids."""
    from sqlalchemy import select

    from gridgov.db import make_engine, session_scope
    from gridgov.regions.models import Region

    engine = make_engine(url)
    try:
        with session_scope(engine) as db:
            rows = db.execute(select(Region.lon, Region.lat).where(
                Region.level == "micro_grid", Region.valid_to.is_(None), Region.lon.is_not(None))).all()
    finally:
        engine.dispose()
    return [(r.lon, r.lat) for r in random.Random(seed).sample(rows, min(n, len(rows)))]


def measure(base: str, points: list[tuple[float, float]]) -> dict[str, list[int]]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    def paint_seq(page) -> int:
        return int(page.evaluate("Number(document.body.dataset.paintSeq || 0)"))

    def move(page, js: str, arg, timeout: int = 60_000) -> int:
        before = paint_seq(page)
        page.evaluate(js, arg)
        page.wait_for_function("n => Number(document.body.dataset.paintSeq || 0) > n", arg=before, polling=20,
                               timeout=timeout)
        return int(page.evaluate("document.body.dataset.paintMs"))

    set_view = "([lat, lon, z]) => { gridgov.map.setView([lat, lon], z, {animate: false}); return 0; }"
    pan = "([x, y]) => { gridgov.map.panBy([x, y], {animate: false}); return 0; }"
    out: dict[str, list[int]] = {m: [] for m in MOVES}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(base + "/map")
        page.fill("#username", "leader")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url("**/map**")
        page.wait_for_function("() => document.body.dataset.mapReady === '1'", timeout=120_000)
        for i, (lon, lat) in enumerate(points):
            got = {"jump": move(page, set_view, [lat, lon, 17]), "zoom_out": move(page, set_view, [lat, lon, 16]),
                   "back": move(page, set_view, [lat, lon, 17])}
            try:  # a pan may need nothing new: then no frame is painted for it
                got["pan"] = move(page, pan, [300, 150], timeout=10_000)
            except PlaywrightTimeout:
                pass
            if i == 0:
                log(f"  warm-up: {got}")
                continue
            for k, v in got.items():
                out[k].append(v)
            log(f"  place {i}: {got}")
        browser.close()
    return out


def summary(ms: list[int]) -> dict[str, float]:
    if not ms:
        return {"n": 0}
    a = np.array(ms, dtype=float)
    return {"n": len(ms), "p50": round(float(np.percentile(a, 50)), 1), "p95": round(float(np.percentile(a, 95)), 1),
            "max": round(float(a.max()), 1)}


def run(url: str, n: int, seed: int, workdir: Path, label: str) -> dict:
    port = free_port()
    proc = start_server(url, port, 1, workdir)
    try:
        log(f"[{label}] {n} places, moves: {', '.join(MOVES)}")
        timings = measure(f"http://127.0.0.1:{port}", places(url, n + 1, seed))
    finally:
        stop_server(proc)
    result = {k: summary(v) for k, v in timings.items()}
    for k, v in result.items():
        log(f"[{label}] {k:<9} " + "  ".join(f"{name} {val}" for name, val in v.items())
            + ("   (goal < 500 ms: missed)" if v.get("p95", 0) >= TARGET_MS else ""))
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", help="a city-scale demo database (default: make one here)")
    p.add_argument("--places", type=int, default=12)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--baseline", action="store_true", help="also the county demo, same moves, same run")
    args = p.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install -y chromium fonts-wqy-microhei (or make browser)")
    figures: dict = {"cpus": os.cpu_count(), "load_avg_before": list(os.getloadavg()), "goal_ms": TARGET_MS}
    with tempfile.TemporaryDirectory(prefix="gridgov-map-") as tmp:
        workdir = Path(tmp)
        url = args.database_url or make_demo("city", workdir)
        figures["city"] = run(url, args.places, args.seed, workdir, "city")
        if args.baseline:
            figures["county"] = run(make_demo("county", workdir), args.places, args.seed, workdir, "county")
    print(json.dumps({"name": "map_browser", "figures": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
