"""FastAPI application factory: mounts every domain's router and the web UI."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridgov import __version__
from gridgov.db import ensure_migrated, get_engine, session_factory
from gridgov.errors import AppError
from gridgov.settings import get_settings

log = logging.getLogger("gridgov")

DESCRIPTION = """
gridgov: grid-based social governance (网格化社会治理).

Authenticate with `POST /api/v1/auth/token` (form fields `username`, `password`) and send
`Authorization: Bearer <token>`. Errors are always `{"error": {"code", "message", "details"?}}`:
`code` is machine-readable, `message` is Chinese for people.
"""

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid", 423: "locked", 429: "too_many_requests"}


def _error(status: int, code: str, message: str, details=None) -> JSONResponse:
    body = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, content={"error": body}, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    from gridgov.web.pages import LoginRequired, error_page, login_redirect, wants_page

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired):
        return login_redirect(exc)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError):
        if wants_page(request):
            return error_page(request, exc.status, exc.message, exc.code)
        return _error(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg"), "type": e.get("type")}
                   for e in exc.errors()]
        message = "请求参数有误：" + "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in details[:5])
        if wants_page(request):
            return error_page(request, 422, message, "invalid_request")
        return _error(422, "invalid_request", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "请求无法处理"
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        if exc.status_code == 404 and wants_page(request):
            return error_page(request, 404, "页面不存在", code)
        return _error(exc.status_code, code, message)


def _warm_locator(app: FastAPI) -> None:
    """Build the locate index in the background so the first locate request is fast."""
    import threading

    import numpy as np

    def warm() -> None:
        from gridgov.regions.service import locate

        try:
            with app.state.sessionmaker() as db:
                locate(db, np.array([0.0]), np.array([0.0]))
        except Exception:
            log.exception("warming the locate index failed")

    threading.Thread(target=warm, name="warm-locator", daemon=True).start()


def _start_clock(app: FastAPI):
    """The event clock sweep, in a background thread (several app workers may run it: a lease
    in the database lets one sweep at a time, see :mod:`gridgov.events.clock`)."""
    import threading

    from gridgov.events.clock import run_forever

    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app.state.sessionmaker, stop), name="event-clock",
                     daemon=True).start()
    return stop


def create_app(database_url: str | None = None, *, check_migrations: bool = True) -> FastAPI:
    engine = get_engine(database_url)
    if check_migrations:
        ensure_migrated(engine)
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from gridgov.serving import tune_gc

        tune_gc()
        _warm_locator(app)
        stop = _start_clock(app) if get_settings().event_clock_enabled else None
        yield
        if stop is not None:
            stop.set()

    app = FastAPI(lifespan=lifespan, title="gridgov API", version=__version__, description=DESCRIPTION,
                  openapi_tags=[{"name": "access", "description": "登录、用户、部门、审计"},
                                {"name": "regions", "description": "行政区划、网格、定位"},
                                {"name": "places", "description": "楼栋、房屋"},
                                {"name": "addresses", "description": "标准地址库：查询、匹配、地理编码、别名"},
                                {"name": "people", "description": "实有人口、户、单位、特殊人群、走访、自主申报审核"},
                                {"name": "events", "description": "事件：事项清单、上报、受理派遣、处置、核查、结案、评价、消息"},
                                {"name": "disputes", "description": "矛盾纠纷：当事人、调解、协议、移交、回访、三色预警、化解率"},
                                {"name": "open311", "description": "Open311 GeoReport v2：服务列表、提交与查询服务请求"},
                                {"name": "hotline", "description": "12345 热线工单：批量导入、推送接口"},
                                {"name": "stats", "description": "统计分析：事件量、状态漏斗、部门排名、化解率、走访覆盖率、大屏"},
                                {"name": "sensors", "description": "物联感知：设备登记、告警上报（自动生成事件）"},
                                {"name": "public", "description": "无需登录：随手拍、进度查询、评价、自主申报"},
                                {"name": "meta", "description": "运行状态"}])
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)
    _install_error_handlers(app)

    @app.get("/healthz", tags=["meta"], summary="Liveness probe",
             responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from gridgov.access.api import router as access_router
    from gridgov.disputes.api import router as disputes_router
    from gridgov.events.api import public as events_public_router
    from gridgov.events.api import router as events_router
    from gridgov.events.duplicates_api import router as duplicates_router
    from gridgov.events.geo_api import router as geo_router
    from gridgov.events.hotline_api import router as hotline_router
    from gridgov.events.metrics_api import router as metrics_router
    from gridgov.events.stats_api import router as stats_router
    from gridgov.open311.api import router as open311_router
    from gridgov.people.api import public as people_public_router
    from gridgov.people.api import router as people_router
    from gridgov.people.imports_api import router as imports_router
    from gridgov.places.address_api import router as addresses_router
    from gridgov.places.api import router as places_router
    from gridgov.regions.api import router as regions_router
    from gridgov.sensors.api import router as sensors_router
    from gridgov.web import STATIC_DIR
    from gridgov.web import routers as web_routers

    # the events router first: routes are matched in order, and walking ~300 of them to reach
    # POST /api/v1/events cost 12 % of a report's CPU (no path of the routers before it overlaps)
    app.include_router(events_router)
    app.include_router(access_router)
    app.include_router(regions_router)
    app.include_router(places_router)
    app.include_router(addresses_router)
    app.include_router(people_router)
    app.include_router(imports_router)
    app.include_router(people_public_router)
    app.include_router(events_public_router)
    app.include_router(hotline_router)
    app.include_router(duplicates_router)
    app.include_router(metrics_router)
    app.include_router(geo_router)
    app.include_router(stats_router)
    app.include_router(open311_router)
    app.include_router(disputes_router)
    app.include_router(sensors_router)
    for web_router in web_routers:
        app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    from gridgov.events.intake_http import IntakeFastPath

    app.add_middleware(IntakeFastPath)  # grid reports skip the router (see the module)
    return app
