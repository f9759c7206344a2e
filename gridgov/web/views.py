"""Web pages: login, logout and the map (一张图).

The pages are thin: they authenticate through :mod:`gridgov.access` and render templates; the map
page draws itself in the browser from the JSON API (``/api/v1/...``), same-origin with the session
cookie. Login uses a double-submit CSRF token (cookie + form field) because there is no session
yet; after login every state-changing request carries the session's own CSRF token, checked by
:func:`gridgov.access.deps.optional_user`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gridgov.access import service
from gridgov.access.deps import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Db, OptionalUser
from gridgov.access.roles import ROLE_LABELS, Permission, Role, has_permission
from gridgov.errors import AppError
from gridgov.settings import get_settings
from gridgov.web.i18n import catalogue, level_label, t

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"
DEFAULT_NEXT = "/map"

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

# Pages load nothing from anywhere else: scripts, styles, images and API calls are same-origin.
# (Leaflet positions its panes through the CSSOM, which style-src does not restrict.)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@lru_cache(maxsize=256)
def _static_digest(path: str) -> str:
    file = (STATIC_DIR / path).resolve()
    if not file.is_relative_to(STATIC_DIR) or not file.is_file():
        return "0"
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: browsers may cache assets and still see new versions."""
    return f"/static/{path}?v={_static_digest(path)}"


templates.env.globals.update(t=t, static_url=static_url, level_label=level_label)


def safe_next(target: str | None) -> str:
    """Only local absolute paths: never ``//host`` or ``/\\host`` (an open redirect), nor schemes."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return DEFAULT_NEXT
    return target


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _set_login_csrf(response: Response, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE, value, httponly=True, samesite="lax", secure=get_settings().cookie_secure,
        path="/login", max_age=2 * 3600,
    )


def _login_page(
    request: Request, *, next_url: str, csrf: str, error: str | None = None, username: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, "login.html",
        {"login_csrf": csrf, "next": next_url, "error": error, "username": username},
        status_code=status_code, headers=PAGE_HEADERS,
    )
    _set_login_csrf(response, csrf)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    next_url = safe_next(next)
    if user is not None:
        return _redirect(next_url)
    # Re-use a still-present token so two open login tabs do not invalidate each other.
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    return _login_page(request, next_url=next_url, csrf=csrf)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: Db,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    next_url = safe_next(next)
    username = username.strip()
    cookie_csrf = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie_csrf or not csrf_token or not hmac.compare_digest(cookie_csrf, csrf_token):
        return _login_page(request, next_url=next_url, csrf=secrets.token_urlsafe(24),
                           error=t("login.csrf_failed"), username=username, status_code=403)
    if not username or not password:
        return _login_page(request, next_url=next_url, csrf=cookie_csrf, error=t("login.missing"),
                           username=username, status_code=422)
    try:
        user = service.authenticate(db, username, password)
    except AppError as exc:
        db.commit()  # the failure counter and the audit entry must outlive this request
        return _login_page(request, next_url=next_url, csrf=cookie_csrf, error=exc.message,
                           username=username, status_code=exc.status)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        service.close_session(db, previous)
    token, _csrf, max_age = service.open_session(db, user, "web")
    db.commit()  # the session row must exist before the browser follows the redirect
    response = _redirect(next_url)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=get_settings().cookie_secure,
        max_age=max_age, path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, db: Db, user: OptionalUser) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and user is not None:
        service.close_session(db, cookie)
        db.commit()
    response = _redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(user: OptionalUser) -> Response:
    return _redirect(DEFAULT_NEXT if user is not None else "/login")


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, user: OptionalUser) -> Response:
    if user is None:
        return _redirect(f"/login?next={quote(DEFAULT_NEXT)}")
    context = {
        "user": user,
        "role_label": role_label(user.role),
        "csrf_token": getattr(request.state, "csrf_token", None) or "",
        "messages": catalogue(),
        "active_nav": "map",
        "can_population": has_permission(user.role, Permission.register_read),
    }
    return templates.TemplateResponse(request, "map.html", context, headers=PAGE_HEADERS)
