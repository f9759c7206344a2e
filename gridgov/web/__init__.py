"""The web UI: page views (login, map), templates and static assets.

The app mounts ``STATIC_DIR`` at ``/static`` (name ``static``) and includes ``router``.
"""

from gridgov.web.views import STATIC_DIR, router

__all__ = ["STATIC_DIR", "router"]
