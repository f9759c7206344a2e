"""Public and internal catalog items (对公众开放), on SQLite and PostgreSQL through the app: the shipped
rule and the migration that applies it to a deployed database, the flag carried through catalog
versions, the catalog API and the admin page; residents (随手拍 page and API) file public items only,
while staff channels keep every item."""

from __future__ import annotations

import importlib.util
import os
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gridgov.db import get_engine, session_scope, upgrade
from gridgov.events.catalog_defaults import (
    INTERNAL_CATEGORIES,
    INTERNAL_ITEMS,
    is_public,
    load_default_catalog,
)
from gridgov.events.models import CatalogVersion, Event
from gridgov.open311 import keys
from gridgov.web.resident import RESIDENT_ITEMS

BACKENDS = [b for b in os.environ.get("GRIDGOV_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
MIGRATION = "gridgov/migrations/versions/0011_catalog_public.py"
HTML = {"accept": "text/html,application/xhtml+xml"}


# --- the rule (pure) ------------------------------------------------------------------------------


def test_the_shipped_rule():
    catalog = load_default_catalog()
    codes = {i.code for i in catalog.items}
    assert set(INTERNAL_ITEMS) <= codes  # every listed item exists
    internal = {i.code for i in catalog.items if not i.public}
    assert len(internal) == 49 and len(codes) - len(internal) == 230
    assert {i.code for i in catalog.items if i.category_code == "DJ"} <= internal  # 党建: the whole category
    # watch lists and police leads are internal ...
    assert {"TS001", "TS003", "TS005", "ZZ005", "ZZ009", "ZZ013", "ZA004", "ZA006", "NY008", "QT005"} <= internal
    # ... a resident's own request for help, a dispute they are party to, what anyone sees in the street are not
    assert not {"TS009", "TS013", "MD001", "MD003", "ZA015", "ZA017", "ZZ007", "CG012", "YJ001", "QT006"} & internal
    # the public still find something in almost every category (党建 is the only one closed whole)
    assert {c.code for c in catalog.categories} - {i.category_code for i in catalog.items if i.public} == {"DJ"}
    assert all(i.public == is_public(i.code, i.category_code) for i in catalog.items)


def test_the_migration_applies_the_same_rule():
    spec = importlib.util.spec_from_file_location("m0011", MIGRATION)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    assert set(m.INTERNAL_ITEMS) == set(INTERNAL_ITEMS) and len(m.INTERNAL_ITEMS) == len(INTERNAL_ITEMS)
    assert set(m.INTERNAL_CATEGORIES) == set(INTERNAL_CATEGORIES)


def test_the_resident_form_lists_public_items():
    catalog = load_default_catalog()
    assert all(catalog.item(code).public for code in RESIDENT_ITEMS)


@pytest.fixture(params=BACKENDS)
def before_0011(request, fresh_database) -> str:
    url = fresh_database(request.param)
    upgrade(url, "0010_sensors")
    return url


def test_the_migration_sets_the_flag_of_existing_rows(before_0011):
    """A deployed database (catalog rows without the column) gets the flag by the rule, in every version;
    an item an administrator added stays public."""
    versions = sa.table("catalog_versions", sa.column("id", sa.Integer), sa.column("number", sa.Integer),
                        sa.column("is_current", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)))
    items = sa.table("catalog_items", sa.column("version_id", sa.Integer), sa.column("code", sa.String),
                     sa.column("category_code", sa.String), sa.column("name", sa.String),
                     sa.column("severity", sa.String), sa.column("self_resolvable", sa.Boolean),
                     sa.column("limits", sa.JSON))
    rows = [("CG012", "CG", "井盖缺失破损"), ("TS001", "TS", "社区矫正对象异常"), ("DJ003", "DJ", "党群服务阵地问题"),
            ("ZA020", "ZA", "社会生活噪声扰民"), ("ZA004", "ZA", "涉毒线索"), ("CG099", "CG", "管理员新增的事项")]
    engine = get_engine(before_0011)
    with engine.begin() as conn:
        for number in (1, 2):
            conn.execute(versions.insert().values(id=number, number=number, is_current=number == 2,
                                                  created_at=sa.func.now()))
            conn.execute(items.insert(), [
                {"version_id": number, "code": code, "category_code": cat, "name": name, "severity": "normal",
                 "self_resolvable": False, "limits": {"normal": {"handle": 8}}} for code, cat, name in rows])
    upgrade(before_0011)
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT version_id, code, public FROM catalog_items")).all()
    assert len(got) == 12
    assert {(code, bool(public)) for _, code, public in got} == {
        ("CG012", True), ("TS001", False), ("DJ003", False), ("ZA020", True), ("ZA004", False), ("CG099", True)}
    engine.dispose()


# --- through the app --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def resident(demo_app):
    """An anonymous resident's client, from its own address (its own public rate-limit buckets)."""
    return TestClient(demo_app, client=("203.0.113.11", 50000))


@pytest.fixture(scope="module")
def api_key(engine) -> str:
    with session_scope(engine) as db:
        return keys.create_api_key(db, "公开事项测试", "dev@example.cn")


def _flags(client, auth, number: int | None = None) -> dict[str, bool]:
    path = f"/api/v1/catalog/versions/{number}" if number else "/api/v1/catalog"
    r = client.get(path, headers=auth("operator"))
    assert r.status_code == 200, r.text
    return {i["code"]: i["public"] for c in r.json()["categories"] for i in c["items"]}


def _count(engine, model=Event) -> int:
    with session_scope(engine) as db:
        return db.scalar(select(func.count()).select_from(model))


def test_the_installed_catalog_carries_the_rule(client, auth):
    flags = _flags(client, auth)
    assert flags == {i.code: i.public for i in load_default_catalog().items}


def test_residents_file_public_items_only_staff_file_any(client, auth, resident, where, engine):
    before = _count(engine)
    for code in ("TS001", "DJ001", "ZA004"):
        r = resident.post("/api/v1/public/reports", json={"item_code": code, "description": "有人脱管了", **where})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "item_not_public" and "不受理群众上报" in error["message"]
        assert error["details"] == {"item_code": code}
    r = resident.post("/api/v1/public/reports", json={"item_code": "XX999", "description": "不存在的事项", **where})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_item"
    assert _count(engine) == before  # nothing half-filed
    r = resident.post("/api/v1/public/reports", json={"item_code": "CG012", "description": "井盖缺失", **where})
    assert r.status_code == 201, r.text
    # staff channels keep every item: the grid worker files 社区矫正对象异常, the centre a 12345 call about it
    r = client.post("/api/v1/events", headers=auth("grid_worker"),
                    json={"item_code": "TS001", "description": "社区矫正对象两日未报到", **where})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/events", headers=auth("operator"),
                    json={"channel": "hotline", "item_code": "ZA004", "description": "来电反映涉毒线索", **where})
    assert r.status_code == 201, r.text
    assert _count(engine) == before + 3


def test_the_report_page_offers_public_items_only(resident):
    page = resident.get("/report", headers=HTML)
    assert page.status_code == 200
    offered = set(re.findall(r'name="item_code" value="([A-Z]{2}\d{3})"', page.text))
    assert offered == set(RESIDENT_ITEMS)
    assert not offered & set(INTERNAL_ITEMS)


def _web_login(web: TestClient, username: str, password: str) -> str:
    web.cookies.clear()
    web.get("/login")
    r = web.post("/login", data={"username": username, "password": password,
                                 "csrf_token": web.cookies.get("gridgov_login_csrf")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', web.get("/map", headers=HTML).text)
    return match.group(1) if match else ""


def _edit(client, auth, changes, note="公开范围调整（测试）"):
    return client.post("/api/v1/catalog/changes", headers=auth("admin"), json={"note": note, "changes": changes})


def test_the_flag_through_versions_the_api_and_every_public_channel(client, auth, resident, where, engine,
                                                                   api_key):
    """Closing CG020 to the public: a new version copying every other flag, the old version untouched;
    gone from the report page, Open311 and the resident API, its published requests withdrawn; the
    grid worker still files it. Opening it again brings everything back."""
    original = _flags(client, auth)
    v0 = client.get("/api/v1/catalog", headers=auth("operator")).json()["version"]
    filed = resident.post("/api/v1/public/reports",
                          json={"item_code": "CG020", "description": "共享单车堆满人行道", **where})
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    assert client.get(f"/open311/v2/requests/{code}.json").status_code == 200
    # a bad flag is refused and writes nothing
    versions = _count(engine, CatalogVersion)
    for bad in ({"code": "CG020", "public": "no"}, {"code": "CG020", "public": 0}, {"code": "CG020", "pubic": False}):
        r = _edit(client, auth, [bad])
        assert r.status_code == 422, (bad, r.text)
    assert _count(engine, CatalogVersion) == versions
    r = client.post("/api/v1/catalog/changes", headers=auth("operator"),
                    json={"changes": [{"code": "CG020", "public": False}]})
    assert r.status_code == 403  # only an administrator edits the catalog
    r = _edit(client, auth, [{"code": "CG020", "public": False}])
    assert r.status_code == 201, r.text
    try:
        assert r.json()["version"] == v0 + 1
        now = _flags(client, auth)
        assert now["CG020"] is False and {k: v for k, v in now.items() if k != "CG020"} == {
            k: v for k, v in original.items() if k != "CG020"}  # the new version copies every other flag
        assert _flags(client, auth, v0)["CG020"] is True  # the old version is untouched
        # the public no longer sees it ...
        assert "CG020" not in {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
        assert client.get("/open311/v2/services/CG020.json").status_code == 404
        r = client.post("/open311/v2/requests.json", data={
            "api_key": api_key, "service_code": "CG020", "long": str(where["lon"]), "lat": str(where["lat"]),
            "description": "共享单车乱停放"})
        assert r.status_code == 404 and r.json()[0]["code"] == 404
        r = resident.post("/api/v1/public/reports", json={"item_code": "CG020", "description": "单车乱停", **where})
        assert r.status_code == 422 and r.json()["error"]["code"] == "item_not_public"
        assert 'value="CG020"' not in resident.get("/report", headers=HTML).text
        assert client.get(f"/open311/v2/requests/{code}.json").status_code == 404  # withdrawn from GET
        listed = client.get("/open311/v2/requests.json", params={"service_request_id": code}).json()
        assert listed == []
        # ... the staff still file it
        r = client.post("/api/v1/events", headers=auth("grid_worker"),
                        json={"item_code": "CG020", "description": "共享单车堆积", **where})
        assert r.status_code == 201, r.text
    finally:
        r = _edit(client, auth, [{"code": "CG020", "public": True}])
        assert r.status_code == 201, r.text
    assert _flags(client, auth) == original
    assert "CG020" in {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert client.get(f"/open311/v2/requests/{code}.json").status_code == 200
    assert 'value="CG020"' in resident.get("/report", headers=HTML).text


def test_the_admin_page_checkbox(demo_app, demo_db, client, auth):
    web = TestClient(demo_app)
    csrf = _web_login(web, *demo_db.users["admin"])
    page = web.get("/admin/catalog/items/ZA020", headers=HTML)
    assert page.status_code == 200 and "对公众开放" in page.text
    assert re.search(r'<input type="checkbox" name="public" value="1" id="it-public" checked>', page.text)
    item = next(i for c in client.get("/api/v1/catalog", headers=auth("operator")).json()["categories"]
                for i in c["items"] if i["code"] == "ZA020")
    form = {"csrf_token": csrf, "name": item["name"], "severity": item["severity"],
            "description": item["description"] or "", "department_code": item["department_code"] or "",
            "keywords": item["keywords"] or "", "note": "社会生活噪声改由网格员巡查上报（测试）",
            **{f"limit_{sev}_{step}": str(hours) for sev, steps in item["limits"].items()
               for step, hours in steps.items()}}
    if item["self_resolvable"]:
        form["self_resolvable"] = "1"
    r = web.post("/admin/catalog/items/ZA020", data=form, headers={**HTML, "X-CSRF-Token": csrf},
                 follow_redirects=False)  # the box left unticked
    assert r.status_code == 303, r.text
    try:
        assert _flags(client, auth)["ZA020"] is False
        listing = web.get("/admin/catalog?category=ZA", headers=HTML).text
        assert re.search(r'<tr data-item="ZA020">.*?data-public="false"', listing, re.S)
        assert re.search(r'<tr data-item="ZA019">.*?data-public="true"', listing, re.S)
        assert 'id="it-public" >' in web.get("/admin/catalog/items/ZA020", headers=HTML).text  # shown unticked
        assert "ZA020" not in {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    finally:
        r = web.post("/admin/catalog/items/ZA020", data={**form, "public": "1", "note": "恢复对公众开放（测试）"},
                     headers={**HTML, "X-CSRF-Token": csrf}, follow_redirects=False)
        assert r.status_code == 303, r.text
    assert _flags(client, auth)["ZA020"] is True


def test_the_demo_history_has_residents_report_public_items_only(engine):
    """The generated year: internal items come from grid workers, the centre and the hotline, never from
    the 随手拍 page or Open311 (whose requests would publish them)."""
    with session_scope(engine) as db:
        by_channel = dict(db.execute(
            select(Event.channel, func.count()).where(Event.item_code.in_(INTERNAL_ITEMS)).group_by(Event.channel)
        ).all())
        public_channels = db.scalar(select(func.count()).select_from(Event).where(
            Event.channel.in_(("resident", "open311"))))
    assert sum(by_channel.values()) > 0 and by_channel.get("grid", 0) > 0
    assert by_channel.get("resident", 0) == 0 and by_channel.get("open311", 0) == 0
    assert public_channels > 0
