"""Register import/export through the API: templates, GBK/UTF-8 files, quarantine with reasons,
the error report loop, idempotent re-import, scope, watermarked export."""

import io
import itertools
from datetime import date

import openpyxl
import pytest

from gridgov.codes import build_citizen_id

_seq = itertools.count(501)


@pytest.fixture(scope="module")
def building(client, auth, demo_db):
    h = auth("operator")
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=h).json()
    b = client.post("/api/v1/buildings", headers=h, json={"name": "导入测试楼", "address": "辽阳县幸福路8号导入测试楼",
                                                          "lon": grid["center"][0], "lat": grid["center"][1]})
    assert b.status_code == 201, b.text
    return b.json()


def persons_csv(building_code, rows, encoding="utf-8"):
    lines = ["辽阳县实有人口登记表", "姓名,身份证号,联系电话,人口类型,楼栋编码,单元,房号,入住日期"]
    lines += [",".join(r) for r in rows]
    lines.insert(3, ",,,,,,,")  # an empty row: counted, not silently dropped
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, headers, entity, name, data):
    return client.post(f"/api/v1/imports/{entity}", headers=headers, files={"file": (name, data)})


def test_template_has_chinese_headers(client, auth):
    r = client.get("/api/v1/imports/templates/persons.xlsx", headers=auth("operator"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    headers = [c.value for c in ws[1]]
    assert any("身份证号" in str(h) for h in headers) and any("姓名" in str(h) for h in headers)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-8-sig"])
def test_import_quarantine_fix_and_reimport(client, auth, building, encoding):
    h = auth("operator")
    good1 = build_citizen_id("211021", date(1980, 1, 1), next(_seq))
    good2 = build_citizen_id("211021", date(1992, 6, 6), next(_seq))
    bad_id = good1[:-1] + ("0" if good1[-1] != "0" else "1")
    rows = [["张伟", good1, "13812345678", "户籍", building["code"], "1", "101", "2020-01-01"],
            ["李娜", good2, "13912345678", "流动", building["code"], "1", "102", "2023/5/1"],
            ["王五", bad_id, "13700000000", "户籍", building["code"], "1", "103", ""],
            ["赵六", build_citizen_id("211021", date(1990, 1, 1), next(_seq)), "12345", "户籍", building["code"], "1",
             "104", ""],
            ["钱七", build_citizen_id("211021", date(1990, 2, 1), next(_seq)), "", "户籍", "B-NOPE", "1", "105", ""]]
    r = upload(client, h, "persons", f"people-{encoding}.csv", persons_csv(building["code"], rows, encoding))
    assert r.status_code == 200, r.text
    run = r.json()
    assert (run["created"], run["quarantined"], run["empty_rows"]) == (2, 3, 1), run
    assert run["total"] == 6  # 5 data rows + 1 empty row: every row accounted for
    reasons = {q["row"]: " ".join(q["reasons"]) for q in run["quarantine"]}
    assert "身份证号" in reasons[6] and "电话" in reasons[7] and "B-NOPE" in reasons[8]
    # same file again: nothing changes
    again = upload(client, h, "persons", f"people-{encoding}.csv", persons_csv(building["code"], rows, encoding)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    # the error report lists the bad rows with reasons; fix them there and re-import it
    report = client.get(run["error_report"], headers=h)
    assert report.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(report.content))
    ws = wb.active
    header_row = next(r for r in ws.iter_rows(min_row=1, max_row=5) if any(c.value == "身份证号" for c in r))
    col = {c.value: c.column for c in header_row}
    data_rows = list(ws.iter_rows(min_row=header_row[0].row + 1))
    assert len(data_rows) == 3
    fixed_ids = iter([build_citizen_id("211021", date(1985, 3, 3), next(_seq)) for _ in range(3)])
    for row in data_rows:
        ws.cell(row=row[0].row, column=col["身份证号"], value=next(fixed_ids))
        ws.cell(row=row[0].row, column=col["联系电话"], value="13600000000")
        ws.cell(row=row[0].row, column=col["楼栋编码"], value=building["code"])
    buf = io.BytesIO()
    wb.save(buf)
    fixed = upload(client, h, "persons", "fixed.xlsx", buf.getvalue()).json()
    assert (fixed["created"], fixed["quarantined"]) == (3, 0), fixed


def test_grid_worker_cannot_import(client, auth, building):
    data = persons_csv(building["code"], [])
    assert upload(client, auth("grid_worker"), "persons", "x.csv", data).status_code == 403


@pytest.mark.parametrize("name,data,code", [
    ("x.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "unsupported_format"),
    ("x.csv", b"", "empty_file"),
    ("x.csv", "姓名,电话\r\n张三,1\r\n".encode(), "missing_column"),
    ("x.csv", "姓名,身份证号,身份证号,楼栋编码,房号\r\n".encode(), "duplicate_header"),
])
def test_malformed_files_are_refused_clearly(client, auth, name, data, code):
    r = upload(client, auth("operator"), "persons", name, data)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_organizations_and_houses_import(client, auth, building, demo_db):
    h = auth("operator")
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=h).json()
    lon, lat = grid["center"]
    orgs = ("统一社会信用代码,单位名称,单位类型,经度,纬度\r\n"
            f"91110000600037341L,北方超市,企业,{lon},{lat}\r\n"
            f"91110000600037341X,坏代码公司,企业,{lon},{lat}\r\n"
            f"91350100M000100Y43,远方公司,企业,0,0\r\n").encode()
    run = upload(client, h, "organizations", "orgs.csv", orgs).json()
    assert run["created"] + run["unchanged"] == 1 and run["quarantined"] == 2, run
    reasons = " ".join(r for q in run["quarantine"] for r in q["reasons"])
    assert "统一社会信用代码" in reasons and "不在任何网格内" in reasons
    houses = (f"楼栋编码,单元,房号,房屋用途,建筑面积,是否出租\r\n{building['code']},2,201,住宅,88.5,是\r\n"
              f"{building['code']},2,202,宫殿,88.5,否\r\n").encode()
    run = upload(client, h, "houses", "houses.csv", houses).json()
    assert run["created"] == 1 and run["quarantined"] == 1


def test_export_is_watermarked_and_masked(client, auth):
    r = client.get("/api/v1/exports/persons.xlsx", headers=auth("leader"))
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    mark = ws.cell(row=1, column=1).value
    assert "导出人：leader" in mark and "范围：" in mark
    ids = [row[1].value for row in ws.iter_rows(min_row=3) if row[1].value]
    assert ids and all("**********" in i for i in ids)
    assert client.get("/api/v1/exports/persons.xlsx", headers=auth("grid_worker")).status_code == 403
    trail = client.get("/api/v1/audit", headers=auth("leader"), params={"limit": 20}).json()
    assert any(e["action"] == "register.export" for e in trail)
