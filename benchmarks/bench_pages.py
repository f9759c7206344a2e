"""Benchmark: server time of the main pages on the county demo, per role (target p95 < 300 ms).

Logs in through the real login form (cookie session) as each demo role and requests that role's
main pages ``--repeat`` times each through the application in-process (routing, the session and
CSRF checks, the services' queries, Jinja rendering): the map, the event centre's queues and an
event's detail, the inbox, the grid worker's phone pages, the register's search and lists, the
dashboard and the big screen shells, the admin pages. Reports p50 / p95 per page.

Baseline in the same run: the login page (no session, no query; routing + template + headers only),
the floor every page stands on; each page's figures are also given as a ratio to it.

    python benchmarks/bench_pages.py [--database-url URL] [--repeat 20]

Without ``--database-url`` the county demo (about 80,000 events, 300,000 persons) is generated into
a temporary SQLite file first (about a minute). Last line: {"name": "pages", "figures": {...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRIDGOV_EVENT_CLOCK_ENABLED", "false")

PAGES: dict[str, tuple[str, ...]] = {
    "operator": ("/map", "/events", "/events?queue=all", "/events/{event}", "/events/new", "/inbox",
                 "/register/persons?q=王", "/register/houses", "/register/special-groups", "/dashboard"),
    "handler": ("/events", "/events/{handler_event}", "/inbox"),
    "grid_worker": ("/m", "/m/tasks", "/m/report", "/m/visits", "/register/persons?q=李"),
    "leader": ("/map", "/dashboard", "/screen", "/events?queue=overdue", "/register/buildings"),
    "admin": ("/admin/users", "/admin/catalog", "/admin/rules", "/admin/audit"),
}


def build_demo(url: str) -> None:
    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.demo.loader import load_demo

    upgrade(url)
    with session_scope(get_engine(url)) as db:
        load_demo(db, "county", seed=7)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def login(client, username: str, password: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def timed(client, path: str, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        r = client.get(path, headers={"accept": "text/html"})
        out.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from fastapi.testclient import TestClient
    from rich.console import Console
    from rich.progress import Progress

    from gridgov.app import create_app
    from gridgov.demo.loader import DEMO_PASSWORD

    console = Console(stderr=True)
    url = args.database_url
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="gridgov-bench-pages-")) / "county.db"
        url = f"sqlite:///{path}"
        console.print(f"building the county demo into {path} …")
        build_demo(url)
    app = create_app(url)
    users = {"operator": "operator", "handler": "handler", "grid_worker": "gridworker", "leader": "leader",
             "admin": "admin"}
    figures: dict[str, dict[str, float]] = {}
    with TestClient(app) as client:
        floor = timed(client, "/login", args.repeat)
        floor_p50 = percentile(floor, 50)
        figures["/login (baseline)"] = {"p50_ms": round(floor_p50, 1), "p95_ms": round(percentile(floor, 95), 1)}
        total = sum(len(p) for p in PAGES.values())
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("pages", total=total)
            for role, paths in PAGES.items():
                login(client, users[role], DEMO_PASSWORD)
                token = client.post("/api/v1/auth/token", data={"username": users[role], "password": DEMO_PASSWORD})
                bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
                items = client.get("/api/v1/events", params={"limit": 1}, headers=bearer).json()["items"]
                code = items[0]["code"] if items else ""
                for path in paths:
                    path = path.replace("{event}", code).replace("{handler_event}", code)
                    times = timed(client, path, args.repeat)
                    p50, p95 = percentile(times, 50), percentile(times, 95)
                    figures[f"{role} {path}"] = {
                        "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "x_login_p50": round(p50 / floor_p50, 1)}
                    progress.advance(task)
    width = max(len(k) for k in figures)
    for name, f in figures.items():
        mark = "" if f["p95_ms"] < 300 else "  ← over 300 ms"
        print(f"{name:<{width}}  p50 {f['p50_ms']:7.1f} ms  p95 {f['p95_ms']:7.1f} ms{mark}")
    worst = max((f["p95_ms"], k) for k, f in figures.items())
    print(json.dumps({"name": "pages", "database": url.split(":")[0], "repeat": args.repeat,
                      "worst_p95": {"page": worst[1], "ms": worst[0]}, "figures": figures}, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
