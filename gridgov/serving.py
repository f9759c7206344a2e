"""How `gridgov serve` runs: uvicorn's HTTP protocol with TCP_NODELAY on every connection, and the
garbage collector tuned for a server.

With ``--workers`` above 1 uvicorn binds the listening socket itself (``socket.socket(family)``,
protocol 0), and asyncio then leaves Nagle's algorithm on for the accepted connections (it sets
TCP_NODELAY only on sockets whose protocol says TCP). A response goes out as two writes (headers,
body): the body waited for the client's delayed ACK — 40 ms on every request, even ``/healthz``
(44 ms with 2 workers, 1.4 ms with 1).
"""

from __future__ import annotations

import gc
import socket

try:  # uvicorn[standard]: the C parser
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Protocol
except ImportError:  # pragma: no cover - depends on what is installed
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Protocol


class NoDelayHttpProtocol(_Protocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # pragma: no cover - not a TCP socket after all
                pass
        super().connection_made(transport)


def tune_gc() -> None:
    """Move everything loaded at start-up (modules, routes, models, the locate index) out of the
    collector's sight (``gc.freeze``) and collect the young generation less often. With the
    defaults a full collection walked all of it every few seconds under load: at ~1,100 reports/s
    the slowest 1 % of requests waited 170–240 ms, 108–111 ms after (docs/events.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
