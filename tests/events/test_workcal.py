"""Working-time calendar: holidays, make-up workdays, office hours, deadlines (pure, no database).

Holiday facts are those of the State Council notices (国办发明电〔2023〕7号 for 2024,
〔2024〕12号 for 2025, 〔2025〕7号 for 2026).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.events.workcal import (
    US_PER_HOUR,
    CalendarDay,
    CalendarError,
    WorkCalendar,
    load_holidays,
    packaged_holidays,
    parse_holidays,
    parse_periods,
)

CST = timezone(timedelta(hours=8))


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


CAL = WorkCalendar()


# --- the data -----------------------------------------------------------------------------------


def test_known_years(cal):
    assert cal.known_years() == (2024, 2025, 2026)
    assert cal.is_year_known(2026) and not cal.is_year_known(2027)
    assert cal.missing_years(date(2025, 6, 1), date(2028, 1, 1)) == [2027, 2028]
    assert cal.hours_per_day == 7.0


def test_holiday_lengths_2026_match_the_notice():
    rows = [r for r in packaged_holidays() if r.date.year == 2026]
    counts: dict[str, int] = {}
    for r in rows:
        if r.kind == "holiday":
            counts[r.name] = counts.get(r.name, 0) + 1
    assert counts == {"元旦": 3, "春节": 9, "清明节": 3, "劳动节": 5, "端午节": 3, "中秋节": 3, "国庆节": 7}
    workdays = sorted(r.date for r in rows if r.kind == "workday")
    assert workdays == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]


def test_makeup_workdays_fall_on_weekends_and_holidays_are_unique():
    rows = packaged_holidays()
    assert all(r.date.weekday() >= 5 for r in rows if r.kind == "workday")
    assert len({r.date for r in rows}) == len(rows)
    assert all(r.scope == "national" for r in rows)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2026 National Day: 10-01 (Thu) .. 10-07 (Wed) off; Sunday 09-20 and Saturday 10-10 worked
        (date(2026, 9, 30), True),
        (date(2026, 10, 1), False),
        (date(2026, 10, 5), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 9, 20), True),
        (date(2026, 10, 10), True),
        (date(2026, 10, 11), False),
        # 2026 Spring Festival: 02-15 (Sun) .. 02-23 (Mon) off; Saturdays 02-14 and 02-28 worked
        (date(2026, 2, 13), True),
        (date(2026, 2, 14), True),
        (date(2026, 2, 15), False),
        (date(2026, 2, 16), False),
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),
        # 2026 New Year: 01-01 .. 01-03 off, Sunday 01-04 worked
        (date(2026, 1, 2), False),
        (date(2026, 1, 4), True),
        # 2025 National Day + Mid-autumn: 10-01 .. 10-08 off; Sunday 09-28 and Saturday 10-11 worked
        (date(2025, 9, 28), True),
        (date(2025, 10, 6), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),
        # 2024: Labour Day make-up Saturday 05-11, Dragon Boat 06-10 (Mon)
        (date(2024, 5, 11), True),
        (date(2024, 6, 10), False),
        # plain weekdays and weekends
        (date(2026, 3, 6), True),
        (date(2026, 3, 7), False),
        (date(2026, 3, 8), False),
    ],
)
def test_is_workday(cal, day, working):
    assert cal.is_workday(day) is working


def test_day_rows(cal):
    assert cal.day(date(2026, 2, 17)).name == "春节"
    assert cal.day(date(2025, 10, 11)).kind == "workday"
    assert cal.day(date(2026, 3, 6)) is None
    # an aware datetime is taken at its local (Shanghai) date: 2026-09-30 16:30 UTC is 10-01 00:30 CST
    assert cal.is_workday(datetime(2026, 9, 30, 16, 30, tzinfo=UTC)) is False


# --- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "deadline"),
    [
        (cst(2026, 3, 2, 9, 0), 1, cst(2026, 3, 2, 10, 0)),  # plain morning
        (cst(2026, 3, 2, 11, 0), 2, cst(2026, 3, 2, 15, 0)),  # across lunch
        (cst(2026, 3, 2, 8, 30), 3.5, cst(2026, 3, 2, 12, 0)),  # ends exactly at noon, not 14:00
        (cst(2026, 3, 2, 8, 30), 7, cst(2026, 3, 2, 17, 30)),  # a whole day
        (cst(2026, 3, 6, 16, 0), 7, cst(2026, 3, 9, 16, 0)),  # Friday → Monday
        (cst(2026, 3, 7, 10, 0), 1, cst(2026, 3, 9, 9, 30)),  # starts on Saturday
        (cst(2026, 3, 2, 7, 0), 1, cst(2026, 3, 2, 9, 30)),  # before opening
        (cst(2026, 3, 2, 12, 30), 0.5, cst(2026, 3, 2, 14, 30)),  # during lunch
        (cst(2026, 3, 2, 20, 0), 1, cst(2026, 3, 3, 9, 30)),  # evening
        (cst(2026, 3, 2, 9, 0), 0.25, cst(2026, 3, 2, 9, 15)),  # a quarter hour
        (cst(2026, 3, 2, 9, 0), 35, cst(2026, 3, 9, 9, 0)),  # five working days
        (cst(2025, 10, 10, 17, 0), 1, cst(2025, 10, 11, 9, 0)),  # into make-up Saturday 2025-10-11
        (cst(2025, 9, 30, 17, 0), 1, cst(2025, 10, 9, 9, 0)),  # over the 8-day 2025 National Day
        (cst(2026, 9, 30, 16, 0), 7, cst(2026, 10, 8, 16, 0)),  # over the 2026 National Day
        (cst(2026, 2, 13, 17, 0), 1, cst(2026, 2, 14, 9, 0)),  # into make-up Saturday 2026-02-14
        (cst(2026, 2, 14, 17, 0), 1, cst(2026, 2, 24, 9, 0)),  # over the 2026 Spring Festival
        (cst(2026, 2, 27, 17, 0), 1, cst(2026, 2, 28, 9, 0)),  # make-up Saturday 2026-02-28
        (cst(2025, 12, 31, 17, 0), 1, cst(2026, 1, 4, 9, 0)),  # New Year 2026, make-up Sunday
    ],
)
def test_add_working_hours(cal, start, hours, deadline):
    got = cal.add_working_hours(start, hours)
    assert got == deadline
    assert got.tzinfo is UTC


def test_utc_in_utc_out(cal):
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 CST
    assert cal.add_working_hours(start, 1) == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_working_hours_between(cal):
    assert cal.working_hours_between(cst(2026, 2, 13, 8, 0), cst(2026, 2, 25, 8, 0)) == 21.0
    assert cal.working_hours_between(cst(2026, 3, 2, 11, 0), cst(2026, 3, 2, 15, 0)) == 2.0
    assert cal.working_hours_between(cst(2026, 3, 2, 15, 0), cst(2026, 3, 2, 11, 0)) == -2.0
    assert cal.working_hours_between(cst(2026, 3, 7, 9, 0), cst(2026, 3, 8, 17, 0)) == 0.0
    # October 2026: 22 calendar weekdays − 5 holiday weekdays + Saturday 10-10 = 18 working days
    assert cal.working_hours_between(cst(2026, 10, 1), cst(2026, 11, 1)) == 18 * 7


def test_is_working_time(cal):
    assert cal.is_working_time(cst(2026, 3, 2, 8, 30))
    assert not cal.is_working_time(cst(2026, 3, 2, 12, 0))
    assert cal.is_working_time(cst(2026, 3, 2, 11, 59, 59))
    assert not cal.is_working_time(cst(2026, 3, 2, 17, 30))
    assert not cal.is_working_time(cst(2026, 10, 2, 10, 0))
    assert cal.is_working_time(cst(2025, 10, 11, 10, 0))


@pytest.mark.parametrize("hours", [0, -1, -0.5, float("nan"), float("inf"), True, "2", None])
def test_bad_hours_rejected(cal, hours):
    with pytest.raises(ValueError):
        cal.add_working_hours(cst(2026, 3, 2, 9), hours)


def test_naive_datetimes_rejected(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(datetime(2026, 3, 2, 9), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_hours_between(datetime(2026, 3, 2, 9), cst(2026, 3, 2, 10))
    with pytest.raises(TypeError):
        cal.add_working_hours(date(2026, 3, 2), 1)


def test_outside_the_table_is_a_clear_error():
    small = WorkCalendar(first_year=2024, last_year=2026)
    with pytest.raises(CalendarError, match="outside"):
        small.add_working_hours(cst(2023, 12, 31, 9), 1)
    with pytest.raises(CalendarError, match="outside"):
        small.add_working_hours(cst(2026, 12, 31, 9), 100)


def test_natural_clock(cal):
    start = cst(2026, 10, 1, 20, 0)
    assert cal.add_hours(start, 0.25, "natural") == cst(2026, 10, 1, 20, 15)
    assert cal.add_hours(start, 1, "working") == cst(2026, 10, 8, 9, 30)
    assert cal.hours_between(start, cst(2026, 10, 2, 20, 0), "natural") == 24.0
    with pytest.raises(ValueError):
        cal.add_hours(start, 1, "lunar")


# --- unknown years and local data ----------------------------------------------------------------


def test_unknown_year_falls_back_to_weekdays_and_warns_once(caplog):
    cal = WorkCalendar()
    assert cal.is_workday(date(2030, 10, 1))  # a Tuesday: no 2030 data, so a working day
    with caplog.at_level(logging.WARNING, logger="gridgov.events.workcal"):
        assert cal.add_working_hours(cst(2030, 10, 1, 9), 1) == cst(2030, 10, 1, 10)
        cal.add_working_hours(cst(2030, 10, 2, 9), 1)
        cal.add_working_hours(cst(2026, 3, 2, 9), 1)  # known year: silent
    warnings = [r for r in caplog.records if "2030" in r.getMessage()]
    assert len(warnings) == 1


def test_crossing_into_unknown_year_warns(caplog):
    cal = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="gridgov.events.workcal"):
        cal.add_working_hours(cst(2026, 12, 31, 17), 7)
    assert any("2027" in r.getMessage() for r in caplog.records)


def test_local_rows(tmp_path):
    path = tmp_path / "local.csv"
    path.write_text(
        "date,kind,name,scope\n"
        "2026-04-20,holiday,三月三,local\n"  # a regional holiday (Monday)
        "2026-03-07,workday,集中整治日,\n"  # a local Saturday worked (scope defaults to local)
        "2027-01-01,holiday,元旦,national\n",  # an early national row makes 2027 known
        encoding="utf-8",
    )
    rows = load_holidays(path)
    assert [r.scope for r in rows] == ["local", "local", "national"]
    cal = WorkCalendar(extra_days=rows)
    assert not cal.is_workday(date(2026, 4, 20))
    assert cal.is_workday(date(2026, 3, 7))
    assert cal.known_years() == (2024, 2025, 2026, 2027)
    assert cal.add_working_hours(cst(2026, 4, 17, 17), 1) == cst(2026, 4, 21, 9)
    same = WorkCalendar.from_settings(path)
    assert same.is_workday(date(2026, 3, 7))


def test_local_row_overrides_national_row():
    cal = WorkCalendar(extra_days=[CalendarDay(date(2026, 10, 8), "holiday", "地方补休", "local")])
    assert not cal.is_workday(date(2026, 10, 8))
    assert cal.known_years() == (2024, 2025, 2026)


def test_parse_holidays_errors():
    with pytest.raises(CalendarError, match="missing column"):
        parse_holidays("day,kind\n2026-01-01,holiday\n")
    with pytest.raises(CalendarError) as err:
        parse_holidays(
            "date,kind,name\n2026-13-01,holiday,x\n2026-01-01,off,x\n"
            "2026-01-02,holiday,x\n2026-01-02,workday,y\n",
            source="t.csv",
        )
    message = str(err.value)
    assert "t.csv row 2" in message and "t.csv row 3" in message and "row 5" in message
    with pytest.raises(CalendarError, match="cannot read"):
        load_holidays("/nonexistent/holidays.csv")


def test_comments_are_skipped():
    rows = parse_holidays("# a note\ndate,kind,name\n# another\n2026-01-01,holiday,元旦\n")
    assert rows == [CalendarDay(date(2026, 1, 1), "holiday", "元旦", "national")]


# --- office hours -------------------------------------------------------------------------------


def test_custom_periods():
    cal = WorkCalendar(periods="09:00-17:00")
    assert cal.hours_per_day == 8
    assert cal.add_working_hours(cst(2026, 3, 2, 16, 0), 2) == cst(2026, 3, 3, 10, 0)
    summer = WorkCalendar(periods="08:30-12:00,14:30-18:00")
    assert summer.add_working_hours(cst(2026, 7, 1, 11, 0), 2) == cst(2026, 7, 1, 15, 30)
    assert parse_periods("08:00-24:00") == ((time(8), time.max),)


@pytest.mark.parametrize("text", ["8-12", "12:00-08:00", "08:00-12:00,11:00-13:00", "25:00-26:00", ""])
def test_bad_periods(text):
    with pytest.raises(CalendarError):
        WorkCalendar(periods=text)


def test_unknown_zone():
    with pytest.raises(CalendarError, match="time zone"):
        WorkCalendar(timezone="Mars/Olympus")


def test_other_zone_with_dst():
    """The table follows the zone's offset day by day (tested with a DST zone)."""
    berlin = WorkCalendar(days=[], periods="09:00-17:00", timezone="Europe/Berlin")
    tz = berlin.zone
    # 2026-03-29 is the DST switch (Sunday); Friday 16:00 CET + 2h = Monday 10:00 CEST
    got = berlin.add_working_hours(datetime(2026, 3, 27, 16, tzinfo=tz), 2)
    assert got == datetime(2026, 3, 30, 10, tzinfo=tz)


# --- arrays -------------------------------------------------------------------------------------


def test_vectorised_matches_scalar(cal):
    rng = np.random.default_rng(7)
    base = np.datetime64("2024-01-01T00:00:00", "us")
    starts = base + rng.integers(0, 3 * 365 * 86_400 * 10**6, 2000).astype("timedelta64[us]")
    hours = rng.choice([0.25, 0.5, 1, 2, 3.5, 7, 14, 35, 70, 105, 140], 2000)
    got = cal.add_working_hours_many(starts, hours)
    as_dt = [datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(x)) for x in starts.view(np.int64)]
    expected = [cal.add_working_hours(s, float(h)) for s, h in zip(as_dt, hours)]
    assert [
        datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(x)) for x in got.view(np.int64)
    ] == expected
    back = cal.working_hours_between_many(starts, got)
    assert np.allclose(back, hours, rtol=0, atol=1e-9)
    # aware datetimes are accepted too
    assert (cal.add_working_hours_many(as_dt[:10], 7) == cal.add_working_hours_many(starts[:10], 7)).all()


def test_vectorised_rejects_bad_hours(cal):
    starts = np.array(["2026-03-02T01:00"], dtype="datetime64[us]")
    for bad in (0, -1, np.nan, np.inf):
        with pytest.raises(ValueError):
            cal.add_working_hours_many(starts, bad)


# --- properties ---------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2023, 11, 1), max_value=datetime(2027, 3, 1), timezones=st.just(UTC)
)
durations = st.floats(min_value=1e-4, max_value=600, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(start=instants, hours=durations)
def test_add_then_between_round_trips(start, hours):
    end = CAL.add_working_hours(start, hours)
    assert end > start
    assert CAL.working_hours_between(start, end) == pytest.approx(
        round(hours * US_PER_HOUR) / US_PER_HOUR, abs=1e-12
    )


@settings(max_examples=300, deadline=None)
@given(start=instants, hours=durations)
def test_deadline_lands_in_working_time(start, hours):
    end = CAL.add_working_hours(start, hours)
    assert CAL.is_working_time(end - timedelta(microseconds=1))
    local = end.astimezone(CAL.zone)
    assert CAL.is_workday(local.date())
    assert time(8, 30) < local.time() <= time(12, 0) or time(14, 0) < local.time() <= time(17, 30)


@settings(max_examples=300, deadline=None)
@given(start=instants, h1=durations, h2=durations)
def test_monotonic_in_hours(start, h1, h2):
    lo, hi = sorted((h1, h2))
    assert CAL.add_working_hours(start, lo) <= CAL.add_working_hours(start, hi)


@settings(max_examples=300, deadline=None)
@given(a=instants, b=instants, hours=durations)
def test_monotonic_in_start(a, b, hours):
    lo, hi = sorted((a, b))
    assert CAL.add_working_hours(lo, hours) <= CAL.add_working_hours(hi, hours)


@settings(max_examples=300, deadline=None)
@given(a=instants, b=instants, c=instants)
def test_between_is_additive_and_antisymmetric(a, b, c):
    ab, bc, ac = (CAL.working_hours_between(x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == pytest.approx(ac, abs=1e-9)
    assert CAL.working_hours_between(b, a) == -ab
    assert abs(ab) <= abs((b - a).total_seconds()) / 3600 + 1e-9


@settings(max_examples=200, deadline=None)
@given(start=instants, hours=durations)
def test_whole_days_skip_non_working_days(start, hours):
    """Adding 7 h from a working instant lands on the next working day at the same clock time."""
    s = CAL.add_working_hours(start, hours)  # some instant inside office hours (or its end)
    nxt = CAL.add_working_hours(s, 7)
    ls, ln = s.astimezone(CAL.zone), nxt.astimezone(CAL.zone)
    day = ls.date() + timedelta(days=1)
    while not CAL.is_workday(day):
        day += timedelta(days=1)
    assert ln.date() == day and ln.time() == ls.time()
