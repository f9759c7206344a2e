"""The one error type of :mod:`gridgov.codes`.

A :class:`CodeError` says which code failed, which part of it failed and why:

* ``code`` — machine-readable, English snake case, e.g. ``"citizen_id_check_character"``;
* ``part`` — the failing part of the code, e.g. ``"length"``, ``"charset"``, ``"region"``,
  ``"birth_date"``, ``"sequence"``, ``"check_character"``;
* ``message`` — for people, in Chinese, naming the part, e.g. ``"身份证号校验位错误：应为 X，实为 5"``.

It is a :class:`ValueError` (so plain Python callers can catch it as such) and an
:class:`gridgov.errors.Invalid` (so the API answers it with HTTP 422 and the usual error body).
Neither the error nor its message carries the whole offending value: citizen IDs and phone numbers
are personal data and must not leak into logs or API answers.
"""

from __future__ import annotations

from gridgov.errors import Invalid


class CodeError(Invalid, ValueError):
    """A code (division, grid, citizen ID, USCC, phone) is malformed or fails its check."""

    code = "invalid_code"

    def __init__(self, message: str, *, code: str, part: str) -> None:
        super().__init__(message, code=code, details={"part": part})
        self.part = part

    def __repr__(self) -> str:
        return f"CodeError(code={self.code!r}, part={self.part!r}, message={self.message!r})"
