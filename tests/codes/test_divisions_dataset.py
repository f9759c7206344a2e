"""Every real code in the shared divisions dataset parses with the right level and parent.

The dataset (provinces/cities/areas/streets CSV, as published by the open "Administrative-divisions-
of-China" project) lives outside the repository; the tests are skipped when it is absent.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from gridgov.codes import (
    PROVINCE_CODES,
    TownshipType,
    division_level,
    division_parent,
    is_valid_division_code,
    normalize_division_code,
    parse_division_code,
    township_type,
)

DATASET = Path("/work/shared/datasets/divisions")


def _rows(name: str) -> list[dict[str, str]]:
    path = DATASET / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_provinces_are_the_province_code_set() -> None:
    codes = {row["code"] for row in _rows("provinces.csv")}
    assert codes <= PROVINCE_CODES
    assert PROVINCE_CODES - codes <= {"71", "81", "82"}  # 台湾、香港、澳门 are not in the dataset


def test_cities() -> None:
    for row in _rows("cities.csv"):
        assert division_level(row["code"]) == "city", row
        assert division_parent(row["code"]) == row["provinceCode"], row


def test_counties() -> None:
    without_districts = []
    for row in _rows("areas.csv"):
        parsed = parse_division_code(row["code"])
        if row["code"].endswith("00"):
            # 不设区的地级市 (东莞、中山、儋州) appear as their own county-level row "441900":
            # in GB/T 2260 that 6-digit code is the city itself.
            assert parsed.code == row["cityCode"], row
            without_districts.append(row["code"])
            continue
        assert parsed.level == "county", row
        assert parsed.parent == row["cityCode"], row
        assert parsed.province == row["provinceCode"], row
    assert sorted(without_districts) == ["441900", "442000", "460400"]


def test_streets_parse_and_classify() -> None:
    rows = _rows("streets.csv")
    kinds: Counter[TownshipType] = Counter()
    rejected = []
    for row in rows:
        if not is_valid_division_code(row["code"]):
            rejected.append(row["code"])
            continue
        parsed = parse_division_code(row["code"])
        assert parsed.level == "street", row
        assert parsed.parent == normalize_division_code(row["areaCode"]), row
        assert (parsed.province, parsed.city) == (row["provinceCode"], row["cityCode"]), row
        kinds[township_type(row["code"])] += 1
    # The one placeholder: 金门县 (350527) is listed as its own "street" 350527000, which is not a
    # township code (segment 000).
    assert rejected == ["350527000"]
    assert sum(kinds.values()) == len(rows) - 1 > 40_000
    # All four kinds occur; "other" (400-599: 开发区、农场、林场、园区 ...) is a minority
    # (2710 of the 41352 rows in the shared dataset).
    assert set(kinds) == set(TownshipType)
    assert kinds[TownshipType.OTHER] < 0.1 * len(rows)
    print("township types:", {k.value: n for k, n in kinds.most_common()})


@pytest.mark.parametrize(("suffix", "kind"), [
    ("街道", TownshipType.STREET), ("镇", TownshipType.TOWN), ("乡", TownshipType.TOWNSHIP),
    ("苏木", TownshipType.TOWNSHIP),
])
def test_township_type_agrees_with_the_name(suffix: str, kind: TownshipType) -> None:
    """A 街道 is coded 001-099, a 镇 100-199, a 乡/民族乡/苏木 200-399 — or, for units of
    development zones and the like, 400-599 ("other"); never one of the other named kinds."""
    named = [row for row in _rows("streets.csv")
             if row["name"].endswith(suffix) and is_valid_division_code(row["code"])]
    assert named
    found = Counter(township_type(row["code"]) for row in named)
    assert set(found) <= {kind, TownshipType.OTHER}, found
    assert found[kind] > 0.95 * len(named)
