"""Division codes: GB/T 2260 + township/community extension."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.codes import (
    PROVINCE_CODES,
    CodeError,
    CommunityType,
    DivisionCode,
    TownshipType,
    community_type,
    division_level,
    division_lineage,
    division_parent,
    is_valid_division_code,
    normalize_division_code,
    pad_division_code,
    parse_division_code,
    township_type,
)
from gridgov.errors import AppError

provinces = st.sampled_from(sorted(PROVINCE_CODES))
two = st.integers(1, 99).map(lambda n: f"{n:02d}")
three = st.integers(1, 599).map(lambda n: f"{n:03d}")


@st.composite
def division_codes(draw: st.DrawFn, depth: int | None = None) -> str:
    """A valid natural-length code with ``depth`` segments (1-5, random if None)."""
    n = draw(st.integers(1, 5)) if depth is None else depth
    # below a street the county may be 00: a city without districts (不设区的地级市, e.g. 441900003)
    county = draw(st.one_of(two, st.just("00"))) if n >= 4 else draw(two)
    segments = [draw(provinces), draw(two), county, draw(three), draw(three)]
    return "".join(segments[:n])


# ---------------------------------------------------------------- examples


def test_parse_every_level() -> None:
    assert parse_division_code("211021001001") == DivisionCode(
        "211021001001", "community", "21", "2110", "211021", "211021001", "211021001001")
    assert parse_division_code("21").level == "province"
    assert parse_division_code("2110").level == "city"
    assert parse_division_code("211021").level == "county"
    assert parse_division_code("211021001").level == "street"
    assert parse_division_code("211021001").county == "211021"
    assert parse_division_code("211021001").community is None


@pytest.mark.parametrize(("padded", "natural"), [
    ("210000", "21"), ("211000", "2110"), ("211021", "211021"), ("110100", "1101"),
    ("211021000000", "211021"), ("211021001000", "211021001"), ("210000000000", "21"),
    ("211000000000", "2110"), ("211021001001", "211021001001"), (" 2110 ", "2110"),
])
def test_padded_forms_normalise(padded: str, natural: str) -> None:
    assert normalize_division_code(padded) == natural


@pytest.mark.parametrize(("code", "part"), [
    ("", "charset"), ("21a0", "charset"), ("２１", "charset"), ("21-10", "charset"),
    ("2", "length"), ("211", "length"), ("21102", "length"), ("2110210", "length"),
    ("21102100", "length"), ("2110210010", "length"), ("21102100100", "length"),
    ("2110210010010", "length"),
    ("00", "province"), ("10", "province"), ("16", "province"), ("20", "province"),
    ("47", "province"), ("72", "province"), ("83", "province"), ("99", "province"),
    ("000000", "province"), ("000000000000", "province"),
    ("2100", "city"), ("210021", "city"), ("210000001", "city"),
    ("211000000001", "street"),
    ("211021000", "street"), ("211021000001", "street"), ("211021600", "street"),
    ("211021999", "street"), ("211021001600", "community"), ("211021001999", "community"),
])
def test_invalid_codes_name_the_failing_part(code: str, part: str) -> None:
    with pytest.raises(CodeError) as info:
        normalize_division_code(code)
    assert info.value.part == part
    assert info.value.code == f"division_code_{part}"
    assert not is_valid_division_code(code)


def test_county_segment_of_a_city_without_districts() -> None:
    # 东莞市 东城街道: towns directly under a prefecture-level city without districts.
    parsed = parse_division_code("441900003")
    assert (parsed.level, parsed.city, parsed.county, parsed.parent) == ("street", "4419", None, "4419")
    assert division_parent("441900003001") == "441900003"
    assert division_lineage("441900003001") == ("44", "4419", "441900003", "441900003001")
    assert normalize_division_code("441900003000") == "441900003"
    assert normalize_division_code("441900") == "4419"  # the 6-digit form is the city itself
    # The rule is structural (no gazetteer): any city may have streets directly below it.
    assert parse_division_code("211000001001").lineage() == ("21", "2110", "211000001", "211000001001")


def test_non_string_is_rejected() -> None:
    with pytest.raises(CodeError) as info:
        normalize_division_code(211021)  # type: ignore[arg-type]
    assert info.value.part == "charset"
    assert not is_valid_division_code(None)


def test_error_is_value_error_and_app_error() -> None:
    with pytest.raises(ValueError) as info:
        parse_division_code("2100")
    err = info.value
    assert isinstance(err, CodeError) and isinstance(err, AppError)
    assert err.status == 422
    assert "地级" in err.message
    assert err.to_dict() == {"error": {"code": "division_code_city", "message": err.message,
                                       "details": {"part": "city"}}}


def test_every_province_code_is_valid() -> None:
    assert len(PROVINCE_CODES) == 34
    for p in PROVINCE_CODES:
        assert division_level(p) == "province"
        assert division_parent(p) is None


@pytest.mark.parametrize(("code", "parent"), [
    ("21", None), ("2110", "21"), ("211021", "2110"), ("211021001", "211021"),
    ("211021001001", "211021001"), ("419001", "4190"), ("469001", "4690"), ("110101", "1101"),
    ("210000", None), ("211000", "21"), ("211021000000", "2110"),
])
def test_parent(code: str, parent: str | None) -> None:
    assert division_parent(code) == parent


def test_lineage() -> None:
    assert division_lineage("211021001001") == ("21", "2110", "211021", "211021001", "211021001001")
    assert division_lineage("210000") == ("21",)


@pytest.mark.parametrize(("segment", "kind"), [
    ("001", TownshipType.STREET), ("099", TownshipType.STREET), ("100", TownshipType.TOWN),
    ("199", TownshipType.TOWN), ("200", TownshipType.TOWNSHIP), ("399", TownshipType.TOWNSHIP),
    ("400", TownshipType.OTHER), ("599", TownshipType.OTHER),
])
def test_township_type(segment: str, kind: TownshipType) -> None:
    assert township_type(f"211021{segment}") is kind
    assert township_type(f"211021{segment}001") is kind  # community codes too
    assert township_type(f"211021{segment}000") is kind  # padded 12-digit street
    assert kind == kind.value  # a str enum: compares equal to its plain string


def test_township_labels() -> None:
    assert [t.label for t in TownshipType] == ["街道", "镇", "乡", "类似乡级单位"]
    assert [c.label for c in CommunityType] == ["居委会", "村委会", "类似村级单位"]


@pytest.mark.parametrize(("segment", "kind"), [
    ("001", "residents_committee"), ("199", "residents_committee"),
    ("200", "villagers_committee"), ("399", "villagers_committee"),
    ("400", "other"), ("599", "other"),
])
def test_community_type(segment: str, kind: str) -> None:
    assert community_type(f"211021001{segment}") == kind


@pytest.mark.parametrize("code", ["21", "2110", "211021", "211021000000"])
def test_township_type_needs_a_street(code: str) -> None:
    with pytest.raises(CodeError) as info:
        township_type(code)
    assert info.value.part == "length"


def test_community_type_needs_a_community() -> None:
    with pytest.raises(CodeError):
        community_type("211021001")


def test_pad() -> None:
    assert pad_division_code("21", 6) == "210000"
    assert pad_division_code("2110") == "211000000000"
    assert pad_division_code("211021001", 12) == "211021001000"
    with pytest.raises(CodeError):
        pad_division_code("211021001", 6)
    with pytest.raises(CodeError):
        pad_division_code("21", 8)  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties


@given(division_codes())
def test_round_trip(code: str) -> None:
    parsed = parse_division_code(code)
    assert parsed.code == code
    assert len(code) == {"province": 2, "city": 4, "county": 6, "street": 9, "community": 12}[parsed.level]
    assert division_level(code) == parsed.level
    assert parsed.lineage()[-1] == code
    assert all(code.startswith(a) for a in parsed.lineage())
    lengths = [len(a) for a in parsed.lineage()]
    if code[4:6] == "00":  # no county level
        expected = [n for n in [2, 4, 9, 12] if n <= len(code)]
        assert parsed.county is None
    else:
        expected = [n for n in [2, 4, 6, 9, 12] if n <= len(code)]
    assert lengths == expected


@given(division_codes())
def test_padded_forms_round_trip(code: str) -> None:
    assert normalize_division_code(pad_division_code(code, 12)) == code
    if len(code) <= 6:
        assert normalize_division_code(pad_division_code(code, 6)) == code


@given(division_codes())
def test_parent_is_one_level_up(code: str) -> None:
    parent = division_parent(code)
    if len(code) == 2:
        assert parent is None
    else:
        assert parent is not None and code.startswith(parent)
        assert division_level(parent) != division_level(code)
        assert parse_division_code(code).lineage()[:-1] == division_lineage(parent)


@given(division_codes(depth=4))
def test_township_type_is_total_on_valid_streets(code: str) -> None:
    segment = int(code[6:9])
    expected = "street" if segment < 100 else "town" if segment < 200 else "township" if segment < 400 \
        else "other"
    assert township_type(code) == expected


@given(st.text(alphabet="0123456789", min_size=0, max_size=14))
def test_validity_agrees_with_parse(s: str) -> None:
    try:
        natural = normalize_division_code(s)
    except CodeError as e:
        assert not is_valid_division_code(s)
        assert e.part in {"charset", "length", "province", "city", "county", "street", "community"}
    else:
        assert is_valid_division_code(s)
        assert s.startswith(natural)
        assert set(s[len(natural):]) <= {"0"}
