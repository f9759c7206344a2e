"""Per-process caches of database reads on the hot paths (event intake: thousands of reports a
second must not each re-read the catalog, the responsibility list or the regions' generation).

A :class:`ProcessCache` keeps each value ``ttl`` seconds per database. A change committed through
this process to one of its ``watched`` models drops it at once (session hooks: :func:`watch_writes`);
a change committed by another worker process is seen within 2 × ``ttl``: an expired value keeps
answering for one more period while ONE background thread reads it again, so a busy server never
sends a stampede of identical reads. A read that raced an invalidation is not kept (generation guard).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")


def watch_writes(models: tuple[type, ...], invalidate: Callable[[], None], flag: str) -> None:
    """Call ``invalidate`` when a session flushes a change to one of ``models``, and again when that
    session commits (a reader may have cached the old rows between the flush and the commit)."""

    @event.listens_for(Session, "before_flush")
    def _flushed(session: Session, _ctx: Any, _instances: Any) -> None:
        if any(isinstance(o, models) for o in (*session.new, *session.dirty, *session.deleted)):
            session.info[flag] = True
            invalidate()

    @event.listens_for(Session, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop(flag, False):
            invalidate()


class ProcessCache:
    """Values loaded from the database, per database URL and name (see the module docstring)."""

    def __init__(self, name: str, ttl: float, watched: tuple[type, ...] = ()) -> None:
        self.name, self.ttl = name, ttl
        self._values: dict[tuple[str, Hashable], tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._refreshing: set[tuple[str, Hashable]] = set()
        if watched:
            watch_writes(watched, self.invalidate, f"gridgov_cache_{name}")

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()

    def get(self, db: Session, name: Hashable, load: Callable[[Session], T]) -> T:
        """``load(db)``, kept :attr:`ttl` seconds for ``db``'s database."""
        engine = db.get_bind()
        key = (str(engine.url), name)
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        if hit is not None and hit[0] + self.ttl > now:
            self._refresh_later(engine, key, load)
            return hit[1]
        generation = self._generation
        value = load(db)
        self._keep(key, value, now, generation)
        return value

    def _keep(self, key: tuple[str, Hashable], value: Any, loaded_at: float, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._values[key] = (loaded_at + self.ttl, value)

    def _refresh_later(self, engine: Any, key: tuple[str, Hashable], load: Callable[[Session], Any]) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def refresh() -> None:
            try:
                generation, started = self._generation, time.monotonic()
                with Session(engine) as s:
                    self._keep(key, load(s), started, generation)
            except Exception:  # the next request loads it itself
                with self._lock:
                    self._values.pop(key, None)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        threading.Thread(target=refresh, name=f"gridgov-cache-{self.name}", daemon=True).start()
