"""HTTP API of the access domain: tokens, the current user, users, departments, audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy import select

from gridgov.access import audit, service
from gridgov.access.deps import CurrentUser, Db
from gridgov.access.models import AuditEntry, User
from gridgov.access.roles import ROLE_LABELS, ROLE_PERMISSIONS, Permission, Role
from gridgov.access.schemas import (
    AuditEntryOut,
    AuditVerifyOut,
    DepartmentIn,
    DepartmentOut,
    PasswordIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from gridgov.errors import AppError
from gridgov.openapi import err, error, errors

router = APIRouter(prefix="/api/v1", tags=["access"], responses=errors(401))


def user_out(user: User) -> dict:
    d = user.department
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
        "role_label": ROLE_LABELS[Role(user.role)], "scopes": sorted(user.region_codes), "active": user.active,
        "department": None if d is None else {"id": d.id, "code": d.code, "name": d.name,
                                               "region_code": d.region_code, "is_centre": d.is_centre},
        "permissions": sorted(p.value for p in ROLE_PERMISSIONS[Role(user.role)]),
    }


@router.post("/auth/token", response_model=TokenOut, summary="Get a bearer token (OAuth2 password form)",
             responses=err(401, "bad_credentials", "用户名或密码错误", "用户名或密码错误") | error(423) | errors(422))
def issue_token(db: Db, username: Annotated[str, Form(max_length=64)],
                password: Annotated[str, Form(max_length=200)]):
    try:
        user = service.authenticate(db, username, password)
    except AppError:
        db.commit()  # keep the failure count and its audit row
        raise
    token, _, seconds = service.open_session(db, user, "api")
    return {"access_token": token, "token_type": "bearer", "expires_in": seconds}


@router.post("/auth/logout", status_code=204, summary="Revoke the bearer token or web session in use")
def logout(request: Request, db: Db, user: CurrentUser) -> None:
    auth = request.headers.get("authorization", "")
    token = auth.partition(" ")[2].strip() if auth else request.cookies.get("gridgov_session", "")
    service.close_session(db, token)


@router.get("/auth/me", response_model=UserOut, summary="The current user, role, scope and permissions")
def me(user: CurrentUser):
    return user_out(user)


@router.get("/users", response_model=list[UserOut], summary="Users whose scope lies in yours")
def list_users(db: Db, user: CurrentUser):
    return [user_out(u) for u in service.list_users(db, user)]


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user (admin)",
             responses=errors(403, 422) | err(409, "user_exists", "用户名 admin 已存在", "用户名已存在"))
def create_user(body: UserIn, db: Db, user: CurrentUser):
    service.require_permission(user, Permission.users_manage)
    created = service.create_user(db, user, username=body.username, password=body.password, role=body.role,
                                  display_name=body.display_name, scopes=body.scopes,
                                  department_code=body.department_code)
    return user_out(created)


_NO_USER = err(404, "user_not_found", "用户不存在", "没有这个用户")


@router.patch("/users/{user_id}", response_model=UserOut, summary="Change a user's name, role, scope, department "
              "or active flag (admin)",
              responses=errors(403, 422) | _NO_USER | err(409, "cannot_deactivate_self", "不能停用自己的账号",
                                                           "管理员不能停用自己或取消自己的管理员角色"))
def update_user(user_id: int, body: UserPatch, db: Db, user: CurrentUser):
    service.require_permission(user, Permission.users_manage)
    sent = body.model_fields_set
    dept = body.department_code if body.department_code is not None else ("" if "department_code" in sent else None)
    changed = service.update_user(db, user, user_id, display_name=body.display_name,
                                  role=body.role.value if body.role else None, scopes=body.scopes,
                                  department_code=dept, active=body.active)
    return user_out(changed)


@router.post("/users/{user_id}/password", response_model=UserOut, summary="Reset a user's password (admin); "
             "ends their open sessions and tokens", responses=errors(403, 422) | _NO_USER)
def reset_password(user_id: int, body: PasswordIn, db: Db, user: CurrentUser):
    service.require_permission(user, Permission.users_manage)
    return user_out(service.reset_password(db, user, user_id, body.password))


@router.get("/departments", response_model=list[DepartmentOut], summary="Departments", responses=errors(403))
def list_departments(db: Db, user: CurrentUser):
    service.require_permission(user, Permission.regions_read)
    return service.list_departments(db)


@router.post("/departments", response_model=DepartmentOut, status_code=201, summary="Create a department (admin)",
             responses=errors(403, 422) | err(409, "department_exists", "部门编码 211021-CG 已存在", "部门编码已存在"))
def create_department(body: DepartmentIn, db: Db, user: CurrentUser):
    service.require_permission(user, Permission.users_manage)
    return service.create_department(db, user, code=body.code, name=body.name, region_code=body.region_code,
                                     is_centre=body.is_centre)


@router.get("/audit", response_model=list[AuditEntryOut], summary="The audit trail, newest first",
            responses=errors(403, 422))
def list_audit(db: Db, user: CurrentUser, before_seq: Annotated[int | None, Query(ge=1)] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100):
    service.require_permission(user, Permission.audit_read)
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if before_seq:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return list(db.scalars(stmt))


@router.get("/audit/verify", response_model=AuditVerifyOut, summary="Recompute the audit hash chain",
            responses=errors(403))
def verify_audit(db: Db, user: CurrentUser):
    service.require_permission(user, Permission.audit_read)
    checked, broken = audit.verify(db)
    return {"ok": broken is None, "checked": checked, "first_broken_seq": broken.seq if broken else None,
            "reason": broken.reason if broken else None}
