"""Editing the catalog's time limits: an edit replaces what it names and keeps the rest; the clock
never meets an item without a limit (a partial edit used to drop the other severities)."""

from __future__ import annotations

from gridgov.events.catalog_defaults import load_default_catalog

NORMAL = {"accept": 2, "dispatch": 2, "sign": 4, "handle": 40, "verify": 8}


def _items(client, auth) -> dict[str, dict]:
    body = client.get("/api/v1/catalog", headers=auth("admin")).json()
    return {i["code"]: i for c in body["categories"] for i in c["items"]}


def _edit(client, auth, *changes):
    return client.post("/api/v1/catalog/changes", headers=auth("admin"), json={"note": "时限测试", "changes": list(changes)})


def test_limits_are_merged_and_completed_from_the_severity_factors(client, auth):
    factors = {s.code: s.factor for s in load_default_catalog().severities}
    r = _edit(client, auth, {"code": "QT901", "category_code": "QT", "name": "时限测试事项", "severity": "normal",
                             "limits": {"normal": NORMAL}})
    assert r.status_code in (200, 201), r.text
    limits = _items(client, auth)["QT901"]["limits"]
    assert set(limits) == set(factors) and limits["normal"] == NORMAL
    assert limits["high"]["handle"] == round(40 * factors["high"], 6)
    # an edit of one step of one severity keeps every other number
    r = _edit(client, auth, {"code": "QT901", "limits": {"high": {"handle": 7}}})
    assert r.status_code in (200, 201), r.text
    after = _items(client, auth)["QT901"]["limits"]
    assert after["high"] == {**limits["high"], "handle": 7}
    assert {k: v for k, v in after.items() if k != "high"} == {k: v for k, v in limits.items() if k != "high"}
    assert _edit(client, auth, {"code": "QT901", "remove": True}).status_code in (200, 201)


def test_a_new_item_without_its_normal_limits_is_refused(client, auth):
    before = client.get("/api/v1/catalog", headers=auth("admin")).json()["version"]
    r = _edit(client, auth, {"code": "QT902", "category_code": "QT", "name": "缺时限事项", "severity": "normal",
                             "limits": {"normal": {"accept": 2}}})
    assert r.status_code == 422, r.text
    body = r.json()["error"]
    assert body["code"] == "incomplete_limits" and "normal.handle" in body["details"]["missing"]
    assert client.get("/api/v1/catalog", headers=auth("admin")).json()["version"] == before  # nothing half-applied
    assert "QT902" not in _items(client, auth)
