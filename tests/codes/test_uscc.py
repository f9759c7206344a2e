"""Unified social credit codes, GB 32100-2015 (and GB 11714 organization codes)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.codes import (
    PROVINCE_CODES,
    CodeError,
    Uscc,
    build_uscc,
    is_valid_organization_code,
    is_valid_uscc,
    organization_code_check_char,
    parse_uscc,
    uscc_check_char,
)
from gridgov.codes.uscc import CHARSET, ORGANIZATION_TYPES, REGISTRATION_AUTHORITIES, WEIGHTS

# Codes published on the web and in public validator test suites that we checked by computing
# both check characters: every one of these passes GB 11714 (position 17) and GB 32100 (18).
PUBLISHED_VALID = [
    "91350100M000100Y43",  # the example most Chinese validator libraries cite
    "91110000600037341L",
    "91110105771583283D",
    "91110000802100433B",
    "91110108740084270C",
    "91110108735106340Y",
    "911101077776591113",
    "91440300708461136T",
    "91110108551385082Q",
    "112302070019030687",  # 机构编制 / 机关
]
# Also found in a public validator's sample list, but they do NOT validate: the MOD 31 check
# character should be D and F respectively. Kept here so nobody "fixes" the algorithm to fit them.
PUBLISHED_INVALID = {"91350200M000000510": "D", "91350128M00000019A": "F"}

ALPHABET = CHARSET + "IOZSV"

strict_kinds = st.sampled_from([(a, t) for a in "159" for t in ORGANIZATION_TYPES[a]])
regions = st.one_of(
    st.tuples(st.sampled_from(sorted(PROVINCE_CODES)),
              st.integers(0, 9999).map(lambda n: f"{n:04d}")).map("".join),
    st.just("100000"),
)
org_bodies = st.text(alphabet=CHARSET, min_size=8, max_size=8)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority, kind = draw(st.one_of(
        strict_kinds,
        st.tuples(st.sampled_from(sorted(set(REGISTRATION_AUTHORITIES) - set("159"))),
                  st.sampled_from(CHARSET)),
    ))
    return build_uscc(authority, kind, draw(regions), draw(org_bodies))


# ---------------------------------------------------------------- examples


def test_weights() -> None:
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(CHARSET) == 31 and not set("IOZSV") & set(CHARSET)


@pytest.mark.parametrize("code", PUBLISHED_VALID)
def test_published_codes_validate(code: str) -> None:
    parsed = parse_uscc(code)
    assert parsed.code == code
    assert uscc_check_char(code[:17]) == code[17]
    assert organization_code_check_char(code[8:16]) == code[16]
    assert build_uscc(code[0], code[1], code[2:8], code[8:16]) == code
    assert build_uscc(code[0], code[1], code[2:8], code[8:17]) == code


@pytest.mark.parametrize(("code", "expected"), sorted(PUBLISHED_INVALID.items()))
def test_commonly_cited_but_invalid_codes(code: str, expected: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_uscc(code)
    assert info.value.part == "check_character"
    assert info.value.message == f"统一社会信用代码校验码错误：应为 {expected}，实为 {code[17]}"


def test_parse_fields() -> None:
    assert parse_uscc("91350100M000100Y43") == Uscc(
        "91350100M000100Y43", "9", "工商（市场监管）", "1", "企业", "350100", "M000100Y4", "3")
    parsed = parse_uscc("112302070019030687")
    assert (parsed.registration_authority_name, parsed.organization_type_name) == ("机构编制", "机关")
    assert not parsed.is_national


def test_lower_case_and_whitespace() -> None:
    assert parse_uscc(" 91350100m000100y43\n").code == "91350100M000100Y43"


def test_national_level_region() -> None:
    code = build_uscc("5", "1", "100000", "50000001")
    parsed = parse_uscc(code)
    assert parsed.is_national and parsed.organization_type_name == "社会团体"


def test_non_strict_authority_accepts_unknown_type() -> None:
    code = build_uscc("Y", "2", "110000", "12345678")
    assert parse_uscc(code).organization_type_name is None
    assert parse_uscc(build_uscc("N", "2", "110000", "12345678")).organization_type_name == "村级集体经济组织"


def _with_valid_check(first17: str) -> str:
    return first17 + uscc_check_char(first17)


@pytest.mark.parametrize(("code", "part"), [
    ("", "length"), ("91350100M000100Y4", "length"), ("91350100M000100Y431", "length"),
    ("91350100M000100I43", "charset"), ("91350100M000100O43", "charset"),
    ("91350100M000100Z43", "charset"), ("91350100M000100S43", "charset"),
    ("91350100M000100V43", "charset"), ("91350100M000100Y4-", "charset"),
    (_with_valid_check("B1350100M000100Y4"), "registration_authority"),
    (_with_valid_check("94350100M000100Y4"), "organization_type"),
    (_with_valid_check("54350100M000100Y4"), "organization_type"),
    (_with_valid_check("15350100M000100Y4"), "organization_type"),
    (_with_valid_check("9199010012345678X"), "region"),
    (_with_valid_check("9135A10012345678X"), "region"),
    (_with_valid_check("91350100M000100Y5"), "organization_code"),
    ("91350100M000100Y44", "check_character"),
])
def test_errors_name_the_failing_part(code: str, part: str) -> None:
    with pytest.raises(CodeError) as info:
        parse_uscc(code)
    assert info.value.part == part
    assert info.value.code == f"uscc_{part}"
    assert not is_valid_uscc(code)


def test_organization_code_check_can_be_skipped() -> None:
    code = _with_valid_check("91350100M000100Y5")
    assert not is_valid_uscc(code)
    assert is_valid_uscc(code, check_organization_code=False)


def test_non_string() -> None:
    assert not is_valid_uscc(None)
    with pytest.raises(CodeError):
        parse_uscc(913501)  # type: ignore[arg-type]


@pytest.mark.parametrize(("body", "check"), [
    ("60003734", "1"), ("M000100Y", "4"),
    ("10000004", "0"),  # 11 - sum % 11 == 11 → "0"
    ("10000018", "X"),  # 11 - sum % 11 == 10 → "X"
])
def test_organization_code_check_char(body: str, check: str) -> None:
    assert organization_code_check_char(body) == check
    assert is_valid_organization_code(body + check)
    assert is_valid_organization_code(f"{body}-{check}")


@pytest.mark.parametrize("code", ["60003734-2", "6000373", "60003734-1-", None, "6000373a1"])
def test_invalid_organization_codes(code: object) -> None:
    assert not is_valid_organization_code(code)


@pytest.mark.parametrize(("args", "part"), [
    (("B", "1", "350100", "M000100Y"), "registration_authority"),
    (("91", "1", "350100", "M000100Y"), "registration_authority"),
    (("9", "4", "350100", "M000100Y"), "organization_type"),
    (("9", "I", "350100", "M000100Y"), "organization_type"),
    (("9", "1", "35010", "M000100Y"), "region"),
    (("9", "1", "990100", "M000100Y"), "region"),
    (("9", "1", "350100", "M000100"), "organization_code"),
    (("9", "1", "350100", "M000100I"), "organization_code"),
    (("9", "1", "350100", "M000100Y5"), "organization_code"),
])
def test_build_errors(args: tuple[str, str, str, str], part: str) -> None:
    with pytest.raises(CodeError) as info:
        build_uscc(*args)
    assert info.value.part == part


def test_uscc_check_char_input_errors() -> None:
    with pytest.raises(CodeError) as info:
        uscc_check_char("91350100M000100Y")
    assert info.value.part == "length"
    with pytest.raises(CodeError) as info:
        uscc_check_char("91350100M000100O4")
    assert info.value.part == "charset"


# ---------------------------------------------------------------- the MOD 31 proof


def test_every_single_substitution_changes_the_check_for_every_code() -> None:
    """Exhaustive over all (weight, value change): w·Δ ≢ 0 (mod 31) for Δ ∈ ±1..±30, and the
    map from sum mod 31 to check character is a bijection onto the 31-character set. So any
    substitution in positions 1-17 changes the expected check character, for every code."""
    assert sorted((31 - s) % 31 for s in range(31)) == list(range(31))
    for w in WEIGHTS:
        for delta in range(1, 31):
            assert (w * delta) % 31 != 0
            assert (w * -delta) % 31 != 0


# ---------------------------------------------------------------- properties


@given(strict_kinds, regions, org_bodies)
def test_build_parse_round_trip(kind: tuple[str, str], region: str, body: str) -> None:
    code = build_uscc(kind[0], kind[1], region, body)
    parsed = parse_uscc(code)
    assert (parsed.registration_authority, parsed.organization_type, parsed.region_code) == (
        kind[0], kind[1], region)
    assert parsed.organization_code[:8] == body
    assert parsed.organization_type_name == ORGANIZATION_TYPES[kind[0]][kind[1]]
    assert is_valid_organization_code(parsed.organization_code)
    assert parse_uscc(code.lower()) == parsed


@given(usccs())
def test_every_single_character_corruption_is_rejected(code: str) -> None:
    for i in range(18):
        for c in ALPHABET:
            if c != code[i]:
                corrupted = code[:i] + c + code[i + 1:]
                assert not is_valid_uscc(corrupted), (i, c)
                # ... and by the MOD 31 check alone, whatever the other rules say:
                assert not is_valid_uscc(corrupted, check_organization_code=False), (i, c)


@given(usccs(), st.integers(0, 16), st.sampled_from(CHARSET))
def test_substitution_changes_the_check_character(code: str, i: int, c: str) -> None:
    if c != code[i]:
        assert uscc_check_char(code[:i] + c + code[i + 1:17]) != code[17]
