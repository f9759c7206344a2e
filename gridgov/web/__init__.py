"""The web UI: page views, templates and static assets.

``routers`` are mounted by the app in order; ``STATIC_DIR`` is served at ``/static``. Shared page
machinery (login redirect, navigation by role, rendering, error pages) is in :mod:`gridgov.web.pages`.

| module | pages |
|---|---|
| views | login, logout, the map (一张图) |
| declare | self-declaration: public form and status, QR poster, review queue |
| event_centre | the event centre: queues, search, detail, actions, bulk actions, inbox, notices |
| mobile | the grid worker's phone pages: my grid, tasks, report, visits, re-check |
| resident | the resident's pages: 随手拍 report, tracking by code, rating |
| dashboards | dashboards (ECharts) and the big screen (大屏) |
| register | people, houses, buildings, organizations; import and export |
| admin | users and scopes, departments, catalog, responsibility list |
"""

from gridgov.web import pages  # noqa: F401  (registers the template globals: nav_items, can)
from gridgov.web.admin import router as admin_router
from gridgov.web.dashboards import router as dashboards_router
from gridgov.web.declare import router as declare_router
from gridgov.web.event_centre import router as event_centre_router
from gridgov.web.mobile import router as mobile_router
from gridgov.web.register import router as register_router
from gridgov.web.resident import router as resident_router
from gridgov.web.views import STATIC_DIR, router

routers = (router, declare_router, event_centre_router, mobile_router, resident_router, dashboards_router,
           register_router, admin_router)

__all__ = ["STATIC_DIR", "routers"]
