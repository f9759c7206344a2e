"""Citizen identity numbers, GB 11643-1999."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.codes import (
    PROVINCE_CODES,
    CitizenId,
    CodeError,
    build_citizen_id,
    check_char,
    is_valid_citizen_id,
    normalize_citizen_id,
    parse_citizen_id,
    upgrade_15_to_18,
)
from gridgov.codes.citizen_id import CHECK_CHARS, WEIGHTS

# The two worked examples of GB 11643-1999 (Annex): 北京市朝阳区 1949-12-31 female, check X;
# 广东省汕头市潮阳县 1880-01-01 male, check 4 (valid checksum, but before our 1900-01-01 floor).
STANDARD_EXAMPLE = "11010519491231002X"
STANDARD_EXAMPLE_1880 = "440524188001010014"

ALPHABET = "0123456789X"

regions = st.tuples(
    st.sampled_from(sorted(PROVINCE_CODES)), st.integers(0, 9999).map(lambda n: f"{n:04d}"),
).map("".join)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
sequences = st.integers(0, 999)


@st.composite
def citizen_ids(draw: st.DrawFn) -> str:
    return build_citizen_id(draw(regions), draw(birth_dates), draw(sequences))


# ---------------------------------------------------------------- examples


def test_weights_are_the_gb_11643_weights() -> None:
    assert WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert CHECK_CHARS == "10X98765432"


def test_standard_examples() -> None:
    assert check_char(STANDARD_EXAMPLE[:17]) == "X"
    assert check_char(STANDARD_EXAMPLE_1880[:17]) == "4"
    assert parse_citizen_id(STANDARD_EXAMPLE) == CitizenId(
        STANDARD_EXAMPLE, "110105", date(1949, 12, 31), 2, "female", "X")
    with pytest.raises(CodeError) as info:
        parse_citizen_id(STANDARD_EXAMPLE_1880)
    assert info.value.part == "birth_date"


def test_lower_case_x_and_whitespace_are_normalised() -> None:
    parsed = parse_citizen_id("  11010519491231002x ")
    assert parsed.number == STANDARD_EXAMPLE and parsed.check_char == "X"
    assert normalize_citizen_id("11010519491231002x") == STANDARD_EXAMPLE


def test_sex_from_sequence_parity() -> None:
    assert parse_citizen_id(build_citizen_id("110101", date(1990, 1, 1), 1)).sex == "male"
    assert parse_citizen_id(build_citizen_id("110101", date(1990, 1, 1), 2)).sex == "female"
    assert parse_citizen_id(build_citizen_id("110101", date(1990, 1, 1), 0)).sex == "female"
    assert parse_citizen_id(build_citizen_id("110101", date(1990, 1, 1), 999)).sex == "male"


def test_age() -> None:
    person = parse_citizen_id(STANDARD_EXAMPLE)
    assert person.age_on(date(1950, 12, 30)) == 0
    assert person.age_on(date(1950, 12, 31)) == 1
    assert person.age_on(date(2024, 1, 1)) == 74


def test_check_character_message() -> None:
    bad = STANDARD_EXAMPLE[:17] + "5"
    with pytest.raises(CodeError) as info:
        parse_citizen_id(bad)
    err = info.value
    assert (err.part, err.code) == ("check_character", "citizen_id_check_character")
    assert err.message == "身份证号校验位错误：应为 X，实为 5"
    assert bad not in err.message  # personal data stays out of messages


@pytest.mark.parametrize(("number", "part"), [
    ("", "length"), ("11010519491231002", "length"), ("11010519491231002X1", "length"),
    ("1101051949123100AX", "charset"), ("11010519491231002Y", "charset"),
    ("１10105194912310０2X", "charset"), ("11010519491231002-", "charset"),
    ("99010519491231002X", "region"), ("00010519491231002X", "region"),
    ("10010519491231002X", "region"),
    ("11010519490230002X", "birth_date"), ("11010519491301002X", "birth_date"),
    ("11010519491200002X", "birth_date"), ("11010518991231002X", "birth_date"),
    ("11010530000101002X", "birth_date"), ("11010519000229002X", "birth_date"),
    ("110105194912310021", "check_character"),
])
def test_errors_name_the_failing_part(number: str, part: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_citizen_id(number)
    assert info.value.part == part
    assert info.value.code == f"citizen_id_{part}"
    assert not is_valid_citizen_id(number)


def test_leap_day_is_a_valid_birth_date() -> None:
    assert parse_citizen_id(build_citizen_id("110101", date(2000, 2, 29), 5)).birth_date == date(2000, 2, 29)


def test_birth_date_bounds_with_injected_today() -> None:
    today = date(2020, 6, 1)
    born_today = build_citizen_id("110101", today, 7, today=today)
    assert parse_citizen_id(born_today, today=today).birth_date == today
    with pytest.raises(CodeError) as info:
        parse_citizen_id(born_today, today=today - timedelta(days=1))
    assert info.value.part == "birth_date"
    assert is_valid_citizen_id(build_citizen_id("110101", date(1900, 1, 1), 7))


def test_non_string() -> None:
    with pytest.raises(CodeError) as info:
        parse_citizen_id(11010519491231002)  # type: ignore[arg-type]
    assert info.value.part == "charset"
    assert not is_valid_citizen_id(None)


def test_check_char_input_errors() -> None:
    with pytest.raises(CodeError) as info:
        check_char("1101051949123100")
    assert info.value.part == "length"
    with pytest.raises(CodeError) as info:
        check_char("1101051949123100X")
    assert info.value.part == "charset"


def test_upgrade_15_to_18() -> None:
    assert upgrade_15_to_18("110105491231002") == STANDARD_EXAMPLE
    assert normalize_citizen_id("110105491231002") == STANDARD_EXAMPLE


@pytest.mark.parametrize(("number", "part"), [
    ("11010549123100", "length"), ("1101054912310021", "length"), ("11010549123100X", "charset"),
    ("990105491231002", "region"), ("110105490230002", "birth_date"), ("110105491331002", "birth_date"),
])
def test_upgrade_errors(number: str, part: str) -> None:
    with pytest.raises(CodeError) as info:
        upgrade_15_to_18(number)
    assert info.value.part == part


#: A fixed "today": a date computed at collection time goes stale when the suite crosses midnight.
TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(("args", "part"), [
    (("11010", date(1990, 1, 1), 1), "region"),
    (("11010a", date(1990, 1, 1), 1), "region"),
    (("990101", date(1990, 1, 1), 1), "region"),
    (("110101", date(1899, 12, 31), 1), "birth_date"),
    (("110101", TODAY + timedelta(days=1), 1), "birth_date"),
    (("110101", "1990-01-01", 1), "birth_date"),
    (("110101", date(1990, 1, 1), -1), "sequence"),
    (("110101", date(1990, 1, 1), 1000), "sequence"),
    (("110101", date(1990, 1, 1), True), "sequence"),
])
def test_build_errors(args: tuple, part: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(CodeError) as info:
        build_citizen_id(*args, today=TODAY)
    assert info.value.part == part


def test_build_accepts_datetime() -> None:
    assert build_citizen_id("110105", datetime(1949, 12, 31, 8, 30), 2) == STANDARD_EXAMPLE


# ---------------------------------------------------------------- the MOD 11-2 proof


def test_every_single_substitution_changes_the_check_for_every_id() -> None:
    """Exhaustive over all (weight, digit change): w·Δ ≢ 0 (mod 11) for Δ ∈ ±1..±9.

    A substituted body digit therefore changes the weighted sum mod 11 and, since the map from
    sum mod 11 to check character is injective, the expected check character. This covers every
    possible ID, not only drawn ones.
    """
    assert len(set(CHECK_CHARS)) == 11
    for w in WEIGHTS:
        for old in range(10):
            for new in range(10):
                if old != new:
                    assert (w * (new - old)) % 11 != 0


# ---------------------------------------------------------------- properties


@given(regions, birth_dates, sequences)
def test_build_parse_round_trip(region: str, born: date, sequence: int) -> None:
    number = build_citizen_id(region, born, sequence)
    parsed = parse_citizen_id(number)
    assert (parsed.number, parsed.region_code, parsed.birth_date, parsed.sequence) == (
        number, region, born, sequence)
    assert parsed.sex == ("male" if sequence % 2 else "female")
    assert parsed.check_char == number[-1] == check_char(number[:17])
    assert parse_citizen_id(number.lower()).number == number


@given(citizen_ids())
def test_every_single_character_corruption_is_rejected(number: str) -> None:
    for i in range(18):
        for c in ALPHABET:
            if c != number[i]:
                corrupted = number[:i] + c + number[i + 1:]
                assert not is_valid_citizen_id(corrupted), (i, c)


@given(citizen_ids(), st.integers(0, 16), st.sampled_from("0123456789"))
def test_body_substitution_changes_the_check_character(number: str, i: int, c: str) -> None:
    # Independent of the region/date checks: the checksum alone catches it.
    if c != number[i]:
        assert check_char(number[:i] + c + number[i + 1:17]) != number[17]


@given(citizen_ids(), st.integers(0, 15))
def test_adjacent_transposition_in_the_body_is_caught(number: str, i: int) -> None:
    # Adjacent weights satisfy w_i = 2·w_{i+1} (mod 11), so swapping different digits a, b changes
    # the sum by w_{i+1}·(a - b) ≢ 0 (mod 11).
    if number[i] != number[i + 1]:
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:17]
        assert check_char(swapped) != number[17]


@given(regions, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_upgrade_round_trip(region: str, born: date, sequence: int) -> None:
    old = f"{region}{born:%y%m%d}{sequence:03d}"
    new = upgrade_15_to_18(old)
    parsed = parse_citizen_id(new)
    assert parsed.birth_date == born
    assert (parsed.region_code, parsed.sequence) == (region, sequence)
    assert new == build_citizen_id(region, born, sequence)
    assert new[:6] + new[8:17] == old
