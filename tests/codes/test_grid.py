"""Grid codes and the whole region-code hierarchy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.codes import (
    PROVINCE_CODES,
    CodeError,
    GridCode,
    build_grid_code,
    build_micro_grid_code,
    is_valid_grid_code,
    is_valid_region_code,
    normalize_region_code,
    parse_grid_code,
    region_code_level,
    region_code_lineage,
    region_code_parent,
)

COMMUNITY = "211021001001"

two = st.integers(1, 99).map(lambda n: f"{n:02d}")
three = st.integers(1, 599).map(lambda n: f"{n:03d}")
communities = st.tuples(st.sampled_from(sorted(PROVINCE_CODES)), two, two, three, three).map("".join)


# ---------------------------------------------------------------- examples


def test_build_and_parse_basic_grid() -> None:
    code = build_grid_code(COMMUNITY, 3)
    assert code == "211021001001003"
    assert parse_grid_code(code) == GridCode(code, COMMUNITY, code, 3, None, False, "grid")
    assert parse_grid_code(code).ordinal == 3
    assert parse_grid_code(code).parent == COMMUNITY


def test_exclusive_grids_are_numbered_from_500() -> None:
    assert build_grid_code(COMMUNITY, 1, exclusive=True) == "211021001001500"
    assert build_grid_code(COMMUNITY, 500, exclusive=True) == "211021001001999"
    parsed = parse_grid_code("211021001001502")
    assert (parsed.level, parsed.is_exclusive, parsed.grid_number, parsed.ordinal) == (
        "exclusive_grid", True, 502, 3)
    assert build_grid_code(COMMUNITY, 499) == "211021001001499"
    assert parse_grid_code("211021001001499").level == "grid"


def test_micro_grid() -> None:
    grid = build_grid_code(COMMUNITY, 12)
    micro = build_micro_grid_code(grid, 7)
    assert micro == "21102100100101207"
    parsed = parse_grid_code(micro)
    assert parsed == GridCode(micro, COMMUNITY, grid, 12, 7, False, "micro_grid")
    assert parsed.parent == grid
    assert build_micro_grid_code(grid, 99).endswith("99")


def test_padded_community_code_is_accepted() -> None:
    assert build_grid_code(" 211021001001 ", 1) == "211021001001001"


@pytest.mark.parametrize(("number", "exclusive"), [
    (0, False), (500, False), (-1, False), (0, True), (501, True),
])
def test_grid_number_out_of_range(number: int, exclusive: bool) -> None:
    with pytest.raises(CodeError) as info:
        build_grid_code(COMMUNITY, number, exclusive=exclusive)
    assert info.value.part == "grid_number"
    assert info.value.code == "grid_code_grid_number"


@pytest.mark.parametrize("number", [True, 1.0, "1", None])
def test_grid_number_must_be_int(number: object) -> None:
    with pytest.raises(CodeError):
        build_grid_code(COMMUNITY, number)  # type: ignore[arg-type]


@pytest.mark.parametrize(("community", "part"), [
    ("211021001", "community"), ("211021", "community"), ("211021000000", "community"),
    ("991021001001", "province"), ("21102100100x", "charset"), ("211021001600", "community"),
])
def test_grid_needs_a_valid_community(community: str, part: str) -> None:
    with pytest.raises(CodeError) as info:
        build_grid_code(community, 1)
    assert info.value.part == part
    assert info.value.code == f"grid_code_{part}"


@pytest.mark.parametrize("number", [0, 100, -1, True])
def test_micro_number_out_of_range(number: int) -> None:
    with pytest.raises(CodeError) as info:
        build_micro_grid_code("211021001001003", number)
    assert info.value.part == "micro_number"


def test_no_micro_grid_under_exclusive_grid() -> None:
    with pytest.raises(CodeError) as info:
        build_micro_grid_code("211021001001501", 1)
    assert info.value.part == "micro_number"
    assert "专属网格" in info.value.message
    with pytest.raises(CodeError) as info:
        parse_grid_code("21102100100150101")
    assert info.value.part == "micro_number"


def test_no_micro_grid_under_micro_grid() -> None:
    with pytest.raises(CodeError):
        build_micro_grid_code("21102100100100301", 1)


@pytest.mark.parametrize(("code", "part"), [
    ("", "charset"), ("21102100100100a", "charset"), (" 2110210010010-3", "charset"),
    ("2110210010010031", "length"), ("21102100100100", "length"), ("211021001001003011", "length"),
    ("211021001001000", "grid_number"), ("21102100100100300", "micro_number"),
    ("211021000000001", "community"), ("991021001001001", "province"),
    ("211021000001001", "street"),
])
def test_parse_errors(code: str, part: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_grid_code(code)
    assert info.value.part == part
    assert not is_valid_grid_code(code)


@pytest.mark.parametrize(("code", "level", "parent"), [
    ("21", "province", None),
    ("2110", "city", "21"),
    ("211021", "county", "2110"),
    ("211021001", "street", "211021"),
    ("211021001001", "community", "211021001"),
    ("211021001001003", "grid", "211021001001"),
    ("211021001001600", "exclusive_grid", "211021001001"),
    ("21102100100100307", "micro_grid", "211021001001003"),
    ("210000", "province", None),
    ("211021000000", "county", "2110"),
])
def test_region_levels_and_parents(code: str, level: str, parent: str | None) -> None:
    assert region_code_level(code) == level
    assert region_code_parent(code) == parent
    assert is_valid_region_code(code)


def test_region_lineage() -> None:
    assert region_code_lineage("21102100100100307") == (
        "21", "2110", "211021", "211021001", "211021001001", "211021001001003", "21102100100100307")
    assert region_code_lineage("211000") == ("21", "2110")
    assert normalize_region_code("211021001000") == "211021001"


@pytest.mark.parametrize("code", ["", "2100", "211021001001000", "2110210010010", None, 21])
def test_invalid_region_codes(code: object) -> None:
    assert not is_valid_region_code(code)


# ---------------------------------------------------------------- properties


@given(communities, st.integers(1, 499), st.integers(1, 99))
def test_basic_grid_round_trip(community: str, number: int, micro: int) -> None:
    grid = build_grid_code(community, number)
    parsed = parse_grid_code(grid)
    assert (parsed.community_code, parsed.grid_number, parsed.ordinal, parsed.level) == (
        community, number, number, "grid")
    assert not parsed.is_exclusive
    micro_code = build_micro_grid_code(grid, micro)
    parsed_micro = parse_grid_code(micro_code)
    assert (parsed_micro.grid_code, parsed_micro.micro_number, parsed_micro.level) == (
        grid, micro, "micro_grid")
    assert region_code_parent(micro_code) == grid
    assert region_code_parent(grid) == community
    assert region_code_lineage(micro_code)[-3:] == (community, grid, micro_code)


@given(communities, st.integers(1, 500))
def test_exclusive_grid_round_trip(community: str, number: int) -> None:
    grid = build_grid_code(community, number, exclusive=True)
    parsed = parse_grid_code(grid)
    assert parsed.is_exclusive and parsed.level == "exclusive_grid"
    assert parsed.ordinal == number and 500 <= parsed.grid_number <= 999
    with pytest.raises(CodeError):
        build_micro_grid_code(grid, 1)


@given(communities, st.integers(1, 999), st.one_of(st.none(), st.integers(0, 99)))
def test_every_lineage_walks_to_a_province(community: str, number: int, micro: int | None) -> None:
    code = f"{community}{number:03d}" + ("" if micro is None else f"{micro:02d}")
    if not is_valid_region_code(code):
        assert micro == 0 or (micro is not None and number >= 500)
        return
    chain = region_code_lineage(code)
    assert chain[0] in PROVINCE_CODES and chain[-1] == code
    for child, parent in zip(chain[1:], chain):
        assert region_code_parent(child) == parent and child.startswith(parent)
