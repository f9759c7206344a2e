"""The pure duplicate test: distances, text similarity, the rules, the score, the H3 search radius."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from h3.api import basic_int as h3
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gridgov.events.duplicates import (
    Report,
    Rules,
    bigrams,
    compare,
    haversine_m,
    normalize_text,
    rank,
    search_radius_k,
    text_similarity,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LON, LAT = 123.0412, 41.2705
M_PER_DEG_LAT = math.pi * 6_371_008.8 / 180


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (lon + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat))), lat + north_m / M_PER_DEG_LAT)


def report(
    i: int = 1,
    item: str = "CG012",
    cat: str = "CG",
    text: str = "人民路12号门前井盖缺失",
    *,
    hours: float = 0,
    east: float | None = 0.0,
    north: float = 0.0,
) -> Report:
    if east is None:
        return Report(i, item, cat, text, T0 + timedelta(hours=hours))
    lon, lat = offset(LON, LAT, east, north)
    return Report(i, item, cat, text, T0 + timedelta(hours=hours), lon, lat)


texts = st.text(alphabet=st.sampled_from(list("人民路井盖缺失垃圾噪音占道经营12号，。 abc")), max_size=40)
reports = st.builds(
    report,
    st.integers(1, 10**6),
    st.sampled_from(["CG012", "CG013", "HJ001"]),
    st.sampled_from(["CG", "HJ"]),
    texts,
    hours=st.floats(0, 200),
    east=st.one_of(st.none(), st.floats(-3000, 3000)),
    north=st.floats(-3000, 3000),
)


# --- pieces ---------------------------------------------------------------------------------


def test_haversine_known_values():
    assert haversine_m(LON, LAT, LON, LAT) == 0
    assert haversine_m(0, 0, 0, 1) == pytest.approx(M_PER_DEG_LAT, rel=1e-9)
    lon, lat = offset(LON, LAT, 150, 0)
    assert haversine_m(LON, LAT, lon, lat) == pytest.approx(150, abs=0.5)


@given(st.floats(-180, 180), st.floats(-89, 89), st.floats(-180, 180), st.floats(-89, 89))
def test_haversine_symmetric_and_bounded(lon1, lat1, lon2, lat2):
    d = haversine_m(lon1, lat1, lon2, lat2)
    assert d == haversine_m(lon2, lat2, lon1, lat1)
    assert 0 <= d <= math.pi * 6_371_008.8 + 1


def test_text_normalisation_and_similarity():
    assert normalize_text(" 人民路 １２号！ ") == "人民路12号"
    assert bigrams("井") == frozenset({"井"}) and bigrams("，。") == frozenset()
    assert text_similarity("人民路12号井盖缺失", "人民路 12 号，井盖缺失！") == 1.0
    assert text_similarity("", "井盖") == 0.0
    assert text_similarity("人民路井盖缺失", "幸福路垃圾堆放") == 0.0
    assert 0.5 < text_similarity("人民路12号门前井盖缺失", "人民路12号门口井盖缺失") < 1


@given(texts, texts)
def test_text_similarity_is_a_symmetric_share(a, b):
    s = text_similarity(a, b)
    assert 0 <= s <= 1 and s == text_similarity(b, a)
    if bigrams(a):
        assert text_similarity(a, a) == 1


# --- the rules ------------------------------------------------------------------------------


def test_same_item_nearby_is_a_duplicate_with_reasons():
    m = compare(report(1), report(2, text="路面窨井盖不见了", hours=5.5, east=35))
    assert m is not None and m.signals == ("place",)
    assert m.same_item and m.distance_m == pytest.approx(35, abs=0.5) and m.hours_apart == 5.5
    assert m.reasons[:3] == ("同一事项（CG012）", "相距 35 米", "上报时间相差 5.5 小时")


def test_same_category_nearby_counts_other_category_does_not():
    assert compare(report(1), report(2, item="CG013", text="路灯不亮", east=100)).same_category
    assert compare(report(1), report(2, item="HJ001", cat="HJ", text="噪音扰民", east=100)) is None


def test_too_far_or_too_late_is_not():
    assert compare(report(1), report(2, text="另一处井盖", east=250)) is None
    assert compare(report(1), report(2, hours=73)) is None
    assert compare(report(1), report(2, hours=71)) is not None
    assert compare(report(1), report(1)) is None  # the event itself


def test_near_identical_text_alone_counts_without_a_point():
    a = report(1, item="HJ001", cat="HJ", east=None)
    b = report(2, text="人民路12号门前的井盖缺失", hours=30)
    m = compare(a, b)
    assert m is not None and "text" in m.signals and m.distance_m is None and not m.same_category
    assert "至少一方无坐标，按描述比对" in m.reasons


def test_identical_text_far_apart_is_two_problems():
    assert compare(report(1), report(2, east=5000)) is None
    assert compare(report(1, item="HJ001", cat="HJ"), report(2, east=600)) is not None  # within 5 × radius


def test_same_kind_and_similar_text_without_a_point():
    a = report(1, text="幸福家园小区门口井盖缺失", east=None)
    b = report(2, text="幸福家园门口的井盖丢失了", east=None)
    assert 0.4 <= text_similarity(a.description, b.description) < 0.8
    assert compare(a, b).signals == ("kind_text",)
    assert compare(a, report(3, item="HJ001", cat="HJ", text=b.description, east=None)) is None


def test_rules_are_checked():
    with pytest.raises(ValueError):
        Rules(radius_m=0)
    with pytest.raises(ValueError):
        Rules(similar_text=0.9, identical_text=0.8)
    wide = Rules(radius_m=500, window=timedelta(days=10))
    assert compare(report(1), report(2, text="x", east=400, hours=200), wide) is not None


@given(reports, reports)
def test_compare_is_symmetric_and_scored_in_unit_interval(a, b):
    m1, m2 = compare(a, b), compare(b, a)
    assert (m1 is None) == (m2 is None)
    if m1 is not None:
        assert 0 <= m1.score <= 1
        assert (m1.score, m1.signals, m1.distance_m, m1.text_similarity) == (
            m2.score,
            m2.signals,
            m2.distance_m,
            m2.text_similarity,
        )
        assert m1.hours_apart <= 72 and m1.reasons


@given(st.floats(0, 190), st.floats(0, 190), st.floats(0, 71))
def test_closer_scores_no_lower(d1, d2, hours):
    near, far = sorted((d1, d2))
    a = report(1)
    m_near, m_far = (
        compare(a, report(2, east=near, hours=hours)),
        compare(a, report(2, east=far, hours=hours)),
    )
    assert m_near is not None and m_far is not None and m_near.score >= m_far.score


def test_identical_reports_score_one_and_rank_best_first():
    a = report(1)
    assert compare(a, report(2)).score == 1.0
    found = rank(
        a,
        [
            report(3, text="井盖", east=150, hours=40),
            report(2, east=10),
            report(4, east=9000),
            report(5, east=20, hours=2),
        ],
    )
    assert [r.id for r, _ in found] == [2, 5, 3]
    assert rank(a, [report(i, east=i) for i in range(2, 40)], limit=5)[-1][0].id == 6


# --- the H3 search radius -------------------------------------------------------------------


def test_search_radius_k():
    assert search_radius_k(200, 53) == 3
    assert search_radius_k(1, 1000) == 1
    with pytest.raises(ValueError):
        search_radius_k(0, 10)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(18, 53),
    st.floats(73, 135),
    st.floats(5, 1000),
    st.floats(0, 1),
    st.floats(0, 2 * math.pi),
    st.sampled_from([9, 10, 11]),
)
def test_disk_holds_every_point_within_the_radius(lat, lon, radius, share, bearing, res):
    """A point within the radius always lies in the disk the database side searches."""
    from gridgov.events.duplicates_service import disk_cells

    d = radius * share
    lon2, lat2 = offset(lon, lat, d * math.sin(bearing), d * math.cos(bearing))
    assume(haversine_m(lon, lat, lon2, lat2) <= radius)
    origin = h3.latlng_to_cell(lat, lon, res)
    assert h3.latlng_to_cell(lat2, lon2, res) in set(disk_cells(origin, radius))
