"""Mainland China mobile and landline numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.codes import CodeError, is_valid_mobile, is_valid_phone, normalize_mobile, normalize_phone


@pytest.mark.parametrize("spelling", [
    "13800138000", " 13800138000 ", "+86 138 0013 8000", "+8613800138000", "86-13800138000",
    "8613800138000", "0086 138-0013-8000", "138.0013.8000", "(+86) 138 0013 8000", "+86-138-0013-8000",
])
def test_mobile_spellings(spelling: str) -> None:
    assert normalize_mobile(spelling) == "13800138000"
    assert is_valid_mobile(spelling)
    assert normalize_phone(spelling) == "13800138000"


@pytest.mark.parametrize(("number", "part"), [
    ("", "charset"), ("1380013800a", "charset"), ("１３８００１３８０００", "charset"),
    ("+1 415 555 0100", "country_code"),
    ("1380013800", "length"), ("138001380001", "length"), ("86138001380001", "length"),
    ("12800138000", "prefix"), ("10800138000", "prefix"), ("23800138000", "prefix"),
    ("8612800138000", "prefix"),
])
def test_mobile_errors(number: str, part: str) -> None:
    with pytest.raises(CodeError) as info:
        normalize_mobile(number)
    assert info.value.part == part
    assert info.value.code == f"phone_{part}"
    assert not is_valid_mobile(number)
    if number:
        assert number not in info.value.message  # personal data stays out of messages


def test_non_string() -> None:
    assert not is_valid_mobile(13800138000)
    assert not is_valid_phone(None)


@pytest.mark.parametrize(("spelling", "normal"), [
    ("010-65123456", "010-65123456"), ("(010) 6512 3456", "010-65123456"),
    ("+86 10 6512 3456", "010-65123456"), ("+86 (0)10 6512 3456", "010-65123456"),
    ("021-5123456", "021-5123456"), ("0755-88881234", "0755-88881234"),
    ("0898 6612 3456", "0898-66123456"), ("0086 24 2345 6789", "024-23456789"),
])
def test_landlines(spelling: str, normal: str) -> None:
    assert normalize_phone(spelling) == normal
    assert is_valid_phone(spelling)
    assert not is_valid_mobile(spelling)


@pytest.mark.parametrize("number", [
    "010-1234567",  # local number may not start with 1
    "010-0234567",  # ... nor 0
    "0755-123456",  # too short
    "0755-123456789",  # too long
    "0123-4567890",  # 01x other than 010 is not an area code
    "00755-88881234",  # international prefix without country
    "65123456",  # no area code
    "12345",  # service numbers are not supported
])
def test_invalid_phones(number: str) -> None:
    with pytest.raises(CodeError) as info:
        normalize_phone(number)
    assert info.value.part in {"format", "charset"}


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9),
       st.sampled_from(["", "+86", "+86 ", "86", "86-", "0086", "0086 "]),
       st.sampled_from(["", " ", "-"]))
def test_any_mobile_round_trips(second: str, rest: str, prefix: str, sep: str) -> None:
    number = "1" + second + rest
    spelled = prefix + sep.join([number[:3], number[3:7], number[7:]])
    assert normalize_mobile(spelled) == number
    assert normalize_phone(spelled) == number
