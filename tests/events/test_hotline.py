"""12345 hotline orders in: file imports (CSV GBK/UTF-8, xlsx, JSON), the JSON body import, the
webhook; idempotency by the order number; bad rows quarantined with reasons; nothing half-applied."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from gridgov.db import make_engine, session_scope
from gridgov.events.hotline import match_item, table_from_orders
from gridgov.events.models import Event

HEADERS = [
    "工单编号",
    "来电时间",
    "诉求人",
    "联系电话",
    "事项编码",
    "诉求类别",
    "诉求内容",
    "地址",
    "经度",
    "纬度",
    "紧急程度",
]


@pytest.fixture(scope="module")
def cat(client, auth):
    catalog = client.get("/api/v1/catalog", headers=auth("operator")).json()
    pairs = [(c, i) for c in catalog["categories"] for i in c["items"]]
    names = [i["name"] for _, i in pairs]
    category, item = next((c, i) for c, i in pairs if names.count(i["name"]) == 1 and c["code"] == "CG")
    return {
        "item": item,
        "category_text": f"{category['name']}-{item['name']}",
        "other": next(i for c, i in pairs if i["code"] != item["code"]),
    }


def num() -> str:
    return "LY" + uuid.uuid4().hex[:14].upper()


def events_with(demo_db, number: str) -> list[Event]:
    engine = make_engine(demo_db.url)
    try:
        with session_scope(engine) as db:
            rows = list(db.scalars(select(Event).where(Event.external_id == number)))
            db.expunge_all()
            return rows
    finally:
        engine.dispose()


def csv_bytes(rows: list[list], encoding: str = "gbk") -> bytes:
    lines = [",".join(HEADERS)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, auth, data: bytes, filename: str, role: str = "operator", **params):
    return client.post(
        "/api/v1/hotline/imports",
        headers=auth(role),
        params=params,
        files={"file": (filename, data, "application/octet-stream")},
    )


# --- pure -----------------------------------------------------------------------------------

ITEMS = [
    ("CG012", "井盖缺失破损", "井盖、窨井、下水道盖"),
    ("CG013", "路灯损坏", "路灯、照明"),
    ("HJ001", "噪声污染", "噪音、噪声、扰民"),
    ("HJ002", "建筑施工噪声", "施工噪音、夜间施工"),
]


@pytest.mark.parametrize(
    "text,code,tied",
    [
        ("城市管理-井盖缺失破损", "CG012", []),
        ("城市管理/路灯", "CG013", []),  # exact keyword of one item
        ("市政设施>>窨井盖被偷", "CG012", []),  # keyword contained
        ("夜间施工噪音", "HJ002", []),  # the most keywords contained (施工噪音, 夜间施工 vs 噪音)
        ("噪声", "HJ001", []),  # an exact keyword of one item
        ("窨井盖路灯照明", None, ["CG012", "CG013"]),  # two keywords each: a tie, no guess
        ("窨井照明", None, []),  # one short keyword each: too weak to guess
        ("城市管理-其他", None, []),  # generic words never match
        ("随便说说", None, []),
        ("", None, []),
    ],
)
def test_match_item(text, code, tied):
    assert match_item(text, ITEMS) == (code, tied)


def test_json_orders_become_a_table_with_chinese_headers():
    table = table_from_orders(
        [{"number": "A1", "description": "井盖缺失", "lon": 123.04, "extra": 1}, "x", {"number": True}]
    )
    assert table.headers[0] == "工单编号" and table.rows[0].values["经度"] == "123.04"
    assert table.rows[1].problems[""].startswith("不是 JSON 对象")
    assert table.rows[2].problems["工单编号"] == "应为文本或数字"
    assert table.warnings == ["未识别的字段（已忽略）：extra"]


# --- file imports ---------------------------------------------------------------------------


def test_template(client, auth):
    r = client.get("/api/v1/hotline/template.xlsx", headers=auth("operator"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    headers = [c.value.lstrip("*") for c in ws[1]]
    assert headers[:3] == ["工单编号", "来电时间", "诉求人"] and "诉求内容" in headers and "经度" in headers


def test_csv_gbk_import_quarantine_and_reimport(client, auth, demo_db, where, cat):
    n = [num() for _ in range(7)]
    item = cat["item"]["code"]
    rows = [
        [
            n[0],
            "2026-11-25 09:30",
            "张先生",
            "13812345678",
            item,
            None,
            "人民路12号门前井盖缺失夜间易跌落",
            "人民路12号",
            where["lon"],
            where["lat"],
            "紧急",
        ],
        [
            n[1],
            "2026/11/25 10:05",
            "李女士",
            None,
            None,
            cat["category_text"],
            "幸福路8号井盖破损",
            "幸福路8号",
            None,
            None,
            None,
        ],
        [n[2], None, None, None, "XX999", None, "事项编码不存在", None, None, None, None],
        [n[3], None, None, None, item, None, "坐标在辖区之外", None, 10.0, 10.0, None],
        [n[4], None, None, None, None, "随便说说", "类别无法匹配", None, None, None, None],
        [n[0], None, None, None, item, None, "同一文件中编号重复", None, None, None, None],
        [n[5], None, None, None, item, None, "只有经度没有纬度", None, where["lon"], None, None],
        [n[6], "昨天", None, "12", item, None, "时间和电话都不对", None, None, None, "很急"],
    ]
    data = csv_bytes(rows)
    r = upload(client, auth, data, "12345工单.csv")
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["encoding"] == "gbk" and run["entity"] == "hotline"
    assert (run["total"], run["created"], run["unchanged"], run["quarantined"]) == (8, 2, 0, 6)
    reasons = {q["row"]: " ".join(q["reasons"]) for q in run["quarantine"]}
    assert "事项编码" in reasons[4] and "XX999" in reasons[4]
    assert "经度" in reasons[5] and "不在任何网格内" in reasons[5]
    assert "诉求类别“随便说说”无法对应" in reasons[6]
    assert "与第 2 行重复" in reasons[7]
    assert "经度和纬度须同时填写" in reasons[8]
    assert "来电时间" in reasons[9] and "联系电话" in reasons[9] and "紧急程度" in reasons[9]
    filed = {o["number"]: o for o in run["orders"]}
    assert set(filed) == {n[0], n[1]} and all(o["status"] == "created" for o in filed.values())

    first = events_with(demo_db, n[0])
    assert len(first) == 1 and first[0].channel == "hotline" and first[0].client_id == n[0]
    assert first[0].severity == "urgent" and first[0].grid_code and first[0].reporter_name == "张先生"
    second = events_with(demo_db, n[1])[0]
    assert second.item_code == item and second.lon is None and second.region_code == demo_db.top_code
    detail = client.get(f"/api/v1/events/{second.code}", headers=auth("operator")).json()
    assert (
        "12345热线工单" in detail["timeline"][0]["note"]
        and "来电时间 2026-11-25 10:05" in detail["timeline"][0]["note"]
    )
    assert detail["external_id"] == n[1] and detail["channel_label"] == "12345热线"

    report = client.get(run["error_report"], headers=auth("operator"))
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(report.content)).worksheets[0]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert values[0][-2:] == ["原行号", "错误原因"] and len(values) == 1 + 6
    assert (
        client.get(f"/api/v1/hotline/imports/{run['id']}", headers=auth("operator")).json()["quarantined"]
        == 6
    )
    # a hotline run is not a register import: the register's import endpoints do not serve it
    assert client.get(f"/api/v1/imports/{run['id']}", headers=auth("operator")).status_code == 404
    assert client.get(f"/api/v1/imports/{run['id']}/errors.xlsx", headers=auth("operator")).status_code == 404

    # the same file again changes nothing
    again = upload(client, auth, data, "12345工单.csv").json()
    assert (again["created"], again["unchanged"], again["quarantined"]) == (0, 2, 6)
    assert len(events_with(demo_db, n[0])) == 1

    # same number, different content: quarantined, the event untouched
    changed = upload(
        client,
        auth,
        csv_bytes(
            [
                [
                    n[0],
                    "2026-11-25 09:30",
                    "张先生",
                    "13812345678",
                    item,
                    None,
                    "内容被改过了",
                    "人民路12号",
                    where["lon"],
                    where["lat"],
                    "紧急",
                ],
                [
                    n[1],
                    "2026/11/25 10:05",
                    "李女士",
                    None,
                    None,
                    cat["category_text"],
                    "幸福路8号井盖破损",
                    "幸福路8号",
                    None,
                    None,
                    "紧急",
                ],
            ]
        ),
        "again.csv",
    ).json()
    assert changed["quarantined"] == 2 and changed["created"] == 0
    assert all("工单编号已存在且内容不同" in q["reasons"][0] for q in changed["quarantine"])
    assert events_with(demo_db, n[0])[0].description == "人民路12号门前井盖缺失夜间易跌落"

    # the error report re-imports once fixed
    fixed = load_workbook(io.BytesIO(report.content))
    ws = fixed.worksheets[0]
    header = [c.value for c in ws[2]]
    for row in ws.iter_rows(min_row=3):
        if row[header.index("工单编号")].value == n[2]:
            row[header.index("事项编码")].value = item
    buf = io.BytesIO()
    fixed.save(buf)
    redo = upload(client, auth, buf.getvalue(), "fixed.xlsx").json()
    assert redo["created"] == 1 and len(events_with(demo_db, n[2])) == 1


def test_xlsx_and_utf8_and_json_files(client, auth, demo_db, where, cat):
    item = cat["item"]["code"]
    a, b, c = num(), num(), num()
    wb = Workbook()
    ws = wb.active
    ws.append(["12345热线工单（11月25日）"])  # a title row above the header
    ws.append(HEADERS)
    ws.append(
        [
            a,
            "2026-11-25 09:30",
            "王先生",
            "13900001111",
            item,
            None,
            "xlsx导入的工单：路面塌陷",
            "建设路3号",
            where["lon"],
            where["lat"],
            "一般",
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    r = upload(client, auth, buf.getvalue(), "orders.xlsx")
    assert r.status_code == 200 and r.json()["created"] == 1, r.text

    utf8 = csv_bytes(
        [[b, None, None, None, item, None, "UTF-8 CSV 工单", None, None, None, None]], "utf-8-sig"
    )
    assert upload(client, auth, utf8, "orders.csv").json()["created"] == 1

    orders = {
        "orders": [
            {
                "number": c,
                "item_code": item,
                "description": "JSON 文件中的工单",
                "lon": where["lon"],
                "lat": where["lat"],
                "urgency": "urgent",
            },
            {"number": num(), "description": "没有事项"},
        ]
    }
    run = upload(client, auth, json.dumps(orders, ensure_ascii=False).encode(), "orders.json").json()
    assert (run["created"], run["quarantined"]) == (1, 1)
    assert "事项编码和诉求类别至少填写一项" in run["quarantine"][0]["reasons"][0]
    assert events_with(demo_db, c)[0].severity == "urgent"


def test_json_body_import_and_region(client, auth, demo_db, where, cat):
    item = cat["item"]["code"]
    a, b = num(), num()
    body = [
        {"number": a, "item_code": item, "description": "请求体导入的工单"},
        {
            "number": b,
            "category": cat["category_text"],
            "description": "指定区划",
            "region_code": demo_db.first_grid,
        },
    ]
    r = client.post(
        "/api/v1/hotline/imports/json",
        headers=auth("operator"),
        json=body,
        params={"region_code": demo_db.top_code},
    )
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    assert events_with(demo_db, a)[0].region_code == demo_db.top_code
    assert events_with(demo_db, b)[0].region_code == demo_db.first_grid
    again = client.post("/api/v1/hotline/imports/json", headers=auth("operator"), json=body).json()
    assert again["unchanged"] == 2
    # a region that does not exist or lies outside the operator's scope refuses the whole import
    r = client.post(
        "/api/v1/hotline/imports/json", headers=auth("operator"), json=body, params={"region_code": "110101"}
    )
    assert r.status_code in (403, 404) and "error" in r.json()
    assert client.post("/api/v1/hotline/imports/json", headers=auth("operator"), json=[]).status_code == 422


@pytest.mark.parametrize(
    "data,filename,status,code",
    [
        (b"", "a.csv", 422, "empty_file"),
        (b"not json at all [", "a.json", 422, "invalid_json"),
        (b'{"a": 1}', "a.json", 422, "invalid_json"),
        ("工单编号,诉求人\r\nX1,张三\r\n".encode("gbk"), "a.csv", 422, "missing_column"),
        (b"PK\x03\x04broken", "a.xlsx", 422, "corrupt_file"),
    ],
)
def test_unreadable_files_are_refused_whole(client, auth, data, filename, status, code):
    r = upload(client, auth, data, filename)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text


def test_only_operators_and_admins(client, auth):
    data = csv_bytes([[num(), None, None, None, "CG012", None, "网格员不能导入", None, None, None, None]])
    for role in ("grid_worker", "handler", "leader", "resident"):
        r = upload(client, auth, data, "a.csv", role=role)
        assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    assert client.post("/api/v1/hotline/imports", files={"file": ("a.csv", data)}).status_code == 401
    run = upload(client, auth, data, "a.csv", role="admin").json()
    assert run["created"] == 1
    # a run is seen by its importer (and admins) only
    assert client.get(f"/api/v1/hotline/imports/{run['id']}", headers=auth("operator")).status_code == 404
    assert client.get("/api/v1/hotline/imports/999999", headers=auth("admin")).status_code == 404


# --- the webhook ----------------------------------------------------------------------------


def test_webhook_created_replayed_conflict(client, auth, demo_db, where, cat):
    n = num()
    order = {
        "number": n,
        "called_at": "2026-11-25T09:30:00+08:00",
        "caller_name": "赵女士",
        "caller_phone": "13812345678",
        "category": cat["category_text"],
        "description": "webhook：小区门口井盖缺失",
        "address": "人民路12号",
        **where,
        "urgency": "紧急",
    }
    r = client.post("/api/v1/hotline/orders", headers={**auth("operator"), "Idempotency-Key": n}, json=order)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (
        out["created"]
        and out["code"].startswith("SJ")
        and out["external_id"] == n
        and len(out["tracking_code"]) == 10
    )
    again = client.post("/api/v1/hotline/orders", headers=auth("operator"), json=order)
    assert again.status_code == 200 and again.json()["code"] == out["code"] and not again.json()["created"]
    assert again.headers["idempotent-replay"] == "true"
    clash = client.post(
        "/api/v1/hotline/orders", headers=auth("operator"), json={**order, "description": "改了内容"}
    )
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "idempotency_key_reused"
    assert "工单编号已存在且内容不同" in clash.json()["error"]["message"]
    clash = client.post(
        "/api/v1/hotline/orders", headers=auth("operator"), json={**order, "caller_phone": "13900000000"}
    )
    assert clash.status_code == 409
    assert len(events_with(demo_db, n)) == 1
    # a file carrying the same order is the same event
    assert (
        upload(client, auth, json.dumps([order], ensure_ascii=False).encode(), "x.json").json()["unchanged"]
        == 1
    )


@pytest.mark.parametrize(
    "change,status,code",
    [
        ({"item_code": "XX999"}, 422, "unknown_item"),
        ({"lon": 10.0, "lat": 10.0}, 422, "outside_grids"),
        ({"category": "随便说说", "item_code": None}, 422, "item_unmatched"),
        ({"caller_phone": "12"}, 422, "invalid_order"),
        ({"lon": None}, 422, "invalid_order"),
        ({"urgency": "很急"}, 422, "invalid_order"),
        ({"number": "含 空格"}, 422, "invalid_order"),
        ({"description": 5}, 422, "validation_error"),
        ({"unknown": 1}, 422, "validation_error"),
        ({"region_code": "110101", "lon": None, "lat": None}, 404, "region_not_found"),
    ],
)
def test_webhook_bad_orders_write_nothing(client, auth, demo_db, where, cat, change, status, code):
    n = num()
    order = {"number": n, "item_code": cat["item"]["code"], "description": "坏工单", **where, **change}
    order = {k: v for k, v in order.items() if v is not None}
    r = client.post("/api/v1/hotline/orders", headers=auth("operator"), json=order)
    assert r.status_code == status, r.text
    if code != "validation_error":
        assert r.json()["error"]["code"] == code
    assert events_with(demo_db, n) == []


def test_webhook_key_auth_and_roles(client, auth, demo_db, cat):
    order = {"number": num(), "item_code": cat["item"]["code"], "description": "无坐标工单按县区登记"}
    r = client.post(
        "/api/v1/hotline/orders", headers={**auth("operator"), "Idempotency-Key": "other"}, json=order
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_mismatch"
    assert client.post("/api/v1/hotline/orders", json=order).status_code == 401
    r = client.post("/api/v1/hotline/orders", headers=auth("grid_worker"), json=order)
    assert r.status_code == 403
    r = client.post("/api/v1/hotline/orders", headers=auth("admin"), json=order)
    assert r.status_code == 201 and r.json()["region_code"] == demo_db.top_code
    engine = make_engine(demo_db.url)
    try:
        with session_scope(engine) as db:
            assert (
                db.scalar(select(func.count()).select_from(Event).where(Event.external_id == order["number"]))
                == 1
            )
    finally:
        engine.dispose()
