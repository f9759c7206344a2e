"""Times as the county reads them: stored times are UTC; pages show them in the work time zone
(``GRIDGOV_WORK_TIMEZONE``, Asia/Shanghai by default). Pure: no database imports."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gridgov.settings import get_settings


@lru_cache(maxsize=1)
def zone() -> tzinfo:
    name = get_settings().work_timezone
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # no tz database on the machine: China has had no DST since 1991
        return timezone(timedelta(hours=8), "CST")


def local_time(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time in local time, formatted; a date as it is; nothing as ``""``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone())
    return value.strftime(fmt)


def local_midnight(day: date) -> datetime:
    """The start of a local day, as an aware UTC time (for "since"/"until" filters)."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC)
