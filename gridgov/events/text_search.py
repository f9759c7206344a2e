"""The event search's text match: a word in the title, address or description (or a resident's
tracking code), fast at millions of events on PostgreSQL.

Newest first (``ORDER BY id DESC LIMIT 50``) with ``LIKE '%word%'`` leaves the planner two ways, and
its guess of how common a word is decides between them: walking back from the newest event until 50
match (fast for a common word, the whole table for a rare one — 3 to 10 s at 10M events), or reading
every match from the trigram indexes and sorting (fast for a rare word, slow for a word in a million
events). The guess is often wrong, so we measure instead: a word found at least :data:`COMMON` times among
the newest :data:`SAMPLE` events is common, and the walk back finds 50 soon. Otherwise we read up to
:data:`PROBE` matching ids through the trigram indexes only (bitmap scans, the other plans switched off
inside a savepoint): fewer, and they are every match, so the search is filtered by them; more, and the
word is common after all (older events), so the plain walk back it is.

Where this does not apply the plain ``LIKE`` stays: SQLite, a database without the trigram indexes
(migrations 0010 and 0012 make them where pg_trgm exists), and words of fewer than three characters,
which have no trigram to look up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, Select, any_, bindparam, func, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from gridgov.events.models import Event

TRACKING_CODE = re.compile(r"[A-Za-z0-9]{6,16}")
#: the newest events a word is first looked for in, and how many hits there make it common
SAMPLE = 5000
COMMON = 10
#: the most ids the index probe reads (a word in 0.2 % of 10M events); more make a word common too
PROBE = 3_000
TRGM_INDEXES = ("ix_events_title_trgm", "ix_events_address_trgm", "ix_events_description_trgm")
_HAS_TRGM: dict[str, bool] = {}  # database URL → are the three trigram indexes there


@dataclass(frozen=True)
class TextMatch:
    """The condition for a search text and how to read it: ``plan`` None leaves it to the planner (a
    common word: it mostly walks back from the newest event, or along the user's region when that is
    narrower — forcing the walk made a grid worker's search for a common word absent from the grid read
    the whole table), ``"bitmap"`` reads the rows the indexes point to and sorts them, never walking
    back along the primary key (a rare word, whose ``clause`` is ``id = ANY(ids)``; or a user who sees
    one grid)."""

    clause: ColumnElement[bool]
    plan: str | None = None


def text_clause(db: Session, q: str) -> TextMatch:
    """The match for the search text ``q`` (already stripped, not an event number)."""
    match = _match(Event.__table__.c, q)
    if len(q) < 3 or not indexed(db):
        return TextMatch(match)
    newest = select(*(Event.__table__.c[n] for n in COLUMNS)).order_by(Event.id.desc()).limit(SAMPLE).subquery()
    hits = db.scalar(select(func.count()).select_from(newest).where(_match(newest.c, q)))
    if hits >= COMMON:
        return TextMatch(match)
    ids = _probe(db, match)
    if ids is None:
        return TextMatch(match)
    return TextMatch(Event.id == any_(bindparam("text_ids", ids, type_=ARRAY(Integer))), "bitmap")


def newest_ids(db: Session, stmt: Select, plan: str) -> list[int]:
    """Run ``stmt`` (a SELECT of event ids, newest first) the ``"bitmap"`` way: no walk back along
    the primary key (the other plans switched off inside a savepoint)."""
    with db.begin_nested() as savepoint:  # SET LOCAL ends with the savepoint's rollback
        db.execute(text("SET LOCAL enable_indexscan = off"))  # not a walk back along the primary key
        db.execute(text("SET LOCAL enable_indexonlyscan = off"))
        ids = list(db.scalars(stmt))
        savepoint.rollback()
    return ids


COLUMNS = ("title", "address", "description", "tracking_code")


def _match(c, q: str) -> ColumnElement[bool]:
    terms = [c.title.contains(q, autoescape=True), c.address.contains(q, autoescape=True),
             c.description.contains(q, autoescape=True)]
    if TRACKING_CODE.fullmatch(q):  # a resident calling with the code on their receipt
        terms.append(c.tracking_code == q.upper())
    return or_(*terms)


def indexed(db: Session) -> bool:
    bind = db.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    key = str(bind.url)
    if key not in _HAS_TRGM:
        found = db.scalar(text("SELECT count(*) FROM pg_indexes WHERE tablename = 'events' AND indexname = ANY(:n)"),
                          {"n": list(TRGM_INDEXES)})
        _HAS_TRGM[key] = found == len(TRGM_INDEXES)
    return _HAS_TRGM[key]


def _probe(db: Session, match: ColumnElement[bool]) -> list[int] | None:
    """Every matching id if there are at most PROBE of them, else None (read through the indexes only)."""
    with db.begin_nested() as savepoint:  # SET LOCAL ends with the savepoint's rollback
        db.execute(text("SET LOCAL enable_seqscan = off"))
        db.execute(text("SET LOCAL enable_indexscan = off"))
        db.execute(text("SET LOCAL enable_indexonlyscan = off"))
        ids = list(db.scalars(select(Event.id).where(match).limit(PROBE + 1)))
        savepoint.rollback()
    return ids if len(ids) <= PROBE else None
