"""Scope filters as index ranges: on a byte-ordered column (SearchText) the range is exactly
"starts with" on both backends — including codes that only share part of a prefix, and text beyond
ASCII — and on any other column the filter stays a LIKE with its wildcards escaped."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from gridgov.access.scope import Scope, _roots, subtree_clause
from gridgov.people.models import Household

CODES = [
    "21",
    "2110",
    "211021",
    "2110210",
    "21102100100100101",
    "211021001001001",
    "211021001001002",
    "2110211",
    "211022",
    "2111",
    "2109",
    "21100",
    "211",
    "2110~",
    "2110é",
    "2110中",
    "2110\U0001f600",
    "2110%",
    "2110_1",
    "21_0",
    "21%0",
]
PREFIXES = [
    "2",
    "21",
    "2110",
    "211021",
    "211021001001001",
    "2110é",
    "2110中",
    "21_",
    "21%",
    "2110\U0001f600",
    "9",
    "211021001001001011",
]


@pytest.fixture()
def households(empty_db):
    from gridgov.db import get_engine, session_scope

    engine = get_engine(empty_db)
    with session_scope(engine) as db:
        db.execute(
            insert(Household),
            [{"code": f"H{i}", "kind": "actual", "grid_code": c} for i, c in enumerate(CODES)],
        )
        # the household code column is not byte-ordered: it gets the LIKE form
        db.execute(insert(Household), [{"code": f"X{c}", "kind": "actual", "grid_code": None} for c in CODES])
    return engine


def test_byte_order_range_is_starts_with(households):
    from gridgov.db import session_scope

    with session_scope(households) as db:
        for prefix in PREFIXES:
            got = set(
                db.scalars(select(Household.grid_code).where(subtree_clause(Household.grid_code, prefix)))
            )
            assert got == {c for c in CODES if c.startswith(prefix)}, prefix


def test_other_columns_use_an_escaped_like(households):
    from gridgov.db import session_scope

    assert " LIKE " in str(subtree_clause(Household.code, "X21%"))
    with session_scope(households) as db:
        for prefix in ("X21%", "X21_", "X2110"):
            got = set(db.scalars(select(Household.code).where(subtree_clause(Household.code, prefix))))
            assert got == {f"X{c}" for c in CODES if f"X{c}".startswith(prefix)}, prefix


def test_clause_shapes():
    assert " >= " in str(subtree_clause(Household.grid_code, "2110"))
    assert str(subtree_clause(Household.grid_code, "")) == "true"


@pytest.mark.parametrize(
    "prefixes,roots",
    [
        (("211021", "2110", "211021001"), ["2110"]),
        (("211021001001001", "211021001001002"), ["211021001001001", "211021001001002"]),
        (("2110", "21100"), ["2110"]),
        (("2110", "2111"), ["2110", "2111"]),
        ((), []),
    ],
)
def test_nested_scope_regions_collapse_to_their_roots(prefixes, roots):
    assert _roots(prefixes) == roots
    scope = Scope(regions=prefixes)
    assert all(scope.covers_region(r) for r in roots)
