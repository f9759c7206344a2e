"""统计分析 (dashboards and the big screen), the arithmetic without a database.

Pure module: the service (:mod:`gridgov.events.stats_service`) counts with one SQL ``GROUP BY`` per
panel; this module decides what the figures mean and how they are shaped:

* the **period** a dashboard looks at (近7天 / 近30天 / 今年 / 自定义) as local calendar days
  ``[first, last]`` — a day range always ends today for the rolling periods, so “近7天” is today and
  the six days before it;
* the **region levels** of the drill-down (county → street → community → grid → micro-grid) from the
  length of a division/grid code, which nest by prefix;
* day series with the days that had no events filled in as zeros (a chart must not skip days,
  or the week rhythm is lost);
* top-N lists with the rest summed into “其他”;
* the status funnel (reported → accepted → dispatched → handled → closed → evaluated);
* rates: ``None`` when there is nothing to divide by (shown “—”), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from gridgov.errors import Invalid
from gridgov.events.metrics import ratio

PERIODS: dict[str, str] = {"7d": "近7天", "30d": "近30天", "year": "今年", "custom": "自定义"}
DEFAULT_PERIOD = "30d"
MAX_DAYS = 1100  # a custom range of about three years at most
FIRST_YEAR, LAST_YEAR = 1971, 2099

#: code length → region level, and the level's label
LEVELS: dict[int, tuple[str, str]] = {
    6: ("county", "县（区）"),
    9: ("street", "乡镇（街道）"),
    12: ("community", "村（社区）"),
    15: ("grid", "网格"),
    17: ("micro_grid", "微网格"),
}
#: code length of the level below (None: the top of the user's scope is not one region)
CHILD_LENGTH: dict[int | None, int] = {None: 6, 4: 6, 2: 6, 6: 9, 9: 12, 12: 15, 15: 17}
#: the last level a click can drill into (a grid's micro-grids are listed, not drilled)
DRILL_LENGTHS = frozenset({6, 9, 12, 15})

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
FUNNEL: tuple[tuple[str, str], ...] = (
    ("reported", "上报"),
    ("accepted", "受理"),
    ("dispatched", "派遣"),
    ("handled", "处置"),
    ("closed", "结案"),
    ("evaluated", "评价"),
)
OTHER = "其他"


@dataclass(frozen=True, slots=True)
class DayRange:
    """Local calendar days ``first`` to ``last``, both included."""

    period: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        return f"{PERIODS[self.period]}（{self.first:%Y-%m-%d} 至 {self.last:%Y-%m-%d}）"


def day_range(period: str, today: date, since: date | None = None, until: date | None = None) -> DayRange:
    """The days a period covers. ``custom`` needs ``since`` and ``until`` (both included)."""
    if period not in PERIODS:
        raise Invalid(f"未知的统计周期：{period}；可选：{'、'.join(PERIODS)}", code="unknown_period")
    if period != "custom":
        if since is not None or until is not None:
            raise Invalid("只有自定义周期（period=custom）可以指定起止日期", code="invalid_range")
        if period == "7d":
            return DayRange(period, today - timedelta(days=6), today)
        if period == "30d":
            return DayRange(period, today - timedelta(days=29), today)
        return DayRange(period, date(today.year, 1, 1), today)
    if since is None or until is None:
        raise Invalid("自定义周期须同时指定起始日期 since 和结束日期 until", code="invalid_range")
    for d in (since, until):
        if not FIRST_YEAR <= d.year <= LAST_YEAR:
            raise Invalid(f"统计日期须在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间", code="invalid_range")
    if since > until:
        raise Invalid("起始日期不能晚于结束日期", code="invalid_range")
    if (until - since).days + 1 > MAX_DAYS:
        raise Invalid(f"统计时间跨度不能超过 {MAX_DAYS} 天", code="range_too_long")
    return DayRange(period, since, until)


def level_of(code: str | None) -> str | None:
    """The level of a region code by its length (``None`` for no code or an unknown length)."""
    if code is None:
        return None
    found = LEVELS.get(len(code))
    return found[0] if found else None


def child_length(code: str | None) -> int | None:
    """How long the codes one level below ``code`` are (None below a micro-grid)."""
    return CHILD_LENGTH.get(None if code is None else len(code))


def can_drill(code: str) -> bool:
    return len(code) in DRILL_LENGTHS


def ancestors(code: str) -> list[str]:
    """The codes above ``code`` that are regions of the drill-down, top first (county and below)."""
    return [code[:n] for n in sorted(DRILL_LENGTHS) if n < len(code)]


def fill_days(counts: Mapping[str, int], first: date, last: date) -> list[dict[str, Any]]:
    """One entry per day from ``first`` to ``last`` (ISO date keys), zeros where nothing happened."""
    out = []
    d = first
    while d <= last:
        key = d.isoformat()
        out.append({"date": key, "weekday": WEEKDAYS[d.weekday()], "count": int(counts.get(key, 0))})
        d += timedelta(days=1)
    return out


def fill_hours(counts: Mapping[int, int]) -> list[dict[str, int]]:
    """24 entries, hour 0 to 23, zeros where nothing happened."""
    return [{"hour": h, "count": int(counts.get(h, 0))} for h in range(24)]


def top(rows: Iterable[dict[str, Any]], n: int, key: str = "count") -> list[dict[str, Any]]:
    """The ``n`` largest rows (ties by code), and the rest summed into one “其他” row."""
    ordered = sorted(rows, key=lambda r: (-r[key], str(r.get("code", ""))))
    head, rest = ordered[:n], ordered[n:]
    if rest:
        head.append({"code": "_other", "name": f"{OTHER}（{len(rest)}类）", key: sum(r[key] for r in rest)})
    return head


def funnel(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """The workflow stages with their counts and each stage's share of the reported events."""
    reported = int(counts.get("reported", 0))
    return [
        {"stage": k, "label": label, "count": int(counts.get(k, 0)), "share": ratio(int(counts.get(k, 0)), reported)}
        for k, label in FUNNEL
    ]


def rate(numerator: int, denominator: int) -> float | None:
    return ratio(numerator, denominator)
