"""Coordinate conversions between WGS84, GCJ-02 and BD-09.

* **WGS84** — GPS; **CGCS2000** (the national datum, EPSG:4490) is treated as WGS84, the two
  differ by centimetres;
* **GCJ-02** — the obfuscated datum required for published maps in China, used by Amap (高德),
  Tencent and most Chinese web maps;
* **BD-09** — Baidu's further offset on top of GCJ-02.

The WGS84 → GCJ-02 formula is the widely published one (Krasovsky ellipsoid
``a = 6378245.0``, ``ee = 0.00669342162296594323``), applied only inside the usual rough bounding
box of China (lon 72.004–137.8347, lat 0.8293–55.8271); outside it GCJ-02 equals WGS84. GCJ-02 ↔
BD-09 is Baidu's published forward formula with ``x_pi = pi * 3000 / 180``, applied everywhere
(it has no bounding box).

Both inverses (GCJ-02 → WGS84 and BD-09 → GCJ-02) are solved by fixed-point iteration until the
forward transform of the result reproduces the input to better than 1e-9 degrees, rather than the
common one-step approximations (which are off by up to a few metres).

Every function takes longitudes and latitudes as scalars or numpy arrays (broadcast together) and
returns ``(lon, lat)`` of the same shape: floats for scalars, arrays otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from gridgov.codes.errors import CodeError

Crs = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
CRS_NAMES: tuple[Crs, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")

A = 6378245.0
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0

#: Rough bounding box of China used to decide whether GCJ-02 applies.
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)

#: Convergence threshold of the iterative inverses, in degrees.
INVERSE_TOLERANCE = 1e-9
_MAX_ITERATIONS = 30

T = TypeVar("T", float, NDArray[np.float64])

_Array = NDArray[np.float64]
_Transform = Callable[[_Array, _Array], tuple[_Array, _Array]]


def _arrays(lon: object, lat: object) -> tuple[_Array, _Array, bool]:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y, x.ndim == 0


def _out(lon: _Array, lat: _Array, scalar: bool) -> tuple[object, object]:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _inside(x: _Array, y: _Array) -> NDArray[np.bool_]:
    west, south, east, north = CHINA_BBOX
    return (x >= west) & (x <= east) & (y >= south) & (y <= north)


def in_china(lon: float | _Array, lat: float | _Array) -> bool | NDArray[np.bool_]:
    """Whether the points lie in the rough bounding box where GCJ-02 differs from WGS84."""
    x, y, scalar = _arrays(lon, lat)
    inside = _inside(x, y)
    return bool(inside) if scalar else inside


def _transform_lat(x: _Array, y: _Array) -> _Array:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: _Array, y: _Array) -> _Array:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _wgs_to_gcj(lon: _Array, lat: _Array) -> tuple[_Array, _Array]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = _inside(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _gcj_to_bd(lon: _Array, lat: _Array) -> tuple[_Array, _Array]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_approx(lon: _Array, lat: _Array) -> tuple[_Array, _Array]:
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(forward: _Transform, target_lon: _Array, target_lat: _Array,
            lon: _Array, lat: _Array) -> tuple[_Array, _Array]:
    """Solve ``forward(lon, lat) == target`` by fixed-point iteration from ``(lon, lat)``.

    Converges because both offsets vary slowly (their derivatives are far below 1). NaN points
    stay NaN and do not hold up the others; the iteration count is capped in any case.
    """
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(lon, lat)
        err_lon, err_lat = target_lon - f_lon, target_lat - f_lat
        lon, lat = lon + err_lon, lat + err_lat
        worst = max(np.max(np.abs(np.nan_to_num(err_lon)), initial=0.0),
                    np.max(np.abs(np.nan_to_num(err_lat)), initial=0.0))
        if worst < INVERSE_TOLERANCE:
            break
    return lon, lat


def wgs84_to_gcj02(lon: T, lat: T) -> tuple[T, T]:
    """WGS84 → GCJ-02 (identity outside China)."""
    x, y, scalar = _arrays(lon, lat)
    return _out(*_wgs_to_gcj(x, y), scalar)  # type: ignore[return-value]


def gcj02_to_wgs84(lon: T, lat: T) -> tuple[T, T]:
    """GCJ-02 → WGS84, exact inverse of :func:`wgs84_to_gcj02` to 1e-9 degrees."""
    x, y, scalar = _arrays(lon, lat)
    return _out(*_invert(_wgs_to_gcj, x, y, x, y), scalar)  # type: ignore[return-value]


def gcj02_to_bd09(lon: T, lat: T) -> tuple[T, T]:
    """GCJ-02 → BD-09 (Baidu)."""
    x, y, scalar = _arrays(lon, lat)
    return _out(*_gcj_to_bd(x, y), scalar)  # type: ignore[return-value]


def bd09_to_gcj02(lon: T, lat: T) -> tuple[T, T]:
    """BD-09 → GCJ-02, exact inverse of :func:`gcj02_to_bd09` to 1e-9 degrees."""
    x, y, scalar = _arrays(lon, lat)
    return _out(*_invert(_gcj_to_bd, x, y, *_bd_to_gcj_approx(x, y)), scalar)  # type: ignore[return-value]


def wgs84_to_bd09(lon: T, lat: T) -> tuple[T, T]:
    """WGS84 → BD-09 (through GCJ-02)."""
    x, y, scalar = _arrays(lon, lat)
    return _out(*_gcj_to_bd(*_wgs_to_gcj(x, y)), scalar)  # type: ignore[return-value]


def bd09_to_wgs84(lon: T, lat: T) -> tuple[T, T]:
    """BD-09 → WGS84 (through GCJ-02, both steps exact inverses)."""
    x, y, scalar = _arrays(lon, lat)
    g_lon, g_lat = _invert(_gcj_to_bd, x, y, *_bd_to_gcj_approx(x, y))
    return _out(*_invert(_wgs_to_gcj, g_lon, g_lat, g_lon, g_lat), scalar)  # type: ignore[return-value]


def _crs(name: str) -> Crs:
    key = name.strip().lower().replace("-", "").replace("_", "") if isinstance(name, str) else ""
    key = {"epsg4326": "wgs84", "epsg:4326": "wgs84", "epsg4490": "cgcs2000",
           "epsg:4490": "cgcs2000", "gcj": "gcj02", "bd": "bd09"}.get(key, key)
    if key not in CRS_NAMES:
        raise CodeError(f"不支持的坐标系：{name!r}，应为 wgs84、cgcs2000、gcj02 或 bd09",
                        code="unknown_crs", part="crs")
    return key  # type: ignore[return-value]


def to_wgs84(lon: T, lat: T, crs: str) -> tuple[T, T]:
    """Convert from ``crs`` (``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``) to WGS84."""
    src = _crs(crs)
    if src == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if src == "bd09":
        return bd09_to_wgs84(lon, lat)
    x, y, scalar = _arrays(lon, lat)
    return _out(x.copy(), y.copy(), scalar)  # type: ignore[return-value]


def from_wgs84(lon: T, lat: T, crs: str) -> tuple[T, T]:
    """Convert from WGS84 to ``crs`` (``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``)."""
    dst = _crs(crs)
    if dst == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if dst == "bd09":
        return wgs84_to_bd09(lon, lat)
    x, y, scalar = _arrays(lon, lat)
    return _out(x.copy(), y.copy(), scalar)  # type: ignore[return-value]


def convert(lon: T, lat: T, src: str, dst: str) -> tuple[T, T]:
    """Convert between any two supported coordinate systems."""
    s, d = _crs(src), _crs(dst)
    if s == d:
        x, y, scalar = _arrays(lon, lat)
        return _out(x.copy(), y.copy(), scalar)  # type: ignore[return-value]
    if (s, d) == ("gcj02", "bd09"):
        return gcj02_to_bd09(lon, lat)
    if (s, d) == ("bd09", "gcj02"):
        return bd09_to_gcj02(lon, lat)
    w_lon, w_lat = to_wgs84(lon, lat, s)
    return from_wgs84(w_lon, w_lat, d)
