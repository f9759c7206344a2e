"""The HTTP side every import API shares: reading an upload within a size limit, and sending an
``.xlsx`` (template, error report, export) as a download with its Chinese file name."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import UploadFile
from fastapi.responses import Response

from gridgov.errors import Invalid

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, filename: str) -> Response:
    """``data`` as a download named ``filename`` (RFC 5987, so Chinese names survive every browser)."""
    return Response(data, media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


async def upload_bytes(file: UploadFile, max_bytes: int, too_large: str) -> bytes:
    """The uploaded file's bytes; more than ``max_bytes`` is a 413 with the message ``too_large``
    (read no further than one byte past the limit)."""
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Invalid(too_large, code="too_large", status=413)
    return data
