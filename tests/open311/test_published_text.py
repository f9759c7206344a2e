"""What the public sees, through real requests on SQLite and PostgreSQL: internal catalog items are
no Open311 service (absent from the list, 404 as a definition, refused on POST exactly like an unknown
code); a report whose text carries a phone number, an ID number and a car plate is stored whole for
the staff and published masked — Open311 GET requests (JSON and XML), the resident's tracking API and
page — and so are the handling notes published with it."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gridgov.db import session_scope
from gridgov.events.catalog_defaults import INTERNAL_ITEMS
from gridgov.events.models import Event
from gridgov.open311 import keys

V2 = "/open311/v2"
HTML = {"accept": "text/html,application/xhtml+xml"}
PHONE, CITIZEN_ID, PLATE, LANDLINE, MAIL = "13812345678", "210102199001011234", "辽K12345", "0419-3456789", "zs@qq.com"
TEXT = f"楼下井盖丢了，我的电话{PHONE}，身份证{CITIZEN_ID}，是车牌{PLATE}的货车压坏的，3栋2单元501室门前，2026-11-25 09:30 发现"
MASKED = ("138****5678", "2101**********1234", "辽K***45", "3栋2单元501室门前", "2026-11-25 09:30")
SECRETS = (PHONE, CITIZEN_ID, "K12345", "3456789", "zs@")


@pytest.fixture(scope="module")
def api_key(engine) -> str:
    with session_scope(engine) as db:
        return keys.create_api_key(db, "公开文本测试", "dev@example.cn")


@pytest.fixture(scope="module")
def resident(demo_app):
    """An anonymous resident's client, from its own address (its own public rate-limit buckets)."""
    return TestClient(demo_app, client=("203.0.113.12", 50000))


def _count(engine) -> int:
    with session_scope(engine) as db:
        return db.scalar(select(func.count()).select_from(Event))


def _errors(r, status: int) -> str:
    assert r.status_code == status, r.text
    if r.headers["content-type"].startswith("text/xml"):
        out = [(int(e.findtext("code")), e.findtext("description")) for e in ET.fromstring(r.content)]
    else:
        out = [(e["code"], e["description"]) for e in r.json()]
    assert out and all(code == status for code, _ in out)
    return " | ".join(text for _, text in out)


def _published(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


# --- internal items are no service ------------------------------------------------------------------


def test_internal_items_are_no_service(client, api_key, where, engine):
    listed = {s["service_code"] for s in client.get(f"{V2}/services.json").json()}
    assert len(listed) == 230 and not listed & set(INTERNAL_ITEMS) and not any(c.startswith("DJ") for c in listed)
    xml = ET.fromstring(client.get(f"{V2}/services.xml").content)
    assert {s.findtext("service_code") for s in xml.findall("service")} == listed
    for code in ("TS001", "DJ001", "ZZ013"):
        assert code in _errors(client.get(f"{V2}/services/{code}.json"), 404)
        _errors(client.get(f"{V2}/services/{code}.xml"), 404)
    before = _count(engine)
    base = {"api_key": api_key, "long": str(where["lon"]), "lat": str(where["lat"]), "description": "社区矫正人员脱管"}
    for fmt in ("json", "xml"):
        internal = _errors(client.post(f"{V2}/requests.{fmt}", data={**base, "service_code": "TS001"}), 404)
        unknown = _errors(client.post(f"{V2}/requests.{fmt}", data={**base, "service_code": "TS999"}), 404)
        assert internal.replace("TS001", "X") == unknown.replace("TS999", "X")  # indistinguishable
    assert _count(engine) == before


# --- personal data in published text -------------------------------------------------------------------


def test_a_resident_report_is_stored_whole_and_published_masked(client, auth, resident, where, engine):
    r = resident.post("/api/v1/public/reports", json={
        "item_code": "CG012", "description": TEXT, "address": f"人民路12号 电话{LANDLINE}", **where})
    assert r.status_code == 201, r.text
    view = r.json()
    tracking, code = view["tracking_code"], view["code"]
    # the staff see the text as typed (their own masking rules cover the reporter's fields)
    with session_scope(engine) as db:
        e = db.scalar(select(Event).where(Event.code == code))
        assert e.description == TEXT and e.address == f"人民路12号 电话{LANDLINE}"
    staff = client.get(f"/api/v1/events/{code}", headers=auth("operator")).json()
    assert staff["description"] == TEXT
    # the answer to the resident, the tracking API and the tracking page are public
    tracked = resident.get(f"/api/v1/public/reports/{tracking}")
    assert tracked.status_code == 200
    page = resident.get(f"/track/{tracking}", headers=HTML)
    assert page.status_code == 200
    for body in (r.text, tracked.text, page.text):
        _published(body)
    # a second report merged into it shows the event it joined — masked
    dup = resident.post("/api/v1/public/reports", json={"item_code": "CG012", "description": "井盖丢了", **where})
    assert dup.status_code == 201, dup.text
    dup_ev = client.get(f"/api/v1/events/{dup.json()['code']}", headers=auth("operator")).json()
    merged = client.post(f"/api/v1/events/{dup_ev['code']}/actions/merge", headers=auth("operator"),
                         json={"version": dup_ev["version"], "into": code})
    assert merged.status_code == 200, merged.text
    joined = resident.get(f"/api/v1/public/reports/{dup.json()['tracking_code']}").json()["merged_into"]
    assert joined["code"] == code and joined["address"] == "人民路12号 电话0419-*****89"
    assert all(m in joined["description"] for m in MASKED)
    _published(str(joined))
    assert "reporter_phone" not in joined and "reporter_name" not in joined
    staff = client.get(f"/api/v1/events/{code}", headers=auth("operator")).json()
    # Open311 GET publishes resident reports: masked in JSON and XML, one and many
    one = client.get(f"{V2}/requests/{code}.json")
    assert one.status_code == 200
    [row] = one.json()
    assert row["description"] == TEXT.replace(PHONE, "138****5678").replace(CITIZEN_ID, "2101**********1234").replace(
        PLATE, "辽K***45")
    assert row["address"] == "人民路12号 电话0419-*****89"
    for fmt in ("json", "xml"):
        body = client.get(f"{V2}/requests.{fmt}", params={"service_request_id": code}).text
        _published(body)
        assert "138****5678" in body and "3栋2单元501室" in body
    xml = ET.fromstring(client.get(f"{V2}/requests/{code}.xml").content)
    assert xml.find("request").findtext("description") == row["description"]
    # a handling note naming the reporter's number: published masked, kept whole in the timeline
    ev = client.post(f"/api/v1/events/{code}/actions/accept", headers=auth("operator"),
                     json={"version": staff["version"]}).json()
    r = client.post(f"/api/v1/events/{code}/actions/close", headers=auth("operator"),
                    json={"version": ev["version"], "note": f"已电话联系{PHONE}并补装井盖，邮箱{MAIL}已回复"})
    assert r.status_code == 200, r.text
    [row] = client.get(f"{V2}/requests/{code}.json").json()
    assert row["status"] == "closed"
    assert row["status_notes"] == "已结案：已电话联系138****5678并补装井盖，邮箱z***@qq.com已回复"
    for body in (client.get(f"{V2}/requests/{code}.xml").text, resident.get(f"/api/v1/public/reports/{tracking}").text,
                 resident.get(f"/track/{tracking}", headers=HTML).text):
        _published(body)
        assert "138****5678" in body
    timeline = client.get(f"/api/v1/events/{code}", headers=auth("operator")).json()["timeline"]
    assert any(PHONE in (step["note"] or "") for step in timeline)


def test_an_open311_report_is_published_masked(client, api_key, where, engine):
    fields = {"api_key": api_key, "service_code": "CG013", "long": str(where["lon"]), "lat": str(where["lat"]),
              "description": f"{TEXT}，有事打{LANDLINE}或发邮件{MAIL}", "address_string": "人民路12号",
              "phone": PHONE}
    r = client.post(f"{V2}/requests.json", data=fields)
    assert r.status_code == 200, r.text
    code = r.json()[0]["service_request_id"]
    with session_scope(engine) as db:
        assert db.scalar(select(Event.description).where(Event.code == code)) == fields["description"]
    for fmt in ("json", "xml"):
        body = client.get(f"{V2}/requests/{code}.{fmt}").text
        _published(body)
        assert all(m in body for m in MASKED) and "0419-*****89" in body and "z***@qq.com" in body
    listed = client.get(f"{V2}/requests.json", params={"service_code": "CG013"}).json()
    assert code in {x["service_request_id"] for x in listed}
    _published(str(listed))
