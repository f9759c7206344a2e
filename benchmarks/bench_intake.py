"""Benchmark: event intake under load — grid workers' reports through the real HTTP server.

Targets (the EVENTS issue): at 64 concurrent clients, ≥ 1,000 reports/s with p99 < 100 ms on
PostgreSQL, ≥ 300 reports/s on SQLite.

For each backend (``--backends sqlite,postgresql``) the benchmark

1. makes a fresh database (a SQLite file, or a throwaway PostgreSQL database on
   ``--pg-admin-url``), migrates it and loads the demo (``--scale tiny`` by default);
2. registers ``--clients`` grid workers (one per grid, grids reused if there are fewer), opens an
   API token for each, and samples points inside each one's grid (checked with the locator, so every
   report is filed inside the reporter's own grid);
3. starts ``gridgov serve --workers N`` in its own process (the event clock off) and warms it for
   5 s at full concurrency (every worker process builds its routes and caches on first use);
4. loads it from another process, `wrk` (C, with a generated Lua script), on loopback:
   ``POST /api/v1/events`` with a bearer token, a unique ``client_id``, a real catalog item, a
   description and a point — first ONE client sequentially for ``--baseline-seconds`` (the
   baseline, same run), then ``--clients`` connections for ``--seconds``;
5. accounts the CPU each side spent per report (the app server's processes, PostgreSQL's backends
   for this database, wrk) — with every core busy, ``cores × 1000 / total ms`` is the ceiling this
   machine allows, whatever the concurrency;
6. stops the server and checks the database: events filed = 201 answers (plus at most one request
   per connection still in flight when wrk stopped), and the audit chain verifies (reports append
   to it in batches, one head-row bump per group commit: gridgov.events.intake).

wrk: Debian's ``wrk`` package; when it is missing the benchmark installs it with apt-get as root,
otherwise it says ``apt-get install wrk``. The load generator shares the machine's cores with the
server, so on a small machine the figures are a floor.

    python benchmarks/bench_intake.py [--backends sqlite,postgresql] [--seconds 30] [--clients 64]
                                      [--workers 2] [--scale tiny]

Last line: {"name": "intake", "figures": {...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRIDGOV_ARGON2_TIME_COST", "1")  # the benchmark's users log in with tokens only
os.environ.setdefault("GRIDGOV_ARGON2_MEMORY_COST", "64")
os.environ.setdefault("GRIDGOV_ARGON2_PARALLELISM", "1")

TARGETS = {"postgresql": {"rps": 1000.0, "p99_ms": 100.0}, "sqlite": {"rps": 300.0, "p99_ms": None}}
PG_ADMIN = os.environ.get("GRIDGOV_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DESCRIPTIONS = ["人行道上流动摊贩占道经营，影响行人通行", "小区门口垃圾堆放多日无人清理，气味很大",
                "路灯不亮已经一周，夜间出行不便", "井盖松动，车辆经过有响声", "楼道堆放杂物堵塞消防通道",
                "广场舞音响声音过大，影响居民休息", "绿化带树木倒伏压住电线", "道路出现坑洼，雨后积水"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (Debian package) …")
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: apt-get install wrk (Debian/Ubuntu)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- set-up ---------------------------------------------------------------------------------

def make_database(backend: str, workdir: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'intake.db'}", None
    from sqlalchemy import create_engine, text

    name = f"gridgov_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(name: str | None) -> None:
    if name is None:
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def prepare(url: str, scale: str, clients: int, seed: int) -> dict:
    """Migrate, load the demo, make the grid workers with tokens and their points."""
    import numpy as np
    from shapely import wkb
    from sqlalchemy import select

    from gridgov.access import service as access
    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.demo.loader import load_demo
    from gridgov.errors import AppError
    from gridgov.events import catalog
    from gridgov.regions.models import Region
    from gridgov.regions.service import place_point

    t0 = time.perf_counter()
    upgrade(url)
    engine = get_engine(url)
    with session_scope(engine) as db:
        load_demo(db, scale, seed=seed)
    log(f"  demo {scale} loaded in {time.perf_counter() - t0:.0f} s")
    rng = np.random.default_rng(seed)
    workers = []
    with session_scope(engine) as db:
        grids = db.execute(select(Region.code, Region.geometry).where(
            Region.level == "grid", Region.valid_to.is_(None)).order_by(Region.code)).all()
        version = catalog.current_version(db)
        items = sorted(code for code, item in catalog._items_of(db, version.id).items()
                       if not item.self_resolvable and item.category_code in ("CG", "SR", "HJ", "JT", "AQ"))[:20]
        if not items:
            items = sorted(catalog._items_of(db, version.id))[:20]
        for i in range(clients):
            code, geometry = grids[i % len(grids)]
            shape = wkb.loads(bytes(geometry))
            x0, y0, x1, y1 = shape.bounds
            points = []
            for _ in range(2000):
                if len(points) >= 24:
                    break
                x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
                try:
                    where = place_point(db, x, y)
                except AppError:
                    continue
                if where["grid_code"].startswith(code):
                    points.append((round(x, 7), round(y, 7)))
            user = access.create_user(db, None, username=f"bench_gw_{i:03d}", password=secrets.token_urlsafe(12),
                                      role="grid_worker", scopes=[code], enforce_policy=False)
            token, _, _ = access.open_session(db, user, "api")
            workers.append({"token": token, "points": points, "grid": code})
    from gridgov.db import analyze

    with session_scope(engine) as db:
        analyze(db, "events", "event_logs", "audit_log", "users", "auth_sessions")
    engine.dispose()
    return {"workers": workers, "items": items, "grids": len(grids)}


def lua_script(setup: dict, tag: str) -> str:
    tokens = ",".join(json.dumps(w["token"]) for w in setup["workers"])
    points = ",".join("{" + ",".join(f"{{{x},{y}}}" for x, y in w["points"]) + "}" for w in setup["workers"])
    items = ",".join(json.dumps(i) for i in setup["items"])
    descs = ",".join(json.dumps(d, ensure_ascii=False) for d in DESCRIPTIONS)
    return f"""
local tokens = {{{tokens}}}
local points = {{{points}}}
local items = {{{items}}}
local descs = {{{descs}}}
local tag = "{tag}"
local counter = 0
local threads = {{}}
local n = 0
bad = 0
tid = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  local w = (counter * 7 + tid * 13) % #tokens + 1
  local pts = points[w]
  local p = pts[counter % #pts + 1]
  local body = string.format('{{"client_id":"%s-%d-%d","item_code":"%s","description":"%s","lon":%.7f,"lat":%.7f,"address":"第%d号附近"}}',
    tag, tid, counter, items[counter % #items + 1], descs[counter % #descs + 1], p[1], p[2], counter % 300 + 1)
  return wrk.format("POST", "/api/v1/events",
    {{["Authorization"] = "Bearer " .. tokens[w], ["Content-Type"] = "application/json"}}, body)
end
function response(status, headers, body)
  if status ~= 201 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("non-201: " .. status .. " " .. string.sub(body, 1, 300) .. "\\n") end
  end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + (t:get("bad") or 0) end
  io.write(string.format('WRKJSON {{"requests":%d,"duration_us":%d,"non201":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_timeout":%d,"errors_status":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}}\\n',
    summary.requests, summary.duration, b, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
"""


# --- running --------------------------------------------------------------------------------

def start_server(url: str, port: int, workers: int, workdir: Path) -> subprocess.Popen:
    env = {**os.environ, "GRIDGOV_DATABASE_URL": url, "GRIDGOV_EVENT_CLOCK_ENABLED": "false",
           "GRIDGOV_ATTACHMENTS_DIR": str(workdir / "attachments")}
    proc = subprocess.Popen([sys.executable, "-m", "gridgov.cli", "serve", "--port", str(port), "--workers",
                             str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "server.log", "w"),
                            start_new_session=True)
    import httpx

    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited: {(workdir / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                time.sleep(3)  # every worker warms its locator in the background at start
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    sys.exit("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_wrk(wrk: str, script: Path, port: int, connections: int, threads: int, seconds: int) -> dict:
    out = subprocess.run([wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                          "-s", str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        sys.exit(f"wrk failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    if out.stderr.strip():
        log("  " + out.stderr.strip().replace("\n", "\n  ")[:1500])
    r = json.loads(line.split(" ", 1)[1])
    secs = r["duration_us"] / 1e6
    ok = r["requests"] - r["non201"]
    return {"clients": connections, "seconds": round(secs, 1), "requests": r["requests"], "created": ok,
            "non201": r["non201"], "socket_errors": r["errors_connect"] + r["errors_read"] + r["errors_write"]
            + r["errors_timeout"], "reports_per_s": round(ok / secs, 1), "p50_ms": round(r["p50_us"] / 1000, 1),
            "p90_ms": round(r["p90_us"] / 1000, 1), "p99_ms": round(r["p99_us"] / 1000, 1),
            "max_ms": round(r["max_us"] / 1000, 1), "mean_ms": round(r["mean_us"] / 1000, 1)}


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def server_pids(proc: subprocess.Popen) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    return [proc.pid, *map(int, out)]


def postgres_pids(url: str) -> list[int]:
    """The server processes of the app's pooled connections (their CPU is the database's share)."""
    if not url.startswith("postgresql"):
        return []
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid()")).scalars().all()
    engine.dispose()
    return list(pids)


def cpu_run(wrk: str, script: Path, port: int, connections: int, threads: int, seconds: int,
            proc: subprocess.Popen, url: str) -> dict:
    """:func:`run_wrk`, plus the CPU each side spent per report: the app server's processes, the
    database's (PostgreSQL backends of this database) and the load generator's (wrk)."""
    import resource

    app, db = server_pids(proc), postgres_pids(url)
    before = (_cpu_seconds(app), _cpu_seconds(db), resource.getrusage(resource.RUSAGE_CHILDREN))
    out = run_wrk(wrk, script, port, connections, threads, seconds)
    db = sorted(set(db) | set(postgres_pids(url)))  # backends opened during the run count from 0
    after = (_cpu_seconds(app), _cpu_seconds(db), resource.getrusage(resource.RUSAGE_CHILDREN))
    n = max(out["created"], 1)
    per = {"app": (after[0] - before[0]) / n * 1000, "database": (after[1] - before[1]) / n * 1000,
           "load_generator": ((after[2].ru_utime + after[2].ru_stime) - (before[2].ru_utime + before[2].ru_stime))
           / n * 1000}
    total = sum(per.values())
    out["cpu_ms_per_report"] = {k: round(v, 2) for k, v in per.items()} | {"total": round(total, 2)}
    out["ceiling_reports_per_s_all_cores"] = round((os.cpu_count() or 1) * 1000 / total, 1) if total else None
    return out


def check_database(url: str, tags: list[str]) -> dict:
    from sqlalchemy import func, select

    from gridgov.access import audit
    from gridgov.db import get_engine, session_scope
    from gridgov.events.models import Event

    engine = get_engine(url)
    with session_scope(engine) as db:
        filed = {tag: db.scalar(select(func.count()).select_from(Event).where(
            Event.channel == "grid", Event.client_id.startswith(f"{tag}-"))) for tag in tags}
        t0 = time.perf_counter()
        rows, broken = audit.verify(db)
        verify_s = time.perf_counter() - t0
    engine.dispose()
    return {"filed": filed, "audit_rows": rows, "audit_intact": broken is None, "audit_verify_s": round(verify_s, 1)}


def bench_backend(backend: str, args, wrk: str) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"gridgov-intake-{backend}-"))
    url, pg_name = make_database(backend, workdir)
    log(f"[{backend}] preparing {url.rsplit('@', 1)[-1]} …")
    try:
        setup = prepare(url, args.scale, args.clients, args.seed)
        port = args.port or free_port()
        proc = start_server(url, port, args.workers, workdir)
        try:
            tags = {name: f"b{secrets.token_hex(3)}{name[0]}" for name in ("warmup", "baseline", "load")}
            scripts = {}
            for name, tag in tags.items():
                scripts[name] = workdir / f"{name}.lua"
                scripts[name].write_text(lua_script(setup, tag))
            # every worker process builds its routes and caches on its first requests: warm them all
            run_wrk(wrk, scripts["warmup"], port, args.clients, args.threads, 5)
            log(f"[{backend}] baseline: 1 client, {args.baseline_seconds} s …")
            baseline = cpu_run(wrk, scripts["baseline"], port, 1, 1, args.baseline_seconds, proc, url)
            log(f"[{backend}]   {baseline}")
            log(f"[{backend}] load: {args.clients} clients, {args.seconds} s …")
            load = cpu_run(wrk, scripts["load"], port, args.clients, args.threads, args.seconds, proc, url)
            log(f"[{backend}]   {load}")
            if load["requests"] == 0 or load["non201"]:
                log((workdir / "server.log").read_text()[-3000:])
        finally:
            stop_server(proc)
        check = check_database(url, [tags["baseline"], tags["load"]])
        # wrk counts the answers it got within the time; up to one request per connection was still in
        # flight when it stopped (the server finished it): 201s <= filed <= 201s + connections
        check["filed_consistent"] = all(
            0 <= check["filed"][tags[name]] - run["created"] <= run["clients"]
            for name, run in (("baseline", baseline), ("load", load)))
        target = TARGETS[backend]
        met = load["reports_per_s"] >= target["rps"] and (target["p99_ms"] is None or load["p99_ms"] < target["p99_ms"])
        return {"scale": args.scale, "grids": setup["grids"], "server_workers": args.workers,
                "wrk_threads": args.threads, "baseline": baseline, "load": load,
                "speedup_vs_baseline": round(load["reports_per_s"] / max(baseline["reports_per_s"], 0.1), 2),
                "target": target, "target_met": met, "check": check}
    finally:
        drop_database(pg_name)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--baseline-seconds", type=int, default=10)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--scale", default="tiny")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    wrk = ensure_wrk()
    figures = {"cpus": os.cpu_count(), "load_avg_before": [round(x, 2) for x in os.getloadavg()]}
    for backend in [b for b in args.backends.split(",") if b]:
        figures[backend] = bench_backend(backend, args, wrk)
    print(json.dumps({"name": "intake", "figures": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
