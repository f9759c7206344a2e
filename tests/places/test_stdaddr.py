"""The standard address library's pure logic: cleaning, canonical form and keys, scoring
(gridgov.places.matching.canonical / scoring). No database, no parser model."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.places.addressing import address_key
from gridgov.places.matching.canonical import (
    Elements,
    building_key,
    canonical_text,
    clean,
    from_parsed,
    local_key,
    number,
    rule_parse,
    split_local,
    with_values,
)
from gridgov.places.matching.scoring import MAX_FUZZY, dice, name_sim, score

REGIONS = {
    "province": "辽宁省",
    "city": "辽阳市",
    "district": "辽阳县",
    "town": "人民街道",
    "community": "团结社区",
}
ROOM = Elements(
    **REGIONS, road="长安路", road_no="2", poi="新运里", building_no="1", unit_no="2", room_no="502"
)
BUILDING = replace(ROOM, unit_no=None, room_no=None)
VILLAGE = Elements(
    province="辽宁省",
    city="辽阳市",
    district="辽阳县",
    town="枣营镇",
    community="秦小房身村",
    road="1组",
    road_no="12",
)


# --- cleaning ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,cleaned",
    [
        ("长安路２号新运里一号楼三单元五〇一室", "长安路2号新运里1号楼3单元501室"),
        ("新运里1栋2单元502户附近", "新运里1号楼2单元502室"),
        ("新运里3幢（北门对面）", "新运里3号楼"),
        ("新运里A座", "新运里A号楼"),
        ("新运里1号楼第三单元十二层", "新运里1号楼3单元12层"),
        ("新运里1号楼2单元502", "新运里1号楼2单元502室"),
        ("金桥商城东侧100米", "金桥商城"),
        ("金地花园二期1号楼", "金地花园二期1号楼"),  # a compound's 二期 is a name, not a number
        ("  长安路2号\x00\t", "长安路2号"),
        ("（附近）", ""),
    ],
)
def test_clean(text, cleaned):
    assert clean(text) == cleaned


@pytest.mark.parametrize(
    "text,value",
    [
        ("12号", "12"),
        ("0502室", "502"),
        ("A座", "A"),
        ("甲3号", "3"),
        ("1-2", "1-2"),
        ("号", None),
        (None, None),
    ],
)
def test_number(text, value):
    assert number(text) == value


# --- canonical form and keys ---------------------------------------------------------------------


def test_canonical_text_and_keys():
    assert canonical_text(ROOM) == "辽宁省辽阳市辽阳县人民街道团结社区长安路2号新运里1号楼2单元502室"
    assert local_key(ROOM) == "长安路2号新运里1号楼2单元502室"
    assert building_key(ROOM) == "长安路2号新运里1号楼"
    assert (ROOM.level, BUILDING.level, replace(ROOM, room_no=None).level) == ("room", "building", "unit")
    # a village's group road: the key starts with the village, which is not repeated in the text
    assert local_key(VILLAGE) == "秦小房身村1组12号"
    assert canonical_text(VILLAGE) == "辽宁省辽阳市辽阳县枣营镇秦小房身村1组12号"


@pytest.mark.parametrize(
    "key",
    [
        "长安路2号新运里1号楼2单元502室",
        "长安路9号太和大厦",
        "长安路26号金桥商城101室",
        "秦小房身村1组12号",
        "王家堡村3组61号王家堡村卫生室",
        "长安路2号幸福新村1号楼",
    ],
)
def test_split_local_round_trips(key):
    e = split_local(key)
    assert e is not None and local_key(e) == key


def test_split_local_rejects_what_is_not_canonical():
    assert split_local("随便写的文字") is None
    assert split_local("1组12号") is None  # a group without its village


words = st.sampled_from(["长安", "福地", "清华", "幸福", "金桥", "站前西", "衍水", "东宁", "和平"])
road = st.builds(lambda w, s: w + s, words, st.sampled_from(["路", "街", "大街", "巷"]))
poi = st.builds(lambda w, s: w + s, words, st.sampled_from(["小区", "花园", "里", "公寓", "家园", "商城"]))
num = st.integers(1, 3399).map(str)
urban = st.builds(
    lambda r, n, p, b, u, room: Elements(
        **REGIONS, road=r, road_no=n, poi=p, building_no=b, unit_no=u if room or u else None, room_no=room
    ),
    road,
    num,
    poi,
    st.one_of(st.none(), num),
    st.one_of(st.none(), num),
    st.one_of(st.none(), num),
)


@given(urban)
def test_keys_round_trip_and_agree_with_address_key(e):
    key = local_key(e)
    assert split_local(key).as_dict() == replace(e, **dict.fromkeys(REGIONS)).as_dict()
    assert address_key(canonical_text(e)) == key  # the key buildings and houses already carry
    assert clean(canonical_text(e)) == canonical_text(e)  # canonical text is a fixed point of cleaning


def test_from_parsed_relabels_parser_slips():
    # a "community" after the road is a compound (天润新村)
    e = from_parsed([("road", "永安街"), ("roadno", "57号"), ("community", "天润新村"), ("houseno", "3号楼")])
    assert (e.community, e.poi, e.building_no) == (None, "天润新村", "3")
    # a poi that is a community, followed by the compound as subpoi
    e = from_parsed([("poi", "富民社区"), ("subpoi", "永安里"), ("houseno", "7号楼"), ("roomno", "2-1203")])
    assert (e.community, e.poi, e.unit_no, e.room_no) == ("富民社区", "永安里", "2", "1203")
    # numbers the parser missed come from the rule-based split of the cleaned text
    e = from_parsed([("poi", "新运里")], clean("长安路2号新运里1号楼2单元502室"))
    assert (e.poi, e.building_no, e.unit_no, e.room_no) == ("新运里", "1", "2", "502")
    assert from_parsed([("assist", "附近"), ("devzone", "高新区")]).ignored == ("附近",)


def test_with_values_canonicalises_numbers():
    e = with_values(
        Elements(), {"road": " 长安路 ", "road_no": "2号", "building_no": "3栋", "room_no": "0502"}
    )
    assert (e.road, e.road_no, e.building_no, e.room_no) == ("长安路", "2", "3", "502")


# --- scoring -------------------------------------------------------------------------------------


def test_name_similarity():
    assert name_sim("辽阳", "辽阳市") == 1.0  # a name without its suffix
    assert name_sim("辽阳县", "辽阳市") < 0.5  # same stem, different level: different places
    assert name_sim("新运里", "新运里小区") == 0.9
    assert dice("金地小区", "金地花园") == pytest.approx(1 / 3)
    assert name_sim("长安路", "福地路") == 0.0


def test_exact_key_with_agreeing_regions_is_one():
    assert score(ROOM, ROOM, exact_key=True).total == 1.0
    partial = Elements(
        district="辽阳县",
        road="长安路",
        road_no="2",
        poi="新运里",
        building_no="1",
        unit_no="2",
        room_no="502",
    )
    assert score(partial, ROOM, exact_key=True).total == 1.0  # omitted province/city cost nothing
    assert score(replace(partial, city="辽阳"), ROOM, exact_key=True).total == 1.0  # short forms agree
    assert score(ROOM, ROOM).total == MAX_FUZZY  # without the key: at most 0.99


def test_a_wrong_region_costs():
    wrong = replace(ROOM, district="白塔区", province=None, city=None)
    s = score(wrong, ROOM, exact_key=True)
    assert s.total < 0.9 and s.parts["district"] == 0.0


def test_parent_ranks_between_exact_and_a_wrong_sibling():
    exact = score(ROOM, ROOM).total
    unit = score(ROOM, replace(ROOM, room_no=None)).total
    building = score(ROOM, BUILDING).total
    sibling = score(ROOM, replace(ROOM, room_no="501")).total
    other_unit = score(ROOM, replace(ROOM, unit_no="1", room_no="501")).total
    assert exact > unit > building > sibling > other_unit


def test_query_without_unit_is_ambiguous_between_units():
    q = replace(ROOM, unit_no=None)
    assert score(q, ROOM).total == score(q, replace(ROOM, unit_no="3")).total


def test_village_groups_are_compared_with_their_village():
    q = Elements(community="秦小房身村", road="1组", road_no="12")
    assert score(q, VILLAGE, exact_key=True).total == 1.0
    other = replace(VILLAGE, community="王家堡村")
    assert score(q, other).total < 0.6


def test_parser_split_village_still_agrees():
    q = Elements(town="秦小", community="房身村", road="1组", road_no="12")  # the parser cut the name in two
    assert score(q, VILLAGE, exact_key=True).total == 1.0


def test_region_only_query_scores_zero():
    assert score(Elements(district="辽阳县", town="枣营镇"), VILLAGE).total == 0.0


@given(urban, urban)
def test_score_is_bounded_and_one_only_for_exact(q, c):
    s = score(q, c)
    assert 0.0 <= s.total <= MAX_FUZZY
    assert all(0.0 <= v <= 1.0 for v in s.parts.values())
    assert score(q, q, exact_key=True).total == 1.0


@given(urban, st.sampled_from(["road_no", "building_no", "unit_no", "room_no"]))
def test_a_different_number_never_scores_higher(e, field):
    if getattr(e, field) is None:
        return
    changed = replace(e, **{field: str(int(getattr(e, field)) + 1)})
    assert score(e, changed).total < score(e, e).total


# --- without the statistical parser --------------------------------------------------------------


@pytest.mark.parametrize(
    "text,labels",
    [
        (
            "辽宁省辽阳市辽阳县人民街道团结社区长安路2号新运里1号楼2单元502室",
            [
                ("prov", "辽宁省"),
                ("city", "辽阳市"),
                ("district", "辽阳县"),
                ("town", "人民街道"),
                ("community", "团结社区"),
                ("road", "长安路"),
                ("roadno", "2"),
                ("poi", "新运里"),
                ("houseno", "1"),
                ("cellno", "2"),
                ("roomno", "502"),
            ],
        ),
        (
            "辽阳县枣营镇秦小房身村1组12号",
            [
                ("district", "辽阳县"),
                ("town", "枣营镇"),
                ("community", "秦小房身村"),
                ("road", "1组"),
                ("roadno", "12"),
            ],
        ),
        ("辽阳县枣营镇", [("district", "辽阳县"), ("town", "枣营镇")]),
        ("金桥商城", [("poi", "金桥商城")]),
    ],
)
def test_rule_parse(text, labels):
    assert rule_parse(text) == labels


def test_matching_degrades_to_the_rule_parse_without_a_model(monkeypatch):
    import sys
    import types

    from gridgov.places.matching.query import prepare

    def broken(texts):
        raise ValueError("unsupported address model format")

    # a parser whose model cannot be used (works whether or not the real parser is installed)
    monkeypatch.setitem(sys.modules, "gridgov.places.address", types.SimpleNamespace(parse_many=broken))
    q = prepare("长安路２号新运里一号楼二单元五〇二户附近")
    assert q.reason is None and q.keys[0] == "长安路2号新运里1号楼2单元502室"
    assert prepare("辽阳县枣营镇").reason == "region_only"
