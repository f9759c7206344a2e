"""FastAPI dependencies: the database session and the acting user (bearer token or web cookie).

Cookie-authenticated requests that change state must carry the session's CSRF token in the
``X-CSRF-Token`` header or a ``csrf_token`` form field; bearer-token requests need none (a
browser never attaches them on its own).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gridgov.access import service
from gridgov.access.models import User
from gridgov.errors import Forbidden, Unauthorized

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
