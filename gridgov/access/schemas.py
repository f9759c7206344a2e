"""API shapes of the access domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gridgov.access.roles import Role


class TokenOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "access_token": "RG20_qC5SOtz9zoQ_pizfKYAdeBSRA4xl2D_KCwnTjU", "token_type": "bearer", "expires_in": 86400}]})

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class DepartmentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 14, "code": "211021-CG", "name": "辽阳县城市管理综合行政执法局", "region_code": "211021", "is_centre": False}]})

    id: int
    code: str
    name: str
    region_code: str
    is_centre: bool


class DepartmentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "211021-ZJZX", "name": "辽阳县住建局物业服务中心", "region_code": "211021", "is_centre": False}]})

    code: StrictStr = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$", examples=["D211021-CG"])
    name: StrictStr = Field(min_length=1, max_length=100, examples=["辽阳县城市管理局"])
    region_code: StrictStr = Field(pattern=r"^\d{2,17}$", examples=["211021"])
    is_centre: bool = False


class UserOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 2, "username": "operator", "display_name": "中心坐席 李娜", "role": "operator", "role_label": "中心坐席",
        "department": {"id": 2, "code": "211021-ZZ", "name": "辽阳县社会治理综合服务中心（综治中心）",
                       "region_code": "211021", "is_centre": True},
        "scopes": ["211021"], "active": True,
        "permissions": ["declarations:review", "personal:reveal", "regions:read", "register:export", "register:import",
                        "register:read", "register:write", "users:read"]}]})

    id: int
    username: str
    display_name: str
    role: Role
    role_label: str
    department: DepartmentOut | None = None
    scopes: list[str]
    active: bool
    permissions: list[str] = []


class UserIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "wangge_901", "display_name": "王小明", "password": "Gridgov#2026x", "role": "grid_worker",
        "scopes": ["211021001001001"]}]})

    username: StrictStr = Field(min_length=1, max_length=64, examples=["wangge_001"])
    display_name: StrictStr | None = Field(None, max_length=100, examples=["王小明"])
    password: StrictStr = Field(min_length=8, max_length=200)
    role: Role
    scopes: list[StrictStr] = Field(default=[], examples=[["211021001001001"]])
    department_code: StrictStr | None = None


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "seq": 17, "at": "2026-12-01T21:46:15.569260Z", "actor_name": "admin", "action": "user.create",
        "object_type": "user", "object_id": "18", "detail": "{}",
        "row_hash": "ea5ca1ac91285fccb8bc86b0ff6e693e4a7b2c6e59cf7c1d4599fbc9ee948416"}]})

    seq: int
    at: datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    detail: str
    row_hash: str


class AuditVerifyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ok": True, "checked": 18, "first_broken_seq": None, "reason": None}]})

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


class UserPatch(BaseModel):
    """Only the fields sent are changed; ``department_code: ""`` (or null) removes the department."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "role": "grid_worker", "scopes": ["211021001001002"], "active": True}]})

    display_name: StrictStr | None = Field(None, min_length=1, max_length=100, examples=["王小明"])
    role: Role | None = None
    scopes: list[StrictStr] | None = Field(None, max_length=50, examples=[["211021001001002"]])
    department_code: StrictStr | None = Field(None, max_length=32, examples=["211021-CG"])
    active: bool | None = Field(None, strict=True, description="false deactivates the user and ends their sessions")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"password": "Gridgov#2027y"}]})

    password: StrictStr = Field(min_length=8, max_length=200)
