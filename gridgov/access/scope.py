"""The one place where "who may see what" is decided.

A user's *scope* is a set of region subtrees (division/grid codes; a subtree is every code with
that prefix, since our codes nest by prefix) and/or a department. Every service query that returns
scoped rows goes through :func:`scope_clause` (SQL) or :func:`require_visible` (one object), and
both derive from :func:`scope_of`, so the rules live here and nowhere else:

- admin: everything;
- leader, operator: their region subtrees (a county leader: the county);
- handler: rows of their department, and the region subtree their department serves;
- grid worker: exactly their grid(s) and the micro-grids inside;
- resident: no scoped rows (they see only what they reported themselves, checked by the domain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, false, or_, true

from gridgov.access.roles import Role
from gridgov.db import is_byte_ordered
from gridgov.errors import Forbidden


class ScopedUser(Protocol):
    role: str
    department_id: int | None

    @property
    def region_codes(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Scope:
    everything: bool = False
    regions: tuple[str, ...] = ()
    department_id: int | None = None

    def covers_region(self, code: str | None) -> bool:
        if self.everything:
            return True
        return code is not None and any(code.startswith(prefix) for prefix in self.regions)

    def covers_ancestor_of(self, code: str) -> bool:
        """True if ``code`` is an ancestor of a scope root (shown for context in trees)."""
        return any(prefix.startswith(code) for prefix in self.regions)


NOTHING = Scope()


def scope_of(user: ScopedUser | None) -> Scope:
    if user is None:
        return NOTHING
    role = Role(user.role)
    if role is Role.admin:
        return Scope(everything=True)
    if role is Role.resident:
        return NOTHING
    regions = tuple(sorted(set(user.region_codes)))
    department_id = user.department_id if role is Role.handler else None
    if role is Role.handler and not regions:
        department = getattr(user, "department", None)
        if department is not None:
            regions = (department.region_code,)
    return Scope(regions=regions, department_id=department_id)


def visible(scope: Scope, *, region_code: str | None = None, department_id: int | None = None) -> bool:
    if scope.everything:
        return True
    if region_code is not None and scope.covers_region(region_code):
        return True
    return department_id is not None and scope.department_id == department_id


def scope_clause(
    user: ScopedUser | None, *, region_column: Any = None, department_column: Any = None
) -> ColumnElement[bool]:
    """SQL condition restricting rows to the user's scope (OR of the region and department rules)."""
    scope = scope_of(user)
    if scope.everything:
        return true()
    terms: list[ColumnElement[bool]] = []
    if region_column is not None:
        terms.extend(subtree_clause(region_column, prefix) for prefix in _roots(scope.regions))
    if department_column is not None and scope.department_id is not None:
        terms.append(department_column == scope.department_id)
    return or_(*terms) if terms else false()


def _roots(prefixes: tuple[str, ...]) -> list[str]:
    """The prefixes not already covered by a shorter one (``2110`` covers ``211021``)."""
    roots: list[str] = []
    for p in sorted(set(prefixes)):
        if not roots or not p.startswith(roots[-1]):
            roots.append(p)
    return roots


def subtree_clause(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` lies in the subtree ``prefix`` (starts with it).

    On a byte-ordered column (``gridgov.db.SearchText``: BINARY on SQLite, COLLATE "C" on PostgreSQL)
    this is the range ``prefix <= column < prefix || U+10FFFF``, which both databases answer from a
    B-tree index and which combines with an ORDER BY on another index. Elsewhere (a column in the
    database's own collation, where a range is not "starts with") it is ``LIKE 'prefix%'``.
    """
    if not prefix:
        return true()
    if is_byte_ordered(column):
        return and_(column >= prefix, column < prefix + "\U0010ffff")
    return column.startswith(prefix, autoescape=True)


def require_visible(
    user: ScopedUser | None, *, region_code: str | None = None, department_id: int | None = None,
    what: str = "该记录",
) -> None:
    if not visible(scope_of(user), region_code=region_code, department_id=department_id):
        raise Forbidden(f"{what}不在您的权限范围内", code="out_of_scope")
