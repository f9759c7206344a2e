"""The one import pipeline (gridgov.integration.pipeline): run bookkeeping, a savepoint per row,
quarantine with reasons, counts, the audit entry, the run's JSON, who may open it, its error
report; and the HTTP helpers the import APIs share."""

from __future__ import annotations

import asyncio
import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import UploadFile
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access.models import AuditEntry, Department, User
from gridgov.db import get_engine
from gridgov.errors import AppError, Invalid, NotFound
from gridgov.integration import Column, RowSchema, parse_bool_cell, pipeline, text_parser
from gridgov.integration.http import upload_bytes, xlsx_response
from gridgov.integration.models import ImportRun, QuarantineRow

SCHEMA = RowSchema("测试", [
    Column("code", "编码", required=True, parse=text_parser(16)),
    Column("name", "名称", parse=text_parser(30)),
    Column("flag", "启用", parse=parse_bool_cell),
])


@pytest.fixture
def db(demo_db):
    """A session on the demo database whose work is rolled back afterwards."""
    session = Session(get_engine(demo_db.url))
    yield session
    session.rollback()
    session.close()


def user(db: Session, demo_db, role: str) -> User:
    return db.scalar(select(User).where(User.username == demo_db.users[role][0]))


def csv(*rows: str) -> bytes:
    return ("编码,名称,启用,备注\n" + "\n".join(rows) + "\n").encode()


def writer(db: Session, top: str):
    """created for NEW*, updated for UPD, unchanged for SAME; BAD writes then fails (the savepoint
    must undo the write), OUT fails with a code mapped to a column, BOOM is not a row problem."""
    def write(row) -> str:
        code = row.data["code"]
        if code.startswith("NEW") or code == "BAD":
            db.add(Department(code=f"T-PIPE-{code}", name=row.data["name"] or code, region_code=top))
            db.flush()
        if code == "BAD":
            raise Invalid("编码已停用", code="disabled")
        if code == "OUT":
            raise Invalid("不在您的辖区", code="out_of_scope")
        if code == "BOOM":
            raise RuntimeError("not a row problem")
        return {"UPD": "updated", "SAME": "unchanged"}.get(code, "created")
    return write


def run_file(db, actor, data: bytes, top: str, **kw) -> ImportRun:
    return pipeline.import_rows(db, actor, entity="pipeline_test", schema=SCHEMA,
                                table=SCHEMA.read(data, "测试.csv"), write=writer(db, top), filename="测试.csv",
                                file_digest="d" * 64, audit_action="test.import", **kw)


def test_every_row_accounted_for_with_savepoints_quarantine_and_audit(db, demo_db):
    op = user(db, demo_db, "operator")
    data = csv("NEW1,甲,是", "UPD,乙,", ",缺编码,", "", "BAD,丙,是", "SAME,丁,否", "OUT,戊,", "NEW2,己,否")
    run = run_file(db, op, data, demo_db.top_code, audit_detail={"region": "211021"},
                   column_of_code={"out_of_scope": "code"})
    assert (run.created, run.updated, run.unchanged, run.quarantined) == (2, 1, 1, 3)
    assert (run.total, run.empty_rows, run.actor_id, run.encoding) == (8, 1, op.id, "utf-8")
    assert run.scope == ",".join(sorted(s.region_code for s in op.scopes))
    # one unknown column: noted once (the reader's warnings are not repeated)
    warnings = json.loads(run.warnings)
    assert len(warnings) == len(set(warnings)) and sum("备注" in w for w in warnings) == 1
    # the savepoint undid the failed row's write, and only that
    codes = set(db.scalars(select(Department.code).where(Department.code.like("T-PIPE-%"))))
    assert codes == {"T-PIPE-NEW1", "T-PIPE-NEW2"}
    q = list(db.scalars(select(QuarantineRow).where(QuarantineRow.run_id == run.id)
                        .order_by(QuarantineRow.id)))
    assert [r.row_number for r in q] == [4, 6, 8]  # in row order, schema failures and writer failures alike
    by_row = {r.row_number: (json.loads(r.values), json.loads(r.reasons)) for r in q}
    assert by_row[6] == ({"编码": "BAD", "名称": "丙", "启用": "是"}, ["编码已停用"])
    assert by_row[8][1] == ["编码：不在您的辖区"]
    assert "编码" in by_row[4][1][0]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.object_type == "import_run",
                                               AuditEntry.object_id == str(run.id)))
    assert (entry.action, entry.actor_id) == ("test.import", op.id)
    assert json.loads(entry.detail) == {"file": "d" * 64, "created": 2, "updated": 1, "unchanged": 1,
                                        "quarantined": 3, "region": "211021"}


def test_other_errors_abort_the_import(db, demo_db):
    with pytest.raises(RuntimeError):
        run_file(db, None, csv("NEW1,甲,", "BOOM,乙,"), demo_db.top_code)


def test_outcomes_limit_what_a_writer_may_return_and_what_is_reported(db, demo_db):
    run = run_file(db, None, csv("NEW1,甲,", "SAME,乙,"), demo_db.top_code, outcomes=("created", "unchanged"))
    assert (run.created, run.updated, run.unchanged, run.scope, run.actor_id) == (1, 0, 1, "全部", None)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.object_type == "import_run",
                                               AuditEntry.object_id == str(run.id)))
    assert "updated" not in json.loads(entry.detail)
    out = pipeline.run_out(db, run, error_report="/x/{id}.xlsx", outcomes=("created", "unchanged"))
    assert "updated" not in out and out["error_report"] is None and out["quarantine"] == []
    with pytest.raises(KeyError):
        run_file(db, None, csv("UPD,甲,"), demo_db.top_code, outcomes=("created", "unchanged"))


def test_progress_every_200_rows(db, demo_db):
    calls = []
    run = run_file(db, None, csv(*[f"SAME{i},名{i}," for i in range(450)]), demo_db.top_code,
                   progress=lambda *a: calls.append(a))
    assert run.created == 450  # SAME<n> is not SAME: created
    assert calls == [("导入", 200, 450), ("导入", 400, 450)]


def test_run_out_find_run_and_error_report(db, demo_db):
    op, admin, worker = (user(db, demo_db, r) for r in ("operator", "admin", "grid_worker"))
    def write(row) -> str:
        if row.data["code"].startswith("OUT"):
            raise Invalid("不行", code="nope")
        return "created"

    rows = [f"OUT{i},名,否" for i in range(5)]
    run = pipeline.import_rows(db, op, entity="pipeline_test", schema=SCHEMA,
                               table=SCHEMA.read(csv(*rows, "NEW1,甲,是"), "t.csv"), write=write,
                               filename="t.csv", file_digest="e" * 64, audit_action="test.import")
    out = pipeline.run_out(db, run, error_report="/api/v1/x/{id}/errors.xlsx", limit=3)
    assert out["error_report"] == f"/api/v1/x/{run.id}/errors.xlsx"
    assert (out["created"], out["updated"], out["unchanged"], out["quarantined"]) == (1, 0, 0, 5)
    assert [q["row"] for q in out["quarantine"]] == [2, 3, 4] and out["quarantine"][0]["reasons"] == ["不行"]
    assert len(pipeline.run_out(db, run, error_report="", limit=None)["quarantine"]) == 5
    assert "quarantine" not in pipeline.run_out(db, run, error_report="", with_rows=False)
    # the importer and a county-wide actor may open it; another user, or another kind of run: not found
    assert pipeline.find_run(db, op, run.id, {"pipeline_test"}) is run
    assert pipeline.find_run(db, admin, run.id, {"pipeline_test"}) is run
    for actor, entities in ((worker, {"pipeline_test"}), (op, {"persons"})):
        with pytest.raises(NotFound):
            pipeline.find_run(db, actor, run.id, entities)
    with pytest.raises(NotFound):
        pipeline.find_run(db, admin, 2**31 - 1, {"pipeline_test"})
    ws = load_workbook(io.BytesIO(pipeline.error_report(db, run, SCHEMA))).active
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert sum(v == "不行" for v in cells) == 5 and "OUT4" in cells


def test_report_value():
    from datetime import date, datetime
    from decimal import Decimal

    assert [pipeline.report_value(v) for v in (None, True, False, Decimal("89.50"), date(2026, 1, 2),
                                               datetime(2026, 11, 25, 9, 30), "x")] == [
        None, "是", "否", "89.50", "2026-01-02", "2026-11-25 09:30:00", "x"]


def test_http_helpers():
    r = xlsx_response(b"PK", "导入错误报告-7.xlsx")
    assert r.media_type.endswith("spreadsheetml.sheet")
    assert r.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%E5%AF%BC%E5%85%A5%E9%94%99%E8%AF%AF%E6%8A%A5%E5%91%8A-7.xlsx")

    def read(size: int, limit: int) -> bytes:
        # in a thread of its own: the browser tests' Playwright keeps an event loop running in this one
        upload = UploadFile(io.BytesIO(b"x" * size), filename="a.csv")
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, upload_bytes(upload, limit, "太大")).result()

    assert read(10, 10) == b"x" * 10
    with pytest.raises(AppError) as exc:
        read(11, 10)
    assert (exc.value.status, exc.value.code, exc.value.message) == (413, "too_large", "太大")


def test_hotline_json_import_notes_an_unknown_field_once(client, auth, demo_db):
    order = {"number": "PIPE-W-1", "item_code": "CG001", "description": "人民路井盖缺失", "extra": 1,
             "region_code": demo_db.top_code}
    r = client.post("/api/v1/hotline/imports/json", headers=auth("operator"), json=[order])
    assert r.status_code == 200, r.text
    assert r.json()["warnings"] == ["未识别的字段（已忽略）：extra"]
