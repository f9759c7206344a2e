"""Pure functions for the codes gridgov lives on (no database, no I/O).

* :mod:`~gridgov.codes.division` — administrative division codes (GB/T 2260 + township/community);
* :mod:`~gridgov.codes.grid` — grid and micro-grid codes, and the whole region-code hierarchy;
* :mod:`~gridgov.codes.citizen_id` — citizen identity numbers (GB 11643-1999);
* :mod:`~gridgov.codes.uscc` — unified social credit codes (GB 32100-2015) and GB 11714 org codes;
* :mod:`~gridgov.codes.phone` — mainland mobile and landline numbers.

Every failure raises :class:`CodeError` with a machine ``code``, the failing ``part`` and a
Chinese ``message``.
"""

from gridgov.codes.citizen_id import (
    CitizenId,
    build_citizen_id,
    check_char,
    is_valid_citizen_id,
    normalize_citizen_id,
    parse_citizen_id,
    upgrade_15_to_18,
)
from gridgov.codes.division import (
    DIVISION_LEVELS,
    PROVINCE_CODES,
    CommunityType,
    DivisionCode,
    DivisionLevel,
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
from gridgov.codes.errors import CodeError
from gridgov.codes.grid import (
    REGION_LEVELS,
    GridCode,
    GridLevel,
    RegionLevel,
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
from gridgov.codes.phone import is_valid_mobile, is_valid_phone, normalize_mobile, normalize_phone
from gridgov.codes.uscc import (
    Uscc,
    build_uscc,
    is_valid_organization_code,
    is_valid_uscc,
    organization_code_check_char,
    parse_uscc,
    uscc_check_char,
)

__all__ = [
    "DIVISION_LEVELS", "PROVINCE_CODES", "REGION_LEVELS",
    "CitizenId", "CodeError", "CommunityType", "DivisionCode", "DivisionLevel", "GridCode",
    "GridLevel", "RegionLevel", "TownshipType", "Uscc",
    "build_citizen_id", "build_grid_code", "build_micro_grid_code", "build_uscc", "check_char",
    "community_type", "division_level", "division_lineage", "division_parent",
    "is_valid_citizen_id", "is_valid_division_code", "is_valid_grid_code", "is_valid_mobile",
    "is_valid_organization_code", "is_valid_phone", "is_valid_region_code", "is_valid_uscc",
    "normalize_citizen_id", "normalize_division_code", "normalize_mobile", "normalize_phone",
    "normalize_region_code", "organization_code_check_char", "pad_division_code",
    "parse_citizen_id", "parse_division_code", "parse_grid_code", "parse_uscc",
    "region_code_level", "region_code_lineage", "region_code_parent", "township_type",
    "upgrade_15_to_18", "uscc_check_char",
]
