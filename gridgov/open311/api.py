"""Open311 GeoReport v2 over HTTP: ``/open311/discovery.{json|xml}`` and ``/open311/v2/...``.

The format is the resource's suffix (``services.xml``, ``requests/SJ….json``), as the spec says.
Every error on these paths — bad arguments, a wrong key, unknown resources, even a malformed form
body — answers in the spec's error document (``[{"code", "description"}]`` or ``<errors>``) in
the format asked for, with 400 / 403 / 404 as the spec prescribes; the database work of a failed
request is rolled back before the answer is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridgov.access.deps import Db
from gridgov.errors import AppError, NotFound
from gridgov.open311 import formats, service
from gridgov.settings import get_settings

PASSTHROUGH = {403, 404, 409, 413, 429}  # every other refusal is the spec's general 400


def error_response(request: Request, status: int, descriptions: list[str]) -> Response:
    fmt = "json" if request.url.path.lower().endswith(".json") else "xml"
    status = status if status in PASSTHROUGH else 403 if status == 401 else 400
    root, body = formats.errors_body([(status, d) for d in descriptions])
    return Response(formats.render(fmt, root, body), status_code=status, media_type=formats.FORMATS[fmt])


class Open311Route(APIRoute):
    """Answers refusals itself, in the spec's error format (the app's handlers speak ours)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as exc:
                problems = exc.details.get("problems") if isinstance(exc.details, dict) else None
                return error_response(request, exc.status, problems or [exc.message])
            except RequestValidationError as exc:
                return error_response(
                    request,
                    400,
                    [
                        f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}：{e.get('msg')}"
                        for e in exc.errors()[:5]
                    ],
                )
            except StarletteHTTPException as exc:
                detail = exc.detail if isinstance(exc.detail, str) else "请求无法处理"
                return error_response(request, exc.status_code, [detail])

        return route_handler


router = APIRouter(prefix="/open311", tags=["open311"], route_class=Open311Route)

Fmt = Annotated[
    str,
    Path(description="Response format: `json` or `xml` (the resource's suffix)", examples=["json", "xml"]),
]
Jurisdiction = Annotated[
    str | None,
    Query(
        description="Only needed by servers of several jurisdictions; "
        "when configured, another value is a 404",
        examples=["gridgov.example.cn"],
    ),
]


def _format(fmt: str) -> str:
    f = fmt.lower()
    if f not in formats.FORMATS:
        raise service.bad(f"format：不支持的格式「{fmt[:10]}」，请用 .json 或 .xml")
    return f


def _answer(
    fmt: str, root: str, value: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        formats.render(fmt, root, value), status_code=status, media_type=formats.FORMATS[fmt], headers=headers
    )


# --- OpenAPI documentation ------------------------------------------------------------------


def _docs(root: str, example: Any, *errors: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "OK (JSON or XML by the suffix)",
            "content": {
                "application/json": {"example": example},
                "text/xml": {
                    "schema": {"type": "string"},
                    "example": formats.render_xml(root, example).decode(),
                },
            },
        }
    }
    texts = {
        400: "Missing or invalid argument (each problem one error)",
        403: "Missing or invalid api_key",
        404: "Unknown service, request, token or jurisdiction",
        409: "Idempotency-Key reused with other content",
    }
    for status in (400, *errors):
        body = [{"code": status, "description": texts[status]}]
        out[status] = {
            "description": texts[status],
            "content": {
                "application/json": {"example": body},
                "text/xml": {
                    "schema": {"type": "string"},
                    "example": formats.render_xml("errors", body).decode(),
                },
            },
        }
    return out


SERVICE = {
    "service_code": "SR001",
    "service_name": "占道经营",
    "description": "沿街摊贩占用道路、人行道经营",
    "metadata": False,
    "type": "realtime",
    "keywords": "摆摊, 流动摊贩",
    "group": "市容环境",
}
REQUEST = {
    "service_request_id": "SJ202611250000123",
    "status": "open",
    "status_notes": "处置中",
    "service_name": "占道经营",
    "service_code": "SR001",
    "description": "人民路12号门前占道经营，影响通行",
    "agency_responsible": "县城市管理综合执法局",
    "service_notice": None,
    "requested_datetime": "2026-11-25T09:30:00+08:00",
    "updated_datetime": "2026-11-25T10:02:11+08:00",
    "expected_datetime": "2026-11-27T17:30:00+08:00",
    "address": "人民路12号",
    "address_id": None,
    "zipcode": None,
    "lat": 41.2705,
    "long": 123.0412,
    "media_url": "https://example.cn/p/1.jpg",
}
CREATED = {
    "service_request_id": "SJ202611250000123",
    "account_id": None,
    "service_notice": "已登记为 SJ202611250000123。查询码 K7QM2XW9PA：凭查询码可查询办理进度，办结后可评价。",
}
POST_SCHEMA = {
    "type": "object",
    "properties": {
        "api_key": {
            "type": "string",
            "description": "Required (403 without a valid one); may also be a query parameter",
        },
        "jurisdiction_id": {"type": "string"},
        "service_code": {"type": "string", "description": "Required: a code from services.json"},
        "lat": {"type": "number", "description": "WGS84; with long, or give address_string / address_id"},
        "long": {"type": "number"},
        "address_string": {
            "type": "string",
            "maxLength": 200,
            "description": "Located in the standard address library",
        },
        "address_id": {"type": "string", "maxLength": 32, "description": "A standard address code (A…)"},
        "email": {"type": "string"},
        "device_id": {"type": "string"},
        "account_id": {"type": "string"},
        "first_name": {"type": "string", "maxLength": 30},
        "last_name": {"type": "string", "maxLength": 30},
        "phone": {"type": "string", "maxLength": 20},
        "description": {"type": "string", "minLength": 2, "maxLength": 4000, "description": "Required here"},
        "media_url": {"type": "string", "maxLength": 500, "description": "http(s) URL of a photo"},
    },
}
POST_EXAMPLE = {
    "api_key": "o311_xxxxxxxx",
    "service_code": "SR001",
    "lat": 41.2705,
    "long": 123.0412,
    "description": "人民路12号门前占道经营，影响通行",
    "media_url": "https://example.cn/p/1.jpg",
}
POST_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {"schema": POST_SCHEMA, "example": POST_EXAMPLE},
            "application/json": {"schema": POST_SCHEMA, "example": POST_EXAMPLE},
        },
    }
}
DISCOVERY = {
    "changeset": "2026-11-25T08:00:00+08:00",
    "contact": "请联系本级社会治理综合服务中心（综治中心）",
    "key_service": "向本级综治中心申请 api_key",
    "endpoints": [
        {
            "specification": service.SPECIFICATION,
            "url": "https://grid.example.gov.cn/open311/v2",
            "changeset": "2026-11-25T08:00:00+08:00",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
    ],
}


# --- discovery ------------------------------------------------------------------------------


def _discovery(fmt: str, request: Request, db: Db) -> Response:
    f = _format(fmt)
    base = get_settings().public_url or str(request.base_url)
    return _answer(f, "discovery", service.discovery(db, base))


@router.get(
    "/discovery.{fmt}",
    summary="Service discovery: the endpoint, its formats and how to get a key",
    responses=_docs("discovery", DISCOVERY),
)
def discovery(fmt: Fmt, request: Request, db: Db) -> Response:
    return _discovery(fmt, request, db)


@router.get(
    "/v2/discovery.{fmt}",
    summary="Service discovery (also under the endpoint itself)",
    responses=_docs("discovery", DISCOVERY),
)
def discovery_v2(fmt: Fmt, request: Request, db: Db) -> Response:
    return _discovery(fmt, request, db)


# --- services -------------------------------------------------------------------------------


@router.get(
    "/v2/services.{fmt}",
    summary="GET Service List: the public catalog items one can report",
    responses=_docs("services", [SERVICE], 404),
)
def services(fmt: Fmt, db: Db, jurisdiction_id: Jurisdiction = None) -> Response:
    f = _format(fmt)
    service.check_jurisdiction(jurisdiction_id)
    return _answer(f, "services", service.services(db))


@router.get(
    "/v2/services/{service_code}.{fmt}",
    summary="GET Service Definition (no attributes beyond the core)",
    responses=_docs("service_definition", {"service_code": "SR001", "attributes": []}, 404),
)
def service_definition(
    service_code: Annotated[str, Path(examples=["SR001"])],
    fmt: Fmt,
    db: Db,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    f = _format(fmt)
    service.check_jurisdiction(jurisdiction_id)
    return _answer(f, "service_definition", service.service_definition(db, service_code))


# --- requests -------------------------------------------------------------------------------


async def post_fields(request: Request) -> dict[str, str]:
    """The request's arguments: the query string, overridden by a form-encoded (the spec's),
    multipart or JSON body. An argument given twice with different values is a 400."""
    fields: dict[str, str] = {k: v for k, v in request.query_params.items() if v != ""}
    body = await request.body()
    if not body.strip():
        return fields
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    items: list[tuple[str, str]] = []
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise service.bad("body：不是有效的 JSON") from None
        if not isinstance(data, dict):
            raise service.bad("body：JSON 须为一个对象（字段名 → 值）")
        for k, v in data.items():
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, str | int | float):
                raise service.bad(f"{k[:40]}：须为字符串或数字")
            items.append((k, v if isinstance(v, str) else str(v)))
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for k, v in form.multi_items():
            if not isinstance(v, str):
                raise service.bad(f"{k[:40]}：不支持上传文件，请以 media_url 提供图片网址")
            items.append((k, v))
    else:
        raise service.bad(
            f"Content-Type：不支持「{ctype[:60]}」，请以 application/x-www-form-urlencoded 提交"
        )
    seen: dict[str, str] = {}
    for k, v in items:
        if v == "":
            continue
        if k in seen and seen[k] != v and k in service.POST_FIELDS:
            raise service.bad(f"{k}：提供了多个不同的值")
        seen[k] = v
    return {**fields, **seen}


@router.post(
    "/v2/requests.{fmt}",
    summary="POST Service Request: report a problem (needs an api_key)",
    description="Form-encoded (the spec) or JSON. Location: `lat`+`long`, or `address_string`, or "
    "`address_id` (standard address code); it must lie inside the territory. `description` is required "
    "here (2–4000 characters). Send `Idempotency-Key` to make retries safe. The reporter's name, phone "
    "and e-mail are never published.",
    responses=_docs("service_requests", [CREATED], 403, 404, 409),
    openapi_extra=POST_BODY,
)
def create_request(
    fmt: Fmt,
    db: Db,
    fields: Annotated[dict[str, str], Depends(post_fields)],
    idempotency_key: Annotated[
        str | None,
        Header(description="Optional, 8–48 characters: a retry with the same key returns the first request"),
    ] = None,
) -> Response:
    f = _format(fmt)
    row, created = service.submit(db, fields, idempotency_key)
    return _answer(f, "service_requests", [row], headers=None if created else {"Idempotent-Replay": "true"})


@router.get(
    "/v2/requests.{fmt}",
    summary="GET Service Requests: public requests, newest first (≤ 90 days, ≤ 1000)",
    description="Requests reported by the public (Open311 and the resident page), never disputes, "
    "without any reporter data; in the sensitive categories (平安建设, 矛盾纠纷, 治安隐患, 特殊人群) "
    "without description, place or media. `service_request_id` (comma list) overrides the other "
    "filters. Dates in W3C format (`2026-11-01T00:00:00+08:00`, `2026-11-01`).",
    responses=_docs("service_requests", [REQUEST], 404),
)
def list_requests(
    fmt: Fmt,
    db: Db,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[list[str] | None, Query(description="Comma list of ids")] = None,
    service_code: Annotated[list[str] | None, Query(description="Comma list of service codes")] = None,
    start_date: Annotated[
        list[str] | None, Query(description="W3C date-time", examples=["2026-11-01T00:00:00Z"])
    ] = None,
    end_date: Annotated[
        list[str] | None, Query(description="W3C date-time", examples=["2026-11-30T00:00:00Z"])
    ] = None,
    status: Annotated[list[str] | None, Query(description="open, closed or both (comma list)")] = None,
) -> Response:
    f = _format(fmt)
    service.check_jurisdiction(jurisdiction_id)
    rows = service.search(
        db,
        service_request_id=service_request_id,
        service_code=service_code,
        status=status,
        start_date=start_date,
        end_date=end_date,
    )
    return _answer(f, "service_requests", rows)


@router.get(
    "/v2/requests/{service_request_id}.{fmt}",
    summary="GET Service Request: one public request",
    responses=_docs("service_requests", [REQUEST], 404),
)
def get_request(
    service_request_id: Annotated[str, Path(examples=["SJ202611250000123"])],
    fmt: Fmt,
    db: Db,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    f = _format(fmt)
    service.check_jurisdiction(jurisdiction_id)
    return _answer(f, "service_requests", service.one(db, service_request_id))


@router.get(
    "/v2/tokens/{token_id}.{fmt}",
    summary="GET service_request_id from a token (never issued: 404)",
    responses=_docs("service_requests", [{"service_request_id": "SJ202611250000123", "token": "1"}], 404),
)
def get_token(
    token_id: Annotated[str, Path(examples=["123456"])],
    fmt: Fmt,
    db: Db,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    f = _format(fmt)
    service.check_jurisdiction(jurisdiction_id)
    return _answer(f, "service_requests", service.token(db, token_id))


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown(rest: str) -> Response:
    raise NotFound(
        f"没有这个 Open311 资源：/open311/{rest[:80]}（见 /open311/discovery.xml）", code="open311_not_found"
    )
