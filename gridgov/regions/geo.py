"""Small spatial helpers on lon/lat (WGS84) geometry. Pure: no database imports.

Areas are reported in square metres using a local equirectangular scale at each geometry's
latitude (error well under 0.1 % for county-sized shapes), which is what topology reports need.
H3 cells are stored at ``settings.h3_resolution`` (default 10: ~15,000 m² hexagons, edge ~66 m),
fine enough to tell grids apart and coarse enough that parents (res 7–9) make heat maps.
"""

from __future__ import annotations

import hashlib
import math

import h3
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0


def area_m2(geoms) -> np.ndarray:
    """Area in m² of each geometry (array in, array out; scalars work too)."""
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    empty = shapely.is_empty(arr) | shapely.is_missing(arr)
    lat = np.zeros(len(arr))
    if (~empty).any():
        lat[~empty] = shapely.get_y(shapely.centroid(arr[~empty]))
    area = shapely.area(arr) * M_PER_DEG**2 * np.cos(np.radians(lat))
    return np.where(empty, 0.0, area)


def degrees2_to_m2(area_deg2: float, lat: float) -> float:
    """Convert an area in square degrees near latitude ``lat`` to m²."""
    return area_deg2 * M_PER_DEG**2 * math.cos(math.radians(lat))


def to_local_metres(geom: BaseGeometry, lat0: float) -> BaseGeometry:
    """Project to a local plane in metres (for buffering and distances near ``lat0``)."""
    kx = M_PER_DEG * math.cos(math.radians(lat0))
    return shapely.transform(geom, lambda xy: xy * np.array([kx, M_PER_DEG]))


def h3_cells(lon, lat, resolution: int) -> np.ndarray:
    """H3 cell ids (int64) for arrays of lon/lat."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return np.array([h3.api.basic_int.latlng_to_cell(y, x, resolution) for x, y in zip(lon, lat)],
                    dtype=np.int64)


def h3_cell(lon: float, lat: float, resolution: int) -> int:
    return int(h3.api.basic_int.latlng_to_cell(lat, lon, resolution))


def geometry_digest(geom: BaseGeometry) -> str:
    """Digest of a geometry independent of ring start/orientation (normalized WKB)."""
    return hashlib.sha256(shapely.to_wkb(shapely.normalize(geom), output_dimension=2)).hexdigest()


def simplify_tolerance_for_zoom(zoom: int) -> float:
    """Degrees of simplification that stay under about half a screen pixel at ``zoom``."""
    zoom = max(0, min(int(zoom), 22))
    return 360.0 / (256 * 2**zoom) * 0.5


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``min_lon,min_lat,max_lon,max_lat`` as four finite numbers in range (422 ``invalid_bbox`` otherwise)."""
    from gridgov.errors import Invalid

    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError as exc:
        raise Invalid("bbox 应为 4 个数字：min_lon,min_lat,max_lon,max_lat", code="invalid_bbox") from exc
    if len(parts) != 4 or not all(np.isfinite(parts)):
        raise Invalid("bbox 应为 4 个数字：min_lon,min_lat,max_lon,max_lat", code="invalid_bbox")
    min_lon, min_lat, max_lon, max_lat = parts
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise Invalid("bbox 超出经纬度范围或最小值大于最大值", code="invalid_bbox")
    return parts  # type: ignore[return-value]
