"""WGS84 ↔ GCJ-02 ↔ BD-09 conversions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.codes import CodeError
from gridgov.regions.coords import (
    CRS_NAMES,
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# (wgs lon, wgs lat, gcj lon, gcj lat) from the test suite of googollee/eviltransform
# (go/transform_test.go, python/test.py): Shanghai, Shenzhen, Beijing.
EVILTRANSFORM_PAIRS = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]

# wandergis/coordtransform test/app.js, all four functions applied to (116.404, 39.915).
COORDTRANSFORM_INPUT = (116.404, 39.915)
COORDTRANSFORM_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
# Their two inverses are the one-step approximations; ours are exact, so these agree only to
# within the approximation error (a few 1e-7 degrees for BD, ~1e-6 for GCJ).
COORDTRANSFORM_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)
COORDTRANSFORM_GCJ02_TO_WGS84 = (116.39775550083061, 39.91359571849836)

CLOSE = 1e-9  # degrees: ~0.1 mm

china_lon = st.floats(73.0, 135.0)
china_lat = st.floats(18.0, 53.5)


def _close(got: tuple[float, float], want: tuple[float, float], tol: float = CLOSE) -> bool:
    return abs(got[0] - want[0]) < tol and abs(got[1] - want[1]) < tol


# ---------------------------------------------------------------- published reference pairs


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), EVILTRANSFORM_PAIRS)
def test_eviltransform_pairs(wlon: float, wlat: float, glon: float, glat: float) -> None:
    assert _close(wgs84_to_gcj02(wlon, wlat), (glon, glat))
    # their exact inverse only promises 0.5 m; ours reproduces the WGS84 point to ~1e-9 degrees
    assert _close(gcj02_to_wgs84(glon, glat), (wlon, wlat), 1e-8)


def test_coordtransform_forward_pairs() -> None:
    assert _close(wgs84_to_gcj02(*COORDTRANSFORM_INPUT), COORDTRANSFORM_WGS84_TO_GCJ02)
    assert _close(gcj02_to_bd09(*COORDTRANSFORM_INPUT), COORDTRANSFORM_GCJ02_TO_BD09)


def test_coordtransform_inverse_pairs_are_approximations_of_ours() -> None:
    ours_bd = bd09_to_gcj02(*COORDTRANSFORM_INPUT)
    ours_wgs = gcj02_to_wgs84(*COORDTRANSFORM_INPUT)
    assert _close(ours_bd, COORDTRANSFORM_BD09_TO_GCJ02, 1e-6)
    assert _close(ours_wgs, COORDTRANSFORM_GCJ02_TO_WGS84, 1e-5)
    # ... and ours are the better inverses: the forward transform takes them back to the input.
    err_ours = max(abs(a - b) for a, b in zip(gcj02_to_bd09(*ours_bd), COORDTRANSFORM_INPUT))
    err_theirs = max(abs(a - b) for a, b in zip(gcj02_to_bd09(*COORDTRANSFORM_BD09_TO_GCJ02),
                                               COORDTRANSFORM_INPUT))
    assert err_ours < 1e-9 < err_theirs
    err_ours = max(abs(a - b) for a, b in zip(wgs84_to_gcj02(*ours_wgs), COORDTRANSFORM_INPUT))
    err_theirs = max(abs(a - b) for a, b in zip(wgs84_to_gcj02(*COORDTRANSFORM_GCJ02_TO_WGS84),
                                               COORDTRANSFORM_INPUT))
    assert err_ours < 1e-9 < err_theirs


def test_gcoord_pairs() -> None:
    # hujiulong/gcoord test/unit/crs/GCJ02.spec.js, asserted there to 5 decimals.
    assert _close(gcj02_to_wgs84(123.0, 45.0), (122.99395597, 44.99804071), 1e-5)
    assert _close(gcj02_to_bd09(123.0, 45.0), (123.00636499, 45.00636899), 1e-8)
    assert gcj02_to_wgs84(183.0, 45.0) == (183.0, 45.0)


# ---------------------------------------------------------------- outside China


@pytest.mark.parametrize(("lon", "lat"), [
    (0.0, 0.0), (151.2093, -33.8688), (-0.1276, 51.5072), (-74.006, 40.7128),
    (139.6917, 35.6895), (100.5018, 0.5), (72.0, 30.0), (137.9, 40.0), (120.0, 56.0),
])
def test_outside_china_gcj_is_wgs(lon: float, lat: float) -> None:
    assert not in_china(lon, lat)
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert to_wgs84(lon, lat, "gcj02") == (lon, lat)


def test_in_china_box() -> None:
    assert in_china(116.4, 39.9)
    assert in_china(72.004, 0.8293) and in_china(137.8347, 55.8271)
    assert list(in_china(np.array([116.4, 0.0]), np.array([39.9, 0.0]))) == [True, False]


def test_offset_size_is_plausible() -> None:
    # GCJ-02 moves points by a few hundred metres; BD-09 adds roughly another 0.006 degrees.
    lon, lat = 116.397, 39.909
    g = wgs84_to_gcj02(lon, lat)
    metres = math.hypot((g[0] - lon) * 111_320 * math.cos(math.radians(lat)), (g[1] - lat) * 110_540)
    assert 100 < metres < 1000
    b = gcj02_to_bd09(*g)
    assert 0.004 < b[0] - g[0] < 0.009 and 0.004 < b[1] - g[1] < 0.009


# ---------------------------------------------------------------- scalars, arrays, NaN


def test_scalars_give_python_floats() -> None:
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84):
        lon, lat = fn(116.4, 39.9)
        assert type(lon) is float and type(lat) is float


def test_arrays_match_scalars_and_keep_shape() -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(73, 135, size=(4, 5))
    lat = rng.uniform(18, 53, size=(4, 5))
    lon[0, 0], lat[0, 0] = 0.0, 0.0  # mixed inside and outside China
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84):
        x, y = fn(lon, lat)
        assert x.shape == y.shape == (4, 5)
        for i in range(4):
            for j in range(5):
                sx, sy = fn(float(lon[i, j]), float(lat[i, j]))
                # iterative inverses may run more iterations for an array than for one point
                assert abs(x[i, j] - sx) < 1e-10 and abs(y[i, j] - sy) < 1e-10


def test_broadcasting_and_lists() -> None:
    x, y = wgs84_to_gcj02([116.0, 117.0, 118.0], 39.9)
    assert x.shape == y.shape == (3,)
    assert _close((float(x[1]), float(y[1])), wgs84_to_gcj02(117.0, 39.9))


def test_nan_passes_through() -> None:
    x, y = gcj02_to_wgs84(np.array([116.4, np.nan]), np.array([39.9, 39.9]))
    assert np.isnan(x[1]) and not np.isnan(x[0])
    assert y[1] == 39.9  # a NaN point is outside the box: left as it is
    lon, lat = bd09_to_wgs84(float("nan"), 39.9)
    assert math.isnan(lon) and math.isnan(lat)


def test_inverse_converges_at_the_china_box_edge() -> None:
    # The forward transform is discontinuous at the box; the inverse must still terminate.
    for lon, lat in [(72.004, 30.0), (72.01, 30.0), (137.8347, 40.0), (120.0, 55.8271)]:
        w = gcj02_to_wgs84(lon, lat)
        assert all(math.isfinite(v) for v in w)


# ---------------------------------------------------------------- to_wgs84 / convert


def test_to_wgs84_by_crs() -> None:
    w = (116.397, 39.909)
    assert to_wgs84(*w, "wgs84") == w
    assert to_wgs84(*w, "cgcs2000") == w
    assert to_wgs84(*w, "EPSG:4490") == w
    assert _close(to_wgs84(*wgs84_to_gcj02(*w), "gcj02"), w)
    assert _close(to_wgs84(*wgs84_to_bd09(*w), "BD-09"), w)
    assert _close(from_wgs84(*w, "bd09"), wgs84_to_bd09(*w))


def test_to_wgs84_arrays_are_copies() -> None:
    lon, lat = np.array([116.4]), np.array([39.9])
    x, _ = to_wgs84(lon, lat, "wgs84")
    x[0] = 0.0
    assert lon[0] == 116.4


@pytest.mark.parametrize("crs", ["mercator", "", "epsg:3857", None])
def test_unknown_crs(crs: object) -> None:
    with pytest.raises(CodeError) as info:
        to_wgs84(116.4, 39.9, crs)  # type: ignore[arg-type]
    assert (info.value.code, info.value.part) == ("unknown_crs", "crs")


@pytest.mark.parametrize("src", CRS_NAMES)
@pytest.mark.parametrize("dst", CRS_NAMES)
def test_convert_agrees_with_going_through_wgs84(src: str, dst: str) -> None:
    point = (113.264, 23.129)
    direct = convert(*point, src, dst)
    via = from_wgs84(*to_wgs84(*point, src), dst)
    assert _close(direct, via)
    assert _close(convert(*direct, dst, src), point)


# ---------------------------------------------------------------- round trips


@given(china_lon, china_lat)
def test_wgs_gcj_round_trip(lon: float, lat: float) -> None:
    assert _close(gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), (lon, lat), 1e-7)
    assert _close(wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat)), (lon, lat), 1e-7)


@given(china_lon, china_lat)
def test_gcj_bd_round_trip(lon: float, lat: float) -> None:
    assert _close(bd09_to_gcj02(*gcj02_to_bd09(lon, lat)), (lon, lat), 1e-7)
    assert _close(gcj02_to_bd09(*bd09_to_gcj02(lon, lat)), (lon, lat), 1e-7)


@given(china_lon, china_lat)
def test_wgs_bd_round_trip(lon: float, lat: float) -> None:
    assert _close(bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), (lon, lat), 1e-7)


def test_vectorised_round_trip_over_china() -> None:
    rng = np.random.default_rng(2024)
    lon, lat = rng.uniform(73, 135, 50_000), rng.uniform(18, 53.5, 50_000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert max(np.abs(back[0] - lon).max(), np.abs(back[1] - lat).max()) < 1e-7
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert max(np.abs(back[0] - lon).max(), np.abs(back[1] - lat).max()) < 1e-7
