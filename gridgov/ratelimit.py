"""Rate limits for the endpoints anyone may call without logging in (self-declaration, resident
reports with their photos and ratings, status look-ups).

A small in-process token bucket per key: a key (a client IP, a building's declaration token) may
spend ``burst`` requests at once, and gets ``per_minute`` back every minute. Refused requests get
``429`` with the standard error body ``{"error": {"code": "rate_limited", "message", "details"}}``
and a ``Retry-After`` header (seconds). The buckets live in the app (``app.state``), so each
process counts on its own — with several workers a client gets up to workers × the limit; a
reverse proxy in front is the place for a global limit. Behind a proxy, run uvicorn with
``--proxy-headers`` (and ``--forwarded-allow-ips``) so that the client IP is the resident's, not
the proxy's.

Use, on a router built with ``route_class=LimitedRoute`` (which turns the refusal into the 429)::

    @public.post("/declare/{token}", dependencies=[limit("declare"), limit("declare_token", key=path_param("token"))],
                 responses=RATE_LIMITED_RESPONSES)

or, in a page that renders its own refusal, ``hit(request, "lookup")`` (returns the seconds to wait,
0 when allowed).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from gridgov.errors import AppError


class TokenBuckets:
    """Token buckets by key: ``burst`` tokens at most, ``per_minute`` tokens added per minute.

    Thread-safe (sync endpoints run in a thread pool). At most ``max_keys`` buckets are kept; the
    least recently used go first (a forgotten bucket comes back full, which only errs towards
    letting a request through)."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_keys: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 0 or burst < 1:
            raise ValueError("per_minute must be >= 0 and burst >= 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token of ``key``'s bucket: 0.0 if there was one, else the seconds until there is."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0.0
            else:
                wait = (1.0 - tokens) / self.rate if self.rate > 0 else math.inf
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait


@dataclass(frozen=True, slots=True)
class Rate:
    per_minute: float
    burst: int


def rates_from_settings() -> dict[str, Rate]:
    """The named limits (``GRIDGOV_PUBLIC_RATE_*``); a per-minute rate of 0 switches a limit off."""
    from gridgov.settings import get_settings

    s = get_settings()
    per_ip = Rate(s.public_rate_per_minute, s.public_rate_burst)
    per_token = Rate(s.public_rate_token_per_minute, s.public_rate_token_burst)
    return {"declare": per_ip, "lookup": per_ip, "report": per_ip, "declare_token": per_token}


_registry_lock = threading.Lock()


def buckets(app: Any, name: str) -> TokenBuckets | None:
    """The app's buckets for the limit ``name`` (made on first use from the settings; a name the
    settings do not define gets the per-IP rate). ``None`` when the limit is switched off."""
    state = app.state
    with _registry_lock:
        registry: dict[str, TokenBuckets | None] | None = getattr(state, "rate_limits", None)
        if registry is None:
            registry = {}
            state.rate_limits = registry
        if name not in registry:
            rates = rates_from_settings()
            rate = rates.get(name, rates["declare"])
            registry[name] = TokenBuckets(rate.per_minute, rate.burst) if rate.per_minute > 0 else None
        return registry[name]


def configure(app: Any, name: str, per_minute: float, burst: int, **kwargs: Any) -> TokenBuckets:
    """Set the limit ``name`` of ``app`` explicitly (tests; a domain with its own rate)."""
    limiter = TokenBuckets(per_minute, burst, **kwargs)
    with _registry_lock:
        if getattr(app.state, "rate_limits", None) is None:
            app.state.rate_limits = {}
        app.state.rate_limits[name] = limiter
    return limiter


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def path_param(name: str) -> Callable[[Request], str]:
    return lambda request: str(request.path_params.get(name, ""))


def hit(request: Request, name: str, key: str | None = None) -> int:
    """Count one request against the limit ``name`` for ``key`` (default: the client IP).
    Returns 0 if it may proceed, else the whole seconds to wait (for ``Retry-After``)."""
    limiter = buckets(request.app, name)
    if limiter is None:
        return 0
    wait = limiter.take(f"{key if key is not None else client_ip(request)}")
    return 0 if wait <= 0 else max(1, math.ceil(min(wait, 86_400)))


class RateLimited(AppError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int, name: str) -> None:
        super().__init__(
            f"请求过于频繁，请 {retry_after} 秒后再试", details={"retry_after": retry_after, "limit": name}
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}

    def response(self) -> JSONResponse:
        return JSONResponse(status_code=self.status, content=self.to_dict(), headers=self.headers)


def limit(name: str, key: Callable[[Request], str] = client_ip) -> Any:
    """A route dependency that refuses (``RateLimited``) when ``key(request)`` ran out of ``name``'s
    tokens. It runs before the body is validated, so invalid requests are counted too."""

    def dependency(request: Request) -> None:
        wait = hit(request, name, key(request))
        if wait:
            raise RateLimited(wait, name)

    return Depends(dependency)


class LimitedRoute(APIRoute):
    """A route that answers ``RateLimited`` itself: the standard error body plus ``Retry-After``
    (the app's generic AppError handler knows no headers)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route_handler(request: Request):
            try:
                return await handler(request)
            except RateLimited as exc:
                return exc.response()

        return route_handler


RATE_LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many requests from this client (or for this token): "
        '`{"error": {"code": "rate_limited", ...}}`, wait `Retry-After` seconds',
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
    },
}
