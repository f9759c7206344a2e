"""OpenAPI helpers shared by the routers: the error shape, the common error responses with real
examples, JSON examples for routes that return plain dicts, and file downloads.

    @router.get("/things/{thing_id}", responses=errors(403, 422) | err(404, "thing_not_found", "…不存在")
                | ok({"id": 1, ...}))

Examples are what the tiny demo really answers (trimmed). FastAPI drops ``None`` values from the
examples when it builds ``/openapi.json``, so a required field whose example would be ``null``
is declared with a ``None`` default in its response model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable, English snake case", examples=["person_not_found"])
    message: str = Field(description="For people, in Chinese", examples=["人员不存在"])
    details: Any = Field(None, description="Optional: what exactly was wrong (per field, conflicting id, ...)")


class ErrorOut(BaseModel):
    """Every error of the API: ``{"error": {"code", "message", "details"?}}``."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error": {"code": "person_not_found", "message": "人员不存在"}}]})

    error: ErrorBody


# real answers of the tiny demo
ERROR_EXAMPLES: dict[int, dict[str, Any]] = {
    401: {"error": {"code": "not_authenticated", "message": "请先登录"}},
    403: {"error": {"code": "permission_denied", "message": "您的角色无权执行此操作"}},
    413: {"error": {"code": "too_large", "message": "文件超过 50 MB，请拆分后导入"}},
    415: {"error": {"code": "attachment_type",
                    "message": "附件类型不支持：仅接受 JPEG、PNG、WebP、HEIC 照片、PDF 和 MP4"}},
    422: {"error": {"code": "invalid_request",
                    "message": "请求参数有误：body.name: String should have at least 1 character; "
                               "body.lon: Input should be less than or equal to 180",
                    "details": [{"loc": ["body", "name"], "msg": "String should have at least 1 character",
                                 "type": "string_too_short"},
                                {"loc": ["body", "lon"], "msg": "Input should be less than or equal to 180",
                                 "type": "less_than_equal"}]}},
    423: {"error": {"code": "account_locked", "message": "登录失败次数过多，账号已锁定，请 15 分钟后再试"}},
}

ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "未登录，或令牌无效、已过期（`Authorization: Bearer <token>`）",
    403: "角色无此权限，或对象不在您的管辖范围内",
    404: "对象不存在，或不在您的权限范围内",
    409: "与现有数据冲突（已存在、版本过期、当前状态不允许）",
    413: "文件过大",
    415: "不支持的文件类型",
    422: "请求参数有误：`details` 逐项列出（字段校验失败时为 `[{loc, msg, type}]`）",
    423: "账号已锁定",
}


def error(status: int, description: str | None = None, example: dict[str, Any] | None = None,
          ) -> dict[int | str, dict[str, Any]]:
    """One documented error response in the app's error shape."""
    return {status: {"model": ErrorOut, "description": description or ERROR_DESCRIPTIONS[status],
                     "content": {"application/json": {"example": example or ERROR_EXAMPLES[status]}}}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The common error responses with their common example, e.g. ``errors(403, 422)``."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out |= error(status)
    return out


def err(status: int, code: str, message: str, description: str | None = None, details: Any = None,
        ) -> dict[int | str, dict[str, Any]]:
    """A specific error response (a 404 or 409 names what was missing or in the way)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return error(status, description, {"error": body})


def ok(example: Any, status: int = 200, description: str | None = None) -> dict[int | str, dict[str, Any]]:
    """A JSON example for a route that returns a plain dict or list (no response model)."""
    response: dict[str, Any] = {"content": {"application/json": {"example": example}}}
    if description:
        response["description"] = description
    return {status: response}


def xlsx(description: str) -> dict[int | str, dict[str, Any]]:
    """An Excel download (instead of FastAPI's default JSON)."""
    return binary(description, XLSX)


def binary(description: str, *media_types: str) -> dict[int | str, dict[str, Any]]:
    """A file download of one of ``media_types``."""
    return {200: {"description": description,
                  "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in media_types}}}
