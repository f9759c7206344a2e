"""The resident's public pages (no login, phone-first): 随手拍 report, follow a report by its
tracking code, rate the result.

* ``/report`` — the form; ``resident.js`` uploads the photo to ``/api/v1/public/attachments`` and
  posts the report to ``/api/v1/public/reports`` (anonymous: no cookie is sent), then shows the
  tracking code. The map draws the county's streets and communities from ``/report/areas.json``
  (the region API needs a login; this route gives only outlines and names, simplified).
* ``/track`` and ``/track/{code}`` — rendered here from :func:`gridgov.events.service.public_view`
  (no staff names), counted against the public look-up rate limit like the declaration status page.
* ``POST /track/{code}/rating`` — a plain form (works without JavaScript) into
  :func:`gridgov.events.service.rate_by_tracking_code`.
"""

from __future__ import annotations

import re
import threading
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select

from gridgov import ratelimit
from gridgov.access.deps import Db
from gridgov.errors import AppError, Invalid
from gridgov.events import catalog, service
from gridgov.events.service import RATINGS
from gridgov.events.workflow import State
from gridgov.regions.models import Region
from gridgov.settings import get_settings
from gridgov.web.declare import local_time
from gridgov.web.i18n import catalogue, t
from gridgov.web.views import PAGE_HEADERS, templates

router = APIRouter(include_in_schema=False)

#: the short, resident-friendly list of the report form (catalog item codes; names come from the
#: current catalog, items missing from it or not public there are left out). The last one is
#: "anything else". The API behind the form (POST /api/v1/public/reports) takes public items only.
RESIDENT_ITEMS = ("CG001", "CG005", "CG012", "CG013", "CG014", "CG021", "CG020", "CG024", "ZA020", "XF001",
                  "XF003", "WY007", "MS011", "MS014", "HB002", "QT006")
OTHER_ITEM = "QT006"
TRACKING_CODE = re.compile(r"^[0-9A-Za-z]{6,16}$")
AREA_LEVELS = ("county", "street", "community")
AREA_TOLERANCE = 0.0002  # degrees (about 20 m): outlines for tapping a point, not for surveying


def _messages() -> dict[str, str]:
    return {k: v for k, v in catalogue().items() if k.startswith(("resident.", "error."))}


def _page(request: Request, template: str, status_code: int = 200, headers: dict[str, str] | None = None,
          **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"messages": _messages(), **context},
                                      status_code=status_code, headers={**PAGE_HEADERS, **(headers or {})})


def resident_items(db: Db) -> list[dict[str, Any]]:
    out = []
    for code in RESIDENT_ITEMS:
        try:
            _, item = catalog.current_public_item(db, code)
        except AppError:
            continue
        name = t("resident.cat_other") if code == OTHER_ITEM else item.name
        out.append({"code": item.code, "name": name})
    return out


# --- report ---------------------------------------------------------------------------------------

@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, db: Db) -> Response:
    config = {"max_bytes": get_settings().attachment_max_bytes}
    return _page(request, "resident/report.html", items=resident_items(db), config=config)


_AREAS: dict[tuple, dict[str, Any]] = {}
_AREAS_LOCK = threading.Lock()


def _areas(db: Db) -> dict[str, Any]:
    """The current county, street and community outlines (simplified), cached per boundary generation."""
    key = tuple(db.execute(select(func.max(Region.id), func.count(Region.valid_to))).one())
    with _AREAS_LOCK:
        found = _AREAS.get(key)
    if found is not None:
        return found
    rows = db.execute(select(Region.code, Region.name, Region.level, Region.geometry).where(
        Region.valid_to.is_(None), Region.geometry.isnot(None), Region.level.in_(AREA_LEVELS))
        .order_by(func.length(Region.code), Region.code)).all()
    features = []
    if rows:
        geoms = shapely.simplify(shapely.from_wkb([r.geometry for r in rows]), AREA_TOLERANCE, preserve_topology=True)
        geoms = shapely.set_precision(geoms, AREA_TOLERANCE / 4)
        for r, g in zip(rows, geoms):
            if g is None or g.is_empty:
                continue
            features.append({"type": "Feature", "geometry": shapely.geometry.mapping(g),
                             "properties": {"code": r.code, "name": r.name, "level": r.level}})
    out = {"type": "FeatureCollection", "features": features}
    with _AREAS_LOCK:
        _AREAS.clear()
        _AREAS[key] = out
    return out


@router.get("/report/areas.json")
def areas(db: Db) -> Response:
    """Public outlines for the report map: counties, streets and communities with their names only."""
    return JSONResponse(_areas(db), headers={"Cache-Control": "public, max-age=300",
                                             "X-Content-Type-Options": "nosniff"})


# --- tracking and rating ----------------------------------------------------------------------------

def _track_context(db: Db, code: str) -> dict[str, Any]:
    view = service.public_view(db, service.by_tracking_code(db, code))
    steps = [{**s, "at_local": local_time(s["at"])} for s in view["steps"]]
    merged = view.get("merged_into")
    return {"view": view, "steps": list(reversed(steps)), "created_local": local_time(view["created_at"]),
            "closed_local": local_time(view.get("closed_at")), "merged": merged,
            "can_rate": view["state"] == State.closed.value and not view.get("rating"),
            "ratings": RATINGS}


def _limited(request: Request) -> HTMLResponse | None:
    wait = ratelimit.hit(request, "lookup")
    if not wait:
        return None
    return _page(request, "resident/track.html", status_code=429, headers={"Retry-After": str(wait)},
                 code="", error=t("resident.rate_limited", seconds=wait), error_title=t("resident.rate_limited_title"))


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, code: str | None = None) -> Response:
    code = (code or "").strip().upper()
    if not code:
        return _page(request, "resident/track.html", code="")
    if not TRACKING_CODE.fullmatch(code):
        return _page(request, "resident/track.html", status_code=422, code=code,
                     error=t("resident.track_bad_code"), error_title=t("resident.track_bad_code_title"))
    return RedirectResponse(f"/track/{code}", status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/track/{code}", response_class=HTMLResponse)
def track_page(request: Request, db: Db, code: str, rated: int = 0) -> Response:
    code = code.strip().upper()
    refused = _limited(request)
    if refused is not None:
        return refused
    if not TRACKING_CODE.fullmatch(code):
        return _page(request, "resident/track.html", status_code=422, code=code[:16],
                     error=t("resident.track_bad_code"), error_title=t("resident.track_bad_code_title"))
    try:
        context = _track_context(db, code)
    except AppError as exc:
        return _page(request, "resident/track.html", status_code=exc.status, code=code,
                     error=t("resident.track_not_found") if exc.status == 404 else exc.message,
                     error_title=t("resident.track_not_found_title"))
    return _page(request, "resident/track.html", code=code, rated=bool(rated), **context)


@router.post("/track/{code}/rating", response_class=HTMLResponse)
def rate(request: Request, db: Db, code: str,
         rating: Annotated[str, Form(max_length=16)] = "",
         comment: Annotated[str | None, Form(max_length=500)] = None) -> Response:
    code = code.strip().upper()
    refused = _limited(request)
    if refused is not None:
        return refused
    try:
        if not TRACKING_CODE.fullmatch(code):
            raise Invalid(t("resident.track_bad_code"), code="invalid_tracking_code")
        if rating not in RATINGS:
            raise Invalid(t("resident.rating_required"), code="invalid_rating")
        service.rate_by_tracking_code(db, code, rating, (comment or "").strip() or None)
    except AppError as exc:
        db.rollback()
        try:
            context = _track_context(db, code)
        except AppError:
            return _page(request, "resident/track.html", status_code=exc.status, code=code[:16],
                         error=exc.message, error_title=t("resident.track_not_found_title"))
        return _page(request, "resident/track.html", status_code=exc.status, code=code, rating_error=exc.message,
                     chosen=rating, comment=comment or "", **context)
    return RedirectResponse(f"/track/{code}?rated=1", status_code=303, headers={"Cache-Control": "no-store"})
