"""The stored audit chain: every change is recorded; tampering is named by `gridgov audit verify`."""

import os
import subprocess
import sys

from sqlalchemy import text

from gridgov.db import get_engine


def run_verify(url):
    env = {**os.environ, "GRIDGOV_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "gridgov.cli", "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=120)


def test_verify_detects_a_tampered_row(empty_db):
    from gridgov.access import audit
    from gridgov.db import session_scope

    engine = get_engine(empty_db)
    with session_scope(engine) as db:
        for n in range(12):
            audit.record(db, None, "test.write", "thing", n, after={"n": n})
    ok = run_verify(empty_db)
    assert ok.returncode == 0, ok.stderr
    assert "12" in ok.stderr
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = :d WHERE seq = 7"), {"d": '{"forged": true}'})
    bad = run_verify(empty_db)
    assert bad.returncode == 1
    assert "第 7 条" in bad.stderr


def test_verify_detects_a_deleted_newest_row(empty_db):
    from gridgov.access import audit
    from gridgov.db import session_scope

    engine = get_engine(empty_db)
    with session_scope(engine) as db:
        for n in range(3):
            audit.record(db, None, "test.write", "thing", n)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    assert run_verify(empty_db).returncode == 1


def test_the_api_reports_the_chain(client, auth):
    r = client.get("/api/v1/audit/verify", headers=auth("leader"))
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["checked"] > 0
    assert client.get("/api/v1/audit/verify", headers=auth("grid_worker")).status_code == 403


def test_concurrent_appends_keep_one_chain(empty_db):
    """Writers in parallel threads (separate connections) never fork the chain."""
    from concurrent.futures import ThreadPoolExecutor

    from gridgov.access import audit
    from gridgov.db import session_scope

    engine = get_engine(empty_db)

    def write(n):
        with session_scope(engine) as db:
            audit.record(db, None, "test.concurrent", "thing", n)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, range(60)))
    with session_scope(engine) as db:
        checked, broken = audit.verify(db)
    assert broken is None and checked == 60
