"""The three-colour rule for disputes (矛盾纠纷三色预警). Pure: no database imports.

A dispute is **green** (一般, 常规调处), **yellow** (关注, 重点调处、包案) or **red** (高危, 可能激化或
"民转刑"，须立即介入、稳控). The colour is the highest floor that any fact sets:

- the dispute type (征地拆迁, 劳资, 医患 are group-prone: yellow from the start);
- the event's severity (high → yellow, urgent → red);
- flags: a threat of violence (扬言报复, 家暴, 情绪失控) → red; 5 or more people involved (群体性) → red;
  a party in a risk special group (社区矫正, 刑满释放, 戒毒康复, 严重精神障碍, 信访重点) → red, in a
  care group (留守儿童, 独居老人, 残疾人, 低保) → yellow;
- repeats: earlier disputes between the same pair of parties inside a window (12 months; 24 for the
  family types 家庭/婚恋): one earlier → at least yellow, two or more → red; for the family types
  one earlier within 90 days is already red (the seeds' family-dispute three-colour warning);
- the course of the case: a failed mediation → yellow, two failed → red; a relapse found at a
  follow-up visit (resolved, then unstable again) → yellow;
- a manual judgement by staff, which can only raise the colour.

Every fact only ever raises a floor, so more facts (more repeats, more recent repeats, more failures)
never lower the colour; ``tests/disputes/test_colour.py`` checks this with hypothesis.
``docs/disputes.md`` has the same rule as a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from gridgov.people.groups import GROUPS


class Colour(StrEnum):
    green = "green"
    yellow = "yellow"
    red = "red"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label(self) -> str:
        return COLOUR_LABELS[self]


_RANK = {Colour.green: 0, Colour.yellow: 1, Colour.red: 2}
COLOUR_LABELS = {Colour.green: "绿色", Colour.yellow: "黄色", Colour.red: "红色"}


def highest(colours: Iterable[Colour]) -> Colour:
    return max(colours, key=lambda c: c.rank, default=Colour.green)


class DisputeType(StrEnum):
    family = "family"
    neighbour = "neighbour"
    romance = "romance"
    property = "property"
    labour = "labour"
    land = "land"
    expropriation = "expropriation"
    medical = "medical"
    consumer = "consumer"
    loan = "loan"
    traffic = "traffic"
    other = "other"


TYPE_LABELS: dict[DisputeType, str] = {
    DisputeType.family: "家庭",
    DisputeType.neighbour: "邻里",
    DisputeType.romance: "婚恋",
    DisputeType.property: "物业",
    DisputeType.labour: "劳资",
    DisputeType.land: "土地",
    DisputeType.expropriation: "征地拆迁",
    DisputeType.medical: "医患",
    DisputeType.consumer: "消费",
    DisputeType.loan: "借贷",
    DisputeType.traffic: "交通事故",
    DisputeType.other: "其他",
}

#: the family types: repeats count over a longer window and escalate faster
FAMILY_TYPES = frozenset({DisputeType.family, DisputeType.romance})
#: types that start yellow: they tend to involve groups or to turn violent (医闹, 讨薪, 拆迁)
YELLOW_TYPES = frozenset({DisputeType.expropriation, DisputeType.labour, DisputeType.medical})

WINDOW_DAYS = 365  # 12 months
FAMILY_WINDOW_DAYS = 730  # 24 months
FAMILY_FAST_DAYS = 90
#: the longest window any type uses: how far back the service looks for earlier disputes
MAX_WINDOW_DAYS = max(WINDOW_DAYS, FAMILY_WINDOW_DAYS)
GROUP_SIZE_RED = 5

#: special groups whose members make a dispute red (risk of violence) or yellow (vulnerable party)
RISK_GROUPS = frozenset(
    {"community_correction", "released_prisoner", "drug_rehab", "mental_disorder", "petition_focus"}
)
CARE_GROUPS = frozenset({"left_behind_child", "elderly_alone", "disabled", "subsistence"})


@dataclass(frozen=True)
class Facts:
    """What the rule looks at. ``earlier_days``: for each earlier dispute between the same pair of
    parties, how many days before this one it was registered (0 = the same day)."""

    type: DisputeType
    severity: str = "normal"
    threat: bool = False
    people_involved: int = 2
    groups: frozenset[str] = frozenset()
    earlier_days: tuple[int, ...] = ()
    failed_mediations: int = 0
    relapsed: bool = False
    manual: Colour | None = None


@dataclass(frozen=True)
class Assessment:
    colour: Colour
    reasons: tuple[str, ...] = field(default=())
    repeats: int = 0  # earlier disputes between the same parties counted inside the window

    @property
    def reason(self) -> str:
        return "；".join(self.reasons) if self.reasons else "一般矛盾纠纷"


def repeats_in_window(type_: DisputeType, earlier_days: Iterable[int]) -> int:
    window = FAMILY_WINDOW_DAYS if type_ in FAMILY_TYPES else WINDOW_DAYS
    return sum(1 for d in earlier_days if 0 <= d <= window)


def _repeat_floor(type_: DisputeType, earlier_days: tuple[int, ...]) -> tuple[Colour, str | None]:
    n = repeats_in_window(type_, earlier_days)
    family = type_ in FAMILY_TYPES
    months = 24 if family else 12
    if n == 0:
        return Colour.green, None
    if n >= 2:
        return Colour.red, f"同一当事人之间{months}个月内第{n + 1}次纠纷"
    if family and any(0 <= d <= FAMILY_FAST_DAYS for d in earlier_days):
        return Colour.red, f"家庭类纠纷{FAMILY_FAST_DAYS}天内再次发生"
    return Colour.yellow, f"同一当事人之间{months}个月内第2次纠纷"


def assess(f: Facts) -> Assessment:
    """The colour and the reasons for it (in Chinese, highest first)."""
    floors: list[tuple[Colour, str]] = []
    if f.type in YELLOW_TYPES:
        floors.append((Colour.yellow, f"{TYPE_LABELS[f.type]}纠纷易引发群体性或过激事件"))
    if f.severity == "urgent":
        floors.append((Colour.red, "事项紧急"))
    elif f.severity == "high":
        floors.append((Colour.yellow, "事项严重"))
    if f.threat:
        floors.append((Colour.red, "有暴力威胁或激化风险（扬言报复、家暴、情绪失控）"))
    if f.people_involved >= GROUP_SIZE_RED:
        floors.append((Colour.red, f"涉及{f.people_involved}人（群体性，≥{GROUP_SIZE_RED}人）"))
    risk = sorted(f.groups & RISK_GROUPS)
    care = sorted(f.groups & CARE_GROUPS)
    if risk:
        floors.append((Colour.red, "当事人含重点人群：" + "、".join(_group_label(g) for g in risk)))
    if care:
        floors.append((Colour.yellow, "当事人含关爱人群：" + "、".join(_group_label(g) for g in care)))
    colour, why = _repeat_floor(f.type, f.earlier_days)
    if why:
        floors.append((colour, why))
    if f.failed_mediations >= 2:
        floors.append((Colour.red, f"已{f.failed_mediations}次调解不成"))
    elif f.failed_mediations == 1:
        floors.append((Colour.yellow, "调解不成"))
    if f.relapsed:
        floors.append((Colour.yellow, "回访发现矛盾反弹"))
    if f.manual is not None and f.manual is not Colour.green:
        floors.append((f.manual, f"人工研判为{f.manual.label}"))
    floors.sort(key=lambda x: -x[0].rank)
    return Assessment(
        highest(c for c, _ in floors), tuple(r for _, r in floors), repeats_in_window(f.type, f.earlier_days)
    )


def _group_label(code: str) -> str:
    g = GROUPS.get(code)
    return g.label if g else code
