"""Disputes through the API on SQLite and PostgreSQL: registering with register and free-text
parties, repeats raising the colour, mediation → resolved, referral, follow-up, 化解率, scope, bad input."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gridgov.access.models import User, UserScope
from gridgov.db import get_engine, session_scope, utcnow
from gridgov.demo.loader import DEMO_PASSWORD
from gridgov.disputes.colour import RISK_GROUPS
from gridgov.disputes.models import Dispute
from gridgov.people.models import Organization, Person, SpecialGroupMember

TODAY = date.today().isoformat()


@pytest.fixture(scope="module")
def world(client, auth, demo_db):
    """Where to report, register persons in and outside the grid worker's grid, another grid's worker."""
    grid = client.get(f"/api/v1/regions/{demo_db.first_grid}", headers=auth("operator")).json()
    with session_scope(get_engine(demo_db.url)) as db:
        grouped = select(SpecialGroupMember.person_id)  # parties in a special group would start red
        inside = list(
            db.scalars(
                select(Person.id)
                .where(Person.grid_code.startswith(demo_db.first_grid), Person.id.not_in(grouped))
                .order_by(Person.id)
                .limit(40)
            )
        )
        outside = db.scalar(
            select(Person.id)
            .where(
                ~Person.grid_code.startswith(demo_db.first_grid),
                Person.grid_code.startswith(demo_db.first_grid[:12]),
            )
            .limit(1)
        )
        risky = db.scalar(
            select(SpecialGroupMember.person_id).where(
                SpecialGroupMember.grid_code.startswith(demo_db.top_code),
                SpecialGroupMember.group.in_(RISK_GROUPS),
                SpecialGroupMember.valid_from <= date.today(),
                SpecialGroupMember.valid_to.is_(None),
            )
        )
        org = db.scalar(
            select(Organization.id).where(Organization.grid_code.startswith(demo_db.top_code)).limit(1)
        )
        other_worker, other_grid = db.execute(
            select(User.username, UserScope.region_code)
            .join(UserScope, UserScope.user_id == User.id)
            .where(
                User.role == "grid_worker",
                UserScope.region_code != demo_db.first_grid,
                UserScope.region_code.startswith(demo_db.first_grid[:12]),
            )
            .limit(1)
        ).one()
    assert len(inside) >= 10 and outside and org
    r = client.post("/api/v1/auth/token", data={"username": other_worker, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {
        "where": {"lon": grid["center"][0], "lat": grid["center"][1]},
        "persons": iter(inside),
        "outside": outside,
        "risky": risky,
        "org": org,
        "other": {"Authorization": f"Bearer {r.json()['access_token']}"},
    }


def _free(name: str | None = None, phone: str = "13912345678", role: str = "respondent") -> dict:
    return {"kind": "free", "name": name or f"赵{uuid.uuid4().hex[:6]}", "phone": phone, "role": role}


def _create(client, auth, world, parties, role="grid_worker", expect=201, **extra):
    body = {
        "type": "neighbour",
        "description": "楼上漏水致楼下天花板受损，双方争执",
        **world["where"],
        "parties": parties,
        **extra,
    }
    if role != "grid_worker":
        body.setdefault("channel", "centre")
    r = client.post("/api/v1/disputes", headers=auth(role), json=body)
    assert r.status_code == expect, r.text
    return r.json()


def _post(client, headers, d, path, body, expect=201):
    r = client.post(f"/api/v1/disputes/{d['id']}/{path}", headers=headers, json=body)
    assert r.status_code == expect, (path, r.text)
    return r.json()


def test_create_with_register_person_and_free_party(client, auth, world):
    pid = next(world["persons"])
    d = _create(
        client,
        auth,
        world,
        [{"kind": "person", "person_id": pid, "role": "applicant"}, _free("赵 明", "139 1234 5678")],
        client_id=str(uuid.uuid4()),
    )
    assert d["status"] == "registered" and d["colour"] == "green" and d["colour_reason"] == "一般矛盾纠纷"
    assert d["event"]["is_dispute"] and d["event"]["category_code"] == "MD" and d["item_code"] == "MD001"
    assert d["event"]["state"] == "reported" and d["region_code"] == d["event"]["region_code"]
    person, free = d["parties"]
    assert person["person_id"] == pid and person["kind"] == "person" and "*" in person["name"]
    assert free["name"] == "赵*" and free["phone"] == "139****5678" and all(p["masked"] for p in d["parties"])
    # the event is an ordinary event of the centre's queues
    ev = client.get(f"/api/v1/events/{d['event_code']}", headers=auth("operator")).json()
    assert ev["is_dispute"] and ev["item_code"] == "MD001"
    # listed, filtered by colour / type / status
    page = client.get(
        "/api/v1/disputes",
        headers=auth("operator"),
        params={"colour": "green", "type": "neighbour", "status": "registered"},
    ).json()
    assert d["id"] in [i["id"] for i in page["items"]]
    assert all(i["colour"] == "green" for i in page["items"])
    assert d["id"] not in [
        i["id"]
        for i in client.get("/api/v1/disputes", headers=auth("operator"), params={"colour": "red"}).json()[
            "items"
        ]
    ]


def test_idempotent_registration(client, auth, world):
    key = str(uuid.uuid4())
    parties = [{"kind": "person", "person_id": next(world["persons"])}, _free()]
    a = _create(client, auth, world, parties, client_id=key)
    r = client.post(
        "/api/v1/disputes",
        headers=auth("grid_worker"),
        json={
            "type": "neighbour",
            "description": "楼上漏水致楼下天花板受损，双方争执",
            **world["where"],
            "parties": parties,
            "client_id": key,
        },
    )
    assert r.status_code == 200 and r.json()["id"] == a["id"] and r.headers["idempotent-replay"] == "true"


def test_repeat_disputes_between_the_same_parties_raise_the_colour(client, auth, world):
    pid = next(world["persons"])
    name = f"钱{uuid.uuid4().hex[:4]}"
    pair = [{"kind": "person", "person_id": pid, "role": "applicant"}, _free(name, "13800001111")]
    first = _create(client, auth, world, pair)
    # another pair sharing one party only is not a repeat
    other = _create(client, auth, world, [pair[0], _free()])
    assert first["colour"] == other["colour"] == "green" and other["repeat_count"] == 0
    # the same free-text party spelled with spaces is the same party
    second = _create(client, auth, world, [pair[0], _free(f" {name[0]} {name[1:]} ", "138 0000 1111")])
    assert second["colour"] == "yellow" and second["repeat_count"] == 1 and "第2次" in second["colour_reason"]
    third = _create(client, auth, world, list(reversed(pair)))
    assert third["colour"] == "red" and third["repeat_count"] == 2 and "第3次" in third["colour_reason"]
    # family disputes escalate faster: a repeat within 90 days is red at once
    fam = [{"kind": "person", "person_id": next(world["persons"])}, _free()]
    assert _create(client, auth, world, fam, type="family")["colour"] == "green"
    again = _create(client, auth, world, fam, type="family")
    assert again["colour"] == "red" and again["item_code"] == "MD002" and "90天内" in again["colour_reason"]
    # flags: a threat or a group of five is red; a manual judgement raises
    flag = [{"kind": "person", "person_id": next(world["persons"])}, _free()]
    assert _create(client, auth, world, flag, threat=True)["colour"] == "red"
    assert _create(client, auth, world, [flag[0], _free()], people_involved=6)["colour"] == "red"
    assert _create(client, auth, world, [flag[0], _free()], colour="yellow")["colour"] == "yellow"
    assert _create(client, auth, world, [flag[0], _free()], type="expropriation")["colour"] == "yellow"


def test_a_party_in_a_risk_group_makes_it_red(client, auth, world):
    assert world["risky"], "the demo county has risk-group members"
    d = _create(
        client, auth, world, [{"kind": "person", "person_id": world["risky"]}, _free()], role="operator"
    )
    assert d["colour"] == "red" and "重点人群" in d["colour_reason"]


def test_rejected_or_merged_disputes_do_not_count_as_repeats(client, auth, world):
    pair = [{"kind": "person", "person_id": next(world["persons"])}, _free()]
    first = _create(client, auth, world, pair)
    r = client.post(
        f"/api/v1/events/{first['event_code']}/actions/reject",
        headers=auth("operator"),
        json={"note": "不属于纠纷"},
    )
    assert r.status_code == 200, r.text
    assert _create(client, auth, world, pair)["colour"] == "green"
    # and a rejected dispute takes no more mediation records
    r = client.post(
        f"/api/v1/disputes/{first['id']}/sessions",
        headers=auth("grid_worker"),
        json={"held_on": TODAY, "result": "success"},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "event_closed_out"


def test_sessions_agreement_follow_up_and_the_event_workflow(client, auth, world):
    d = _create(client, auth, world, [{"kind": "person", "person_id": next(world["persons"])}, _free()])
    gw = auth("grid_worker")
    d = _post(client, gw, d, "sessions", {"held_on": TODAY, "place": "社区调解室", "result": "continued"})
    assert d["status"] == "mediating" and d["sessions"][0]["mediator_name"] == "网格员 王芳"
    d = _post(
        client, gw, d, "sessions", {"held_on": TODAY, "result": "failed", "mediator_name": "老党员 孙大爷"}
    )
    assert d["status"] == "failed" and d["colour"] == "yellow" and "调解不成" in d["colour_reason"]
    d = _post(client, gw, d, "agreements", {"signed_on": TODAY, "content": "楼上住户修复防水层并赔偿1200元"})
    assert d["status"] == "mediating" and not d["agreements"][0]["performed"]
    aid = d["agreements"][0]["id"]
    d = _post(client, gw, d, f"agreements/{aid}/performed", {}, expect=200)
    assert d["status"] == "resolved" and d["resolution"] == "agreement" and d["resolved_at"]
    _post(client, gw, d, f"agreements/{aid}/performed", {}, expect=409)
    r = _post(client, gw, d, "sessions", {"held_on": TODAY, "result": "success"}, expect=409)
    assert r["error"]["code"] == "dispute_resolved"
    # a follow-up finds it flared up again: back to mediation, then resolved by a session
    d = _post(client, gw, d, "follow-ups", {"visited_on": TODAY, "notes": "双方再次争吵", "stable": False})
    assert d["status"] == "mediating" and d["resolved_at"] is None and "反弹" in d["colour_reason"]
    d = _post(client, gw, d, "sessions", {"held_on": TODAY, "result": "success"})
    assert d["status"] == "resolved" and d["resolution"] == "mediation"
    d = _post(client, gw, d, "follow-ups", {"visited_on": TODAY, "notes": "回访稳定", "stable": True})
    assert d["status"] == "resolved" and len(d["follow_ups"]) == 2
    # the event still runs its own workflow: the centre accepts and closes it
    ev = d["event"]
    assert "accept" in [
        a["action"]
        for a in client.get(f"/api/v1/disputes/{d['id']}", headers=auth("operator")).json()["event"][
            "actions"
        ]
    ]
    for action, body in (("accept", {}), ("close", {"note": "纠纷已调解化解"})):
        r = client.post(f"/api/v1/events/{ev['code']}/actions/{action}", headers=auth("operator"), json=body)
        assert r.status_code == 200, r.text
    d = client.get(f"/api/v1/disputes/{d['id']}", headers=auth("operator")).json()
    assert d["event_state"] == "closed" and d["status"] == "resolved"
    # every record is in the audit trail
    trail = client.get("/api/v1/audit", headers=auth("leader"), params={"limit": 200}).json()
    actions = {e["action"] for e in trail if e["object_type"] == "dispute" and e["object_id"] == str(d["id"])}
    assert {
        "dispute.create",
        "dispute.session",
        "dispute.agreement",
        "dispute.agreement_performed",
        "dispute.follow_up",
    } <= actions


def test_referral(client, auth, world):
    d = _create(
        client,
        auth,
        world,
        [{"kind": "person", "person_id": next(world["persons"])}, _free()],
        role="operator",
    )
    op = auth("operator")
    r = _post(client, op, d, "referrals", {"to_kind": "other"}, expect=422)
    assert r["error"]["code"] == "invalid_referral"
    r = _post(
        client, op, d, "referrals", {"to_kind": "justice_office", "to_department_id": 999999}, expect=422
    )
    assert r["error"]["code"] == "unknown_department"
    d = _post(
        client, op, d, "referrals", {"to_kind": "court", "to_name": "县法院诉调对接中心", "note": "诉前调解"}
    )
    assert d["status"] == "referred" and d["referrals"][0]["to_kind_label"] == "法院诉前调解"
    rid = d["referrals"][0]["id"]
    d = _post(
        client, op, d, f"referrals/{rid}/result", {"result": "resolved", "note": "出具调解书"}, expect=200
    )
    assert (
        d["status"] == "resolved"
        and d["resolution"] == "referral"
        and d["referrals"][0]["result"] == "resolved"
    )
    _post(client, op, d, f"referrals/{rid}/result", {"result": "unresolved"}, expect=409)
    _post(client, op, d, "referrals/999999/result", {"result": "resolved"}, expect=404)


def test_resolution_rate(client, auth, world, demo_db):
    since = utcnow().isoformat()
    gw = auth("grid_worker")
    made = [_create(client, auth, world, [_free(), _free()]) for _ in range(4)]
    _post(client, gw, made[0], "sessions", {"held_on": TODAY, "result": "success"})
    _post(client, gw, made[1], "sessions", {"held_on": TODAY, "result": "failed"})
    r = client.post(
        f"/api/v1/events/{made[2]['event_code']}/actions/reject",
        headers=auth("operator"),
        json={"note": "重复登记"},
    )
    assert r.status_code == 200
    # made[3] stays registered and within its time limit
    params = {"since": since, "level": "grid", "region": demo_db.first_grid}
    s = client.get("/api/v1/disputes/stats", headers=auth("leader"), params=params).json()
    assert [row["region_code"] for row in s["rows"]] == [demo_db.first_grid]
    t = s["total"]
    assert (t["registered"], t["accepted"], t["resolved"], t["failed"], t["pending_in_time"]) == (
        4,
        3,
        1,
        1,
        1,
    )
    assert t["resolution_rate"] == round(1 / 3, 4) and t["settled_rate"] == 0.5
    assert s["rows"][0]["region_name"] and "化解率" in s["definition"]["resolution_rate"]
    by_month = client.get(
        "/api/v1/disputes/stats", headers=auth("leader"), params={**params, "by_month": True}
    ).json()
    assert by_month["rows"][0]["month"] and by_month["total"]["registered"] == 4
    county = client.get("/api/v1/disputes/stats", headers=auth("leader"), params={"level": "county"}).json()
    assert [row["region_code"] for row in county["rows"]] == [demo_db.top_code]
    # another grid's worker counts none of them
    assert (
        client.get("/api/v1/disputes/stats", headers=world["other"], params=params).json()["total"][
            "registered"
        ]
        == 0
    )
    assert (
        client.get("/api/v1/disputes/stats", headers=auth("leader"), params={"level": "x"}).status_code == 422
    )


def test_scope(client, auth, world):
    d = _create(client, auth, world, [{"kind": "person", "person_id": next(world["persons"])}, _free()])
    other = world["other"]
    r = client.get(f"/api/v1/disputes/{d['id']}", headers=other)
    assert r.status_code == 404 and r.json()["error"]["code"] == "dispute_not_found"
    r = client.post(
        f"/api/v1/disputes/{d['id']}/sessions", headers=other, json={"held_on": TODAY, "result": "success"}
    )
    assert r.status_code == 404
    assert d["id"] not in [i["id"] for i in client.get("/api/v1/disputes", headers=other).json()["items"]]
    assert client.get(f"/api/v1/disputes/{d['id']}", headers=auth("resident")).status_code == 404
    # a leader reads but does not record mediation
    assert client.get(f"/api/v1/disputes/{d['id']}", headers=auth("leader")).status_code == 200
    r = client.post(
        f"/api/v1/disputes/{d['id']}/follow-ups",
        headers=auth("leader"),
        json={"visited_on": TODAY, "notes": "看看", "stable": True},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    # a register party outside the grid worker's grid
    r = client.post(
        "/api/v1/disputes",
        headers=auth("grid_worker"),
        json={
            "type": "neighbour",
            "description": "跨网格纠纷",
            **world["where"],
            "parties": [{"kind": "person", "person_id": world["outside"]}, _free()],
        },
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "party_out_of_scope"
    # the operator's county scope covers it
    _create(
        client, auth, world, [{"kind": "person", "person_id": world["outside"]}, _free()], role="operator"
    )
    d = _create(
        client,
        auth,
        world,
        [{"kind": "organization", "organization_id": world["org"]}, _free()],
        type="labour",
        role="operator",
    )
    assert (
        d["colour"] == "yellow"
        and d["parties"][0]["kind"] == "organization"
        and "*" not in d["parties"][0]["name"]
    )


@pytest.mark.parametrize(
    "change,status,code",
    [
        (
            {"parties": [{"kind": "person", "person_id": 99_999_999}, {"kind": "free", "name": "赵明"}]},
            422,
            "person_not_found",
        ),
        (
            {
                "parties": [
                    {"kind": "organization", "organization_id": 99_999_999},
                    {"kind": "free", "name": "赵明"},
                ]
            },
            422,
            "organization_not_found",
        ),
        ({"type": "quarrel"}, 422, "invalid_request"),
        ({"colour": "purple"}, 422, "invalid_request"),
        ({"item_code": "DJ001"}, 422, "not_a_dispute_item"),
        ({"item_code": "NOPE9"}, 422, "unknown_item"),
        ({"parties": [{"kind": "free", "name": "赵明"}]}, 422, "invalid_request"),
        (
            {"parties": [{"kind": "free", "name": "赵明"}, {"kind": "free", "name": " 赵 明"}]},
            422,
            "duplicate_party",
        ),
        (
            {"parties": [{"kind": "free", "name": "赵明", "phone": "12"}, {"kind": "free", "name": "李"}]},
            422,
            "invalid_phone",
        ),
        ({"parties": [{"kind": "person"}, {"kind": "free", "name": "李"}]}, 422, "invalid_request"),
        ({"threat": "yes"}, 422, "invalid_request"),
    ],
)
def test_bad_registrations(client, auth, world, change, status, code):
    body = {
        "type": "neighbour",
        "description": "邻里纠纷",
        **world["where"],
        "parties": [{"kind": "free", "name": "赵明"}, {"kind": "free", "name": "钱亮"}],
        **change,
    }
    r = client.post("/api/v1/disputes", headers=auth("grid_worker"), json=body)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text


def test_bad_records(client, auth, world, demo_db):
    gw = auth("grid_worker")
    r = client.post(
        "/api/v1/disputes/99999999/sessions", headers=gw, json={"held_on": TODAY, "result": "success"}
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "dispute_not_found"
    assert client.get("/api/v1/disputes/0", headers=gw).status_code == 422
    assert client.get("/api/v1/disputes", headers=gw, params={"colour": "purple"}).status_code == 422
    d = _create(client, auth, world, [{"kind": "person", "person_id": next(world["persons"])}, _free()])
    future = (date.today() + timedelta(days=3)).isoformat()
    for path, body, code in [
        ("sessions", {"held_on": future, "result": "success"}, "date_in_future"),
        ("sessions", {"held_on": "2020-01-01", "result": "success"}, "date_too_early"),
        ("sessions", {"held_on": TODAY, "result": "great"}, "invalid_request"),
        (
            "sessions",
            {"held_on": TODAY, "result": "success", "mediator_user_id": 99999999},
            "unknown_mediator",
        ),
        (
            "agreements",
            {"signed_on": TODAY, "content": "约定", "performed": True, "performed_on": "2020-01-01"},
            "invalid_agreement",
        ),
        ("agreements", {"signed_on": TODAY, "content": "约定", "performed_on": TODAY}, "invalid_agreement"),
        ("referrals", {"to_kind": "mayor"}, "invalid_request"),
        ("follow-ups", {"visited_on": future, "notes": "回访", "stable": True}, "date_in_future"),
        ("follow-ups", {"visited_on": TODAY, "notes": "回访", "stable": "yes"}, "invalid_request"),
    ]:
        r = _post(client, gw, d, path, body, expect=422)
        assert r["error"]["code"] == code, (path, body, r)
    with session_scope(get_engine(demo_db.url)) as db:
        assert db.get(Dispute, d["id"]).status == "registered"
