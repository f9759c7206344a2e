"""Small hand-made GeoJSON collections for import tests: a county of squares."""

from __future__ import annotations

import copy

X0, Y0, D = 116.40, 39.90, 0.01  # a 0.04° × 0.02° county near Beijing, cells of 0.01°


def square(x, y, w=D, h=D):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]}


def feature(code, name, geometry, **props):
    return {"type": "Feature", "properties": {"code": code, "name": name, **props}, "geometry": geometry}


def county_collection() -> dict:
    """County 110101 → 2 streets → 1 community each → 2 grids each → 2 micro-grids each."""
    f = [feature("11", "北京市", None), feature("1101", "市辖区", None),
         feature("110101", "东城区", square(X0, Y0, 4 * D, 2 * D))]
    for s in range(2):
        street = f"110101{s + 1:03d}"
        sx = X0 + s * 2 * D
        f.append(feature(street, f"第{s + 1}街道", square(sx, Y0, 2 * D, 2 * D)))
        community = f"{street}001"
        f.append(feature(community, f"第{s + 1}社区", square(sx, Y0, 2 * D, 2 * D)))
        for g in range(2):
            grid = f"{community}{g + 1:03d}"
            gx = sx + g * D
            f.append(feature(grid, f"第{g + 1}网格", square(gx, Y0, D, 2 * D)))
            for m in range(2):
                f.append(feature(f"{grid}{m + 1:02d}", f"第{m + 1}微网格", square(gx, Y0 + m * D, D, D)))
    f.append(feature("110101001001500", "第一中学专属网格", square(X0 + 0.002, Y0 + 0.002, 0.003, 0.003),
                     exclusive_type="school"))
    return {"type": "FeatureCollection", "features": f}


def with_change(fc: dict, code: str, **changes) -> dict:
    out = copy.deepcopy(fc)
    for feat in out["features"]:
        if feat["properties"]["code"] == code:
            for k, v in changes.items():
                if k == "geometry":
                    feat["geometry"] = v
                else:
                    feat["properties"][k] = v
    return out
