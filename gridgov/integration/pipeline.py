"""The one import pipeline: what every tabular import does around its own rows.

A caller (register imports, 12345 work orders, the responsibility list) reads and checks its file
with its :class:`~gridgov.integration.columns.RowSchema` and says how one good row is written;
:func:`import_rows` does the rest, the same way for all of them:

* an :class:`ImportRun` row (file name and digest, encoding, the importer and their scope, row
  totals and the reader's warnings);
* every good row written in its own savepoint (``SAVEPOINT`` … ``RELEASE``/``ROLLBACK TO``), so a
  row that fails half-way leaves nothing behind and never spoils the rest;
* a row whose writer raises an :class:`~gridgov.errors.AppError` is quarantined next to the rows
  the schema refused: one :class:`QuarantineRow` with the values as given and every reason;
* the counts (created / updated / unchanged / quarantined), the planner statistics of the tables
  written, and one audit entry, all in the caller's transaction.

:func:`run_out`, :func:`find_run` and :func:`error_report` serve the run afterwards (its JSON, the
owner/scope check, the downloadable error report to fix and re-import). Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import User
from gridgov.access.scope import scope_of
from gridgov.db import analyze
from gridgov.errors import AppError, NotFound
from gridgov.integration.columns import BadRow, GoodRow, RowSchema
from gridgov.integration.excel import error_report_xlsx
from gridgov.integration.models import ImportRun, QuarantineRow
from gridgov.integration.tabular import Table

#: what a row writer may return
OUTCOMES: tuple[str, ...] = ("created", "updated", "unchanged")
#: quarantined rows listed in a run's JSON (the error report has them all)
QUARANTINE_SHOWN = 200
PROGRESS_EVERY = 200

RowWriter = Callable[[GoodRow], str]
Progress = Callable[[str, int, int], None]


def scope_text(actor: User | None) -> str:
    """The importer's scope as recorded on the run: ``全部`` or the scope's region codes."""
    if actor is None:
        return "全部"
    scope = scope_of(actor)
    return "全部" if scope.everything else ",".join(scope.regions)[:200]


def report_value(value: Any) -> str | None:
    """A parsed cell back as text for the quarantine and the error report (是/否 for booleans,
    ``2026-11-25 09:30:00`` for date-times)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


def import_rows(
    db: Session,
    actor: User | None,
    *,
    entity: str,
    schema: RowSchema,
    table: Table,
    write: RowWriter,
    filename: str,
    file_digest: str,
    audit_action: str,
    audit_detail: Mapping[str, Any] | None = None,
    outcomes: tuple[str, ...] = OUTCOMES,
    analyze_tables: tuple[str, ...] = (),
    column_of_code: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportRun:
    """Validate ``table`` with ``schema`` and load it; every row is accounted for in the returned run.

    ``write(row)`` writes one good row and returns one of ``outcomes``; it raises an ``AppError``
    for a row that cannot be loaded (its message becomes the row's reason, prefixed with the
    column's header when ``column_of_code`` maps the error's code to a column key). Any other
    exception aborts the whole import. ``audit_detail`` is added to the audit entry's detail
    (file digest and counts). ``analyze_tables`` are the tables whose statistics a bulk write
    may have outdated.
    """
    result = schema.validate(table)
    run = ImportRun(
        entity=entity,
        filename=filename[:200],
        file_digest=file_digest,
        encoding=table.encoding or table.format,
        actor_id=getattr(actor, "id", None),
        scope=scope_text(actor),
        total=result.total + result.empty_rows,
        empty_rows=result.empty_rows,
        warnings=json.dumps(result.warnings, ensure_ascii=False),
    )
    db.add(run)
    db.flush()
    bad: list[BadRow] = list(result.bad)
    counts = dict.fromkeys(outcomes, 0)
    for n, row in enumerate(result.good, start=1):
        try:
            with db.begin_nested():
                counts[write(row)] += 1
        except AppError as exc:
            bad.append(_quarantined(schema, row, exc, column_of_code or {}))
        if progress and n % PROGRESS_EVERY == 0:
            progress("导入", n, len(result.good))
    for b in sorted(bad, key=lambda r: r.number):
        db.add(QuarantineRow(run_id=run.id, row_number=b.number,
                             values=json.dumps(b.values, ensure_ascii=False),
                             reasons=json.dumps(b.reasons, ensure_ascii=False)))
    run.created, run.updated, run.unchanged = (counts.get(k, 0) for k in OUTCOMES)
    run.quarantined = len(bad)
    analyze(db, *analyze_tables, changed=run.created + run.updated)
    detail = {"file": file_digest, **counts, "quarantined": run.quarantined, **(audit_detail or {})}
    audit.record(db, actor, audit_action, "import_run", run.id, detail=detail)
    db.flush()
    return run


def _quarantined(schema: RowSchema, row: GoodRow, exc: AppError, column_of_code: Mapping[str, str]) -> BadRow:
    values = {schema.by_key[k].header_cn: report_value(v) for k, v in row.data.items()}
    key = column_of_code.get(exc.code)
    if key is None:
        return BadRow(row.number, values, [exc.message])
    header = schema.by_key[key].header_cn
    return BadRow(row.number, values, [f"{header}：{exc.message}"], (header,))


# --- the run afterwards ---------------------------------------------------------------------


def quarantine_rows(db: Session, run: ImportRun, limit: int | None = None) -> list[QuarantineRow]:
    stmt = select(QuarantineRow).where(QuarantineRow.run_id == run.id).order_by(QuarantineRow.row_number)
    return list(db.scalars(stmt if limit is None else stmt.limit(limit)))


def run_out(db: Session, run: ImportRun, *, error_report: str, outcomes: tuple[str, ...] = OUTCOMES,
            with_rows: bool = True, limit: int | None = QUARANTINE_SHOWN) -> dict[str, Any]:
    """A run as JSON: counts (those of ``outcomes``), warnings, the error report's URL
    (``error_report`` formatted with ``id``, only when rows were quarantined) and, ``with_rows``,
    the first ``limit`` quarantined rows with their reasons (all of them for ``limit=None``)."""
    out: dict[str, Any] = {"id": run.id, "entity": run.entity, "filename": run.filename,
                           "encoding": run.encoding, "at": run.at, "total": run.total}
    out.update((k, getattr(run, k)) for k in outcomes)
    out.update(quarantined=run.quarantined, empty_rows=run.empty_rows, warnings=json.loads(run.warnings),
               error_report=error_report.format(id=run.id) if run.quarantined else None)
    if with_rows:
        out["quarantine"] = [{"row": r.row_number, "reasons": json.loads(r.reasons)}
                             for r in quarantine_rows(db, run, limit)]
    return out


def find_run(db: Session, actor: User, run_id: int, entities: Collection[str]) -> ImportRun:
    """A run of one of ``entities`` that ``actor`` may open: their own, or anyone's for an actor
    whose scope is everything. Anything else is "not found" (no hint that the run exists).
    Permissions are the caller's to check first."""
    run = db.get(ImportRun, run_id)
    if (run is None or run.entity not in entities
            or (run.actor_id != actor.id and not scope_of(actor).everything)):
        raise NotFound("导入记录不存在", code="import_not_found")
    return run


def error_report(db: Session, run: ImportRun, schema: RowSchema) -> bytes:
    """The run's quarantined rows as an ``.xlsx`` to fix and import again."""
    rows = [BadRow(r.row_number, json.loads(r.values), json.loads(r.reasons))
            for r in quarantine_rows(db, run)]
    return error_report_xlsx(schema, rows, source_name=run.filename)
