"""API shapes of the access domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictStr

from gridgov.access.roles import Role


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class DepartmentOut(BaseModel):
    id: int
    code: str
    name: str
    region_code: str
    is_centre: bool


class DepartmentIn(BaseModel):
    code: StrictStr = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$", examples=["D211021-CG"])
    name: StrictStr = Field(min_length=1, max_length=100, examples=["辽阳县城市管理局"])
    region_code: StrictStr = Field(pattern=r"^\d{2,17}$", examples=["211021"])
    is_centre: bool = False


class UserOut(BaseModel):
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
    username: StrictStr = Field(min_length=1, max_length=64, examples=["wangge_001"])
    display_name: StrictStr | None = Field(None, max_length=100, examples=["王小明"])
    password: StrictStr = Field(min_length=8, max_length=200)
    role: Role
    scopes: list[StrictStr] = Field(default=[], examples=[["211021001001001"]])
    department_code: StrictStr | None = None


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    detail: str
    row_hash: str


class AuditVerifyOut(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
