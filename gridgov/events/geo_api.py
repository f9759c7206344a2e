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

router = APIRouter(prefix="/api/v1/map", tags=["events"])

Bbox = Annotated[str, Query(examples=["123.0,41.1,123.4,41.4"], description="min_lon,min_lat,max_lon,max_lat")]
Zoom = Annotated[int, Query(ge=0, le=22, description="The map zoom (chooses clustering and the H3 resolution)")]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json(data: Any) -> Response:
    body = json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/events", summary="Open events in a bbox: points when few, H3 clusters when many",
            response_class=Response, responses={200: {"content": {"application/json": {}}}})
def events_in_view(db: Db, user: CurrentUser, bbox: Bbox, zoom: Zoom = 14) -> Response:
    """`mode: points` lists each open event you may see (code, item, state, severity, overdue, point);
    `mode: clusters` counts them per H3 cell (count, overdue, the most serious severity, mean point)."""
    return _json(service.events_in_bbox(db, user, service.parse_bbox(bbox), zoom))


@router.get("/heat", summary="Events per H3 cell in a bbox (heat layer), resolution by zoom",
            response_class=Response, responses={200: {"content": {"application/json": {}}}})
def heat(db: Db, user: CurrentUser, bbox: Bbox, zoom: Zoom = 12,
         period: Literal["7d", "30d", "90d", "365d", "open"] = "30d",
         resolution: Annotated[int | None, Query(ge=0, le=15, description="Override the H3 resolution")] = None,
         ) -> Response:
    """Cells with their count and hexagon ring (`[lat, lon]`), `breaks` (quantile class bounds) and
    `max`. `period`: events reported in the last 7/30/90/365 days, or the open ones."""
    return _json(service.heat(db, user, service.parse_bbox(bbox), zoom, period, resolution))


@router.get("/metrics", summary="A metric per region of one level in a bbox (colours the grids)",
            response_class=Response, responses={200: {"content": {"application/json": {}}}})
def metrics(db: Db, user: CurrentUser, bbox: Bbox,
            level: Literal["street", "community", "grid", "micro_grid"] = "grid",
            metric: Literal["events_week", "open", "overdue", "population"] = "open") -> Response:
    """`values`: region code → value (0 where nothing counts) for the regions in view and in your
    scope; `breaks`: quantile class bounds for the legend. Events count within your visibility."""
    return _json(service.metric_values(db, user, level, service.parse_bbox(bbox), metric))


@router.get("/regions/{code}/facts", summary="One region's figures for the map's info panel",
            response_class=Response, responses={200: {"content": {"application/json": {}}}})
def region_facts(db: Db, user: CurrentUser,
                 code: Annotated[str, Path(pattern=r"^\d{2,17}$", examples=["211021001001"])]) -> Response:
    """Events this week, open and overdue, and (for roles that read the register) population,
    houses and special-group members — all within your scope."""
    return _json(service.region_facts(db, user, code))
