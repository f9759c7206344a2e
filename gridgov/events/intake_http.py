"""The intake route's short way through the HTTP stack: ``POST /api/v1/events`` for a cached bearer.

A grid worker's report is the one request a county sends thousands of times a minute. Through
FastAPI it spends about half its CPU outside the endpoint: the middleware stack, matching ~300
routes, solving dependencies, validating and serialising. This ASGI middleware (installed by
:func:`gridgov.app.create_app`, inside Starlette's server-error middleware) serves the common case
directly, with the SAME pieces the route uses: the process's bearer-token cache
(:func:`gridgov.access.deps.cached_bearer_actor`), the :class:`~gridgov.events.schemas.EventIn`
model, :func:`gridgov.events.intake.file_report` and the API's error body.

It takes a request only when everything is ordinary: method and path exact, a cached unexpired
bearer token, a JSON content type, a body under :data:`MAX_BODY` that the model accepts, an
``Idempotency-Key`` of at most 64 characters. Anything else — no or unknown token, a web session,
invalid JSON, a field the model refuses — goes on to FastAPI with the body replayed untouched, so
every error keeps its usual answer and the OpenAPI description stays the route's.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from gridgov.access.deps import cached_bearer_actor
from gridgov.errors import AppError
from gridgov.events import intake, schemas

PATH = "/api/v1/events"
#: bodies larger than this go the ordinary way (a report is ~0.5 KB; the description stops at 4,000)
MAX_BODY = 64 * 1024

_EVENT_OUT = schemas.EventOut


class IntakeFastPath:
    served = 0  # reports answered here, in this process (tests and benchmarks read it)

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state  # the FastAPI application (Starlette puts itself in the scope)
        headers = dict(scope["headers"])  # names are lower-case bytes
        actor = cached_bearer_actor(state.sessionmaker, headers.get(b"authorization", b"").decode("latin-1"))
        key = headers.get(b"idempotency-key")
        if (actor is None or not headers.get(b"content-type", b"").startswith(b"application/json")
                or (key is not None and len(key) > 64)):
            await self.app(scope, receive, send)
            return
        messages, body = await _read(receive)
        if body is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        try:
            report = schemas.EventIn.model_validate_json(body)  # JSON parsed and validated in one pass
        except ValidationError:  # not JSON, or refused: FastAPI gives the usual 422
            await self.app(scope, _replay(messages, receive), send)
            return
        IntakeFastPath.served += 1
        try:
            out, created = await intake.file_report(state.sessionmaker, actor, report,
                                                    key.decode("latin-1") if key is not None else None)
        except AppError as exc:
            await _send(send, exc.status, _json(exc.to_dict()))
            return
        answer = _EVENT_OUT.model_validate(out).model_dump_json().encode()
        await _send(send, 201 if created else 200, answer,
                    () if created else ((b"idempotent-replay", b"true"),))


async def _read(receive) -> tuple[list[dict[str, Any]], bytes | None]:
    """The request's messages as received, and its body — None if it is too large or the client
    went away (the ordinary way then reads on from the messages kept)."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[dict[str, Any]], receive):
    pending = list(messages)

    async def replay() -> dict[str, Any]:
        return pending.pop(0) if pending else await receive()

    return replay


def _json(content: Any) -> bytes:
    # as Starlette's JSONResponse renders the API's errors
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def _send(send, status: int, body: bytes, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json"),
                            *extra]})
    await send({"type": "http.response.body", "body": body})
