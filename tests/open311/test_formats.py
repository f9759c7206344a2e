"""The Open311 wire formats (pure): W3C date-times, XML and JSON rendering, text hygiene."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.open311.formats import (
    W3CError,
    bad_characters,
    clean_text,
    errors_body,
    format_w3c,
    keywords_csv,
    parse_w3c,
    render_json,
    render_xml,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
instants = st.datetimes(
    min_value=datetime(1901, 1, 1), max_value=datetime(2999, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


# --- W3C date-times ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,start,end",
    [
        (
            "1994-11-05T13:15:30Z",
            datetime(1994, 11, 5, 13, 15, 30, tzinfo=UTC),
            datetime(1994, 11, 5, 13, 15, 31, tzinfo=UTC),
        ),
        ("1994-11-05T08:15:30-05:00", datetime(1994, 11, 5, 13, 15, 30, tzinfo=UTC), None),
        (
            "1994-11-05T08:15-05:00",
            datetime(1994, 11, 5, 13, 15, tzinfo=UTC),
            datetime(1994, 11, 5, 13, 16, tzinfo=UTC),
        ),
        ("1994-11-05T13:15:30.45Z", datetime(1994, 11, 5, 13, 15, 30, 450000, tzinfo=UTC), None),
        ("2010-01-01T08:00:00 08:00", datetime(2010, 1, 1, 0, 0, tzinfo=UTC), None),  # '+' decoded as a space
        ("2026-11-25", datetime(2026, 11, 24, 16, 0, tzinfo=UTC), datetime(2026, 11, 25, 16, 0, tzinfo=UTC)),
        ("2026-12", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), datetime(2026, 12, 31, 16, 0, tzinfo=UTC)),
        ("2026", datetime(2025, 12, 31, 16, 0, tzinfo=UTC), datetime(2026, 12, 31, 16, 0, tzinfo=UTC)),
    ],
)
def test_w3c_profiles(text, start, end):
    p = parse_w3c(text, SHANGHAI)
    assert p.start == start
    if end is not None:
        assert p.end == end
    assert p.start < p.end


@pytest.mark.parametrize(
    "text,why",
    [
        ("2010-01-01T00:00:00", "时区"),  # a time without its zone
        ("2010-13-01", "有效"),  # month 13
        ("2010-02-30T00:00:00Z", "有效"),
        ("2010-01-01T24:00:00Z", "有效"),
        ("2010-01-01T00:00:00+25:00", "有效"),
        ("yesterday", "W3C"),
        ("2010/01/01", "W3C"),
        ("", "W3C"),
        ("0000-01-01", "有效"),
        ("9999-12-31T23:59:59-14:00", "有效"),  # past the end of time in UTC
    ],
)
def test_w3c_refusals_say_why(text, why):
    with pytest.raises(W3CError) as exc:
        parse_w3c(text)
    assert why in str(exc.value)


@given(instants, offsets)
def test_format_then_parse_is_the_same_second(moment, tz):
    text = format_w3c(moment, tz)
    p = parse_w3c(text)
    assert p.start == moment.replace(microsecond=0)
    assert p.end - p.start == timedelta(seconds=1)


@given(instants)
def test_utc_is_written_with_z(moment):
    assert format_w3c(moment).endswith("Z")
    if moment.year >= 1992:  # China kept summer time 1986-1991
        assert format_w3c(moment, SHANGHAI).endswith("+08:00")


@given(st.dates(min_value=datetime(1901, 1, 1).date(), max_value=datetime(2998, 12, 31).date()), offsets)
def test_a_date_is_the_whole_local_day(day, tz):
    p = parse_w3c(day.isoformat(), tz)
    assert p.start == datetime(day.year, day.month, day.day, tzinfo=tz)
    assert p.end - p.start == timedelta(days=1)


@given(st.text(max_size=30))
def test_parse_w3c_only_ever_raises_w3c_error(text):
    try:
        p = parse_w3c(text)
    except W3CError:
        return
    assert p.start < p.end and p.start.tzinfo is not None


# --- text and rendering -----------------------------------------------------------------------


@given(st.text())
def test_clean_text_is_xml_safe_and_idempotent(text):
    cleaned = clean_text(text)
    assert not bad_characters(cleaned) and "\r" not in cleaned
    assert clean_text(cleaned) == cleaned


@given(st.text())
def test_any_text_survives_xml_and_json_alike(text):
    doc = render_xml("service_requests", [{"description": text, "lat": 41.5, "metadata": False, "x": None}])
    root = ET.fromstring(doc)
    request = root.find("request")
    assert root.tag == "service_requests" and request is not None
    assert (request.findtext("description") or "") == clean_text(text)
    assert request.findtext("lat") == "41.5" and request.findtext("metadata") == "false"
    assert request.find("x") is not None and request.find("x").text is None
    assert json.loads(render_json([{"description": text}]))[0]["description"] == clean_text(text)


def test_xml_shape_of_the_spec():
    doc = render_xml("services", [{"service_code": "SR001", "metadata": False}, {"service_code": "SR002"}])
    assert doc.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<services><service>')
    assert [s.findtext("service_code") for s in ET.fromstring(doc)] == ["SR001", "SR002"]
    root, body = errors_body([(403, "api_key 无效")])
    err = ET.fromstring(render_xml(root, body))
    assert err.tag == "errors" and err.find("error/code").text == "403"
    assert json.loads(render_json(body)) == [{"code": 403, "description": "api_key 无效"}]
    disc = ET.fromstring(
        render_xml("discovery", {"endpoints": [{"formats": ["text/xml", "application/json"]}]})
    )
    assert [f.text for f in disc.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]
    definition = ET.fromstring(render_xml("service_definition", {"service_code": "SR001", "attributes": []}))
    assert definition.find("attributes") is not None and len(definition.find("attributes")) == 0


def test_markup_in_text_is_escaped_not_interpreted():
    doc = render_xml("services", [{"description": '<b>&amp; "x"</b>'}])
    assert ET.fromstring(doc).findtext("service/description") == '<b>&amp; "x"</b>'


@pytest.mark.parametrize(
    "raw,csv",
    [("占道经营、摆摊", "占道经营, 摆摊"), ("a, b ,,c", "a, b, c"), ("", None), (None, None), ("、", None)],
)
def test_keywords_become_a_comma_list(raw, csv):
    assert keywords_csv(raw) == csv
