"""FastAPI dependencies: the database session and the acting user (bearer token or web cookie).

Cookie-authenticated requests that change state must carry the session's CSRF token in the
``X-CSRF-Token`` header or a ``csrf_token`` form field; bearer-token requests need none (a
browser never attaches them on its own).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gridgov.access import service
from gridgov.access.models import AuthSession, Department, User, UserScope
from gridgov.cache import watch_writes
from gridgov.db import utcnow
from gridgov.errors import Forbidden, Unauthorized

log = logging.getLogger("gridgov.access")

SESSION_COOKIE = "gridgov_session"
LOGIN_CSRF_COOKIE = "gridgov_login_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db(request: Request) -> Iterator[Session]:
    session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a client acting on it sees the change.
Db = Annotated[Session, Depends(get_db, scope="function")]


async def _form_csrf(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def optional_user(request: Request, db: Db) -> User | None:
    # The session look-up runs in the thread pool, never on the event loop: a blocking query there
    # (or a wait for a pooled connection, under load) froze the whole worker — the requests holding
    # the connections could not finish, since their teardown needs the loop (0 requests/s at 64 clients).
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Authorization 头格式应为 Bearer <token>", code="bad_authorization_header")
        found = await run_in_threadpool(service.resolve_session, db, token.strip(), "api")
        if found is None:
            raise Unauthorized("令牌无效或已过期，请重新获取", code="invalid_token")
        return found[0]
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = await run_in_threadpool(service.resolve_session, db, cookie, "web")
    if found is None:
        return None
    user, row = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token") or await _form_csrf(request)
        if not sent or not row.csrf_token or not hmac.compare_digest(sent, row.csrf_token):
            raise Forbidden("CSRF 校验失败，请刷新页面后重试", code="csrf_failed")
    request.state.csrf_token = row.csrf_token
    return user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise Unauthorized("请先登录", code="not_authenticated")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


# --- the hot API paths: bearer tokens resolved once per TOKEN_CACHE_SECONDS ------------------------
# Event intake (POST /api/v1/events, thousands a second) takes its user from here: a bearer token
# resolved in the last TOKEN_CACHE_SECONDS is trusted without a query. A logout, a revoked token, a
# deactivated user or changed scopes committed through this process drop the cache at once (the
# session hooks below); one committed through another worker process is seen once the entry is
# renewed: TOKEN_CACHE_SECONDS after the last look-up, the next request (still served from the cache)
# starts a background look-up, and the one after it sees the answer — about 5 s for a client in use;
# an entry unused for TOKEN_RENEW_GRACE more is dropped. The token's own expiry is checked on every
# request.

#: how long a worker process trusts a resolved bearer token (seconds)
TOKEN_CACHE_SECONDS = 5.0
#: how long after that a token in use is still served while a background look-up renews it (seconds)
TOKEN_RENEW_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class DepartmentRef:
    id: int
    name: str
    region_code: str
    is_centre: bool


@dataclass(frozen=True, slots=True)
class Actor:
    """A detached, read-only copy of the acting user: what scope checks, audit entries and logs read."""

    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    department: DepartmentRef | None
    scope_codes: tuple[str, ...]
    active: bool
    session_expires_at: datetime

    @property
    def region_codes(self) -> list[str]:
        return list(self.scope_codes)


_TOKENS: dict[tuple[str, str], tuple[float, Actor]] = {}
_TOKENS_LOCK = threading.Lock()
_GENERATION = [0]  # bumped by every invalidation: a look-up that raced one is not cached
_AUTH_ROWS = (AuthSession, User, UserScope, Department)


def invalidate_tokens() -> None:
    with _TOKENS_LOCK:
        _GENERATION[0] += 1
        _TOKENS.clear()


watch_writes(_AUTH_ROWS, invalidate_tokens, "gridgov_auth_changed")


def _actor(user: User, expires_at: datetime) -> Actor:
    d = user.department
    return Actor(user.id, user.username, user.display_name, user.role, user.department_id,
                 DepartmentRef(d.id, d.name, d.region_code, d.is_centre) if d is not None else None,
                 tuple(user.region_codes), user.active, expires_at)


def _token_key(engine, token: str) -> tuple[str, str]:
    return str(engine.url), hashlib.sha256(token.encode()).hexdigest()


def _cached(key: tuple[str, str], sessionmaker, token: str) -> Actor | None:
    """The cached actor; past its TOKEN_CACHE_SECONDS but within TOKEN_RENEW_GRACE it is still
    served while one background look-up renews it, so a busy client never waits for the query (at
    1,000 reports/s the look-ups of expiring tokens were the slowest 1 % of requests)."""
    hit = _TOKENS.get(key)
    if hit is None or hit[1].session_expires_at <= utcnow():
        return None
    now = time.monotonic()
    if hit[0] > now:
        return hit[1]
    if hit[0] + TOKEN_RENEW_GRACE > now:
        _renew(key, sessionmaker, token)
        return hit[1]
    return None


def _lookup(sessionmaker, key: tuple[str, str], token: str) -> Actor | None:
    """Resolve the token in the database and cache the answer (a refused token leaves the cache)."""
    loaded_at, generation = time.monotonic(), _GENERATION[0]
    with sessionmaker() as db:
        found = service.resolve_session(db, token, "api")
        actor = _actor(found[0], found[1].expires_at) if found is not None else None
    with _TOKENS_LOCK:
        if generation == _GENERATION[0]:  # no invalidation raced the look-up
            if actor is None:
                _TOKENS.pop(key, None)
            else:
                _TOKENS[key] = (loaded_at + TOKEN_CACHE_SECONDS, actor)
    return actor


_RENEWING: set[tuple[str, str]] = set()
_RENEWER: list[ThreadPoolExecutor] = []


def _renew(key: tuple[str, str], sessionmaker, token: str) -> None:
    with _TOKENS_LOCK:
        if key in _RENEWING:
            return
        _RENEWING.add(key)
        if not _RENEWER:
            _RENEWER.append(ThreadPoolExecutor(1, thread_name_prefix="gridgov-token-renew"))
    _RENEWER[0].submit(_renew_now, key, sessionmaker, token)


def _renew_now(key: tuple[str, str], sessionmaker, token: str) -> None:
    try:
        _lookup(sessionmaker, key, token)
    except Exception:  # the database is away: the entry runs out after its grace, then requests ask again
        log.warning("renewing a cached bearer token failed", exc_info=True)
    finally:
        with _TOKENS_LOCK:
            _RENEWING.discard(key)


def cached_bearer_actor(sessionmaker, authorization: str) -> Actor | None:
    """The actor of a well-formed ``Bearer`` header if this process has it cached and it is still
    valid; None otherwise (then :func:`api_actor` resolves it, or says why not)."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return _cached(_token_key(sessionmaker.kw["bind"], token), sessionmaker, token)


async def api_actor(request: Request) -> Actor:
    """The acting user as an :class:`Actor`, for hot API paths. Bearer tokens are cached (see
    above); a web session (cookie, CSRF checked) is resolved as :func:`optional_user` does."""
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Authorization 头格式应为 Bearer <token>", code="bad_authorization_header")
        token = token.strip()
        sessionmaker = request.app.state.sessionmaker
        key = _token_key(request.app.state.engine, token)
        actor = _cached(key, sessionmaker, token) or await run_in_threadpool(_lookup, sessionmaker, key, token)
        if actor is None:
            raise Unauthorized("令牌无效或已过期，请重新获取", code="invalid_token")
        return actor
    db = request.app.state.sessionmaker()
    try:
        user = await optional_user(request, db)  # the web session, its CSRF token checked
        if user is None:
            raise Unauthorized("请先登录", code="not_authenticated")
        return await run_in_threadpool(_actor, user, datetime.max.replace(tzinfo=UTC))
    finally:
        await run_in_threadpool(db.close)


ApiActor = Annotated[Actor, Depends(api_actor)]
