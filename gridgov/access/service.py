"""Users, departments, logins, sessions and tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import AuthSession, Department, User, UserScope
from gridgov.access.passwords import check_password_policy, dummy_verify, hash_password, verify_password
from gridgov.access.roles import Permission, Role, has_permission
from gridgov.access.scope import scope_clause
from gridgov.codes import region_code_level
from gridgov.codes.errors import CodeError
from gridgov.db import utcnow
from gridgov.errors import AppError, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from gridgov.settings import get_settings

SessionKind = Literal["web", "api"]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_permission(user: User | None, permission: Permission) -> User:
    if user is None:
        raise Unauthorized("请先登录", code="not_authenticated")
    if not has_permission(user.role, permission):
        raise Forbidden("您的角色无权执行此操作", code="permission_denied")
    return user


def user_state(user: User) -> dict:
    """What the audit chain digests for a user (never the password hash itself)."""
    return {
        "username": user.username, "display_name": user.display_name, "role": user.role,
        "department_id": user.department_id, "active": user.active, "scopes": sorted(user.region_codes),
    }


# --- departments ----------------------------------------------------------------------------

def create_department(db: Session, actor: User | None, *, code: str, name: str, region_code: str,
                      is_centre: bool = False) -> Department:
    _check_region_code(region_code)
    if db.scalar(select(Department).where(Department.code == code)):
        raise Conflict(f"部门编码 {code} 已存在", code="department_exists")
    dept = Department(code=code, name=name, region_code=region_code, is_centre=is_centre)
    db.add(dept)
    db.flush()
    audit.record(db, actor, "department.create", "department", dept.id,
                 after={"code": code, "name": name, "region_code": region_code, "is_centre": is_centre})
    return dept


def list_departments(db: Session) -> list[Department]:
    return list(db.scalars(select(Department).order_by(Department.code)))


def department_by_code(db: Session, code: str) -> Department:
    dept = db.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise NotFound(f"部门 {code} 不存在", code="department_not_found")
    return dept


# --- users ----------------------------------------------------------------------------------

def _check_region_code(code: str) -> None:
    try:
        region_code_level(code)
    except CodeError as exc:
        raise Invalid(f"区域编码 {code} 无效：{exc.message}", code="invalid_region_code") from exc


def _check_assignment(db: Session, role: str, scopes: list[str], department_code: str | None, *,
                      regions_must_exist: bool = False) -> tuple[Role, Department | None]:
    """The role, scope and department rules shared by creating and changing a user."""
    try:
        role_enum = Role(role)
    except ValueError as exc:
        raise Invalid(f"未知角色 {role}；可选：{', '.join(r.value for r in Role)}", code="invalid_role") from exc
    for code in scopes:
        _check_region_code(code)
        if regions_must_exist:
            from gridgov.regions.service import current  # regions.service imports this module

            try:
                current(db, code)
            except NotFound as exc:
                raise Invalid(f"区域 {code} 不存在", code="region_not_found") from exc
    department = None
    if department_code:
        try:
            department = department_by_code(db, department_code)
        except NotFound as exc:
            if not regions_must_exist:
                raise
            raise Invalid(exc.message, code="department_not_found") from exc
    if role_enum is Role.handler and department is None:
        raise Invalid("部门处置人员必须属于一个部门", code="department_required")
    if role_enum is Role.grid_worker and not scopes:
        raise Invalid("网格员必须指定负责的网格", code="scope_required")
    return role_enum, department


def create_user(
    db: Session, actor: User | None, *, username: str, password: str, role: str, display_name: str | None = None,
    scopes: list[str] | None = None, department_code: str | None = None, enforce_policy: bool = True,
) -> User:
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise Invalid("用户名只能包含字母、数字、下划线和点，长度 1-64", code="invalid_username")
    if enforce_policy:
        check_password_policy(password)
    if db.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"用户名 {username} 已存在", code="user_exists")
    scopes = scopes or []
    role_enum, department = _check_assignment(db, role, scopes, department_code)
    user = User(
        username=username, display_name=display_name or username, role=role_enum.value,
        department_id=department.id if department else None, password_hash=hash_password(password),
        scopes=[UserScope(region_code=c) for c in scopes],
    )
    db.add(user)
    db.flush()
    audit.record(db, actor, "user.create", "user", user.id, after=user_state(user))
    return user


def _end_sessions(db: Session, user_id: int) -> int:
    """Revoke every open web session and API token of a user; returns how many."""
    rows = list(db.scalars(select(AuthSession).where(AuthSession.user_id == user_id,
                                                     AuthSession.revoked.is_(False))))
    for row in rows:
        row.revoked = True
    return len(rows)


def update_user(db: Session, actor: User | None, user_id: int, *, display_name: str | None = None,
                role: str | None = None, scopes: list[str] | None = None, department_code: str | None = None,
                active: bool | None = None) -> User:
    """Change a user (admin). ``None`` leaves a field as it is; ``department_code=""`` removes the
    department, ``scopes=[]`` the scopes. Deactivating ends the user's sessions and tokens at once."""
    require_permission(actor, Permission.users_manage)
    user = get_user(db, user_id)
    if actor is not None and actor.id == user.id:
        if active is False:
            raise Conflict("不能停用自己的账号", code="cannot_deactivate_self")
        if role is not None and role != Role.admin.value:
            raise Conflict("不能取消自己的管理员角色", code="cannot_demote_self")
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 100:
            raise Invalid("姓名长度应为 1-100 个字符", code="invalid_display_name")
    new_scopes = user.region_codes if scopes is None else list(dict.fromkeys(c.strip() for c in scopes if c.strip()))
    if department_code is None:
        dept_code = user.department.code if user.department else None
    else:
        dept_code = department_code.strip() or None
    role_enum, department = _check_assignment(db, role or user.role, new_scopes, dept_code,
                                              regions_must_exist=scopes is not None or department_code is not None)
    before = user_state(user)
    if display_name is not None:
        user.display_name = display_name
    user.role = role_enum.value
    user.department_id = department.id if department else None
    user.department = department
    if scopes is not None and sorted(new_scopes) != sorted(user.region_codes):
        user.scopes = [UserScope(region_code=c) for c in new_scopes]
    ended = 0
    if active is not None and active != user.active:
        user.active = active
        if not active:
            ended = _end_sessions(db, user.id)
    db.flush()
    after = user_state(user)
    if after != before:
        detail = {"changed": sorted(k for k in after if after[k] != before[k])}
        if ended:
            detail["sessions_ended"] = ended
        audit.record(db, actor, "user.update", "user", user.id, before=before, after=after, detail=detail)
    return user


def reset_password(db: Session, actor: User | None, user_id: int, new_password: str) -> User:
    """Set a new password (admin), clear the lockout and end the user's other sessions and tokens."""
    require_permission(actor, Permission.users_manage)
    user = get_user(db, user_id)
    check_password_policy(new_password)
    user.password_hash = hash_password(new_password)
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    ended = 0 if actor is not None and actor.id == user.id else _end_sessions(db, user.id)
    db.flush()
    audit.record(db, actor, "user.password_reset", "user", user.id, detail={"sessions_ended": ended})
    return user


def list_users(db: Session, actor: User) -> list[User]:
    require_permission(actor, Permission.users_read)
    region_of_user = select(UserScope.region_code).where(UserScope.user_id == User.id)
    stmt = select(User).order_by(User.username)
    if actor.role != Role.admin:
        # A user is visible when one of their scope regions lies in the actor's scope.
        stmt = stmt.where(
            region_of_user.where(scope_clause(actor, region_column=UserScope.region_code)).exists()
        )
    return list(db.scalars(stmt))


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", code="user_not_found")
    return user


# --- login, sessions, tokens ----------------------------------------------------------------

def authenticate(db: Session, username: str, password: str) -> User:
    """Check a password, applying the lockout rule. Failures are audited; the caller commits."""
    s = get_settings()
    now = utcnow()
    # no username holds a NUL (PostgreSQL text cannot): refused like any unknown name, not a 500
    user = db.scalar(select(User).where(User.username == username)) if "\x00" not in username else None
    if user is None or not user.active:
        dummy_verify(password)
        raise Unauthorized("用户名或密码错误", code="bad_credentials")
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AppError(f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试", code="account_locked", status=423)
    if not verify_password(user.password_hash, password):
        window = timedelta(minutes=s.lockout_window_minutes)
        if user.first_failed_at is None or now - user.first_failed_at > window:
            user.first_failed_at, user.failed_logins = now, 0
        user.failed_logins += 1
        detail = {"failures": user.failed_logins}
        if user.failed_logins >= s.lockout_failures:
            user.locked_until = now + timedelta(minutes=s.lockout_minutes)
            detail["locked_until"] = user.locked_until.isoformat()
        audit.record(db, user, "auth.login_failed", "user", user.id, detail=detail)
        raise Unauthorized("用户名或密码错误", code="bad_credentials")
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    return user


def open_session(db: Session, user: User, kind: SessionKind) -> tuple[str, str | None, int]:
    """Create a web session or an API token; returns (token, csrf token or None, lifetime seconds)."""
    s = get_settings()
    hours = s.session_hours if kind == "web" else s.token_hours
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind == "web" else None
    db.add(AuthSession(token_hash=_token_hash(token), user_id=user.id, kind=kind, csrf_token=csrf,
                       expires_at=utcnow() + timedelta(hours=hours)))
    audit.record(db, user, f"auth.login_{kind}", "user", user.id)
    db.flush()
    return token, csrf, hours * 3600


def resolve_session(db: Session, token: str, kind: SessionKind) -> tuple[User, AuthSession] | None:
    # one round trip: the session row and its user together (every API request comes through here)
    found = db.execute(select(AuthSession, User).join(User, User.id == AuthSession.user_id).where(
        AuthSession.token_hash == _token_hash(token), AuthSession.kind == kind)).first()
    if found is None:
        return None
    row, user = found
    if row.revoked or row.expires_at <= utcnow() or not user.active:
        return None
    return user, row


def close_session(db: Session, token: str) -> None:
    row = db.scalar(select(AuthSession).where(AuthSession.token_hash == _token_hash(token)))
    if row is not None and not row.revoked:
        row.revoked = True
        audit.record(db, db.get(User, row.user_id), "auth.logout", "user", row.user_id)
