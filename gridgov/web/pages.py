"""What every staff page shares: the logged-in user (or a redirect to login), the navigation by
role, rendering with the security headers, and page-shaped errors.

A page view is three lines::

    @router.get("/events", response_class=HTMLResponse)
    def events_page(request: Request, db: Db, user: PageUser) -> Response:
        return render(request, user, "events/list.html", nav="events", rows=...)

* ``PageUser`` redirects an anonymous browser to ``/login?next=<this page>`` (303), instead of the
  API's 401 JSON.
* ``render`` adds the header's context (user, role label, CSRF token, navigation) and
  :data:`gridgov.web.views.PAGE_HEADERS` (strict CSP, no-store).
* Raising :class:`gridgov.errors.AppError` inside a page view renders ``error.html`` with the
  error's status and Chinese message (a 403 page for a denied user), except for HTMX requests,
  which get the small ``partials/error.html`` fragment to show in place (see :func:`app_error_page`).

Navigation is data (:data:`NAV`): which entries a user sees follows from their role and
permissions, so the header, the phone menu and the tests agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gridgov.access.deps import OptionalUser
from gridgov.access.models import User
from gridgov.access.roles import Permission, Role, has_permission
from gridgov.web.i18n import catalogue, t
from gridgov.web.localtime import local_time
from gridgov.web.views import PAGE_HEADERS, role_label, templates


class LoginRequired(Exception):
    """Raised by :func:`page_user` for an anonymous browser; the app answers with a 303 to login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def page_user(request: Request, user: OptionalUser) -> User:
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    request.state.page_user = ErrorPageUser(user.id, user.username, user.display_name, user.role,
                                            user.department_id)  # so an error page raised later still shows the header
    return user


@dataclass(frozen=True)
class ErrorPageUser:
    """The user as the header of an error page needs it, read while the session is open: an error
    raised in a view rolls the request's session back and closes it, which leaves the ORM user
    expired and detached (reading ``user.role`` then fails and the 403 page became a 500)."""

    id: int
    username: str
    display_name: str | None
    role: str
    department_id: int | None


PageUser = Annotated[User, Depends(page_user)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def can(user: User | None, permission: str | Permission) -> bool:
    """May this user do ``permission`` (e.g. ``"register:read"``)? For views and templates."""
    if user is None:
        return False
    try:
        return has_permission(user.role, Permission(permission))
    except ValueError:
        return False


def has_role(user: User | None, *roles: Role) -> bool:
    return user is not None and user.role in {r.value for r in roles}


STAFF = (Role.admin, Role.operator, Role.handler, Role.grid_worker, Role.leader)


@dataclass(frozen=True)
class NavItem:
    key: str          # active_nav value of the pages under it
    url: str
    label_key: str    # i18n key
    allowed: Callable[[User], bool]


NAV: tuple[NavItem, ...] = (
    NavItem("map", "/map", "nav.map", lambda u: can(u, Permission.regions_read)),
    NavItem("events", "/events", "nav.events", lambda u: has_role(u, *STAFF)),
    NavItem("mobile", "/m", "nav.mobile", lambda u: has_role(u, Role.grid_worker)),
    NavItem("register", "/register/persons", "nav.register", lambda u: can(u, Permission.register_read)),
    NavItem("declarations", "/declarations", "nav.declarations", lambda u: can(u, Permission.declarations_review)),
    NavItem("dashboard", "/dashboard", "nav.dashboard",
            lambda u: has_role(u, Role.admin, Role.operator, Role.leader, Role.handler)),
    NavItem("screen", "/screen", "nav.screen", lambda u: has_role(u, Role.admin, Role.operator, Role.leader)),
    NavItem("inbox", "/inbox", "nav.inbox", lambda u: has_role(u, *STAFF)),
    NavItem("admin", "/admin/users", "nav.admin", lambda u: has_role(u, Role.admin)),
)


def nav_items(user: User | None) -> list[NavItem]:
    return [item for item in NAV if user is not None and item.allowed(user)]


templates.env.globals.update(nav_items=nav_items, can=can, local_time=local_time)


def base_context(request: Request, user: User | None, nav: str | None = None) -> dict[str, Any]:
    return {
        "user": user,
        "role_label": role_label(user.role) if user is not None else "",
        "csrf_token": getattr(request.state, "csrf_token", None) or "",
        "active_nav": nav,
    }


def render(request: Request, user: User | None, template: str, *, nav: str | None = None,
           status_code: int = 200, messages: tuple[str, ...] | None = None,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """Render ``template`` with the header's context and the page headers.

    ``messages``: key prefixes of the i18n catalogue the page's script needs (handed over as JSON
    in ``#i18n-catalogue``); ``None`` hands none.
    """
    ctx = base_context(request, user, nav)
    if messages is not None:
        ctx["messages"] = {k: v for k, v in catalogue().items() if k.startswith((*messages, "error."))}
    ctx.update(context)
    return templates.TemplateResponse(request, template, ctx, status_code=status_code,
                                      headers={**PAGE_HEADERS, **(headers or {})})


def require(condition: bool, message: str | None = None) -> None:
    """Deny the page (403, rendered as a page) unless ``condition`` holds."""
    from gridgov.errors import Forbidden

    if not condition:
        raise Forbidden(message or t("page.forbidden"), code="forbidden")


def wants_page(request: Request) -> bool:
    """A browser navigating to a page (not the JSON API, not an asset)."""
    path = request.url.path
    if path.startswith(("/api/", "/open311/", "/static/")):
        return False
    accept = request.headers.get("accept", "")
    return is_htmx(request) or "text/html" in accept


def error_page(request: Request, status: int, message: str, code: str) -> Response:
    """An error raised while building a page, as a page (or, for HTMX, a fragment shown in place)."""
    user = getattr(request.state, "page_user", None)
    if is_htmx(request):
        return templates.TemplateResponse(request, "partials/error.html",
                                          {"status": status, "message": message, "code": code},
                                          status_code=status, headers=PAGE_HEADERS)
    return render(request, user, "error.html", status_code=status, status=status, message=message, code=code)


def login_redirect(exc: LoginRequired) -> Response:
    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303,
                            headers={"Cache-Control": "no-store"})
