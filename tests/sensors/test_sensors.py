"""The sensor channel: devices registered with keys post alarms that become events of channel
``sensor``; idempotent by (device, alarm id); keys and devices refused with 401/403; a point outside
the territory 422; malformed messages 4xx (never 500); a clearance notes the open event."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gridgov.db import make_engine, session_scope
from gridgov.events.models import Event

URL = "/api/v1/sensors/alarms"


def code(prefix: str = "YG") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def fire_dept(demo_db):
    from gridgov.access.models import Department

    engine = make_engine(demo_db.url)
    try:
        with session_scope(engine) as db:
            return db.scalar(select(Department.id).where(Department.code == f"{demo_db.top_code}-XF"))
    finally:
        engine.dispose()


def register(client, auth, where, **extra):
    body = {"code": code(), "type": "smoke", "name": "测试烟感", "address": "人民路12号3单元", **where, **extra}
    r = client.post("/api/v1/sensors/devices", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    return r.json()


def alarm(device_code: str, alarm_id: str | None = None, **extra):
    return {"device_code": device_code, "alarm_id": alarm_id or uuid.uuid4().hex[:12], "alarm_type": "smoke",
            "value": 0.31, "unit": "dB/m", "observed_at": "2026-12-01T08:15:00+08:00", **extra}


def events_of(demo_db, client_id: str) -> int:
    engine = make_engine(demo_db.url)
    try:
        with session_scope(engine) as db:
            return db.scalar(select(func.count()).select_from(Event).where(Event.channel == "sensor",
                                                                           Event.client_id == client_id))
    finally:
        engine.dispose()


def test_register_and_file_an_alarm(client, auth, where, fire_dept, demo_db):
    device = register(client, auth, where, department_id=fire_dept)
    assert device["key"].startswith("sns_") and device["grid_code"] and device["item_code"] == "XF011"
    body = alarm(device["code"])
    r = client.post(URL, json=body, headers={"X-Sensor-Key": device["key"]})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["created"] and out["kind"] == "alarm"
    e = out["event"]
    assert e["channel"] == "sensor" and e["item_code"] == "XF011" and e["state"] == "reported"
    assert e["grid_code"] == device["grid_code"] and e["lead_department_id"] == fire_dept
    assert "0.31dB/m" in e["description"] and "2026-12-01 08:15:00" in e["description"]
    # the centre sees it in its queue, with the device as the reporter
    detail = client.get(f"/api/v1/events/{e['id']}", headers=auth("operator")).json()
    assert detail["timeline"][0]["action"] == "report"
    listed = client.get("/api/v1/events", params={"channel": "sensor", "queue": "to_accept"},
                        headers=auth("operator")).json()
    assert e["id"] in [i["id"] for i in listed["items"]]
    # listed for the admin, never with its key
    devices = client.get("/api/v1/sensors/devices", headers=auth("admin")).json()
    mine = next(d for d in devices if d["code"] == device["code"])
    assert mine["last_seen_at"] is not None and "key" not in mine


def test_replay_returns_the_same_event_and_other_content_is_a_conflict(client, auth, where, demo_db):
    device = register(client, auth, where)
    headers = {"X-Sensor-Key": device["key"]}
    body = alarm(device["code"])
    first = client.post(URL, json=body, headers=headers)
    assert first.status_code == 201
    again = client.post(URL, json=body, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replay"] == "true"
    assert again.json()["event"]["id"] == first.json()["event"]["id"] and not again.json()["created"]
    other = client.post(URL, json={**body, "value": 0.9}, headers=headers)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert events_of(demo_db, f"s{device['id']}:{body['alarm_id']}") == 1
    # the same alarm id from another device is its own alarm
    second = register(client, auth, where)
    r = client.post(URL, json={**body, "device_code": second["code"]}, headers={"X-Sensor-Key": second["key"]})
    assert r.status_code == 201 and r.json()["event"]["id"] != first.json()["event"]["id"]


def test_keys_and_devices_are_refused(client, auth, where):
    device = register(client, auth, where)
    other = register(client, auth, where)
    body = alarm(device["code"])
    missing = client.post(URL, json=body)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "sensor_key_missing"
    bad = client.post(URL, json=body, headers={"X-Sensor-Key": "sns_" + "x" * 43})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "sensor_key_invalid"
    # a bad key is refused before the body is even looked at
    assert client.post(URL, json={"nonsense": 1}, headers={"X-Sensor-Key": "nope"}).status_code == 401
    unknown = client.post(URL, json=alarm("NO-SUCH-DEVICE"), headers={"X-Sensor-Key": device["key"]})
    assert unknown.status_code == 403 and unknown.json()["error"]["code"] == "sensor_device_unknown"
    foreign = client.post(URL, json=alarm(other["code"]), headers={"X-Sensor-Key": device["key"]})
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "sensor_device_unknown"
    # deactivated: the device and its own key
    r = client.post(f"/api/v1/sensors/devices/{device['code']}/deactivate", headers=auth("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    gone = client.post(URL, json=body, headers={"X-Sensor-Key": device["key"]})
    assert gone.status_code == 403 and gone.json()["error"]["code"] == "sensor_key_revoked"
    # only an admin manages devices
    assert client.post("/api/v1/sensors/devices", json={"code": code(), "type": "gas", "name": "x", **where},
                       headers=auth("operator")).status_code == 403
    assert client.get("/api/v1/sensors/devices", headers=auth("leader")).status_code == 403
    assert client.get("/api/v1/sensors/devices").status_code == 401
    assert client.post("/api/v1/sensors/devices/NO-SUCH/deactivate", headers=auth("admin")).status_code == 404
    # an IMEI is all digits: it is a code first, an id only when no device has that code
    imei = register(client, auth, where, code=str(860000000000000 + uuid.uuid4().int % 10**14))
    r = client.post(f"/api/v1/sensors/devices/{imei['code']}/deactivate", headers=auth("admin"))
    assert r.status_code == 200 and r.json()["code"] == imei["code"] and not r.json()["active"]
    r = client.post(f"/api/v1/sensors/devices/{other['id']}/deactivate", headers=auth("admin"))
    assert r.status_code == 200 and r.json()["code"] == other["code"]


def test_integration_key_covers_its_devices_until_revoked(client, auth, where):
    r = client.post("/api/v1/sensors/keys", json={"name": "城市物联网平台"}, headers=auth("admin"))
    assert r.status_code == 201
    key = r.json()
    a = register(client, auth, where, key_id=key["id"], type="manhole_tilt")
    b = register(client, auth, where, key_id=key["id"], type="gas")
    assert a["key"] is None and b["key"] is None and a["item_code"] == "CG012" and b["item_code"] == "YJ001"
    for d in (a, b):
        r = client.post(URL, json=alarm(d["code"], alarm_type="tilt"), headers={"X-Sensor-Key": key["key"]})
        assert r.status_code == 201, r.text
    lone = register(client, auth, where)
    assert client.post(URL, json=alarm(lone["code"]), headers={"X-Sensor-Key": key["key"]}).status_code == 403
    listed = {k["id"]: k for k in client.get("/api/v1/sensors/keys", headers=auth("admin")).json()}
    assert listed[key["id"]]["devices"] == 2 and listed[key["id"]]["kind"] == "integration"
    assert client.post(f"/api/v1/sensors/keys/{key['id']}/revoke", headers=auth("admin")).status_code == 200
    r = client.post(URL, json=alarm(a["code"]), headers={"X-Sensor-Key": key["key"]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "sensor_key_revoked"
    # a revoked or a device's own key cannot take new devices
    r = client.post("/api/v1/sensors/devices", json={"code": code(), "name": "x", "type": "gas", "key_id": key["id"],
                                                     **where}, headers=auth("admin"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_sensor_key"


def test_outside_the_territory(client, auth, where):
    r = client.post("/api/v1/sensors/devices", json={"code": code(), "type": "smoke", "name": "远方", "lon": 0.5,
                                                     "lat": 0.5}, headers=auth("admin"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "outside_grids"
    device = register(client, auth, where, type="gas")
    r = client.post(URL, json=alarm(device["code"], alarm_type="gas_leak", lon=10.0, lat=10.0),
                    headers={"X-Sensor-Key": device["key"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "outside_grids"
    # a moving device reporting from inside is filed where it was
    inside = {"lon": where["lon"] + 0.0001, "lat": where["lat"]}
    r = client.post(URL, json=alarm(device["code"], alarm_type="gas_leak", **inside),
                    headers={"X-Sensor-Key": device["key"]})
    assert r.status_code == 201 and abs(r.json()["event"]["lon"] - inside["lon"]) < 1e-9


def test_register_refusals(client, auth, where):
    device = register(client, auth, where)
    again = client.post("/api/v1/sensors/devices", json={"code": device["code"], "name": "重复", **where},
                        headers=auth("admin"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "device_code_taken"
    for body, status in [({"code": code(), "name": "x", "type": "other", **where}, 422),  # no item for "other"
                         ({"code": code(), "name": "x", "item_code": "ZZ999", **where}, 422),
                         ({"code": code(), "name": "x", "department_id": 999999, "type": "gas", **where}, 422),
                         ({"code": "a", "name": "x", **where}, 422),
                         ({"code": code(), "name": "x", "type": "laser", **where}, 422),
                         ({"code": code(), "name": "x", "lon": "east", "lat": 1}, 422)]:
        r = client.post("/api/v1/sensors/devices", json=body, headers=auth("admin"))
        assert r.status_code == status, (body, r.text)


def test_malformed_messages_are_4xx(client, auth, where):
    device = register(client, auth, where)
    headers = {"X-Sensor-Key": device["key"]}
    good = alarm(device["code"])
    bad_bodies = [
        {},
        {**good, "observed_at": "2026-12-01T08:15:00"},  # no time zone
        {**good, "observed_at": "yesterday"},
        {**good, "observed_at": "0001-01-01T00:00:00+14:00"},  # out of datetime's range once in UTC
        {**good, "observed_at": "9999-12-31T23:59:59-14:00"},
        {**good, "value": "high"},
        {**good, "value": 1e300},
        {**good, "alarm_id": ""},
        {**good, "alarm_id": "x" * 49},
        {**good, "alarm_id": "含中文"},
        {**good, "alarm_type": "SMOKE!"},
        {**good, "status": "maybe"},
        {**good, "lon": 123.0},  # lon without lat
        {**good, "lon": 500, "lat": 41},
        {**good, "extra": 1},
        {**good, "device_code": 12345},
        {**good, "message": "x" * 501},
        [good],
        "not an object",
    ]
    for body in bad_bodies:
        r = client.post(URL, json=body, headers=headers)
        assert r.status_code == 422, (body, r.status_code, r.text)
        assert r.json()["error"]["code"] == "invalid_request"
    for raw, ctype in [(b"{not json", "application/json"), (b"\xff\xfe", "application/json"),
                       (b"device_code=x", "application/x-www-form-urlencoded")]:
        r = client.post(URL, content=raw, headers={**headers, "Content-Type": ctype})
        assert 400 <= r.status_code < 500, (raw, r.status_code)


def test_cleared_alarm_notes_the_open_event(client, auth, where, demo_db):
    device = register(client, auth, where, type="water_level")
    headers = {"X-Sensor-Key": device["key"]}
    raised = client.post(URL, json=alarm(device["code"], "W-1", alarm_type="water_high", value=1.8, unit="m"),
                         headers=headers)
    assert raised.status_code == 201
    event_id = raised.json()["event"]["id"]
    clear = alarm(device["code"], "W-1", alarm_type="water_high", value=0.2, unit="m", status="cleared",
                  observed_at="2026-12-01T09:00:00+08:00")
    r = client.post(URL, json=clear, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "cleared" and r.json()["noted"] and r.json()["event"]["id"] == event_id
    timeline = client.get(f"/api/v1/events/{event_id}", headers=auth("operator")).json()["timeline"]
    assert [t["action"] for t in timeline] == ["report", "comment"]
    assert "恢复正常" in timeline[1]["note"] and timeline[1]["actor"] == "测试烟感"
    assert events_of(demo_db, f"s{device['id']}:W-1") == 1  # no new event
    # the clearance repeated: same answer, no second note; other content: 409
    again = client.post(URL, json=clear, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replay"] == "true" and again.json()["noted"]
    assert len(client.get(f"/api/v1/events/{event_id}", headers=auth("operator")).json()["timeline"]) == 2
    assert client.post(URL, json={**clear, "value": 0.5}, headers=headers).status_code == 409
    # a clearance under a new id finds the device's open event of that alarm type
    r2 = client.post(URL, json={**clear, "alarm_id": "W-1-clear", "observed_at": "2026-12-01T09:05:00+08:00"},
                     headers=headers)
    assert r2.status_code == 200 and r2.json()["noted"] and r2.json()["event"]["id"] == event_id
    # nothing open to clear: accepted, nothing noted, nothing filed
    r3 = client.post(URL, json={**clear, "alarm_id": "W-9", "alarm_type": "battery_low"}, headers=headers)
    assert r3.status_code == 200 and not r3.json()["noted"] and r3.json()["event"] is None
    assert events_of(demo_db, f"s{device['id']}:W-9") == 0


def test_cleared_after_close_adds_nothing(client, auth, where):
    device = register(client, auth, where)
    headers = {"X-Sensor-Key": device["key"]}
    e = client.post(URL, json=alarm(device["code"], "C-1"), headers=headers).json()["event"]
    r = client.post(f"/api/v1/events/{e['id']}/actions/reject", json={"note": "误报"}, headers=auth("operator"))
    assert r.status_code == 200, r.text
    r = client.post(URL, json=alarm(device["code"], "C-1", status="cleared"), headers=headers)
    assert r.status_code == 200 and not r.json()["noted"] and r.json()["event"]["id"] == e["id"]
    timeline = client.get(f"/api/v1/events/{e['id']}", headers=auth("operator")).json()["timeline"]
    assert [t["action"] for t in timeline] == ["report", "reject"]


def test_cli_add_list_revoke(demo_db, where):
    from gridgov.cli import app

    runner = CliRunner()
    dev = code("JG")
    url = ["--database-url", demo_db.url]
    r = runner.invoke(app, ["sensors", "add", dev, "--name", "人民路井盖", "--type", "manhole_tilt",
                            "--lon", str(where["lon"]), "--lat", str(where["lat"]),
                            "--department", f"{demo_db.top_code}-CG", *url])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1].startswith("sns_")
    r = runner.invoke(app, ["sensors", "list", *url])
    assert r.exit_code == 0 and dev in r.output
    r = runner.invoke(app, ["sensors", "add", code(), "--name", "远方", "--lon", "0.5", "--lat", "0.5",
                            "--type", "smoke", *url])
    assert r.exit_code == 2 and "不在任何网格内" in r.output
    r = runner.invoke(app, ["sensors", "key", "add", "物联网平台", *url])
    assert r.exit_code == 0 and r.stdout.strip().splitlines()[-1].startswith("sns_")
    assert runner.invoke(app, ["sensors", "key", "list", *url]).exit_code == 0
    r = runner.invoke(app, ["sensors", "revoke", dev, *url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["sensors", "list", *url])
    assert dev not in r.output
    assert dev in runner.invoke(app, ["sensors", "list", "--all", *url]).output
    assert runner.invoke(app, ["sensors", "revoke", "NO-SUCH", *url]).exit_code == 2
