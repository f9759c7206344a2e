"""Helpers shared by the browser tests (import them: ``from browser_kit import api_call, login_page``).

Kept out of ``conftest.py`` because ``import conftest`` is ambiguous across test folders.
"""

from __future__ import annotations

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
_TOKENS: dict[tuple[str, str], str] = {}


def api_call(server, role: str, method: str, path: str, *, expect: int | tuple[int, ...] | None = 200,
             raw: bool = False, **kwargs):
    """Call the JSON API as a demo user (bearer token), outside the browser, the way another desk or an
    app would. Asserts the status (``expect=None``: any) and returns the parsed JSON (or None), or with
    ``raw=True`` the response itself."""
    import time

    import httpx

    with httpx.Client(base_url=server.url, timeout=15) as client:
        key = (server.url, role)
        if key not in _TOKENS:
            username, password = server.users[role]
            r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
            assert r.status_code == 200, r.text
            _TOKENS[key] = r.json()["access_token"]
        headers = {"Authorization": f"Bearer {_TOKENS[key]}"}
        for _ in range(20):  # a brand-new token may be committed just after its response arrives
            r = client.request(method, path, headers=headers, **kwargs)
            if r.status_code != 401:
                break
            time.sleep(0.1)
        if expect is not None:
            expected = expect if isinstance(expect, tuple) else (expect,)
            assert r.status_code in expected, f"{method} {path}: {r.status_code} {r.text}"
        if raw:
            return r
        return r.json() if r.content else None


def login_page(page, server, role: str, start: str) -> None:
    """Open ``start`` (a page that needs a login), sign in as ``role`` and wait to be back on it."""
    username, password = server.users[role]
    page.goto(server.url + start)
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login" not in url)


def no_overflow(page) -> bool:
    """Nothing sticks out sideways (a page that scrolls horizontally on a phone is broken)."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def png_bytes(width: int = 6, height: int = 4, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small real PNG image (what a phone camera hands over, only smaller)."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
