"""The web UI: page views (login, map, self-declaration), templates and static assets.

The app mounts ``STATIC_DIR`` at ``/static`` (name ``static``) and includes ``router`` and
``declare_router`` (the self-declaration pages: public form, status, QR poster, review queue).
"""

from gridgov.web.declare import router as declare_router
from gridgov.web.views import STATIC_DIR, router

__all__ = ["STATIC_DIR", "declare_router", "router"]
