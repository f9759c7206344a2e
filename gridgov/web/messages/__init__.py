"""UI text per area of the web UI, merged into the one catalogue of :mod:`gridgov.web.i18n`.

Each module holds ``ZH: dict[str, str]`` with keys prefixed by its area (``events.``,
``mobile.``, ``resident.``, ``dashboard.``, ``screen.``, ``register.``, ``admin.``); a key defined
twice is an error at import time, so areas cannot silently override each other.
"""

from __future__ import annotations

from importlib import import_module

AREAS = ("events", "mobile", "resident", "dashboard", "register", "admin")


def merged() -> dict[str, str]:
    out: dict[str, str] = {}
    for area in AREAS:
        messages: dict[str, str] = import_module(f"{__name__}.{area}").ZH
        clash = out.keys() & messages.keys()
        if clash:
            raise RuntimeError(f"UI text keys defined twice ({area}): {sorted(clash)[:5]}")
        out.update(messages)
    return out
