"""HTTP API of the map's event layers (一张图): events in view, H3 heat, metric colours, region facts.

Thin: parse, call :mod:`gridgov.events.geo_service`, answer. Answers are serialised straight to
JSON (they are plain dicts of numbers and strings; a heat layer holds thousands of coordinates).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from gridgov.access.deps import CurrentUser, Db
from gridgov.events import geo_service as service
from gridgov.openapi import err, errors, ok
from gridgov.regions.geo import parse_bbox

router = APIRouter(prefix="/api/v1/map", tags=["events"], responses=errors(401))
BAD_BBOX = err(422, "invalid_bbox", "bbox 应为 4 个数字：min_lon,min_lat,max_lon,max_lat", "bbox 格式错误，或参数校验失败")

Bbox = Annotated[str, Query(examples=["123.0,41.1,123.4,41.4"], description="min_lon,min_lat,max_lon,max_lat")]
# real answers of the tiny demo (trimmed)
EVENTS_EXAMPLE = {"mode": "points", "total": 1,
                  "events": [{"id": 2191, "code": "SJ202612010002191", "title": "幸福小区3号楼2单元烟感：烟雾报警",
                              "state": "reported", "state_label": "已上报", "severity": "urgent",
                              "severity_label": "紧急", "overdue": False, "warned": False, "lon": 123.116345,
                              "lat": 41.211411, "created_at": "2026-12-01T22:03:50.678630+00:00",
                              "due_at": "2026-12-01T22:18:50.678630+00:00", "address": "幸福路12号幸福小区3号楼2单元",
                              "region_code": "21102100100100102"}]}
HEAT_EXAMPLE = {"resolution": 9, "period": "30d", "total": 28, "max": 7, "breaks": [2.0, 3.0, 7.0],
                "truncated": False,
                "cells": [{"h3": "893020b8d33ffff", "count": 7,
                           "boundary": [[41.212055, 123.105498], [41.210982, 123.106898],
                                        [41.211139, 123.109011], [41.212367, 123.109725],
                                        [41.21344, 123.108325], [41.213284, 123.106212]]},
                          {"h3": "893020b8da3ffff", "count": 7,
                           "boundary": [[41.215742, 123.107639], [41.214669, 123.109039],
                                        [41.214825, 123.111153], [41.216054, 123.111866],
                                        [41.217127, 123.110466], [41.216971, 123.108353]]}]}
METRICS_EXAMPLE = {"metric": "open", "label": "未结案件", "level": "grid",
                   "values": {"211021001001001": 1, "211021001001002": 0, "211021001001003": 0,
                              "211021001002001": 0, "211021100001001": 0, "211021100200001": 2,
                              "211021100200002": 7},
                   "breaks": [1.0, 2.0, 7.0], "max": 7, "total": 10}
FACTS_EXAMPLE = {"code": "211021001001", "name": "复兴社区", "level": "community", "events_week": 1, "open": 1,
                 "overdue": 0, "population": 116, "houses": 124, "special_groups": 10}
Zoom = Annotated[int, Query(ge=0, le=22, description="The map zoom (chooses clustering and the H3 resolution)")]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json(data: Any) -> Response:
    body = json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/events", summary="Open events in a bbox: points when few, H3 clusters when many",
            response_class=Response, responses=ok(EVENTS_EXAMPLE) | BAD_BBOX)
def events_in_view(db: Db, user: CurrentUser, bbox: Bbox, zoom: Zoom = 14) -> Response:
    """`mode: points` lists each open event you may see (code, item, state, severity, overdue, point);
    `mode: clusters` counts them per H3 cell (count, overdue, the most serious severity, mean point)."""
    return _json(service.events_in_bbox(db, user, parse_bbox(bbox), zoom))


@router.get("/heat", summary="Events per H3 cell in a bbox (heat layer), resolution by zoom",
            response_class=Response, responses=ok(HEAT_EXAMPLE) | BAD_BBOX)
def heat(db: Db, user: CurrentUser, bbox: Bbox, zoom: Zoom = 12,
         period: Literal["7d", "30d", "90d", "365d", "open"] = "30d",
         resolution: Annotated[int | None, Query(ge=0, le=15, description="Override the H3 resolution")] = None,
         ) -> Response:
    """Cells with their count and hexagon ring (`[lat, lon]`), `breaks` (quantile class bounds) and
    `max`. `period`: events reported in the last 7/30/90/365 days, or the open ones."""
    return _json(service.heat(db, user, parse_bbox(bbox), zoom, period, resolution))


@router.get("/metrics", summary="A metric per region of one level in a bbox (colours the grids)",
            response_class=Response, responses=ok(METRICS_EXAMPLE) | BAD_BBOX)
def metrics(db: Db, user: CurrentUser, bbox: Bbox,
            level: Literal["street", "community", "grid", "micro_grid"] = "grid",
            metric: Literal["events_week", "open", "overdue", "population"] = "open") -> Response:
    """`values`: region code → value (0 where nothing counts) for the regions in view and in your
    scope; `breaks`: quantile class bounds for the legend. Events count within your visibility."""
    return _json(service.metric_values(db, user, level, parse_bbox(bbox), metric))


@router.get("/regions/{code}/facts", summary="One region's figures for the map's info panel",
            response_class=Response,
            responses=ok(FACTS_EXAMPLE) | errors(422) | err(404, "region_not_found", "区域 211021001009 不存在"))
def region_facts(db: Db, user: CurrentUser,
                 code: Annotated[str, Path(pattern=r"^\d{2,17}$", examples=["211021001001"])]) -> Response:
    """Events this week, open and overdue, and (for roles that read the register) population,
    houses and special-group members — all within your scope."""
    return _json(service.region_facts(db, user, code))
