"""Open311 GeoReport v2 wire formats (pure: no database, no web framework).

- W3C date-times (https://www.w3.org/TR/NOTE-datetime), the only date format the spec allows:
  :func:`parse_w3c` reads every profile (``YYYY`` … ``YYYY-MM-DDThh:mm:ss.sTZD``) into the period
  it names, :func:`format_w3c` writes ``YYYY-MM-DDThh:mm:ss±hh:mm``.
- Rendering: the same Python structure (dicts, lists, scalars) as JSON, or as the spec's XML where
  a list element's children are named by :data:`XML_ITEMS` (``<services><service>…``,
  ``<service_requests><request>…``, ``<errors><error>…``) — the "Spark convention" mapping the spec
  uses between its XML and JSON.
- Text hygiene: what XML 1.0 cannot carry (control characters, lone surrogates) is refused on input
  (:func:`bad_characters`) and removed on output (:func:`clean_text`), so both formats carry the
  same text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from xml.etree import ElementTree as ET

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

#: the element name of one item of each list element
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

# --- text -------------------------------------------------------------------------------------

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def bad_characters(text: str) -> bool:
    """True when ``text`` holds characters XML 1.0 cannot carry (NUL and other controls, lone surrogates)."""
    return _NOT_XML.search(text) is not None


def clean_text(text: str) -> str:
    """``text`` without the characters XML cannot carry, line breaks as ``\\n`` (XML parsers
    normalise ``\\r\\n`` and ``\\r`` to ``\\n`` anyway, so JSON says the same)."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def keywords_csv(keywords: str | None) -> str | None:
    """Catalog keywords (``占道经营、摆摊``) as the spec's comma separated list (``占道经营, 摆摊``)."""
    if not keywords:
        return None
    parts = [p.strip() for p in re.split(r"[、,，;；\n]", keywords)]
    return ", ".join(p for p in parts if p) or None


# --- W3C date-times ---------------------------------------------------------------------------


class W3CError(ValueError):
    """A value that is not a W3C date-time; the message says what is wrong (Chinese)."""


_W3C = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<tz>Z|[+\- ]\d{2}:\d{2})?)?)?)?"
)


@dataclass(frozen=True, slots=True)
class W3CPeriod:
    """The span a W3C value names, in UTC: ``start`` ≤ t < ``end``. ``2010-06-24`` names the whole
    day, ``2010-06-24T10:00Z`` the whole minute, ``…T10:00:30Z`` the second."""

    start: datetime
    end: datetime


def parse_w3c(text: str, default_tz: tzinfo = UTC) -> W3CPeriod:
    """Read a W3C date-time. A time must carry its zone (``Z`` or ``±hh:mm``); a date alone
    (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) is taken in ``default_tz``. A space where the zone's
    sign belongs is read as ``+`` (an unencoded ``+`` in a query string arrives as a space)."""
    m = _W3C.fullmatch(text.strip())
    if m is None:
        raise W3CError(
            f"「{text[:40]}」不是 W3C 日期时间，应形如 2010-01-01T00:00:00Z 或 2010-01-01T08:00:00+08:00"
        )
    g = m.groupdict()
    if g["hour"] is not None and g["tz"] is None:
        raise W3CError(f"「{text[:40]}」缺少时区：请以 Z 或 ±hh:mm 结尾")
    try:
        if g["tz"] is None:
            year, month, day = int(g["year"]), int(g["month"] or 1), int(g["day"] or 1)
            start = datetime(year, month, day, tzinfo=default_tz)
            if g["day"]:
                end = start.replace(tzinfo=None) + timedelta(days=1)
            elif g["month"]:
                end = datetime(year + month // 12, month % 12 + 1, 1)
            else:
                end = datetime(year + 1, 1, 1)
            end = end.replace(tzinfo=default_tz)
        else:
            tz = UTC if g["tz"] == "Z" else _offset(g["tz"])
            micro = int((g["fraction"] or "0")[:6].ljust(6, "0"))
            start = datetime(
                int(g["year"]),
                int(g["month"]),
                int(g["day"]),
                int(g["hour"]),
                int(g["minute"]),
                int(g["second"] or 0),
                micro,
                tzinfo=tz,
            )
            step = (
                timedelta(microseconds=1)
                if g["fraction"]
                else timedelta(seconds=1)
                if g["second"]
                else timedelta(minutes=1)
            )
            end = start + step
        return W3CPeriod(start.astimezone(UTC), end.astimezone(UTC))
    except (ValueError, OverflowError) as exc:
        raise W3CError(f"「{text[:40]}」不是有效的日期时间（{exc}）") from None


def _offset(tz: str) -> tzinfo:
    from datetime import timezone

    sign = -1 if tz[0] == "-" else 1
    hours, minutes = int(tz[1:3]), int(tz[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(f"时区偏移 {tz.strip()} 超出范围")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def format_w3c(value: datetime | None, tz: tzinfo = UTC) -> str | None:
    """``value`` (aware) in ``tz`` to the second: ``2026-11-25T09:30:00+08:00`` (``Z`` in UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    out = value.astimezone(tz).replace(microsecond=0).isoformat()
    return out[:-6] + "Z" if out.endswith("+00:00") else out


# --- rendering --------------------------------------------------------------------------------


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return clean_text(str(value))


def _element(name: str, value: Any) -> ET.Element:
    el = ET.Element(name)
    if isinstance(value, dict):
        for key, item in value.items():
            el.append(_element(key, item))
    elif isinstance(value, list | tuple):
        child = XML_ITEMS.get(name, "item")
        for item in value:
            el.append(_element(child, item))
    else:
        el.text = _scalar(value)
    return el


def render_xml(root: str, value: Any) -> bytes:
    """``value`` as the spec's XML under ``<root>`` (a list's items named by :data:`XML_ITEMS`;
    ``None`` an empty element), with the XML declaration, UTF-8."""
    return (XML_DECLARATION + ET.tostring(_element(root, value), encoding="unicode")).encode("utf-8")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def render_json(value: Any) -> bytes:
    return json.dumps(_clean(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, value: Any) -> bytes:
    """Render for ``fmt`` (``json`` or ``xml``); ``root`` names the XML document element."""
    return render_xml(root, value) if fmt == "xml" else render_json(value)


def errors_body(errors: list[tuple[int, str]]) -> tuple[str, list[dict[str, Any]]]:
    """The spec's error document: ``[{"code": 400, "description": "…"}, …]`` under ``<errors>``."""
    return "errors", [{"code": code, "description": description} for code, description in errors]
