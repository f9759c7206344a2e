"""Open311 GeoReport v2 through the app on SQLite and PostgreSQL: discovery, services, service
definitions, POST (form-encoded as the spec and the common clients send it, JSON, query-only),
GET with the spec's filters, the spec's error documents in JSON and XML, and every kind of
malformed request refused with a 4xx that says why and leaves nothing behind."""

from __future__ import annotations

import json
import sys
import uuid
from types import SimpleNamespace
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from gridgov.db import session_scope
from gridgov.events.models import Event
from gridgov.open311 import keys
from gridgov.open311 import service as o311
from gridgov.open311.formats import format_w3c
from gridgov.open311.models import ApiKey, Open311Request

V2 = "/open311/v2"
SPEC_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture(scope="module")
def api_key(engine) -> str:
    with session_scope(engine) as db:
        return keys.create_api_key(db, "测试客户端", "dev@example.cn")


@pytest.fixture(scope="module")
def where(client, auth, demo_db):
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=auth("operator")).json()
    return {"long": str(grid["center"][0]), "lat": str(grid["center"][1])}


@pytest.fixture(scope="module")
def codes(client):
    """The public services, those published in full first (not in o311.WITHHELD_CATEGORIES)."""
    services = [s["service_code"] for s in client.get(f"{V2}/services.json").json()]
    return sorted(services, key=lambda c: c[:2] in o311.WITHHELD_CATEGORIES)


def _form(api_key, codes, where, **extra):
    return {
        "api_key": api_key,
        "service_code": codes[0],
        **where,
        "description": "人民路口井盖缺失，存在安全隐患",
        "media_url": "https://img.example.cn/p/1.jpg",
        **extra,
    }


def _post(client, fields, fmt="json", **kw):
    return client.post(f"{V2}/requests.{fmt}", data=fields, **kw)


def _errors(r, status):
    assert r.status_code == status, r.text
    if r.headers["content-type"].startswith("text/xml"):
        root = ET.fromstring(r.content)
        assert root.tag == "errors"
        out = [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]
    else:
        assert r.headers["content-type"].startswith("application/json")
        out = [(e["code"], e["description"]) for e in r.json()]
    assert out and all(code == status and text for code, text in out)
    return " | ".join(text for _, text in out)


def _count(engine, model=Event):
    with session_scope(engine) as db:
        return db.scalar(select(func.count()).select_from(model))


# --- discovery and services -------------------------------------------------------------------


def test_discovery_json_and_xml(client):
    d = client.get("/open311/discovery.json").json()
    assert d["changeset"] and d["contact"] and d["key_service"]
    ep = d["endpoints"][0]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2" and ep["type"] == "production"
    assert ep["url"].endswith("/open311/v2") and set(ep["formats"]) == {"text/xml", "application/json"}
    r = client.get(f"{V2}/discovery.xml")
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_json_and_xml_map_the_catalog(client, auth):
    catalog = client.get("/api/v1/catalog", headers=auth("operator")).json()
    items = {i["code"]: (c["name"], i) for c in catalog["categories"] for i in c["items"] if i["public"]}
    internal = {i["code"] for c in catalog["categories"] for i in c["items"] if not i["public"]}
    assert "TS001" in internal and "CG012" in items  # the shipped rule (docs/catalog.md)
    r = client.get(f"{V2}/services.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json; charset=utf-8"
    services = r.json()
    assert {s["service_code"] for s in services} == set(items)  # public items only
    for s in services[:20]:
        group, item = items[s["service_code"]]
        assert s["service_name"] == item["name"] and s["group"] == group
        assert s["metadata"] is False and s["type"] == "realtime"
        assert "、" not in (s["keywords"] or "")
    root = ET.fromstring(client.get(f"{V2}/services.xml").content)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    first = root.find("service")
    assert first.findtext("service_code") == services[0]["service_code"]
    assert first.findtext("metadata") == "false" and first.findtext("type") == "realtime"


def test_service_definition(client, codes):
    assert client.get(f"{V2}/services/{codes[0]}.json").json() == {"service_code": codes[0], "attributes": []}
    root = ET.fromstring(client.get(f"{V2}/services/{codes[0]}.xml").content)
    assert root.tag == "service_definition" and root.findtext("service_code") == codes[0]
    assert "NOPE99" in _errors(client.get(f"{V2}/services/NOPE99.json"), 404)
    _errors(client.get(f"{V2}/services/NOPE99.xml"), 404)


# --- POST -------------------------------------------------------------------------------------


def test_post_form_encoded_then_read_it_back(client, engine, api_key, codes, where):
    fields = _form(
        api_key,
        codes,
        where,
        first_name="三",
        last_name="张",
        phone="13812345678",
        email="zs@example.cn",
        device_id="dev-1",
        account_id="acct-9",
        address_string="人民路12号",
    )
    r = _post(client, fields)
    assert r.status_code == 200, r.text
    [row] = r.json()
    assert row["service_request_id"].startswith("SJ") and row["account_id"] is None
    assert "查询码" in row["service_notice"]
    with session_scope(engine) as db:
        e = db.scalar(select(Event).where(Event.code == row["service_request_id"]))
        assert e.channel == "open311" and e.item_code == codes[0] and e.grid_code
        assert e.reporter_name == "张三" and e.reporter_phone == "13812345678" and e.address == "人民路12号"
        extra = db.scalar(select(Open311Request).where(Open311Request.event_id == e.id))
        assert extra.media_url == fields["media_url"]
        assert db.scalar(select(ApiKey.last_used_at).where(ApiKey.id == extra.api_key_id)) is not None
    r = client.get(f"{V2}/requests/{row['service_request_id']}.json")
    [got] = r.json()
    assert list(got) == SPEC_FIELDS
    assert (
        got["status"] == "open"
        and got["service_code"] == codes[0]
        and got["media_url"] == fields["media_url"]
    )
    assert got["requested_datetime"].endswith("+08:00") and got["expected_datetime"] is None
    assert abs(got["lat"] - float(where["lat"])) < 1e-6 and abs(got["long"] - float(where["long"])) < 1e-6
    for secret in ("张三", "13812345678", "zs@example.cn", "dev-1", "acct-9", api_key):
        assert secret not in r.text
    root = ET.fromstring(client.get(f"{V2}/requests/{row['service_request_id']}.xml").content)
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == SPEC_FIELDS
    assert root.findtext("request/status") == "open"


def test_post_json_and_xml_answers(client, api_key, codes, where):
    body = {
        "api_key": api_key,
        "service_code": codes[1],
        "lat": float(where["lat"]),
        "long": float(where["long"]),
        "description": "JSON 客户端上报：路灯不亮",
    }
    r = client.post(f"{V2}/requests.json", json=body)
    assert r.status_code == 200, r.text
    assert r.json()[0]["service_request_id"].startswith("SJ")
    r = _post(client, _form(api_key, codes, where), fmt="xml")
    assert r.status_code == 200 and r.headers["content-type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests" and root.findtext("request/service_request_id").startswith("SJ")
    assert root.find("request/account_id") is not None


def test_post_everything_in_the_query_string(client, api_key, codes, where):
    """Some clients (node-open311) send every argument in the query string and no body."""
    r = client.post(
        f"{V2}/requests.json",
        params=_form(api_key, codes, where),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text


def test_post_by_standard_address(client, engine, api_key, codes):
    from gridgov.places.models import StandardAddress

    with session_scope(engine) as db:
        addr = db.scalar(
            select(StandardAddress)
            .where(StandardAddress.level == "building", StandardAddress.lon.is_not(None))
            .order_by(StandardAddress.id)
        )
        code, text, lon = addr.code, addr.text, addr.lon
    r = _post(
        client, {"api_key": api_key, "service_code": codes[0], "address_id": code, "description": "楼道堆物"}
    )
    assert r.status_code == 200, r.text
    [got] = client.get(f"{V2}/requests/{r.json()[0]['service_request_id']}.json").json()
    assert got["address_id"] == code and got["address"] == text and abs(got["long"] - lon) < 1e-9
    r = _post(
        client,
        {"api_key": api_key, "service_code": codes[0], "address_string": text, "description": "楼道堆物"},
    )
    assert r.status_code == 200, r.text
    r = _post(
        client,
        {"api_key": api_key, "service_code": codes[0], "address_id": "A0000000", "description": "楼道"},
    )
    assert "address_id" in _errors(r, 400)
    r = _post(
        client,
        {
            "api_key": api_key,
            "service_code": codes[0],
            "address_string": "火星大道1号",
            "description": "楼道堆物",
        },
    )
    assert "address_string" in _errors(r, 400)


def test_api_key_missing_wrong_or_revoked(client, engine, api_key, codes, where):
    before = _count(engine)
    fields = _form(api_key, codes, where)
    del fields["api_key"]
    assert "api_key" in _errors(_post(client, fields), 403)
    _errors(_post(client, {**fields, "api_key": "o311_wrong"}), 403)
    _errors(_post(client, fields, fmt="xml"), 403)
    with session_scope(engine) as db:
        other = keys.create_api_key(db, "将被停用的客户端")
        key_id = db.scalar(select(ApiKey.id).where(ApiKey.key_hash == keys._hash(other)))
    assert _post(client, {**fields, "api_key": other}).status_code == 200
    with session_scope(engine) as db:
        keys.revoke_api_key(db, key_id)
        assert [k["active"] for k in keys.list_api_keys(db) if k["id"] == key_id] == [False]
        assert all(len(k["prefix"]) == 6 for k in keys.list_api_keys(db))
        assert db.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.key_hash == other)) == 0
    _errors(_post(client, {**fields, "api_key": other}), 403)
    assert _count(engine) == before + 1


@pytest.mark.parametrize(
    "change,status,mentions",
    [
        ({"service_code": "NOPE99"}, 404, "service_code"),
        ({"service_code": None}, 400, "service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "lat/long"),
        ({"lat": "北纬41度"}, 400, "lat"),
        ({"lat": "91"}, 400, "lat"),
        ({"long": "nan"}, 400, "long"),
        ({"lat": "10.0", "long": "10.0"}, 400, "lat/long"),  # outside the territory
        ({"description": None}, 400, "description"),
        ({"description": "x"}, 400, "description"),
        ({"description": "a" * 4001}, 400, "description"),
        ({"description": "井盖\x00缺失"}, 400, "description"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"phone": "call me maybe"}, 400, "phone"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"first_name": "名" * 31}, 400, "first_name"),
    ],
)
def test_malformed_posts_are_refused_and_leave_nothing(
    client, engine, api_key, codes, where, change, status, mentions
):
    fields = {k: v for k, v in {**_form(api_key, codes, where), **change}.items() if v is not None}
    before, extras = _count(engine), _count(engine, Open311Request)
    assert mentions in _errors(_post(client, fields), status)
    assert (_count(engine), _count(engine, Open311Request)) == (before, extras)


def test_several_problems_come_back_together(client, api_key):
    r = _post(client, {"api_key": api_key, "lat": "x", "long": "200", "media_url": "ftp://x"})
    text = _errors(r, 400)
    assert len(r.json()) >= 4
    for field in ("service_code", "lat", "long", "description", "media_url"):
        assert field in text


@pytest.mark.parametrize("kind", ["bad_json", "json_array", "json_nested", "xml_body", "file", "twice"])
def test_malformed_bodies(client, engine, api_key, codes, where, kind):
    before = _count(engine)
    url = f"{V2}/requests.json"
    fields = _form(api_key, codes, where)
    if kind == "bad_json":
        r = client.post(url, content=b'{"api_key": ', headers={"content-type": "application/json"})
    elif kind == "json_array":
        r = client.post(url, json=[fields])
    elif kind == "json_nested":
        r = client.post(url, json={**fields, "lat": {"value": 1}})
    elif kind == "xml_body":
        r = client.post(url, content=b"<request/>", headers={"content-type": "text/xml"})
    elif kind == "file":
        r = client.post(url, data=fields, files={"media": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")})
    else:
        body = "&".join(f"{k}={v}" for k, v in fields.items()) + "&service_code=OTHER"
        r = client.post(
            url, content=body.encode(), headers={"content-type": "application/x-www-form-urlencoded"}
        )
    _errors(r, 400)
    assert _count(engine) == before


def test_idempotency_key(client, api_key, codes, where):
    key = str(uuid.uuid4())
    a = _post(client, _form(api_key, codes, where), headers={"Idempotency-Key": key})
    b = _post(client, _form(api_key, codes, where), headers={"Idempotency-Key": key})
    assert a.status_code == b.status_code == 200 and b.headers["idempotent-replay"] == "true"
    assert a.json()[0]["service_request_id"] == b.json()[0]["service_request_id"]
    c = _post(
        client, _form(api_key, codes, where, description="另一件事情"), headers={"Idempotency-Key": key}
    )
    _errors(c, 409)
    _errors(_post(client, _form(api_key, codes, where), headers={"Idempotency-Key": "short"}), 400)


def test_jurisdiction(client, monkeypatch, api_key, codes, where):
    real = o311.get_settings()
    monkeypatch.setattr(
        o311,
        "get_settings",
        lambda: SimpleNamespace(open311_jurisdiction="gridgov.example.cn", work_timezone=real.work_timezone),
    )
    assert (
        client.get(f"{V2}/services.json", params={"jurisdiction_id": "gridgov.example.cn"}).status_code == 200
    )
    assert client.get(f"{V2}/services.json").status_code == 200  # one jurisdiction: may be left out
    assert "jurisdiction_id" in _errors(
        client.get(f"{V2}/services.xml", params={"jurisdiction_id": "sfgov.org"}), 404
    )
    _errors(client.get(f"{V2}/requests.json", params={"jurisdiction_id": "sfgov.org"}), 404)
    _errors(_post(client, _form(api_key, codes, where, jurisdiction_id="sfgov.org")), 404)


# --- GET requests -----------------------------------------------------------------------------


def _event(client, auth, code):
    return client.get(f"/api/v1/events/{code}", headers=auth("operator")).json()


def _act(client, auth, ev, action, **body):
    r = client.post(
        f"/api/v1/events/{ev['code']}/actions/{action}",
        headers=auth("operator"),
        json={"version": ev["version"], **body},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_status_mapping_and_filters(client, auth, api_key, codes, where):
    ids = [
        _post(client, _form(api_key, codes, where, service_code=codes[2])).json()[0]["service_request_id"]
        for _ in range(4)
    ]
    closed, rejected, still_open, merged = ids
    ev = _act(client, auth, _event(client, auth, closed), "accept")
    _act(client, auth, ev, "close", note="已电话答复并处理")
    _act(client, auth, _event(client, auth, rejected), "reject", note="不属于本辖区职责")
    _act(client, auth, _event(client, auth, merged), "merge", into=still_open)
    got = {
        r["service_request_id"]: r
        for r in client.get(f"{V2}/requests.json", params={"service_request_id": ",".join(ids)}).json()
    }
    assert set(got) == set(ids)
    assert got[closed]["status"] == "closed" and got[closed]["status_notes"] == "已结案：已电话答复并处理"
    assert got[closed]["expected_datetime"] is None
    assert got[rejected]["status"] == "closed" and "不属于本辖区职责" in got[rejected]["status_notes"]
    assert got[still_open]["status"] == "open" and got[still_open]["status_notes"] == "已上报"
    assert got[merged]["status"] == "closed" and still_open in got[merged]["status_notes"]
    assert got[still_open]["updated_datetime"] >= got[still_open]["requested_datetime"]

    def listed(**params):
        r = client.get(f"{V2}/requests.json", params={"service_code": codes[2], **params})
        assert r.status_code == 200, r.text
        return {x["service_request_id"] for x in r.json()}

    assert set(ids) <= listed()
    assert closed in listed(status="closed") and still_open not in listed(status="closed")
    assert still_open in listed(status="open") and closed not in listed(status="open")
    assert set(ids) <= listed(status="open,closed")
    assert not set(ids) & listed(start_date="2999-01-01T00:00:00Z")
    assert not set(ids) & listed(end_date="2001-01-01")
    today = got[closed]["requested_datetime"][:10]
    assert set(ids) <= listed(start_date=today, end_date=today)
    assert not set(ids) & set(listed(service_code=codes[3]))
    root = ET.fromstring(client.get(f"{V2}/requests.xml", params={"service_request_id": ids[0]}).content)
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [ids[0]]
    unknown = client.get(f"{V2}/requests.json", params={"service_request_id": "SJ000,NOPE"})
    assert unknown.status_code == 200 and unknown.json() == []


@pytest.mark.parametrize(
    "params,mentions",
    [
        ({"start_date": "2026-11-01T00:00:00"}, "start_date"),
        ({"end_date": "yesterday"}, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"start_date": ["2026-11-01", "2026-11-02"]}, "start_date"),
        ({"service_request_id": ",".join(str(i) for i in range(1001))}, "service_request_id"),
    ],
)
def test_bad_queries(client, params, mentions):
    assert mentions in _errors(client.get(f"{V2}/requests.json", params=params), 400)
    _errors(client.get(f"{V2}/requests.xml", params=params), 400)


def test_only_public_reports_are_published(client, auth, where, codes):
    staff = client.post(
        "/api/v1/events",
        headers=auth("grid_worker"),
        json={
            "item_code": codes[0],
            "description": "网格员内部上报",
            "lon": float(where["long"]),
            "lat": float(where["lat"]),
        },
    )
    assert staff.status_code == 201, staff.text
    code = staff.json()["code"]
    _errors(client.get(f"{V2}/requests/{code}.json"), 404)
    assert client.get(f"{V2}/requests.json", params={"service_request_id": code}).json() == []
    resident = client.post(
        "/api/v1/public/reports",
        json={
            "item_code": codes[0],
            "description": "随手拍：路面塌陷",
            "lon": float(where["long"]),
            "lat": float(where["lat"]),
            "name": "李四",
            "phone": "13900001111",
        },
    )
    assert resident.status_code == 201, resident.text
    r = client.get(f"{V2}/requests/{resident.json()['code']}.json")
    assert r.status_code == 200 and "李四" not in r.text and "13900001111" not in r.text
    assert r.json()[0]["media_url"] is None


def test_unknown_resources_formats_and_tokens(client):
    assert "token" in _errors(client.get(f"{V2}/tokens/123456.json"), 404)
    _errors(client.get(f"{V2}/tokens/123456.xml"), 404)
    _errors(client.get(f"{V2}/requests/SJ000000.json"), 404)
    _errors(client.get(f"{V2}/requests/%00.json"), 404)
    assert "format" in _errors(client.get(f"{V2}/services.yaml"), 400)
    _errors(client.get(f"{V2}/nothing-here.json"), 404)
    _errors(client.get(f"{V2}/nothing-here.xml"), 404)


# --- a real client library ------------------------------------------------------------------------


def test_the_georeport_client_library(client, monkeypatch, api_key, codes, where):
    """``georeport`` (PyPI, GeoReport v2 reader) against our endpoint, in JSON and XML."""
    georeport = pytest.importorskip("georeport")
    module = sys.modules["georeport.georeport"]
    monkeypatch.setattr(
        module, "requests", SimpleNamespace(get=lambda url, params=None: client.get(url, params=params))
    )
    created = _post(client, _form(api_key, codes, where)).json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        gr = georeport.GeoReport(f"http://testserver{V2}/", output_format=fmt)
        services = gr.get_service_list()
        assert {s["service_code"] for s in services} == set(codes)
        definition = gr.get_service_definition(codes[0])
        assert definition["service_code"] == codes[0]
        requests = gr.get_service_requests(service_request_id=created)
        requests = requests if isinstance(requests, list) else [requests]  # xmltodict: one child is a dict
        assert [r["service_request_id"] for r in requests] == [created]
        one = gr.get_service_request(created)
        assert one["service_request_id"] == created and one["status"] == "open"
        assert gr.get_service_requests(status="open")


# --- fuzzing the Open311 operations ---------------------------------------------------------------


@pytest.fixture(scope="module")
def open311_schema(demo_app):
    import schemathesis

    demo_app.openapi_schema = None
    return schemathesis.openapi.from_asgi("/openapi.json", demo_app).include(path_regex="^/open311/")


def test_openapi_documents_every_open311_operation(client):
    paths = client.get("/openapi.json").json()["paths"]
    documented = {p for p in paths if p.startswith("/open311/")}
    assert {
        f"{V2}/services.{{fmt}}",
        f"{V2}/requests.{{fmt}}",
        f"{V2}/requests/{{service_request_id}}.{{fmt}}",
        f"{V2}/services/{{service_code}}.{{fmt}}",
        f"{V2}/tokens/{{token_id}}.{{fmt}}",
        "/open311/discovery.{fmt}",
    } <= documented
    post = paths[f"{V2}/requests.{{fmt}}"]["post"]
    assert {"application/x-www-form-urlencoded", "application/json"} <= set(post["requestBody"]["content"])
    assert {"200", "400", "403", "404"} <= set(post["responses"])


def test_fuzz_open311_no_server_errors_and_spec_errors(open311_schema):
    """Schemathesis over the Open311 operations: never a 5xx, every refusal in the spec's format."""
    from hypothesis import HealthCheck, given, settings

    for result in open311_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            if response.status_code >= 400 and response.status_code != 405:
                if response.content.startswith(b"<?xml"):
                    assert ET.fromstring(response.content).tag == "errors"
                else:
                    body = json.loads(response.content)
                    assert isinstance(body, list) and body[0]["code"] and body[0]["description"]

        run()


def test_sensitive_categories_publish_status_only(client, api_key, codes, where):
    """Disputes, special groups and police leads name people: status and dates, no content or place."""
    sensitive = next(c for c in codes if c.startswith("MD"))
    fields = _form(api_key, codes, where, service_code=sensitive, description="邻居张某家暴，住3号楼2单元")
    created = _post(client, fields).json()[0]["service_request_id"]
    [got] = client.get(f"{V2}/requests/{created}.json").json()
    assert got["status"] == "open" and got["service_code"] == sensitive and got["requested_datetime"]
    assert all(got[k] is None for k in ("description", "address", "address_id", "lat", "long", "media_url"))
    assert "张某" not in client.get(f"{V2}/requests.xml", params={"service_request_id": created}).text


def test_expected_datetime_is_the_disposal_deadline(client, auth, engine, api_key, where):
    catalog = client.get("/api/v1/catalog", headers=auth("operator")).json()
    dept = (
        client.get("/api/v1/auth/me", headers=auth("handler")).json()["department"]["code"].rsplit("-", 1)[-1]
    )
    item = next(i for c in catalog["categories"] for i in c["items"] if i["department_code"] == dept)
    fields = {
        "api_key": api_key,
        "service_code": item["code"],
        **where,
        "description": "人行道破损，行人绊倒",
    }
    code = _post(client, fields).json()[0]["service_request_id"]
    ev = _act(client, auth, _event(client, auth, code), "accept")
    ev = _act(client, auth, ev, "dispatch")
    r = client.post(
        f"/api/v1/events/{code}/actions/sign", headers=auth("handler"), json={"version": ev["version"]}
    )
    assert r.status_code == 200, r.text
    with session_scope(engine) as db:
        due = db.scalar(select(Event.handle_due_at).where(Event.code == code))
    [got] = client.get(f"{V2}/requests/{code}.json").json()
    assert got["status"] == "open" and got["status_notes"] == "处置中" and got["agency_responsible"]
    assert got["expected_datetime"] == format_w3c(due, ZoneInfo("Asia/Shanghai"))
