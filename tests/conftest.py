"""Shared fixtures: throwaway databases on SQLite and PostgreSQL, the app, logins, a live server.

Every database test runs on both backends (``GRIDGOV_TEST_BACKENDS=sqlite`` narrows it for quick
local runs). The PostgreSQL fixture creates a fresh database on 127.0.0.1:5432 (user postgres)
and drops it afterwards.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GRIDGOV_ARGON2_TIME_COST", "1")
os.environ.setdefault("GRIDGOV_ARGON2_MEMORY_COST", "64")
os.environ.setdefault("GRIDGOV_ARGON2_PARALLELISM", "1")
# the in-process apps do not run the clock thread; tests drive gridgov.events.clock directly
os.environ.setdefault("GRIDGOV_EVENT_CLOCK_ENABLED", "false")
os.environ.setdefault("GRIDGOV_ATTACHMENTS_DIR", tempfile.mkdtemp(prefix="gridgov-attachments-"))

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("GRIDGOV_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = [b for b in os.environ.get("GRIDGOV_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
REPO = Path(__file__).resolve().parent.parent


def _create_pg_database() -> tuple[str, str]:
    name = f"gridgov_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory):
    """A factory of empty throwaway databases: call it with a backend name, get a URL."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gridgov.db'}"
        name, url = _create_pg_database()
        created.append(name)
        return url

    yield make
    for name in created:
        _drop_pg_database(name)  # WITH (FORCE) ends the app's pooled connections


@dataclass
class DemoDb:
    backend: str
    url: str
    users: dict[str, tuple[str, str]]
    top_code: str
    first_grid: str


def _load_demo(url: str, scale: str = "tiny") -> DemoDb:
    from gridgov.db import get_engine, session_scope, upgrade
    from gridgov.demo.loader import load_demo

    upgrade(url)
    with session_scope(get_engine(url)) as db:
        ctx = load_demo(db, scale, seed=7)
    return DemoDb("", url, ctx.users, ctx.top_code, ctx.first_grid)


@pytest.fixture(scope="session", params=BACKENDS)
def demo_db(request, fresh_database) -> DemoDb:
    """The tiny demo county, loaded once per backend per test session."""
    demo = _load_demo(fresh_database(request.param))
    demo.backend = request.param
    return demo


@pytest.fixture(params=BACKENDS)
def empty_db(request, fresh_database) -> str:
    """A migrated, empty database (function scope: for tests that need a blank slate)."""
    from gridgov.db import upgrade

    url = fresh_database(request.param)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def demo_app(demo_db):
    from gridgov.app import create_app

    return create_app(demo_db.url)


@pytest.fixture(scope="session")
def client(demo_app):
    from fastapi.testclient import TestClient

    with TestClient(demo_app) as c:
        yield c


@pytest.fixture(scope="session")
def tokens(client, demo_db) -> dict[str, str]:
    out = {}
    for role, (username, password) in demo_db.users.items():
        r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert r.status_code == 200, r.text
        out[role] = r.json()["access_token"]
    return out


@pytest.fixture(scope="session")
def auth(tokens):
    """auth("leader") → headers for that demo user."""
    return lambda role: {"Authorization": f"Bearer {tokens[role]}"}


@pytest.fixture(scope="session")
def engine(demo_db):
    """The demo database's engine (the app's own, shared)."""
    from gridgov.db import get_engine

    return get_engine(demo_db.url)


@pytest.fixture(scope="session")
def where(client, auth, demo_db):
    """The centre of the demo grid worker's grid: a point every report can be filed at."""
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=auth("operator")).json()
    return {"lon": grid["center"][0], "lat": grid["center"][1]}


# --- a real server for browser tests --------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    users: dict[str, tuple[str, str]]
    grid_worker_grid: str
    top_code: str
    database_url: str


@pytest.fixture(scope="session")
def live_server(fresh_database):
    """`gridgov serve` in a subprocess over a fresh tiny demo (SQLite)."""
    demo = _load_demo(fresh_database("sqlite"))
    port = _free_port()
    env = {**os.environ, "GRIDGOV_DATABASE_URL": demo.url}
    proc = subprocess.Popen([sys.executable, "-m", "gridgov.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)
    lines: list[bytes] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, b"")), daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("server did not start:\n" + b"".join(lines).decode(errors="replace"))
    yield LiveServer(url, demo.users, demo.first_grid, demo.top_code, demo.url)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def api_schema(demo_app):
    import schemathesis

    return schemathesis.openapi.from_asgi("/openapi.json", demo_app)
