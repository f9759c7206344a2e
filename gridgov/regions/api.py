"""HTTP API of the regions domain (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from gridgov.access.deps import CurrentUser, Db
from gridgov.errors import Invalid
from gridgov.openapi import err, errors, ok
from gridgov.regions import schemas, service
from gridgov.regions.coords import to_wgs84
from gridgov.regions.geo import parse_bbox

router = APIRouter(prefix="/api/v1", tags=["regions"], responses=errors(401))
REGION_NOT_FOUND = err(404, "region_not_found", "区域 211021001009 不存在")
BAD_CODE = err(422, "invalid_region_code", "区域编码 211021999 格式错误：乡级代码段 999 超出 001–599（211021999）",
               "区域编码格式错误，或参数校验失败")

CodePath = Annotated[str, Query(pattern=r"^\d{2,17}$")]


@router.get("/regions", response_model=list[schemas.RegionItem], summary="Region tree: roots or children",
            responses=errors(403, 422))
def list_regions(db: Db, user: CurrentUser,
                 parent: Annotated[str | None, Query(pattern=r"^\d{2,17}$", examples=["211021001"])] = None):
    """Without `parent`: the roots of your scope. With `parent`: its children (lazy tree)."""
    return service.children(db, user, parent) if parent else service.roots(db, user)


@router.get("/regions/search", response_model=list[schemas.RegionItem], summary="Search regions by name or code",
            responses=errors(403, 422))
def search_regions(db: Db, user: CurrentUser,
                   q: Annotated[str, Query(min_length=1, max_length=50, examples=["新华"])],
                   limit: Annotated[int, Query(ge=1, le=100)] = 20):
    return service.search(db, user, q, limit)


@router.get("/regions/{code}", response_model=schemas.RegionDetail, summary="One region (current version)",
            responses=errors(403) | REGION_NOT_FOUND | BAD_CODE)
def get_region(code: str, db: Db, user: CurrentUser, geometry: bool = False):
    return service.detail(db, user, code, with_geometry=geometry)


@router.get("/regions/{code}/history", summary="All boundary versions of a region",
            responses=ok(schemas.HISTORY_EXAMPLE) | errors(403) | REGION_NOT_FOUND | BAD_CODE)
def region_history(code: str, db: Db, user: CurrentUser) -> list[dict[str, Any]]:
    return service.history(db, user, code)


@router.get("/regions/{code}/neighbours", response_model=schemas.NeighbourList,
            summary="Regions of the same level sharing a boundary",
            responses=errors(403) | REGION_NOT_FOUND | BAD_CODE)
def region_neighbours(code: str, db: Db, user: CurrentUser):
    return {"code": code, "neighbours": service.neighbours(db, user, code)}


@router.get("/regions/{code}/topology", response_model=schemas.TopologyReportOut,
            summary="Topology report of a stored region's children (overlaps, gaps, outside parent)",
            responses=errors(403) | REGION_NOT_FOUND | BAD_CODE)
def region_topology(code: str, db: Db, user: CurrentUser):
    return service.stored_topology(db, user, code)


@router.get("/grids", summary="Regions of one level in a bbox as GeoJSON, simplified for the zoom",
            response_class=Response,
            responses={200: {"content": {"application/json": {"example": schemas.GRIDS_EXAMPLE}}}}
            | errors(403) | err(422, "invalid_bbox", "bbox 应为 4 个数字：min_lon,min_lat,max_lon,max_lat",
                              "bbox 格式错误，或参数校验失败"))
def grids_in_bbox(
    db: Db, user: CurrentUser,
    bbox: Annotated[str, Query(examples=["123.0,41.1,123.4,41.4"], description="min_lon,min_lat,max_lon,max_lat")],
    level: schemas.MapLevel = "grid",
    zoom: Annotated[int, Query(ge=0, le=22)] = 14,
    parent: Annotated[str | None, Query(pattern=r"^\d{2,17}$")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_MAP_FEATURES,
                                description="Answer `truncated` above this many features (the map asks for "
                                            "about one region per 36×36 px of its view)")] = service.MAX_MAP_FEATURES,
) -> Response:
    """A GeoJSON FeatureCollection; `"truncated": true` (and no features) when the view holds more
    features than the server sends at once (or than `limit`) — zoom in."""
    text = service.features_in_bbox_json(db, user, parse_bbox(bbox), zoom, level, parent, limit=limit)
    return Response(text, media_type="application/json")


@router.post("/locate", response_model=schemas.LocateResponse, summary="Locate many points to their grids",
            responses=errors(422))
def locate_points(body: schemas.LocateRequest, db: Db, user: CurrentUser):
    """One result per point, in order; `null` for a point outside every grid. A point on a border
    shared by several grids belongs to the one with the lowest code."""
    if not body.points:
        return {"results": []}
    pts = np.asarray(body.points, dtype=float)
    lon, lat = pts[:, 0], pts[:, 1]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise Invalid(f"第 {first + 1} 个点的经纬度无效：{body.points[first]}", code="invalid_point")
    lon, lat = to_wgs84(lon, lat, body.crs)
    return {"results": service.locate(db, lon, lat, at=body.at)}


@router.post("/regions/import", response_model=schemas.ImportResult,
             responses=errors(403)
             | err(422, "topology_failed", "区域数据未通过拓扑检查，未写入任何数据",
                   "Topology report: nothing was written（或请求体不是 GeoJSON）",
                   schemas.TOPOLOGY_FAILED_EXAMPLE["error"]["details"]),
             summary="Import regions/grids from a GeoJSON FeatureCollection (all or nothing)")
async def import_regions(
    request: Request, db: Db, user: CurrentUser,
    file: Annotated[UploadFile | None, File(description="GeoJSON file (multipart)")] = None,
    crs: schemas.Crs = "wgs84", dry_run: bool = False,
):
    """Send the FeatureCollection as the JSON body or as a multipart `file`. Each feature needs
    `properties.code` and `properties.name`; `level`, `parent_code` and `exclusive_type` are optional.
    With `dry_run=true` only the topology report is produced."""
    raw = await file.read() if file is not None else await request.body()
    if not raw:
        raise Invalid("请求体为空：请上传 GeoJSON FeatureCollection", code="empty_body")
    data = service.feature_collection_from_bytes(raw)
    items, pre = service.parse_feature_collection(data, crs)
    result = service.import_regions(db, user, items, pre_report=pre, dry_run=dry_run,
                                    source=getattr(file, "filename", None) or "api")
    if not result["report"]["ok"]:
        db.rollback()
        return JSONResponse(status_code=422, content={"error": {
            "code": "topology_failed", "message": "区域数据未通过拓扑检查，未写入任何数据",
            "details": result["report"]}})
    return result
