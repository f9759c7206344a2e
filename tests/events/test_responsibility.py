"""The responsibility list from Excel/CSV: good rows load, bad rows are quarantined with reasons,
the same file twice changes nothing, and a rule decides the lead department of new events."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook


def _csv(rows: list[str]) -> bytes:
    return ("事项编码,类别编码,区划代码,牵头部门编码,协办部门编码,备注\n" + "\n".join(rows) + "\n").encode("gbk")


def test_import_quarantine_idempotent_and_used_for_dispatch(client, auth, demo_db):
    h = auth("admin")
    depts = {d["code"]: d["id"] for d in client.get("/api/v1/departments", headers=h).json()}
    county = demo_db.top_code
    lead, assist = f"{county}-ZJ", f"{county}-SJ"
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=h).json()
    body = _csv([
        f"CG001,,{demo_db.first_grid},{lead},{assist},网格内占道经营由住建局牵头",
        f",HB,{county},{county}-ST,,",
        f"NOPE1,,{county},{lead},,",            # unknown item
        f"CG001,CG,{county},{lead},,",           # both item and category
        f"CG002,,{county},{county}-XX,,",        # unknown department
        f"CG003,,2110219,{lead},,",              # bad region code (7 digits)
    ])
    r = client.post("/api/v1/catalog/rules/import", headers=h, files={"file": ("权责清单.csv", body, "text/csv")})
    assert r.status_code == 200, r.text
    run = r.json()
    assert (run["created"], run["quarantined"]) == (2, 4), run
    reasons = " ".join(x for q in run["quarantine"] for x in q["reasons"])
    assert "NOPE1" in reasons and "XX" in reasons and "只能填写一个" in reasons
    report = client.get(run["error_report"], headers=h)
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(report.content)).active
    assert ws.max_row >= 5
    again = client.post("/api/v1/catalog/rules/import", headers=h,
                        files={"file": ("权责清单.csv", body, "text/csv")}).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    rules = client.get("/api/v1/catalog/rules", params={"region": county}, headers=h).json()
    assert any(x["item_code"] == "CG001" and x["lead_department_id"] == depts[lead] for x in rules)
    # a new CG001 event in that grid is led by the rule's department
    ev = client.post("/api/v1/events", headers=auth("grid_worker"), json={
        "item_code": "CG001", "description": "网格内占道经营", "lon": grid["center"][0], "lat": grid["center"][1]})
    assert ev.status_code == 201 and ev.json()["lead_department_id"] == depts[lead]
    # only admins import; a template is there for everyone logged in
    assert client.post("/api/v1/catalog/rules/import", headers=auth("operator"),
                       files={"file": ("x.csv", body, "text/csv")}).status_code == 403
    assert client.get("/api/v1/catalog/rules/template.xlsx", headers=auth("operator")).status_code == 200
    bad = client.post("/api/v1/catalog/rules/import", headers=h, files={"file": ("x.csv", b"\x00\x01garbage", "text/csv")})
    assert 400 <= bad.status_code < 500


@pytest.mark.parametrize("target,code", [({"item_code": "NOPE1"}, "unknown_item"),
                                         ({"category_code": "NOPE"}, "unknown_category"),
                                         ({}, "rule_target_required")])
def test_a_rule_for_an_item_or_category_the_catalog_does_not_have_is_refused(client, auth, demo_db, target, code):
    dept = client.get("/api/v1/departments", headers=auth("admin")).json()[0]["id"]
    r = client.post("/api/v1/catalog/rules", headers=auth("admin"),
                    json={**target, "region_code": demo_db.top_code, "lead_department_id": dept})
    assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    ok = client.post("/api/v1/catalog/rules", headers=auth("admin"),
                     json={"item_code": "CG001", "region_code": demo_db.top_code, "lead_department_id": dept})
    assert ok.status_code == 201, ok.text
