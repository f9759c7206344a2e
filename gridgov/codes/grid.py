"""Grid codes, and the whole region-code hierarchy from province down to micro-grid.

A grid code extends the 12-digit community code (see :mod:`gridgov.codes.division`):

=============  ======  =======================  ============================================
level          digits  example                  meaning
=============  ======  =======================  ============================================
grid           15      ``211021001001003``      community + grid number 001-499: 基础网格
exclusive_grid 15      ``211021001001501``      community + grid number 500-999: 专属网格
micro_grid     17      ``21102100100100307``    basic grid + micro-grid number 01-99: 微网格
=============  ======  =======================  ============================================

Basic grids (基础网格) tile a community; exclusive grids (专属网格: schools, hospitals, malls,
industrial parks ...) are a layer of their own inside it. Micro-grids (微网格) subdivide basic grids
only: a micro-grid under an exclusive grid is an error. Grid number 000 and micro number 00 are
never used.

:func:`build_grid_code` numbers each kind from 1: basic grid *n* gets grid number *n* (1-499),
exclusive grid *n* gets grid number 499 + *n* (1-500 → 500-999).

:func:`region_code_level` and :func:`region_code_parent` work on any code of the hierarchy
(2/4/6/9/12/15/17 digits; padded 6/12-digit division codes are accepted as well):
micro_grid → grid → community → street → county → city → province.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gridgov.codes.division import (
    DivisionLevel,
    division_level,
    division_parent,
    normalize_division_code,
)
from gridgov.codes.errors import CodeError

GridLevel = Literal["grid", "exclusive_grid", "micro_grid"]
RegionLevel = DivisionLevel | GridLevel

#: Every level of the hierarchy from the top down (exclusive grids sit beside basic grids).
REGION_LEVELS: tuple[str, ...] = (
    "province", "city", "county", "street", "community", "grid", "exclusive_grid", "micro_grid",
)

GRID_CODE_LENGTH = 15
MICRO_GRID_CODE_LENGTH = 17
MAX_BASIC_GRID_NUMBER = 499
FIRST_EXCLUSIVE_GRID_NUMBER = 500
MAX_GRID_NUMBER = 999
MAX_MICRO_GRID_NUMBER = 99


@dataclass(frozen=True, slots=True)
class GridCode:
    """A parsed grid or micro-grid code.

    ``grid_code`` is the 15-digit grid itself (for a micro-grid: the basic grid containing it).
    """

    code: str
    community_code: str
    grid_code: str
    grid_number: int
    micro_number: int | None
    is_exclusive: bool
    level: GridLevel

    @property
    def parent(self) -> str:
        """The grid of a micro-grid, the community of a grid."""
        return self.grid_code if self.micro_number is not None else self.community_code

    @property
    def ordinal(self) -> int:
        """Number of the grid within its kind (basic or exclusive), counted from 1."""
        return self.grid_number - (MAX_BASIC_GRID_NUMBER if self.is_exclusive else 0)


def _error(part: str, message: str) -> CodeError:
    return CodeError(message, code=f"grid_code_{part}", part=part)


def _community(code: str) -> str:
    """The natural 12-digit community code, errors re-coded as ``grid_code_<part>``."""
    try:
        natural = normalize_division_code(code)
    except CodeError as e:
        raise _error(e.part, f"网格所属社区/村代码无效：{e.message}") from e
    if len(natural) != 12:
        raise _error("community", f"网格必须挂在社区/村（12 位代码）下，{natural} 是 {len(natural)} 位")
    return natural


def _check_int(value: object, what: str, part: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(part, f"{what}必须是整数，实为 {type(value).__name__}")
    return value


def build_grid_code(community_code: str, number: int, exclusive: bool = False) -> str:
    """Code of basic grid ``number`` (1-499), or with ``exclusive`` of exclusive grid ``number``
    (1-500, stored as 500-999), in the community ``community_code`` (12 digits, or padded)."""
    community = _community(community_code)
    number = _check_int(number, "网格序号", "grid_number")
    if exclusive:
        if not 1 <= number <= MAX_GRID_NUMBER - MAX_BASIC_GRID_NUMBER:
            raise _error("grid_number", f"专属网格序号应在 1–500 之间，实为 {number}")
        grid_number = MAX_BASIC_GRID_NUMBER + number
    else:
        if not 1 <= number <= MAX_BASIC_GRID_NUMBER:
            raise _error("grid_number", f"基础网格序号应在 1–499 之间，实为 {number}")
        grid_number = number
    return f"{community}{grid_number:03d}"


def build_micro_grid_code(grid_code: str, number: int) -> str:
    """Code of micro-grid ``number`` (1-99) inside the basic grid ``grid_code``."""
    grid = parse_grid_code(grid_code)
    if grid.level != "grid":
        what = "专属网格" if grid.is_exclusive else "微网格"
        raise _error("micro_number", f"微网格只能划在基础网格下，{grid.code} 是{what}")
    number = _check_int(number, "微网格序号", "micro_number")
    if not 1 <= number <= MAX_MICRO_GRID_NUMBER:
        raise _error("micro_number", f"微网格序号应在 1–99 之间，实为 {number}")
    return f"{grid.code}{number:02d}"


def parse_grid_code(s: str) -> GridCode:
    """Parse a 15-digit grid code or a 17-digit micro-grid code.

    Raises :class:`CodeError` with part ``charset``, ``length``, a division level (the community
    prefix is invalid), ``grid_number`` or ``micro_number``.
    """
    if not isinstance(s, str):
        raise _error("charset", f"网格代码必须是字符串，实为 {type(s).__name__}")
    s = s.strip()
    if not (s.isascii() and s.isdigit()):
        raise _error("charset", f"网格代码只能由数字组成：{s!r}")
    if len(s) not in (GRID_CODE_LENGTH, MICRO_GRID_CODE_LENGTH):
        raise _error("length", f"网格代码长度错误：应为 15 位（网格）或 17 位（微网格），实为 {len(s)} 位")
    community = _community(s[:12])
    grid_number = int(s[12:15])
    if grid_number == 0:
        raise _error("grid_number", f"网格编号不能为 000（{s}）")
    exclusive = grid_number >= FIRST_EXCLUSIVE_GRID_NUMBER
    if len(s) == GRID_CODE_LENGTH:
        return GridCode(s, community, s, grid_number, None, exclusive,
                        "exclusive_grid" if exclusive else "grid")
    micro = int(s[15:17])
    if micro == 0:
        raise _error("micro_number", f"微网格编号不能为 00（{s}）")
    if exclusive:
        raise _error("micro_number", f"专属网格（编号 {grid_number}）下不能再划微网格（{s}）")
    return GridCode(s, community, s[:15], grid_number, micro, False, "micro_grid")


def is_valid_grid_code(s: object) -> bool:
    """True if ``s`` is a valid 15-digit grid or 17-digit micro-grid code."""
    try:
        parse_grid_code(s)  # type: ignore[arg-type]
    except CodeError:
        return False
    return True


def normalize_region_code(code: str) -> str:
    """Validate any region code and return it in natural form (padded division codes shortened)."""
    if isinstance(code, str) and len(code.strip()) in (GRID_CODE_LENGTH, MICRO_GRID_CODE_LENGTH):
        return parse_grid_code(code).code
    return normalize_division_code(code)


def region_code_level(code: str) -> RegionLevel:
    """Level of any region code: province, city, county, street, community, grid,
    exclusive_grid or micro_grid."""
    if isinstance(code, str) and len(code.strip()) in (GRID_CODE_LENGTH, MICRO_GRID_CODE_LENGTH):
        return parse_grid_code(code).level
    return division_level(code)


def region_code_parent(code: str) -> str | None:
    """Natural-length parent of any region code (``None`` for a province):
    micro_grid → grid → community → street → county → city → province."""
    if isinstance(code, str) and len(code.strip()) in (GRID_CODE_LENGTH, MICRO_GRID_CODE_LENGTH):
        return parse_grid_code(code).parent
    return division_parent(code)


def region_code_lineage(code: str) -> tuple[str, ...]:
    """Natural-length codes from the province down to ``code`` itself."""
    chain = [normalize_region_code(code)]
    while (parent := region_code_parent(chain[-1])) is not None:
        chain.append(parent)
    return tuple(reversed(chain))


def is_valid_region_code(code: object) -> bool:
    """True if ``code`` is a valid code at any level of the hierarchy."""
    try:
        normalize_region_code(code)  # type: ignore[arg-type]
    except CodeError:
        return False
    return True
