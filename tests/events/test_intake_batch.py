"""Group commit of event intake (gridgov.events.intake) on SQLite and PostgreSQL: concurrent real
requests, replays inside one batch and across batches, a bad report in a batch, the audit chain,
and the intake caches seeing an edit at once."""

from __future__ import annotations

import re
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gridgov.access import audit
from gridgov.access.deps import _actor
from gridgov.access.models import AuditEntry, User
from gridgov.db import get_engine, session_scope, utcnow
from gridgov.events import catalog, intake
from gridgov.events.models import Event, EventLog

DESCRIPTION = "小区门口垃圾堆放多日无人清理"


@pytest.fixture(scope="module")
def item(client, auth):
    cat = client.get("/api/v1/catalog", headers=auth("operator")).json()
    return next(i for c in cat["categories"] for i in c["items"] if not i["self_resolvable"])


def _body(item, where, **extra):
    return {"item_code": item["code"], "description": DESCRIPTION, **where, **extra}


def _chain_ok(url) -> None:
    with session_scope(get_engine(url)) as db:
        _, broken = audit.verify(db)
    assert broken is None, broken


def _check_filed(db, event_id: int) -> Event:
    """An event filed through the batch has everything a one-by-one report has."""
    e = db.get(Event, event_id)
    assert e.code == f"SJ{e.created_at:%Y%m%d}{e.id:07d}"
    assert e.state == "reported" and e.version == 1 and e.level == 0 and e.due_at is not None
    logs = db.scalars(select(EventLog).where(EventLog.event_id == e.id)).all()
    assert [r.action for r in logs] == ["report"]
    assert len(logs[0].data["digest"]) == 64 and logs[0].audit_seq is not None
    entry = db.get(AuditEntry, logs[0].audit_seq)
    assert (entry.action, entry.object_type, entry.object_id) == ("event.report", "event", str(e.id))
    version, info = catalog.current_item(db, e.item_code)
    assert e.catalog_version_id == version.id
    assert e.lead_department_id == catalog.responsible_department(db, info, e.region_code)
    return e


def test_concurrent_reports_each_get_their_event_log_and_audit_entry(client, auth, where, item, demo_db):
    keys = [f"batch-{uuid.uuid4()}" for _ in range(48)]

    def post(key):
        return client.post("/api/v1/events", headers=auth("grid_worker"), json=_body(item, where, client_id=key))

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(post, keys))
    assert [r.status_code for r in answers] == [201] * len(keys), [r.text for r in answers if r.status_code != 201]
    codes = [r.json()["code"] for r in answers]
    assert len(set(codes)) == len(keys) and all(re.fullmatch(r"SJ\d{8}\d{7,}", c) for c in codes)
    with session_scope(get_engine(demo_db.url)) as db:
        rows = db.execute(select(Event.id, Event.client_id, Event.code).where(Event.client_id.in_(keys))).all()
        assert sorted(r.client_id for r in rows) == sorted(keys)
        by_key = {r.client_id: r for r in rows}
        for key, answer in zip(keys, answers, strict=True):
            assert answer.json()["id"] == by_key[key].id and answer.json()["code"] == by_key[key].code
            _check_filed(db, by_key[key].id)
    _chain_ok(demo_db.url)


def test_the_same_key_sent_concurrently_files_one_event(client, auth, where, item, demo_db):
    key = f"same-{uuid.uuid4()}"

    def post(_):
        return client.post("/api/v1/events", headers=auth("grid_worker"), json=_body(item, where, client_id=key))

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(post, range(12)))
    assert sorted(r.status_code for r in answers) == [200] * 11 + [201]
    assert {r.json()["code"] for r in answers} == {answers[0].json()["code"]}
    assert all(r.headers.get("idempotent-replay") == "true" for r in answers if r.status_code == 200)
    reused = client.post("/api/v1/events", headers=auth("grid_worker"),
                         json=_body(item, where, client_id=key, description="另一件事：路灯不亮"))
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert reused.json()["error"]["details"]["event_code"] == answers[0].json()["code"]
    with session_scope(get_engine(demo_db.url)) as db:
        assert db.scalar(select(func.count()).select_from(Event).where(Event.client_id == key)) == 1
    _chain_ok(demo_db.url)


def _jobs(db, demo_db, specs):
    user = db.scalar(select(User).where(User.username == demo_db.users["grid_worker"][0]))
    actor = _actor(user, utcnow() + timedelta(hours=1))
    return [intake.make_job(db, actor, data, channel="grid") for data in specs]


def test_replays_inside_one_batch_and_across_batches(demo_db, where, item):
    k1, k2 = f"in-batch-{uuid.uuid4()}", f"in-batch-{uuid.uuid4()}"
    same = _body(item, where, client_id=k1)
    engine = get_engine(demo_db.url)
    writer = intake.writer_for(engine)
    with session_scope(engine) as db:
        first = _jobs(db, demo_db, [same, dict(same), {**same, "description": "内容不同的另一份上报"},
                                    _body(item, where, client_id=k2), _body(item, where)])
    writer.write(first)  # one transaction, synchronously
    a, b, c, d, e = (job.future.result(timeout=0) for job in first)
    assert (a.kind, b.kind, c.kind, d.kind, e.kind) == ("created", "replay", "reused", "created", "created")
    assert b.event_id == a.event_id and c.code == a.code
    with session_scope(engine) as db:
        second = _jobs(db, demo_db, [_body(item, where, client_id=k2), {**same, "description": "又一份不同内容"},
                                     _body(item, where, client_id=f"in-batch-{uuid.uuid4()}")])
    writer.write(second)
    f, g, h = (job.future.result(timeout=0) for job in second)
    assert (f.kind, f.event_id) == ("replay", d.event_id)
    assert (g.kind, g.code) == ("reused", a.code)
    assert h.kind == "created"
    with session_scope(engine) as db:
        assert db.scalar(select(func.count()).select_from(Event).where(Event.client_id.in_([k1, k2]))) == 2
        for answer in (a, d, e, h):
            _check_filed(db, answer.event_id)
    _chain_ok(demo_db.url)


def test_a_bad_report_does_not_lose_the_others_in_its_batch(demo_db, where, item):
    keys = [f"bad-batch-{uuid.uuid4()}" for _ in range(3)]
    engine = get_engine(demo_db.url)
    with session_scope(engine) as db:
        audit_before = db.scalar(select(func.count()).select_from(AuditEntry))
        jobs = _jobs(db, demo_db, [_body(item, where, client_id=k) for k in keys])
    jobs[1].event.lead_department_id = 2_000_000_000  # no such department: the INSERT fails
    intake.writer_for(engine).write(jobs)
    good1, bad, good2 = (job.future.result(timeout=0) for job in jobs)
    assert (good1.kind, good2.kind) == ("created", "created")
    assert bad is intake.FALLBACK  # the request thread then files it the ordinary way, with its error
    with session_scope(engine) as db:
        filed = db.scalars(select(Event.client_id).where(Event.client_id.in_(keys))).all()
        assert sorted(filed) == sorted([keys[0], keys[2]])
        for answer in (good1, good2):
            _check_filed(db, answer.event_id)
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_before + 2
    _chain_ok(demo_db.url)


def test_intake_caches_see_a_catalog_edit_and_a_logout_at_once(client, auth, where, item, demo_db):
    code = f"ZZ{secrets.randbelow(1000):03d}"
    body = _body(item, where, item_code=code)
    assert client.post("/api/v1/events", headers=auth("grid_worker"), json=body).status_code == 422  # warms the cache
    change = {"code": code, "category_code": item["category_code"], "name": "测试新增事项", "severity": "normal",
              "limits": item["limits"]}
    r = client.post("/api/v1/catalog/changes", headers=auth("admin"), json={"changes": [change], "note": "测试"})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/events", headers=auth("grid_worker"), json=body)
    assert r.status_code == 201 and r.json()["item_code"] == code, r.text
    r = client.post("/api/v1/catalog/changes", headers=auth("admin"), json={"changes": [{"code": code, "remove": True}]})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/events", headers=auth("grid_worker"), json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_item"

    username, password = demo_db.users["grid_worker"]
    token = client.post("/api/v1/auth/token", data={"username": username, "password": password}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/events", headers=headers, json=_body(item, where)).status_code == 201
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    r = client.post("/api/v1/events", headers=headers, json=_body(item, where))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    _chain_ok(demo_db.url)


def test_the_same_key_from_two_worker_processes_files_one_event(demo_db, where, item):
    """Two writers on two engines (as two worker processes have) write the same keys at once: each
    key is filed once; the other writer answers with a replay, or 409 for a different content."""
    import threading

    from gridgov.db import make_engine

    same, clash = f"two-proc-{uuid.uuid4()}", f"two-proc-{uuid.uuid4()}"
    engines = [get_engine(demo_db.url), make_engine(demo_db.url)]
    try:
        writers = [intake._Writer(engine) for engine in engines]
        with session_scope(engines[0]) as db:
            batches = [_jobs(db, demo_db, [_body(item, where, client_id=same),
                                           _body(item, where, client_id=clash, description=f"第{n}份不同内容的上报")])
                       for n in range(2)]
        barrier = threading.Barrier(2)

        def write(n):
            barrier.wait()
            writers[n].write(batches[n])

        threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        answers = [[job.future.result(timeout=0) for job in batch] for batch in batches]
        assert sorted(a[0].kind for a in answers) == ["created", "replay"]
        assert answers[0][0].event_id == answers[1][0].event_id
        assert sorted(a[1].kind for a in answers) == ["created", "reused"]
        with session_scope(engines[0]) as db:
            for key in (same, clash):
                assert db.scalar(select(func.count()).select_from(Event).where(Event.client_id == key)) == 1
        _chain_ok(demo_db.url)
    finally:
        engines[1].dispose()


def test_the_one_point_locator_gives_the_batch_locators_answer(demo_db):
    """Intake places each report with Locator.locate_one: the same answer as Locator.locate, for
    points all over the county, on the grids' corners and edges (the border rule), and outside."""
    import numpy as np
    import shapely

    from gridgov.regions import service as regions
    from gridgov.regions.models import Region

    with session_scope(get_engine(demo_db.url)) as db:
        regions.locate(db, np.array([0.0]), np.array([0.0]))  # builds the locator
        locator = regions._LOCATOR_CACHE[(regions._generation(db), None)]
        shapes = shapely.from_wkb([g for (g,) in db.execute(select(Region.geometry).where(
            Region.level == "grid", Region.valid_to.is_(None)))])
    x0, y0, x1, y1 = shapely.total_bounds(shapes)
    rng = np.random.default_rng(7)
    xs = rng.uniform(x0 - 0.01, x1 + 0.01, 3000)
    ys = rng.uniform(y0 - 0.01, y1 + 0.01, 3000)
    corners = shapely.get_coordinates(shapely.boundary(shapes[:40]))
    edges = (corners[:-1] + corners[1:]) / 2
    xs = np.concatenate([xs, corners[:, 0], edges[:, 0], [np.nan, 0.0]])
    ys = np.concatenate([ys, corners[:, 1], edges[:, 1], [np.nan, 0.0]])
    expected = locator.locate(xs, ys)
    got = [locator.locate_one(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    assert got == expected
    assert sum(r is not None for r in got) > 1000 and sum(r is None for r in got) > 10


def test_served_connections_have_nagle_off_on_a_socket_bound_like_uvicorns_for_workers():
    """`gridgov serve` uses gridgov.serving's protocol: on a listening socket made the way uvicorn
    makes it for several workers (protocol 0, where asyncio leaves Nagle on), every accepted
    connection still gets TCP_NODELAY (else each response waits ~40 ms for a delayed ACK)."""
    import asyncio
    import socket

    import uvicorn

    from gridgov.serving import NoDelayHttpProtocol

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def run() -> list[int]:
        listening = socket.socket(family=socket.AF_INET)  # as uvicorn.Config.bind_socket does
        listening.bind(("127.0.0.1", 0))
        port = listening.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, http=NoDelayHttpProtocol, lifespan="off", log_level="warning"))
        task = asyncio.create_task(server.serve(sockets=[listening]))
        while not server.started:
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b"ok")
        flags = [c.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                 for c in server.server_state.connections]
        writer.close()
        server.should_exit = True
        await task
        return flags

    with ThreadPoolExecutor(1) as pool:  # its own thread: the browser tests' Playwright keeps a loop in this one
        flags = pool.submit(asyncio.run, run()).result(timeout=60)
    assert flags and all(flags), flags
