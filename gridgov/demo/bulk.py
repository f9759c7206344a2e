"""Bulk inserts for the demo generators: COPY on PostgreSQL, executemany on SQLite, inside the
session's transaction, column by column (numpy arrays, lists, constants or batch callables)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import numpy as np

Progress = Callable[[str, int, int], None]


class Bulk:
    """Fast inserts on the session's connection (inside its transaction)."""

    def __init__(self, db, report: Progress, batch: int = 50_000) -> None:
        self.db = db
        self.conn = db.connection()
        self.dialect = self.conn.dialect.name
        self.raw = self.conn.connection.driver_connection
        self.report = report
        self.batch = batch
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        now = datetime.now(UTC).replace(tzinfo=None)
        self.now = self.stamp_text(now.isoformat(sep=" ", timespec="microseconds"))

    def stamp_text(self, naive_utc: str) -> str:
        return naive_utc + "+00" if self.dialect == "postgresql" else naive_utc

    def stamps(self, seconds: np.ndarray) -> np.ndarray:
        text = np.char.replace((np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")).astype(str), "T", " ")
        return np.char.add(text, ".000000+00" if self.dialect == "postgresql" else ".000000").astype(object)

    def next_id(self, table) -> int:
        from sqlalchemy import func, select

        return int(self.db.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()) + 1

    def insert(self, table, n: int, columns: dict[str, Any], stage: str) -> None:
        names = list(columns)
        started = time.perf_counter()
        cur = self.raw.cursor() if self.dialect in ("sqlite", "postgresql") else None
        try:
            for lo in range(0, n, self.batch):
                hi = min(lo + self.batch, n)
                cols = []
                for v in columns.values():
                    if isinstance(v, np.ndarray):
                        cols.append(v[lo:hi].tolist())
                    elif isinstance(v, list):
                        cols.append(v[lo:hi])
                    elif callable(v):
                        cols.append(v(lo, hi))
                    else:
                        cols.append(repeat(v, hi - lo))
                rows = zip(*cols)
                if self.dialect == "sqlite":
                    marks = ", ".join("?" * len(names))
                    quoted = ", ".join(f'"{c}"' for c in names)
                    cur.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)
                elif self.dialect == "postgresql":
                    quoted = ", ".join(f'"{c}"' for c in names)
                    with cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    self.db.execute(table.insert(), [dict(zip(names, r)) for r in rows])
                self.report(stage, hi, n)
        finally:
            if cur is not None:
                cur.close()
        if n == 0:
            self.report(stage, 0, 0)
        self.rows[table.name] = self.rows.get(table.name, 0) + n
        self.seconds[table.name] = self.seconds.get(table.name, 0.0) + time.perf_counter() - started

    def fix_sequences(self, tables: Sequence[Any]) -> None:
        if self.dialect != "postgresql":
            return
        from sqlalchemy import text

        for t in tables:
            self.db.execute(text(f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                                 f"GREATEST((SELECT max(id) FROM \"{t.name}\"), 1))"))
