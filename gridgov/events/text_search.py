"""The event search's text match: a word in the title, address or description (or a resident's
tracking code), fast at millions of events on PostgreSQL.

Newest first (``ORDER BY id DESC LIMIT 50``) with ``LIKE '%word%'`` leaves the planner two ways, and
its guess of how common a word is decides between them: walking back from the newest event until 50
match (fast for a common word, the whole table for a rare one — 3 to 10 s at 10M events), or reading
every match from the trigram indexes and sorting (fast for a rare word; for a word in 0.2 % of 10M
events, 22,000 rows read at random: 100–200 ms). The guess is often wrong, so we measure, then read
a window of ids:

1. **Sample.** Of the newest :data:`SAMPLE` events (below the page's ``before_id``), count those that
   meet the whole search — the word and every other filter. Ids follow report time, so ``hits`` among
   ``SAMPLE`` tells how far back a page of matches lies.
2. **Window.** Read the newest ids meeting the search among the ``width`` ids below the top, ``width``
   chosen to hold about two pages of matches at the sampled rate (the sample's own span when it holds
   a page already). PostgreSQL ANDs the trigram indexes' bitmap with the primary key's range, so only
   matches inside the window are read from the table (a word in 0.2 %: 100 rows, ~20 ms). Or, for a
   common word, it reads the window's few thousand rows and filters them.
3. **Widen.** Fewer than a page found and older events left: the window grows ×8 and is read again,
   down to the oldest event (a word found nowhere: the sample and three or four index look-ups).

A grid worker sees one grid: for a text search, the grid's own events (a few thousand) are read through the region
index and filtered with ``strpos``, which the trigram indexes cannot serve — ANDing them would build
the whole city's bitmap of a common word first (818,000 entries: 215 ms) to keep a handful.

A word of one or two characters has no trigram to look up: its windows are filtered, and a page
reads at most :data:`SHORT_WORD_SCAN` ids — a shorter page then says where the next one starts. On SQLite, or a database without the
trigram indexes (migrations 0010 and 0012 make them where pg_trgm exists), the plain ``LIKE`` stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select, text, true
from sqlalchemy.orm import Session

from gridgov.events.models import Event

TRACKING_CODE = re.compile(r"[A-Za-z0-9]{6,16}")
#: the newest events the search is first tried on
SAMPLE = 5000
#: a window is widened this many times over when it held less than a page
WIDEN = 8
#: a word without trigrams reads at most this many ids for a page; a shorter page then says where the
#: next one starts (``next_before_id``), so the reader goes on only if they want
SHORT_WORD_SCAN = 2_000_000
TRGM_INDEXES = ("ix_events_title_trgm", "ix_events_address_trgm", "ix_events_description_trgm")
_HAS_TRGM: dict[str, bool] = {}  # database URL → are the three trigram indexes there


@dataclass(frozen=True)
class TextMatch:
    """The condition for a search text and how to read it: ``plan`` None leaves it to the planner;
    ``"window"`` reads windows of the newest ids (:func:`newest_ids`); ``"bitmap"`` reads the rows
    the indexes point to and sorts them, never walking back along the primary key (a user who sees
    one grid). ``unindexed`` is the same test in a form the trigram indexes do not serve."""

    clause: ColumnElement[bool]
    unindexed: ColumnElement[bool]
    plan: str | None = None
    trigrams: bool = True  # the word has trigrams (3 characters or more): the indexes can serve it

    @property
    def short(self) -> bool:
        """A word of one or two characters: its windows are read row by row, and stop at
        :data:`SHORT_WORD_SCAN` ids a page (the whole table took 6–13 s at 10M events)."""
        return not self.trigrams and self.plan == "window" and self is not WINDOWS


def text_clause(db: Session, q: str, *, one_grid: bool = False) -> TextMatch:
    """The match for the search text ``q`` (already stripped, not an event number); ``one_grid``:
    the user sees one grid's events."""
    c = Event.__table__.c
    clause, unindexed = _match(c, q), _match(c, q, indexable=False)
    if not indexed(db):
        return TextMatch(clause, unindexed)
    if one_grid:
        return TextMatch(unindexed, unindexed, "bitmap")
    return TextMatch(clause, unindexed, "window", trigrams=len(q) >= 3)


#: no text, read in windows all the same: a search by region, whose range the planner misjudged (it
#: sorted a community's 40,800 events for a page of 50: 146 ms), and a grid worker's queues (the
#: (state, region, id) index checks the window's ids; see gridgov.events.queues.search)
WINDOWS = TextMatch(true(), true(), "window", trigrams=False)


@dataclass(frozen=True)
class Page:
    """A page of ids, newest first; ``resume_below`` set when the search stopped before the oldest
    event with fewer than a page (a short word's scan limit): the next page starts there."""

    ids: list[int]
    resume_below: int | None = None


def newest_ids(db: Session, conds: list[ColumnElement[bool]], match: TextMatch, limit: int,
               before_id: int | None = None) -> Page:
    """The ids meeting ``conds`` and ``match``, newest first, at most ``limit``, read the match's
    plan's way (``conds`` hold every other filter of the search, ``before_id``'s included)."""
    def read(text_match: ColumnElement[bool], *extra: ColumnElement[bool], walk: bool = False) -> list[int]:
        stmt = select(Event.id).where(*conds, text_match, *extra).order_by(Event.id.desc()).limit(limit)
        if walk:  # the planner's own way: with no index for the word, a walk back from the top
            return list(db.scalars(stmt))
        with db.begin_nested() as savepoint:  # SET LOCAL ends with the savepoint's rollback
            db.execute(text("SET LOCAL enable_indexscan = off"))  # not a walk back along the primary key
            db.execute(text("SET LOCAL enable_indexonlyscan = off"))
            db.execute(text("SET LOCAL enable_seqscan = off"))
            ids = list(db.scalars(stmt))
            savepoint.rollback()
        return ids

    if match.plan != "window":
        return Page(read(match.clause))
    newest = select(Event.id, and_(*conds, match.clause).label("hit")).order_by(Event.id.desc()).limit(SAMPLE)
    if before_id is not None:
        newest = newest.where(Event.id < before_id)
    sample = newest.subquery()
    hits, top, bottom = db.execute(select(func.count().filter(sample.c.hit), func.max(sample.c.id),
                                          func.min(sample.c.id))).one()
    if top is None:  # no events at all below the top
        return Page([])
    if hits >= limit:  # a page in the sample: walk back through its rows, filtering them (an index would
        return Page(read(match.unindexed, Event.id >= bottom, walk=True))  # list the word's or town's every event)
    oldest = db.scalar(select(func.min(Event.id))) or 0
    span = top - bottom + 1
    width = span * 2 * limit // max(hits, 1)
    while True:
        floor = top - width
        # filtering the window's rows, or ANDing the word's index entries with it: whichever reads less
        # (the indexes list about hits/span of every event; filtering a row costs ~4 entries' worth)
        estimated = hits * (top - oldest + 1) // span
        filtered = not match.trigrams or estimated > 4 * min(width, top - oldest + 1)
        text_match = match.unindexed if filtered else match.clause
        if floor <= oldest:
            return Page(read(text_match, walk=filtered))
        ids = read(text_match, Event.id > floor)
        if len(ids) >= limit:
            return Page(ids)
        if match.short and width >= SHORT_WORD_SCAN:  # a page so far, and where the next one starts
            return Page(ids, floor + 1)
        width *= WIDEN


def _match(c, q: str, *, indexable: bool = True) -> ColumnElement[bool]:
    if indexable:
        terms = [c.title.contains(q, autoescape=True), c.address.contains(q, autoescape=True),
                 c.description.contains(q, autoescape=True)]
    else:  # the same test, in a form the trigram indexes do not serve
        terms = [func.strpos(col, q) > 0 for col in (c.title, c.address, c.description)]
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
