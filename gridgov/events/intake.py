"""Group commit for event intake (``POST /api/v1/events``).

Every report appends to the audit chain under its single head row, so reports written one by one
are serialised by commit latency. Here the request thread validates and prepares its report
(:func:`gridgov.events.service.prepare`: cached catalog, locator and responsibility list, no
writes) and hands it to this process's writer thread for its database. The writer takes every
report waiting and writes them in ONE transaction: one multi-row INSERT of the events
(``ON CONFLICT (channel, client_id) DO NOTHING``), one audit-head bump and one multi-row INSERT for
their audit entries (:func:`gridgov.access.audit.append_many`), one multi-row INSERT of their
"report" logs — then commits and wakes each request with its own answer.

The semantics are those of :func:`gridgov.events.service.report`, which stays the entry point of
every other channel and of the reports this module does not batch (attachments, self-resolve):

* idempotency by ``client_id``: a key already filed (committed by any worker process, or earlier in
  the same batch) answers with the first event (200 + ``Idempotent-Replay``); the same key with a
  different content gives 409 ``idempotency_key_reused``;
* every event gets its ``SJyyyymmddNNNNNNN`` code, its clock, its lead department, its "report"
  log with the digest and its entry in the audit chain;
* if a batch fails, it is rolled back and its reports are written one by one, so one bad report
  never loses the others; a report that fails alone goes through :func:`service.report` in its
  request thread, which answers with the usual error.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, inspect, select, text, tuple_, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.deps import Actor
from gridgov.db import utcnow
from gridgov.errors import AppError, Conflict
from gridgov.events import service
from gridgov.events.models import Event, EventLog
from gridgov.events.workflow import Action, Party, State

log = logging.getLogger("gridgov.intake")

#: most reports written in one transaction
MAX_BATCH = 256
#: how long a request waits for its batch before giving up (seconds)
WAIT_SECONDS = 120.0

_EVENTS = Event.__table__
_LOGS = EventLog.__table__
_COLUMNS = [(a.key, a.columns[0]) for a in inspect(Event).column_attrs]


@dataclass(eq=False)
class _Job:
    event: Event
    key: tuple[str, str] | None  # (channel, client_id)
    digest: str
    actor_id: int | None
    actor_username: str | None
    actor_name: str
    party: str
    note: str | None
    channel: str
    future: Future = field(default_factory=Future)
    waiter: asyncio.Future | None = None  # set by an async request: answered on its loop, a batch at a time


@dataclass(frozen=True)
class Answer:
    """What the writer says about one report: ``created`` (id, code), ``replay`` (id of the first
    event), ``reused`` (code of the first event: 409) or ``fallback`` (write it alone, the ORM way)."""

    kind: str
    event_id: int | None = None
    code: str | None = None


FALLBACK = Answer("fallback")


def report(db: Session, actor: Actor, data: dict[str, Any], *, channel: str,
           reporter: dict[str, Any] | None = None) -> tuple[Event, bool]:
    """:func:`service.report` through the group commit. Returns ``(event, created)``."""
    if data.get("attachment_ids") or data.get("self_resolve"):
        return service.report(db, actor, data, channel=channel, reporter=reporter)
    service.check_channel(actor, channel)
    client_id = data.get("client_id")
    try:
        job = make_job(db, actor, data, channel=channel, reporter=reporter)
    except AppError:
        if client_id:  # a retry of a report filed before (the item or scope may have changed since)
            found = service._replay(db, channel, client_id, data)
            if found is not None:
                return found, False
        raise
    e = job.event
    db.commit()  # nothing written: hand the pooled connection back while the writer works
    answer = writer_for(db.get_bind()).submit(job).result(timeout=WAIT_SECONDS)
    if answer.kind == "created":
        e.id, e.code = answer.event_id, answer.code
        return e, True
    if answer.kind == "replay":
        found = db.get(Event, answer.event_id)
        if found is not None:
            return found, False
    if answer.kind == "reused":
        raise Conflict("该幂等键已用于另一份不同内容的上报", code="idempotency_key_reused",
                       details={"event_code": answer.code})
    return service.report(db, actor, data, channel=channel, reporter=reporter)


async def file_report(sessionmaker, actor: Actor, body, idempotency_key: str | None) -> tuple[dict[str, Any], bool]:
    """``POST /api/v1/events``: a validated :class:`~gridgov.events.schemas.EventIn` (its
    ``client_id``, else the ``Idempotency-Key`` header) through :func:`report_async`."""
    data = body.model_dump()
    data["client_id"] = data.get("client_id") or idempotency_key
    return await report_async(sessionmaker, actor, data, channel=body.channel,
                              reporter={"name": body.reporter_name, "phone": body.reporter_phone})


async def report_async(sessionmaker, actor: Actor, data: dict[str, Any], *, channel: str,
                       reporter: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """:func:`report` for an ``async`` endpoint: returns ``(event_out, created)``.

    With the caches warm the report is prepared on the event loop (pure work, well under a
    millisecond) and the request awaits the writer: no thread hop at all. Whatever needs the
    database — a cache to refresh, a replay to load, the ordinary path — runs in the thread pool,
    never on the loop (a query there would stall every request of this worker)."""
    from starlette.concurrency import run_in_threadpool

    def ordinary(filing=report) -> tuple[dict[str, Any], bool]:
        with sessionmaker() as db:
            e, created = filing(db, actor, data, channel=channel, reporter=reporter)
            out = service.event_out(e)
            db.commit()
            return out, created

    def first_event(event_id: int) -> dict[str, Any] | None:
        with sessionmaker() as db:
            found = db.get(Event, event_id)
            return service.event_out(found) if found is not None else None

    if data.get("attachment_ids") or data.get("self_resolve"):
        return await run_in_threadpool(ordinary)
    service.check_channel(actor, channel)
    engine = sessionmaker.kw["bind"]
    try:
        job = make_job(_NoDatabase(engine), actor, data, channel=channel, reporter=reporter)
    except (_NeedsDatabase, AppError):  # a cache to fill, or an error that may be a replay: the ordinary way
        return await run_in_threadpool(ordinary)
    job.waiter = asyncio.get_running_loop().create_future()
    writer_for(engine).submit(job)
    answer = await job.waiter
    if answer.kind == "created":
        job.event.id, job.event.code = answer.event_id, answer.code
        return service.event_out(job.event), True
    if answer.kind == "reused":
        raise Conflict("该幂等键已用于另一份不同内容的上报", code="idempotency_key_reused",
                       details={"event_code": answer.code})
    if answer.kind == "replay":
        out = await run_in_threadpool(first_event, answer.event_id)
        if out is not None:
            return out, False
    # the fallback: this report failed alone in the group commit; the ordinary path answers
    return await run_in_threadpool(ordinary, service.report)


class _NeedsDatabase(Exception):
    pass


class _NoDatabase:
    """Stands in for a Session where the database must not be touched: the caches read the bind's
    URL; anything else raises :class:`_NeedsDatabase`."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def get_bind(self, *_a, **_k) -> Engine:
        return self._engine

    def __getattr__(self, name: str):
        raise _NeedsDatabase(name)


def make_job(db: Session, actor: Actor, data: dict[str, Any], *, channel: str,
             reporter: dict[str, Any] | None = None) -> _Job:
    """Validate and prepare one report for the writer (raises the usual 4xx errors)."""
    e, _item, _ = service.prepare(db, actor, data, channel=channel, reporter=reporter)
    _fill_defaults(e)
    party = Party.grid if channel == "grid" else Party.reporter
    client_id = data.get("client_id")
    return _Job(event=e, key=(channel, client_id) if client_id else None, digest=service._digest(data),
                actor_id=actor.id, actor_username=actor.username, actor_name=service._actor_name(actor, party),
                party=party.value, note=data.get("note"), channel=channel)


_DEFAULTS = [(key, col.default.arg) for key, col in _COLUMNS if col.default is not None and key != "id"]


def _fill_defaults(e: Event) -> None:
    """Give the transient event every column's value (the INSERT and the answer need them)."""
    values = e.__dict__  # what was set (reading the instrumented attributes costs more)
    for key, arg in _DEFAULTS:
        if values.get(key) is None:
            setattr(e, key, e.created_at if callable(arg) else arg)


def _row(e: Event) -> dict[str, Any]:
    values = e.__dict__
    return {col.name: values.get(key) for key, col in _COLUMNS if key != "id" or values.get("id") is not None}


# --- the writer -----------------------------------------------------------------------------------

_WRITERS: dict[int, _Writer] = {}
_WRITERS_LOCK = threading.Lock()


def writer_for(engine: Engine) -> _Writer:
    w = _WRITERS.get(id(engine))
    if w is None or w.engine is not engine:
        with _WRITERS_LOCK:
            w = _WRITERS.get(id(engine))
            if w is None or w.engine is not engine:
                w = _WRITERS[id(engine)] = _Writer(engine)
    return w


class _Writer:
    """One per engine per process: a daemon thread writing whatever reports are waiting."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._sequence: str | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self.batches = 0  # statistics (tests and benchmarks read them)
        self.reports = 0
        threading.Thread(target=self._run, name="gridgov-intake-writer", daemon=True).start()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A transaction on the writer's own connection, kept between batches (no pool checkout and
        ping per batch); dropped on any error, so the next batch starts on a fresh one."""
        if self._conn is None or self._conn.closed:
            self._conn = self.engine.connect()
        try:
            with self._conn.begin():
                yield self._conn
        except BaseException:
            conn, self._conn = self._conn, None
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # pragma: no cover - the connection is already gone
                pass
            raise

    def submit(self, job: _Job) -> Future:
        self._queue.put(job)
        return job.future

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.write(batch)
            except BaseException:  # never let the thread die: every waiting request gets an answer
                log.exception("intake writer failed")
                _deliver([(job, FALLBACK) for job in batch if not job.future.done()])

    def write(self, batch: list[_Job]) -> None:
        """Write ``batch`` in one transaction; on failure, each report alone; answer every job."""
        try:
            answers = self._write_batch(batch)
        except Exception:
            if len(batch) == 1:
                log.warning("intake: a report failed in the group commit; writing it the ordinary way",
                            exc_info=True)
                _deliver([(batch[0], FALLBACK)])
                return
            for job in batch:
                self.write([job])
            return
        self.batches += 1
        self.reports += len(batch)
        _deliver(list(zip(batch, answers, strict=True)))

    def _write_batch(self, batch: list[_Job]) -> list[Answer]:
        leaders: dict[tuple[str, str], _Job] = {}
        writing: list[_Job] = []
        for job in batch:
            if job.key is None or job.key not in leaders:
                writing.append(job)
                if job.key is not None:
                    leaders[job.key] = job
        with self._lock, self._transaction() as conn:
            rows = self._events(conn, writing)
            created: dict[int, Answer] = {}  # id(job) → answer
            for job, row in zip(writing, rows, strict=True):
                if row is not None:
                    created[id(job)] = Answer("created", row[0], row[1])
            missing = [job.key for job in writing if id(job) not in created]
            existing = self._existing(conn, missing) if missing else {}
            new_jobs = [job for job in writing if id(job) in created]
            now = utcnow()
            entries = []
            for job in new_jobs:
                ans = created[id(job)]
                entries.append({"actor_id": job.actor_id, "actor_name": job.actor_username, "action": "event.report",
                                "object_type": "event", "object_id": ans.event_id, "at": now,
                                "after": {"state": State.reported.value, "note": job.note, **_log_data(job)}})
            seqs = audit.append_many(conn, entries)
            if new_jobs:
                conn.execute(_LOGS.insert(), [
                    {"event_id": created[id(job)].event_id, "action": Action.report.value, "from_state": None,
                     "to_state": State.reported.value, "actor_id": job.actor_id, "actor_name": job.actor_name,
                     "party": job.party, "note": job.note, "data": _log_data(job), "audit_seq": seq, "at": now}
                    for job, seq in zip(new_jobs, seqs, strict=True)])
        # every key's first event: (id, code, digest of its first report)
        first: dict[tuple[str, str], tuple[int, str, str | None]] = dict(existing)
        for job in new_jobs:
            if job.key is not None:
                ans = created[id(job)]
                first[job.key] = (ans.event_id, ans.code, job.digest)
        answers = []
        for job in batch:
            if id(job) in created:
                answers.append(created[id(job)])
                continue
            event_id, code, digest = first[job.key]
            answers.append(Answer("replay", event_id, code) if digest == job.digest else Answer("reused", event_id, code))
        return answers

    def _events(self, conn, jobs: list[_Job]) -> list[tuple[int, str] | None]:
        """INSERT the events (a key already filed is skipped); (id, code) per job, None if skipped."""
        if self.postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        if self.postgres:
            return self._events_postgres(conn, jobs)
        # executemany: SQLAlchemy's "insertmanyvalues" sends one multi-row INSERT … RETURNING per
        # up to 1,000 rows from one cached statement (a .values([...]) would compile anew each time)
        stmt = (insert(_EVENTS).on_conflict_do_nothing(index_elements=["channel", "client_id"])
                .returning(_EVENTS.c.id, _EVENTS.c.code))
        got = {code: event_id for event_id, code in conn.execute(stmt, [_row(job.event) for job in jobs])}
        out: list[tuple[int, str] | None] = []
        renames = []
        for job in jobs:
            event_id = got.get(job.event.code)
            if event_id is None:  # its key was filed before: this event never was
                job.event.id = None
                out.append(None)
                continue
            if not self.postgres:  # SQLite: the id is known now
                job.event.id = event_id
                final = _code(job.event)
                renames.append({"_id": event_id, "_code": final, "_at": job.event.updated_at})
                job.event.code = final
            out.append((event_id, job.event.code))
        if renames:
            conn.execute(update(_EVENTS).where(_EVENTS.c.id == bindparam("_id"))  # updated_at: not the rename's time
                         .values(code=bindparam("_code"), updated_at=bindparam("_at")), renames)
        return out

    def _events_postgres(self, conn, jobs: list[_Job]) -> list[tuple[int, str] | None]:
        """PostgreSQL: the ids first (the codes go in with the rows, no UPDATE after), then psycopg's
        pipelined executemany of ONE short statement — parsed and planned once, where a multi-row
        VALUES of a new length each time is parsed anew on both sides."""
        if self._sequence is None:
            self._sequence = conn.scalar(text("SELECT pg_get_serial_sequence('events', 'id')"))
        ids = conn.scalars(text("SELECT nextval(:seq) FROM generate_series(1, :n)"),
                           {"seq": self._sequence, "n": len(jobs)}).all()
        for job, event_id in zip(jobs, ids, strict=True):
            job.event.id = event_id
            job.event.code = _code(job.event)
        rows = [_row(job.event) for job in jobs]
        names = list(rows[0])
        sql = (f"INSERT INTO events ({', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)}) "
               f"VALUES ({', '.join(['%s'] * len(names))}) ON CONFLICT (channel, client_id) DO NOTHING")
        with conn.connection.driver_connection.cursor() as cur:
            cur.executemany(sql, [tuple(r[n] for n in names) for r in rows])
            inserted = cur.rowcount
        if inserted == len(jobs):
            return [(job.event.id, job.event.code) for job in jobs]
        filed = set(conn.scalars(select(_EVENTS.c.id).where(_EVENTS.c.id.in_(ids))))
        out: list[tuple[int, str] | None] = []
        for job in jobs:
            if job.event.id in filed:
                out.append((job.event.id, job.event.code))
            else:  # its key was filed before: this event never was
                job.event.id = None
                out.append(None)
        return out

    def _existing(self, conn, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str, str | None]]:
        """The events already filed under these keys, with the digest of their first report."""
        found = conn.execute(select(_EVENTS.c.id, _EVENTS.c.code, _EVENTS.c.channel, _EVENTS.c.client_id).where(
            tuple_(_EVENTS.c.channel, _EVENTS.c.client_id).in_(keys))).all()
        digests: dict[int, str | None] = {}
        if found:
            for event_id, data in conn.execute(select(_LOGS.c.event_id, _LOGS.c.data).where(
                    _LOGS.c.event_id.in_([r.id for r in found]),
                    _LOGS.c.action.in_((Action.report.value, Action.self_resolve.value))).order_by(_LOGS.c.id)):
                digests.setdefault(event_id, (data or {}).get("digest"))
        return {(r.channel, r.client_id): (r.id, r.code, digests.get(r.id)) for r in found}


def _deliver(answers: list[tuple[_Job, Answer]]) -> None:
    """Answer each job: its Future, and for a waiting request its loop's future — one wake-up per
    event loop per batch (a wake-up per report cost ~8 % of a worker's CPU under load)."""
    loops: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Answer]]] = {}
    for job, answer in answers:
        job.future.set_result(answer)
        if job.waiter is not None:
            loops.setdefault(job.waiter.get_loop(), []).append((job.waiter, answer))
    for loop, waiting in loops.items():
        try:
            loop.call_soon_threadsafe(_settle, waiting)
        except RuntimeError:  # the loop has closed: nobody waits any more
            pass


def _settle(waiting: list[tuple[asyncio.Future, Answer]]) -> None:
    for waiter, answer in waiting:
        if not waiter.done():  # a request cancelled meanwhile (the client went away)
            waiter.set_result(answer)


def _code(e: Event) -> str:
    return f"SJ{e.created_at:%Y%m%d}{e.id:07d}"


def _log_data(job: _Job) -> dict[str, Any]:
    return {"digest": job.digest, "channel": job.channel, "attachments": []}
