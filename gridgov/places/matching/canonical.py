"""Canonical form of a Chinese address: from free text or parsed elements to the standard
library's elements, canonical text and key. Pure: no database, no model file.

An address is twelve elements, coarse to fine::

    province city district town community | road road_no poi building_no unit_no floor_no room_no

The *canonical text* is the elements joined with fixed markers (``12号``, ``3号楼``, ``2单元``,
``502室``); the *key* is its local part, from the road down (a village's group ``N组`` is
meaningless without its village, so there the key starts with the village): the key of
``辽宁省辽阳市辽阳县首山镇幸福社区幸福路12号幸福家园3号楼2单元502室`` is
``幸福路12号幸福家园3号楼2单元502室`` — the same string ``places.addressing.address_key`` makes
of the canonical text, so the library, buildings and houses share one key.

Input is first cleaned (:func:`clean`): full-width → half-width, Chinese numerals before
号/楼/单元/层/室/户/组 → digits, noise (附近, 对面, bracketed remarks …) dropped, and the variants
``栋/幢/座`` → ``号楼``, ``户`` → ``室``, ``第3单元`` → ``3单元`` rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace

from gridgov.places.addressing import address_key, normalize

REGION_FIELDS = ("province", "city", "district", "town", "community")
LOCAL_FIELDS = ("road", "road_no", "poi", "building_no", "unit_no", "floor_no", "room_no")
FIELDS = REGION_FIELDS + LOCAL_FIELDS
NUMBER_FIELDS = ("road_no", "building_no", "unit_no", "floor_no", "room_no")
LEVELS = ("building", "unit", "room")

# parser label → element (first occurrence wins; the rest are kept as `ignored`)
LABEL_FIELD = {
    "prov": "province",
    "city": "city",
    "district": "district",
    "town": "town",
    "community": "community",
    "road": "road",
    "subroad": "road",
    "roadno": "road_no",
    "subroadno": "road_no",
    "poi": "poi",
    "houseno": "building_no",
    "cellno": "unit_no",
    "floorno": "floor_no",
    "roomno": "room_no",
}
EXTRA_REGION_LABELS = ("devzone",)  # 开发区: a region name with no column of its own

_GROUP = re.compile(r"\d+组")
_REGION_NAME = re.compile(r"(?<=.)(?:社区|村|居委会|街道|镇|乡)$")
_REGION_LEVEL = {
    "社区": "community",
    "村": "community",
    "居委会": "community",
    "街道": "town",
    "镇": "town",
    "乡": "town",
}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u2028-\u202e\ufeff]")
_EXTRA_NOISE = re.compile(r"[东南西北]侧(?:\d+米)?|[东南西北]?门口|周边|一带|斜对过|对过")
_VARIANTS = (
    (re.compile(r"第(?=\d)"), ""),  # 第3单元 → 3单元
    (re.compile(r"(\d+|[A-Z])(?:栋|幢|座|#楼|#)"), r"\1号楼"),  # 3栋 3幢 3座 3# → 3号楼
    (re.compile(r"(\d+)(?:户|号房)(?![屋产])"), r"\1室"),  # 501户 → 501室
    (re.compile(r"(\d+)单元(\d+)(?=$|[^\d室层楼号])"), r"\1单元\2室"),  # 2单元502 → 2单元502室
)
# canonical local text (what `local_key` makes), split back into elements
_LOCAL = re.compile(
    r"(?:(?P<community>\D+?村)(?=\d+组))?(?P<road>\D*(?:\d+组)?)(?:(?P<road_no>\d+(?:-\d+)?)号(?!楼))?"
    r"(?P<poi>.*?)(?:(?P<building_no>\d+|[A-Z])号楼)?(?:(?P<unit_no>\d+)单元)?(?:(?P<room_no>\d+)室)?"
)
_NUMBER = re.compile(r"\d+(?:-\d+)*|[A-Z](?![A-Z])")


@dataclass(frozen=True, slots=True)
class Elements:
    """The elements of one address (None: not given)."""

    province: str | None = None
    city: str | None = None
    district: str | None = None
    town: str | None = None
    community: str | None = None
    road: str | None = None
    road_no: str | None = None
    poi: str | None = None
    building_no: str | None = None
    unit_no: str | None = None
    floor_no: str | None = None
    room_no: str | None = None
    other_regions: tuple[str, ...] = ()  # region names without a column (开发区 …)
    ignored: tuple[str, ...] = ()  # dropped as noise (对面, a person's name, …)

    def as_dict(self) -> dict[str, str | None]:
        return {f: getattr(self, f) for f in FIELDS}

    @property
    def regions(self) -> list[tuple[str | None, str]]:
        out: list[tuple[str | None, str]] = [(f, v) for f in REGION_FIELDS if (v := getattr(self, f))]
        return out + [(None, v) for v in self.other_regions]

    @property
    def has_local(self) -> bool:
        return any(getattr(self, f) for f in LOCAL_FIELDS)

    @property
    def level(self) -> str:
        return "room" if self.room_no else "unit" if self.unit_no else "building"

    def parent(self) -> Elements:
        """The elements one level up (room → unit, or building when there is no unit; unit → building)."""
        if self.room_no:
            return replace(self, room_no=None, floor_no=None)
        return replace(self, unit_no=None, floor_no=None)


def clean(text: str) -> str:
    """Normalised text for parsing and keys (see the module doc)."""
    text = normalize(_EXTRA_NOISE.sub("", _CONTROL.sub("", text or "")))
    for pattern, repl in _VARIANTS:
        text = pattern.sub(repl, text)
    return text.strip("，,。.;；:：-—_ ")


def number(text: str | None) -> str | None:
    """The number of a numbered element: ``12号`` → 12, ``A座`` → A, ``0502`` → 502, ``1-2`` kept."""
    if not text:
        return None
    m = _NUMBER.search(text.upper())
    if m is None:
        return None
    return "-".join(str(int(p)) for p in m.group(0).split("-")) if m.group(0)[0].isdigit() else m.group(0)


def from_parsed(parsed: Iterable[tuple[str, str]], cleaned: str = "") -> Elements:
    """Elements from a parser's ``(label, text)`` pairs; numbers the parser missed are taken from
    the rule-based split of the cleaned text's local part when that part is canonical-looking."""
    values: dict[str, str] = {}
    other, ignored, subpoi = [], [], []
    local = False
    for label, text in parsed:
        text = text.strip()
        if not text:
            continue
        if label == "subpoi":
            subpoi.append(text)
        field = LABEL_FIELD.get(label)
        if field in REGION_FIELDS and local:  # a "community" after the road: a compound (天润新村)
            field = "poi"
        local = local or field in LOCAL_FIELDS
        if field and field not in values:
            value = number(text) if field in NUMBER_FIELDS else text
            if value:
                values[field] = value
                continue
        (other if label in EXTRA_REGION_LABELS else ignored).append(text)
    region = _REGION_NAME.search(values.get("poi", ""))
    if region and subpoi and _REGION_LEVEL[region.group(0)] not in values:  # 富民社区(poi) 永安里(subpoi)
        values[_REGION_LEVEL[region.group(0)]] = values.pop("poi")
        values["poi"] = subpoi[0]
        ignored.remove(subpoi[0])
    room = values.get("room_no", "")
    if "-" in room:  # 2-502: unit 2, room 502 (1-2-502: building 1 too)
        *head, values["room_no"] = room.split("-")
        for field, part in zip(("unit_no", "building_no"), reversed(head)):
            values.setdefault(field, part)
    rule = split_local(address_key(cleaned) or "") if cleaned else None
    if rule is not None:
        for field, value in rule.as_dict().items():
            if (
                value
                and field not in values
                and (field in NUMBER_FIELDS or not values.keys() & set(LOCAL_FIELDS))
            ):
                values[field] = value
    return Elements(**values, other_regions=tuple(other), ignored=tuple(ignored))


_REGION_PART = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|省|市|区|县|旗|街道|镇|乡|社区|居委会|村)")
_REGION_LABEL = (
    ("社区", "community"),
    ("居委会", "community"),
    ("村", "community"),
    ("街道", "town"),
    ("镇", "town"),
    ("乡", "town"),
    ("省", "prov"),
    ("自治区", "prov"),
    ("特别行政区", "prov"),
    ("市", "city"),
    ("自治州", "city"),
    ("区", "district"),
    ("县", "district"),
    ("旗", "district"),
)
_FIELD_LABEL = {
    "road": "road",
    "road_no": "roadno",
    "poi": "poi",
    "building_no": "houseno",
    "unit_no": "cellno",
    "floor_no": "floorno",
    "room_no": "roomno",
    "community": "community",
}


def rule_parse(cleaned: str) -> list[tuple[str, str]]:
    """A parse without the statistical model, for when it cannot be loaded: the region prefix
    ``address_key`` strips, labelled by its suffixes, and the rest split by :func:`split_local`
    (or taken whole as a compound). Good for canonical-shaped text only."""
    key = address_key(cleaned) or ""
    head = cleaned[: len(cleaned) - len(key)] if key and cleaned.endswith(key) else ""
    out = []
    for part in _REGION_PART.findall(head):
        out.append((next((lab for suffix, lab in _REGION_LABEL if part.endswith(suffix)), "district"), part))
    local = split_local(key)
    if local is None:
        tail = _REGION_PART.fullmatch(key)
        label = next((lab for suffix, lab in _REGION_LABEL if key.endswith(suffix)), None)
        if tail and label and not key.endswith("村"):  # 辽阳县枣营镇: the last region is left over
            return [*out, (label, key)]
        return out + ([("poi", key)] if key else [])
    return out + [(_FIELD_LABEL[f], v) for f, v in local.as_dict().items() if v and f in _FIELD_LABEL]


def split_local(key: str) -> Elements | None:
    """Rule-based split of a canonical local text (``长安路2号新运里1号楼2单元502室``,
    ``秦小房身村1组12号``); None when the text is not in canonical shape."""
    m = _LOCAL.fullmatch(key or "")
    if m is None or not (m.group("road_no") or m.group("building_no") or m.group("unit_no")):
        return None
    d = {k: (v or None) for k, v in m.groupdict().items()}
    if d["road_no"] is None and not d["poi"]:
        d["road"], d["poi"] = None, d["road"]  # no number: the name is a compound, not a road
    if d["road"] and _GROUP.fullmatch(d["road"]) and not d["community"]:
        return None  # a group without its village
    return Elements(**d)


def _is_group(road: str | None) -> bool:
    return bool(road and _GROUP.fullmatch(road))


def local_key(e: Elements) -> str | None:
    """The key: the canonical text from the road down (from the village for ``N组`` roads)."""
    parts = [
        e.community if e.community and (e.road is None or _is_group(e.road)) else None,
        e.road,
        f"{e.road_no}号" if e.road_no else None,
        e.poi,
        f"{e.building_no}号楼" if e.building_no else None,
        f"{e.unit_no}单元" if e.unit_no else None,
        f"{e.room_no}室" if e.room_no else None,
    ]
    return "".join(p for p in parts if p)[:160] or None


def building_key(e: Elements) -> str | None:
    return local_key(replace(e, unit_no=None, floor_no=None, room_no=None))


def canonical_text(e: Elements) -> str:
    key = local_key(e) or ""
    head = [e.province, e.city, e.district, e.town]
    if e.community and not key.startswith(e.community):
        head.append(e.community)
    return ("".join(p for p in head if p) + key)[:200]


def with_values(e: Elements, values: Mapping[str, str | None]) -> Elements:
    """``e`` with the given elements replaced (numbers canonicalised)."""
    clean_values = {
        k: (number(v) if k in NUMBER_FIELDS else (v.strip() or None) if v else None)
        for k, v in values.items()
        if k in FIELDS
    }
    return replace(e, **clean_values)


ELEMENT_FIELDS = tuple(f.name for f in fields(Elements))
