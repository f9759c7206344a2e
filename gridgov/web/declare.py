"""Self-declaration pages (自主申报): the public form and status page, the building's QR poster, and
the grid worker's review queue.

The public pages (``/declare/{token}``, ``/declare/status``) need no login: the form posts JSON to
``/api/v1/public/declare/{token}`` from ``declare.js``; the status page is rendered here (it works
without JavaScript). The staff pages (``/buildings/{id}/qr``, ``/declarations``) need a session;
the queue draws itself from ``/api/v1/declarations`` in ``declarations.js``.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gridgov import ratelimit
from gridgov.access.deps import Db, OptionalUser
from gridgov.access.models import User
from gridgov.access.roles import Permission
from gridgov.errors import AppError
from gridgov.people import declarations
from gridgov.people.service import RELATIONS
from gridgov.places.models import Building
from gridgov.places.service import building_by_token, get_building
from gridgov.web.i18n import catalogue, t
from gridgov.web.localtime import local_time
from gridgov.web.pages import can
from gridgov.web.views import PAGE_HEADERS, role_label, templates

router = APIRouter(include_in_schema=False)

TRACKING_CODE = re.compile(r"^[0-9A-Za-z]{4,32}$")
# The browser gets only the keys its page uses (the public form should not carry the staff UI's text).
PUBLIC_KEYS = ("declare.", "relation.", "error.")
QUEUE_KEYS = ("declarations.", "declare.kind_", "relation.", "error.")





def _messages(prefixes: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in catalogue().items() if k.startswith(prefixes)}


def _redirect_to_login(request: Request) -> RedirectResponse:
    """To the login form, which brings the user back here (query string included) afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here)}", status_code=303, headers={"Cache-Control": "no-store"})


def _staff_context(request: Request, user: User, active_nav: str | None = None) -> dict[str, Any]:
    return {"user": user, "role_label": role_label(user.role),
            "csrf_token": getattr(request.state, "csrf_token", None) or "", "active_nav": active_nav}


def _notice(request: Request, *, status_code: int, title: str, message: str, context: dict[str, Any] | None = None,
            ) -> HTMLResponse:
    """A friendly page for a refusal or a missing thing (never the API's JSON in a browser)."""
    return templates.TemplateResponse(
        request, "declare_error.html", {**(context or {}), "title": title, "message": message,
                                        "status_code": status_code},
        status_code=status_code, headers=PAGE_HEADERS)


# --- public pages --------------------------------------------------------------------------------
# /declare/status comes before /declare/{token}, or "status" would be taken for a token.

@router.get("/declare/status", response_class=HTMLResponse)
def declaration_status_page(request: Request, db: Db, code: str | None = None) -> Response:
    code = (code or "").strip().upper()
    result = error = None
    status_code = 200
    headers = PAGE_HEADERS
    wait = ratelimit.hit(request, "lookup") if code else 0  # the same per-IP limit as the API's look-up
    if wait:
        error, status_code = ratelimit.RateLimited(wait, "lookup").message, 429
        headers = {**PAGE_HEADERS, "Retry-After": str(wait)}
    elif code:
        if not TRACKING_CODE.fullmatch(code):
            error, status_code = t("declare.status_bad_code"), 422
        else:
            try:
                result = declarations.status(db, code)
            except AppError as exc:
                error, status_code = exc.message, exc.status
    if result is not None:
        result = {**result, "created_at": local_time(result["created_at"]),
                  "reviewed_at": local_time(result["reviewed_at"])}
    return templates.TemplateResponse(
        request, "declare_status.html", {"code": code, "result": result, "error": error},
        status_code=status_code, headers=headers)


@router.get("/declare/{token}", response_class=HTMLResponse)
def declare_form(request: Request, db: Db, token: str) -> Response:
    try:
        building = building_by_token(db, token)
    except AppError as exc:
        return _notice(request, status_code=exc.status, title=t("declare.invalid_link_title"), message=exc.message)
    context = {"building": building, "token": token, "today": date.today().isoformat(), "relations": tuple(RELATIONS),
               "messages": _messages(PUBLIC_KEYS)}
    return templates.TemplateResponse(request, "declare.html", context, headers=PAGE_HEADERS)


# --- staff pages ---------------------------------------------------------------------------------

def declare_url(request: Request, building: Building) -> str:
    """The absolute URL of a building's public form, as the phone that scans the poster will open it
    (``GRIDGOV_PUBLIC_URL`` behind a reverse proxy, else the URL this request came to)."""
    from gridgov.settings import get_settings

    base = get_settings().public_url or str(request.base_url)
    return f"{base.rstrip('/')}/declare/{building.declare_token}"


def qr_svg(url: str, *, title: str | None = None) -> str:
    """The QR code of ``url`` as an inline SVG (a viewBox and no size: CSS decides how big)."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=1, border=4, omitsize=True, light="#fff", svgclass="qr-svg", lineclass=None,
                         title=title)


def _staff_building(request: Request, db: Db, user: User | None, building_id: int) -> Building | Response:
    if user is None:
        return _redirect_to_login(request)
    try:
        return get_building(db, user, building_id)
    except AppError as exc:
        title = t("declare.forbidden_title") if exc.status == 403 else t("declare.not_found_title")
        return _notice(request, status_code=exc.status, title=title, message=exc.message,
                       context=_staff_context(request, user))


@router.get("/buildings/{building_id}/qr", response_class=HTMLResponse)
def building_qr_page(request: Request, db: Db, user: OptionalUser, building_id: int) -> Response:
    found = _staff_building(request, db, user, building_id)
    if isinstance(found, Response):
        return found
    url = declare_url(request, found)
    context = {**_staff_context(request, user), "building": found, "declare_url": url,
               "qr_svg": qr_svg(url, title=t("qr.svg_title", name=found.name))}
    return templates.TemplateResponse(request, "building_qr.html", context, headers=PAGE_HEADERS)


@router.get("/buildings/{building_id}/qr.svg")
def building_qr_svg(request: Request, db: Db, user: OptionalUser, building_id: int) -> Response:
    found = _staff_building(request, db, user, building_id)
    if isinstance(found, Response):
        return found
    qr = segno.make(declare_url(request, found), error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=10, border=4, light="#fff", title=found.name)
    filename = quote(f"{found.code}-申报二维码.svg")
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
        "Content-Disposition": f"inline; filename*=UTF-8''{filename}"})


@router.get("/declarations", response_class=HTMLResponse)
def declarations_page(request: Request, user: OptionalUser, status: str = "pending") -> Response:
    if user is None:
        return _redirect_to_login(request)
    context = _staff_context(request, user, active_nav="declarations")
    if not can(user, Permission.declarations_review.value):
        return _notice(request, status_code=403, title=t("declare.forbidden_title"),
                       message=t("declarations.no_permission"), context=context)
    if status not in ("pending", "approved", "rejected"):
        status = "pending"
    context.update(status=status, messages=_messages(QUEUE_KEYS))
    return templates.TemplateResponse(request, "declarations.html", context, headers=PAGE_HEADERS)
