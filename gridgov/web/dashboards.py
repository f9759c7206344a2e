"""Web pages: the dashboard (统计分析, /dashboard) and the centre's big screen (大屏, /screen).

Both pages are shells: the figures come from the JSON API (``/api/v1/stats/...``, see
:mod:`gridgov.events.stats_api`) which the page scripts (``static/js/dashboard.js``,
``static/js/screen.js``) call with the session cookie. The view checks the role and the query
(period, dates, region — a bad one is a 422 page, a region outside the scope a 403 page) through
the same service functions the API uses, and hands the starting state to the script as JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gridgov.access.deps import Db
from gridgov.access.roles import Role
from gridgov.events import stats, stats_service
from gridgov.web.i18n import t
from gridgov.web.pages import PageUser, has_role, render, require

router = APIRouter(include_in_schema=False)

DASHBOARD_ROLES = (Role.admin, Role.operator, Role.leader, Role.handler)
SCREEN_ROLES = (Role.admin, Role.operator, Role.leader)
#: how often the big screen asks for fresh figures (the brief: every 30–60 s)
SCREEN_REFRESH_SECONDS = 30


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    db: Db,
    user: PageUser,
    period: Literal["7d", "30d", "year", "custom"] = "30d",
    since: date | None = None,
    until: date | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,3}$")] = None,
) -> Response:
    require(has_role(user, *DASHBOARD_ROLES), t("dashboard.forbidden"))
    q = stats_service.resolve(
        db, user, stats_service.make_query(period, since=since, until=until, region=region)
    )
    init = {
        "period": q.days.period,
        "since": q.days.first.isoformat(),
        "until": q.days.last.isoformat(),
        "region": q.region,
        "home": stats_service.default_region(db, user),
        "periods": stats.PERIODS,
        "visits": user.role != Role.handler.value,
        "user": user.username,
    }
    return render(request, user, "dashboard/index.html", nav="dashboard", messages=("dashboard.",), init=init,
                  periods=stats.PERIODS, period=q.days.period, first=q.days.first, last=q.days.last)


@router.get("/screen", response_class=HTMLResponse)
def screen_page(
    request: Request,
    db: Db,
    user: PageUser,
    region: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,3}$")] = None,
    refresh: Annotated[int, Query(ge=5, le=600, description="seconds between updates")] = SCREEN_REFRESH_SECONDS,
) -> Response:
    require(has_role(user, *SCREEN_ROLES), t("screen.forbidden"))
    q = stats_service.resolve(db, user, stats_service.make_query("30d", region=region))
    ctx = stats_service.context(db, user, q)
    init = {"region": q.region, "region_name": ctx["region_name"], "refresh": refresh}
    return render(request, user, "dashboard/screen.html", nav="screen", messages=("screen.",), init=init,
                  region_name=ctx["region_name"])
