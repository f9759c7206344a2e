"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

18 characters from the 31-character set ``0-9 A-H J-N P-R T U W X Y`` (no I, O, Z, S, V):

======  =================================================================================
pos     meaning
======  =================================================================================
1       registration authority (登记管理部门), see :data:`REGISTRATION_AUTHORITIES`
2       organization type (机构类别) within that authority, see :data:`ORGANIZATION_TYPES`
3-8     division code of the registering authority (GB/T 2260; ``100000`` = national level)
9-17    organization code (主体标识码), GB 11714: 8 characters + its own MOD 11 check character
18      check character: weights ``3^i mod 31`` (i = 0..16) over the character values,
        ``(31 - sum mod 31) mod 31`` mapped back through the character set
======  =================================================================================

Why every single substitution is caught: all weights are non-zero modulo the prime 31 and two
different characters differ in value by 1..30, so the weighted sum changes modulo 31 and with it
the expected check character; a changed check character no longer equals the unchanged expected one.

The organization-type table is enforced for the authorities 1 (机构编制), 5 (民政) and 9 (工商/市场
监管), whose tables are fixed in GB 32100-2015 Annex A; for the other authorities any character is
accepted and described when known.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.codes.division import PROVINCE_CODES
from gridgov.codes.errors import CodeError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES: dict[str, int] = {c: i for i, c in enumerate(CHARSET)}
#: Weights of positions 1-17: 3^i mod 31.
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))

#: Weights of the GB 11714 organization-code check over its first 8 characters.
ORG_CODE_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)

#: Division code used by national-level registration authorities.
NATIONAL_REGION_CODE = "100000"

REGISTRATION_AUTHORITIES: dict[str, str] = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政", "6": "旅游",
    "7": "宗教", "8": "工会", "9": "工商（市场监管）", "A": "中央军委改革和编制办公室",
    "N": "农业", "Y": "其他",
}

ORGANIZATION_TYPES: dict[str, dict[str, str]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    "2": {"1": "外国常驻新闻机构", "9": "其他"},
    "3": {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
          "5": "仲裁委员会", "9": "其他"},
    "4": {"1": "外国在华文化中心", "9": "其他"},
    "5": {"1": "社会团体", "2": "民办非企业单位（社会服务机构）", "3": "基金会", "9": "其他"},
    "6": {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},
    "8": {"1": "基层工会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    "A": {"1": "军队事业单位", "9": "其他"},
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    "Y": {"1": "其他"},
}
_STRICT_TYPE_AUTHORITIES = frozenset({"1", "5", "9"})


@dataclass(frozen=True, slots=True)
class Uscc:
    """A parsed, valid unified social credit code."""

    code: str
    registration_authority: str
    registration_authority_name: str
    organization_type: str
    organization_type_name: str | None
    region_code: str
    organization_code: str
    check_char: str

    @property
    def is_national(self) -> bool:
        """Registered by a national-level authority (division code ``100000``)."""
        return self.region_code == NATIONAL_REGION_CODE


def _error(part: str, message: str) -> CodeError:
    return CodeError(message, code=f"uscc_{part}", part=part)


def _gb11714_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def organization_code_check_char(first8: str) -> str:
    """GB 11714 check character (``0``-``9`` or ``X``) of an organization code's first 8 characters."""
    if not isinstance(first8, str) or len(first8) != 8:
        raise _error("organization_code", "计算组织机构代码校验位需要前 8 位")
    if not all(c.isascii() and (c.isdigit() or c.isupper()) for c in first8):
        raise _error("organization_code", "组织机构代码只能由数字和大写字母组成")
    total = sum(_gb11714_value(c) * w for c, w in zip(first8, ORG_CODE_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_organization_code(s: object) -> bool:
    """True if ``s`` is a 9-character GB 11714 organization code (a ``-`` before the check is allowed)."""
    if not isinstance(s, str):
        return False
    s = s.strip().upper()
    if len(s) == 10 and s[8] == "-":
        s = s[:8] + s[9]
    if len(s) != 9:
        return False
    try:
        return organization_code_check_char(s[:8]) == s[8]
    except CodeError:
        return False


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if not isinstance(first17, str) or len(first17) != 17:
        raise _error("length", "计算校验码需要统一社会信用代码前 17 位")
    bad = [c for c in first17 if c not in _VALUES]
    if bad:
        raise _error("charset", f"统一社会信用代码含非法字符 {bad[0]!r}")
    total = sum(_VALUES[c] * w for c, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def _check_region(region: str) -> None:
    if not (region.isascii() and region.isdigit()):
        raise _error("region", f"统一社会信用代码第 3–8 位（行政区划码）必须是数字：{region}")
    if region != NATIONAL_REGION_CODE and region[:2] not in PROVINCE_CODES:
        raise _error("region", f"统一社会信用代码行政区划码错误：省级代码 {region[:2]} 不存在")


def _check_kind(authority: str, org_type: str) -> str | None:
    if authority not in REGISTRATION_AUTHORITIES:
        raise _error("registration_authority", f"统一社会信用代码登记管理部门代码 {authority} 不存在")
    types = ORGANIZATION_TYPES.get(authority, {})
    if authority in _STRICT_TYPE_AUTHORITIES and org_type not in types:
        allowed = "、".join(types)
        raise _error("organization_type",
                     f"统一社会信用代码机构类别代码错误：{REGISTRATION_AUTHORITIES[authority]}"
                     f"登记的机构类别只能是 {allowed}，实为 {org_type}")
    return types.get(org_type)


def parse_uscc(s: str, *, check_organization_code: bool = True) -> Uscc:
    """Validate and parse a unified social credit code (lower case is accepted and upper-cased).

    Checks, in order: length, charset, registration_authority, organization_type, region,
    organization_code (GB 11714 check, unless ``check_organization_code`` is false),
    check_character. Raises :class:`CodeError` naming the failing part.
    """
    if not isinstance(s, str):
        raise _error("charset", f"统一社会信用代码必须是字符串，实为 {type(s).__name__}")
    s = s.strip().upper()
    if len(s) != 18:
        raise _error("length", f"统一社会信用代码长度错误：应为 18 位，实为 {len(s)} 位")
    for i, c in enumerate(s, start=1):
        if c not in _VALUES:
            raise _error("charset", f"统一社会信用代码第 {i} 位 {c!r} 不是允许的字符（不使用 I、O、Z、S、V）")
    type_name = _check_kind(s[0], s[1])
    _check_region(s[2:8])
    org = s[8:17]
    if check_organization_code:
        expected_org = organization_code_check_char(org[:8])
        if org[8] != expected_org:
            raise _error("organization_code",
                         f"统一社会信用代码中组织机构代码校验位错误：应为 {expected_org}，实为 {org[8]}")
    expected = uscc_check_char(s[:17])
    if s[17] != expected:
        raise _error("check_character", f"统一社会信用代码校验码错误：应为 {expected}，实为 {s[17]}")
    return Uscc(s, s[0], REGISTRATION_AUTHORITIES[s[0]], s[1], type_name, s[2:8], org, s[17])


def is_valid_uscc(s: object, *, check_organization_code: bool = True) -> bool:
    """True if ``s`` is a valid unified social credit code."""
    try:
        parse_uscc(s, check_organization_code=check_organization_code)  # type: ignore[arg-type]
    except CodeError:
        return False
    return True


def build_uscc(registration_authority: str, organization_type: str, region_code: str,
               organization_code: str) -> str:
    """A valid code from its parts (for generators and tests).

    ``organization_code`` is the 8-character body (its GB 11714 check is appended) or a full
    9-character organization code (its check is verified); characters come from :data:`CHARSET`.
    """
    for part, c in (("registration_authority", registration_authority),
                    ("organization_type", organization_type)):
        if not (isinstance(c, str) and len(c) == 1 and c in _VALUES):
            raise _error(part, f"登记管理部门代码和机构类别代码必须各是 1 个允许的字符，实为 {c!r}")
    _check_kind(registration_authority, organization_type)
    if not (isinstance(region_code, str) and len(region_code) == 6):
        raise _error("region", "行政区划码必须是 6 位数字")
    _check_region(region_code)
    org = organization_code if isinstance(organization_code, str) else ""
    if len(org) == 10 and org[8] == "-":
        org = org[:8] + org[9]
    if len(org) not in (8, 9) or any(c not in _VALUES for c in org):
        raise _error("organization_code", "组织机构代码必须是 8 位本体码或 9 位完整代码，且只用允许的字符")
    expected_org = organization_code_check_char(org[:8])
    if len(org) == 9 and org[8] != expected_org:
        raise _error("organization_code", f"组织机构代码校验位错误：应为 {expected_org}，实为 {org[8]}")
    first17 = f"{registration_authority}{organization_type}{region_code}{org[:8]}{expected_org}"
    return first17 + uscc_check_char(first17)
