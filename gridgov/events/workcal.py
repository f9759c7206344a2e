"""Working time: public holidays, make-up workdays (调休) and office hours, for the step clocks.

Pure: no database. A :class:`WorkCalendar` answers three questions fast —

* :meth:`~WorkCalendar.add_working_hours`: the deadline that lies ``hours`` of working time after
  ``start`` (7 working hours from Friday 16:00 end on Monday at 16:00);
* :meth:`~WorkCalendar.working_hours_between`: how much working time lies between two instants;
* :meth:`~WorkCalendar.is_workday`: whether a date is a working day.

Instants going in and out are timezone-aware datetimes (events store UTC); any aware zone is
accepted on input, results are in UTC. Naive datetimes are rejected.

Rules
-----
* A day is a working day when it is Monday–Friday and not a public holiday, or when it is a make-up
  working day (调休上班, e.g. Saturday 2025-10-11).
* On a working day the office hours are the configured periods in local time (default
  08:30–12:00 and 14:00–17:30 Asia/Shanghai = 7 hours a day). The clock stands still outside them.
* The holiday data is ``catalog_data/holidays.csv`` (the State Council's yearly notice, see
  ``docs/clocks.md``), optionally overlaid by a deployment's own CSV of the same shape (local rows
  win on the same date). A year without national rows is *unknown*: Monday–Friday count as working
  days, :meth:`~WorkCalendar.known_years` does not list it, and the first computation touching it
  logs a warning once.
* Deadlines land inside office hours: the result ``d`` of ``add_working_hours`` always has
  ``d - 1 µs`` in working time (a limit that ends exactly at 12:00 ends at 12:00, not 14:00).

Speed
-----
Everything is computed against a per-day table built once (working microseconds before each local
midnight, a cumulative sum over 2000–2100 by default), so a deadline is two binary searches. The
scalar methods do ~0.5 M deadlines/s in a Python loop; :meth:`~WorkCalendar.add_working_hours_many`
and :meth:`~WorkCalendar.working_hours_between_many` do the same on numpy arrays (tens of millions
per second). Arithmetic is in integer microseconds, so ``working_hours_between(s, add_working_hours(s,
h)) == h`` to the microsecond.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import numbers
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Shanghai"
#: Office hours on a working day, local time.
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
DEFAULT_FIRST_YEAR = 2000
DEFAULT_LAST_YEAR = 2100

US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 86_400_000_000
_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

DayKind = Literal["holiday", "workday"]
Scope = Literal["national", "local"]
Clock = Literal["working", "natural"]
_KINDS = ("holiday", "workday")
_SCOPES = ("national", "local")
_HOLIDAY_COLUMNS = ("date", "kind", "name")


class CalendarError(ValueError):
    """Bad calendar data or an instant outside the calendar's range."""


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One row of holiday data: a day off (``holiday``) or a make-up working day (``workday``)."""

    date: date
    kind: DayKind
    name: str
    scope: Scope = "national"


# --- data ---------------------------------------------------------------------------------------


def parse_holidays(
    text: str, *, source: str = "holidays", default_scope: Scope = "national"
) -> list[CalendarDay]:
    """Rows of a holidays CSV: ``date,kind,name[,scope]``; lines starting with ``#`` are comments.

    ``date`` is ISO (``2026-10-01``), ``kind`` is ``holiday`` or ``workday``, ``scope`` is
    ``national`` (the State Council's notice; makes the year known) or ``local`` (a deployment's
    own day, e.g. a minority festival); a missing scope means ``default_scope``. Raises
    :class:`CalendarError` listing every bad line.
    """
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    missing = [c for c in _HOLIDAY_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise CalendarError(
            f"{source}: missing column(s) {', '.join(missing)}; expected date,kind,name[,scope]"
        )
    rows: list[CalendarDay] = []
    problems: list[str] = []
    seen: dict[date, int] = {}
    for n, raw in enumerate(reader, start=2):
        where = f"{source} row {n}"
        value = (raw.get("date") or "").strip()
        try:
            day = date.fromisoformat(value)
        except ValueError:
            problems.append(f"{where}: date {value!r} is not YYYY-MM-DD")
            continue
        kind = (raw.get("kind") or "").strip()
        if kind not in _KINDS:
            problems.append(f"{where}: kind {kind!r} must be holiday or workday")
            continue
        scope = (raw.get("scope") or "").strip() or default_scope
        if scope not in _SCOPES:
            problems.append(f"{where}: scope {scope!r} must be national or local")
            continue
        if day in seen:
            problems.append(f"{where}: {day} already given on row {seen[day]}")
            continue
        seen[day] = n
        rows.append(CalendarDay(day, kind, (raw.get("name") or "").strip(), scope))  # type: ignore[arg-type]
    if problems:
        raise CalendarError(
            "; ".join(problems[:20]) + (f" (+{len(problems) - 20} more)" if len(problems) > 20 else "")
        )
    return rows


def load_holidays(path: str | Path, *, default_scope: Scope = "local") -> list[CalendarDay]:
    """A deployment's own holidays CSV (rows default to ``local`` scope)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CalendarError(f"cannot read holidays file {p}: {exc.strerror or exc}") from exc
    return parse_holidays(text, source=str(p), default_scope=default_scope)


def packaged_holidays() -> list[CalendarDay]:
    """The national holiday data shipped with gridgov (``catalog_data/holidays.csv``)."""
    text = resources.files("gridgov.events.catalog_data").joinpath("holidays.csv").read_text(encoding="utf-8")
    return parse_holidays(text, source="gridgov/events/catalog_data/holidays.csv")


_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:30-12:00,14:00-17:30"`` → office-hour periods (``24:00`` allowed as an end)."""
    periods = []
    for part in text.split(","):
        m = _PERIOD.match(part)
        if not m:
            raise CalendarError(f"office hours {part.strip()!r}: expected HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h2 == 24 and m2 == 0:
            end = time.max
        elif h2 < 24 and m2 < 60:
            end = time(h2, m2)
        else:
            raise CalendarError(f"office hours {part.strip()!r}: {h2:02d}:{m2:02d} is not a time")
        if h1 >= 24 or m1 >= 60:
            raise CalendarError(f"office hours {part.strip()!r}: {h1:02d}:{m1:02d} is not a time")
        periods.append((time(h1, m1), end))
    return tuple(periods)


def _time_us(t: time) -> int:
    if t == time.max:
        return _US_PER_DAY
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


# --- the calendar -------------------------------------------------------------------------------


class WorkCalendar:
    """Working days and office hours; see the module docstring for the rules.

    ``days``: the holiday rows (default: the packaged national data); ``extra_days``: rows laid
    over them (a deployment's own file; same date → the extra row wins); ``periods``: office hours
    in local time; ``timezone``: an IANA zone (Asia/Shanghai has had no daylight saving since
    1991); ``first_year``/``last_year``: the range the table covers — instants outside it raise
    :class:`CalendarError`.
    """

    def __init__(
        self,
        days: Iterable[CalendarDay] | None = None,
        *,
        extra_days: Iterable[CalendarDay] = (),
        periods: Sequence[tuple[time, time]] | str = DEFAULT_PERIODS,
        timezone: str = DEFAULT_TIMEZONE,
        first_year: int = DEFAULT_FIRST_YEAR,
        last_year: int = DEFAULT_LAST_YEAR,
    ) -> None:
        if isinstance(periods, str):
            periods = parse_periods(periods)
        if not 1 <= first_year <= last_year <= 9998:
            raise CalendarError(f"calendar range {first_year}–{last_year} is not a range of years")
        try:
            self.zone = ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise CalendarError(f"unknown time zone {timezone!r}") from exc
        self.timezone = timezone
        self.periods: tuple[tuple[time, time], ...] = tuple(periods)
        self._set_periods()

        overrides: dict[date, CalendarDay] = {}
        for row in packaged_holidays() if days is None else days:
            overrides[row.date] = row
        for row in extra_days:
            overrides[row.date] = row
        self._overrides = overrides
        self._known = frozenset(d.date.year for d in overrides.values() if d.scope == "national")
        self._warned: set[int] = set()
        self.first_year, self.last_year = first_year, last_year
        self._build_table()

    # construction helpers
    def _set_periods(self) -> None:
        if not self.periods:
            raise CalendarError("office hours: at least one period is needed")
        spans = sorted((_time_us(a), _time_us(b)) for a, b in self.periods)
        for (a, b), nxt in zip(spans, [*spans[1:], None]):
            if b <= a:
                raise CalendarError("office hours: every period must end after it starts")
            if nxt is not None and nxt[0] < b:
                raise CalendarError("office hours: periods overlap")
        self._p_start = [a for a, _ in spans]
        self._p_len = [b - a for a, b in spans]
        self._p_end = [b for _, b in spans]
        self._spans = list(zip(self._p_start, self._p_len))
        self._day_us = sum(self._p_len)
        cum = [0]
        for length in self._p_len:
            cum.append(cum[-1] + length)
        self._np_p_start = np.array(self._p_start, dtype=np.int64)
        self._np_p_len = np.array(self._p_len, dtype=np.int64)
        self._np_p_cum = np.array(cum, dtype=np.int64)

    def _build_table(self) -> None:
        first = date(self.first_year, 1, 1).toordinal()
        last = date(self.last_year, 12, 31).toordinal()
        ordinals = np.arange(first, last + 1, dtype=np.int64)
        n = len(ordinals)
        open_ = ((ordinals - 1) % 7) < 5  # date.fromordinal(1) is a Monday
        for day, row in self._overrides.items():
            o = day.toordinal()
            if first <= o <= last:
                open_[o - first] = row.kind == "workday"
        # local midnight of each day (plus the one after the last day) as UTC microseconds
        offsets = self._day_offsets_us(first, n + 1)
        midnights = (np.arange(first, last + 2, dtype=np.int64) - _EPOCH_ORDINAL) * _US_PER_DAY - offsets
        per_day = np.where(open_, self._day_us, 0).astype(np.int64)
        cum = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(per_day, out=cum[1:])
        self._first_ordinal = first
        self._n = n
        self._np_open = open_
        self._np_mid = midnights
        self._np_cum = cum
        self._mid = midnights.tolist()
        self._cum = cum.tolist()
        # a zone with one offset over the whole range (Asia/Shanghai since 1991) finds the day by
        # division instead of a binary search
        self._fixed_offset = int(offsets[0]) if bool((offsets == offsets[0]).all()) else None
        self._base_day = first - _EPOCH_ORDINAL
        # for each day, the last day of the run of known years it belongs to (-1: unknown year)
        year_of = (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[Y]").astype(
            np.int64
        ) + 1970
        known = np.isin(year_of, np.array(sorted(self._known), dtype=np.int64))
        unknown_at = np.append(np.nonzero(~known)[0], n)
        run_end = np.where(known, unknown_at[np.searchsorted(unknown_at, np.arange(n))] - 1, -1)
        self._run_end = run_end.tolist()

    def _day_offsets_us(self, first: int, count: int) -> np.ndarray:
        """UTC offset at local noon of each day (computed per month, per day only where it changes)."""
        out = np.empty(count, dtype=np.int64)

        def offset(o: int) -> int:
            d = date.fromordinal(o)
            return datetime(d.year, d.month, d.day, 12, tzinfo=self.zone).utcoffset() // _ONE_US

        i = 0
        while i < count:
            d = date.fromordinal(first + i)
            nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1).toordinal()
            j = min(nxt - first, count)
            a, b = offset(first + i), offset(first + j - 1)
            if a == b:
                out[i:j] = a
            else:
                out[i:j] = [offset(first + k) for k in range(i, j)]
            i = j
        return out

    @classmethod
    def from_settings(
        cls,
        holidays_csv: str | Path | None = None,
        periods: str | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> WorkCalendar:
        """The packaged national data plus a deployment's own CSV (if any) and office hours."""
        extra = load_holidays(holidays_csv) if holidays_csv else []
        return cls(extra_days=extra, periods=periods or DEFAULT_PERIODS, timezone=timezone)

    def __repr__(self) -> str:
        spans = ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.periods)
        years = self.known_years()
        known = f"{years[0]}–{years[-1]}" if years else "none"
        return f"WorkCalendar({self.timezone}, {spans}, known years {known})"

    # --- days ---------------------------------------------------------------------------------
    @property
    def hours_per_day(self) -> float:
        """Office hours in one working day (7.0 by default)."""
        return self._day_us / US_PER_HOUR

    def known_years(self) -> tuple[int, ...]:
        """Years with national holiday data (others fall back to Monday–Friday)."""
        return tuple(sorted(self._known))

    def is_year_known(self, year: int) -> bool:
        return year in self._known

    def missing_years(self, start: date | datetime, end: date | datetime) -> list[int]:
        """Years between two dates/instants (inclusive) that have no national holiday data."""
        y0, y1 = sorted((self._local_date(start).year, self._local_date(end).year))
        return [y for y in range(y0, y1 + 1) if y not in self._known]

    def day(self, d: date | datetime) -> CalendarDay | None:
        """The holiday row of a date (a holiday or a make-up workday), if any."""
        return self._overrides.get(self._local_date(d))

    def is_workday(self, d: date | datetime) -> bool:
        """True on working days (an aware datetime is taken at its local date)."""
        local = self._local_date(d)
        row = self._overrides.get(local)
        if row is not None:
            return row.kind == "workday"
        return local.weekday() < 5

    def is_working_time(self, t: datetime) -> bool:
        """True inside office hours of a working day (periods are half-open: 12:00 is lunch)."""
        i, s = self._locate(self._us(t))
        if not self._np_open[i]:
            return False
        return any(a <= s < b for a, b in zip(self._p_start, self._p_end))

    def _local_date(self, d: date | datetime) -> date:
        if isinstance(d, datetime):
            if d.tzinfo is None or d.utcoffset() is None:
                raise ValueError("datetime must be timezone-aware (events store UTC)")
            return d.astimezone(self.zone).date()
        return d

    # --- instants -----------------------------------------------------------------------------
    @staticmethod
    def _us(t: datetime) -> int:
        if not isinstance(t, datetime):
            raise TypeError(f"expected a datetime, got {type(t).__name__}")
        if t.utcoffset() is None:
            raise ValueError("datetime must be timezone-aware (events store UTC)")
        return (t - _EPOCH) // _ONE_US

    @staticmethod
    def _dt(us: int) -> datetime:
        return _EPOCH + timedelta(0, 0, us)

    def _range_error(self) -> CalendarError:
        return CalendarError(f"instant outside the working calendar ({self.first_year}–{self.last_year})")

    def _locate(self, us: int) -> tuple[int, int]:
        off = self._fixed_offset
        i = (us + off) // _US_PER_DAY - self._base_day if off is not None else bisect_right(self._mid, us) - 1
        if i < 0 or i >= self._n:
            raise self._range_error()
        return i, us - self._mid[i]

    def _worked(self, us: int) -> tuple[int, int]:
        """(working µs from the table start up to ``us``, day index)."""
        off = self._fixed_offset  # _locate, inlined: this is the hot path
        i = (us + off) // _US_PER_DAY - self._base_day if off is not None else bisect_right(self._mid, us) - 1
        if i < 0 or i >= self._n:
            raise self._range_error()
        cum = self._cum
        w = cum[i]
        if cum[i + 1] != w:
            s = us - self._mid[i]
            for a, length in self._spans:
                if s <= a:
                    break
                w += length if s - a >= length else s - a
        return w, i

    def _instant(self, target: int) -> tuple[int, int]:
        """(earliest instant at which ``target`` working µs have passed, day index)."""
        k = bisect_left(self._cum, target)
        if k > self._n:
            raise self._range_error()
        j = k - 1
        r = target - self._cum[j]
        for a, length in self._spans:
            if r <= length:
                return self._mid[j] + a + r, j
            r -= length
        raise AssertionError(
            "unreachable: a day's working time is the sum of its periods"
        )  # pragma: no cover

    def _check_years(self, i: int, j: int) -> None:
        """Warn once per unknown year touched by a computation spanning day indexes i..j."""
        if i > j:
            i, j = j, i
        if self._run_end[i] >= j:
            return
        y0 = date.fromordinal(self._first_ordinal + i).year
        y1 = date.fromordinal(self._first_ordinal + j).year
        for y in range(y0, y1 + 1):
            if y not in self._known and y not in self._warned:
                self._warned.add(y)
                log.warning(
                    "working calendar has no holiday data for %s: treating Monday–Friday as "
                    "working days (add the year to holidays.csv, see docs/clocks.md)",
                    y,
                )

    @staticmethod
    def _duration_us(hours: float) -> int:
        if type(hours) is float or type(hours) is int:  # the common case, fast
            if 0 < hours < math.inf:
                return max(1, round(hours * US_PER_HOUR))
            raise ValueError(f"hours must be a positive finite number, got {hours!r}")
        if isinstance(hours, bool) or not isinstance(hours, numbers.Real):
            raise ValueError(f"hours must be a number, got {hours!r}")
        h = float(hours)
        if not math.isfinite(h) or h <= 0:
            raise ValueError(f"hours must be a positive finite number, got {hours!r}")
        return max(1, round(h * US_PER_HOUR))

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The deadline ``hours`` (> 0) of working time after ``start`` (UTC-aware result)."""
        dur = self._duration_us(hours)
        w, i = self._worked(self._us(start))
        us, j = self._instant(w + dur)
        if self._run_end[i] < j:
            self._check_years(i, j)
        return _EPOCH + timedelta(0, 0, us)

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        wa, i = self._worked(self._us(a))
        wb, j = self._worked(self._us(b))
        if self._run_end[min(i, j)] < max(i, j):
            self._check_years(i, j)
        return (wb - wa) / US_PER_HOUR

    def add_hours(self, start: datetime, hours: float, clock: Clock = "working") -> datetime:
        """A deadline on either clock: ``working`` (office hours) or ``natural`` (24 × 7)."""
        if clock == "working":
            return self.add_working_hours(start, hours)
        if clock == "natural":
            return self._dt(self._us(start) + self._duration_us(hours))
        raise ValueError(f"clock must be working or natural, got {clock!r}")

    def hours_between(self, a: datetime, b: datetime, clock: Clock = "working") -> float:
        """Elapsed hours on either clock."""
        if clock == "working":
            return self.working_hours_between(a, b)
        if clock == "natural":
            return (self._us(b) - self._us(a)) / US_PER_HOUR
        raise ValueError(f"clock must be working or natural, got {clock!r}")

    # --- arrays -------------------------------------------------------------------------------
    @staticmethod
    def _as_us_array(values: np.ndarray | Sequence[datetime]) -> np.ndarray:
        """datetime64 (taken as UTC), int64 µs since the epoch, or aware datetimes → int64 µs."""
        if isinstance(values, np.ndarray):
            if np.issubdtype(values.dtype, np.datetime64):
                if np.isnat(values).any():
                    raise ValueError("instants must not be NaT")
                return values.astype("datetime64[us]").view(np.int64)
            if np.issubdtype(values.dtype, np.integer):
                return values.astype(np.int64, copy=False)
            if values.dtype != object:
                raise TypeError(f"expected datetime64 or int64 microseconds, got {values.dtype}")
        return np.fromiter((WorkCalendar._us(v) for v in values), dtype=np.int64, count=len(values))

    def _np_worked(self, us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i = np.searchsorted(self._np_mid, us, side="right") - 1
        if len(i) and (i.min() < 0 or i.max() >= self._n):
            raise self._range_error()
        s = us - self._np_mid[i]
        within = np.zeros(len(us), dtype=np.int64)
        for a, length in zip(self._p_start, self._p_len):
            within += np.clip(s - a, 0, length)
        return self._np_cum[i] + np.where(self._np_open[i], within, 0), i

    def _check_years_np(self, *indexes: np.ndarray) -> None:
        lo = min(int(x.min()) for x in indexes if len(x)) if any(len(x) for x in indexes) else None
        if lo is None:
            return
        hi = max(int(x.max()) for x in indexes if len(x))
        self._check_years(lo, hi)

    def add_working_hours_many(
        self, starts: np.ndarray | Sequence[datetime], hours: float | np.ndarray | Sequence[float]
    ) -> np.ndarray:
        """Vectorised :meth:`add_working_hours`: returns ``datetime64[us]`` (UTC).

        ``starts``: ``datetime64`` array (UTC), int64 µs since the epoch, or aware datetimes;
        ``hours``: one number or one per start, every one positive and finite.
        """
        t = self._as_us_array(starts)
        h = np.broadcast_to(np.asarray(hours, dtype=np.float64), t.shape)
        if not np.all(np.isfinite(h)) or np.any(h <= 0):
            raise ValueError("hours must be positive finite numbers")
        dur = np.maximum(np.rint(h * US_PER_HOUR).astype(np.int64), 1)
        worked, i = self._np_worked(t)
        target = worked + dur
        k = np.searchsorted(self._np_cum, target, side="left")
        if len(k) and k.max() > self._n:
            raise self._range_error()
        j = k - 1
        r = target - self._np_cum[j]
        p = np.searchsorted(self._np_p_cum[1:], r, side="left")
        result = self._np_mid[j] + self._np_p_start[p] + (r - self._np_p_cum[p])
        self._check_years_np(i, j)
        return result.view("datetime64[us]")

    def working_hours_between_many(
        self, a: np.ndarray | Sequence[datetime], b: np.ndarray | Sequence[datetime]
    ) -> np.ndarray:
        """Vectorised :meth:`working_hours_between` (float hours)."""
        ta, tb = self._as_us_array(a), self._as_us_array(b)
        wa, i = self._np_worked(ta)
        wb, j = self._np_worked(tb)
        self._check_years_np(i, j)
        return (wb - wa) / US_PER_HOUR
