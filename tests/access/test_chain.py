"""The audit chain's pure logic: any change, deletion or reordering is caught."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gridgov.access.chain import GENESIS, ChainFields, digest, entry_hash, verify_chain


def make_chain(n: int):
    rows, prev = [], GENESIS
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, n + 1):
        f = ChainFields(seq, t0 + timedelta(seconds=seq), 1, "admin", "x.update", "x", str(seq),
                        digest({"v": seq - 1}), digest({"v": seq}), "{}")
        h = entry_hash(f, prev)
        rows.append((f, prev, h))
        prev = h
    return rows, {"seq": n, "last_hash": prev}


def test_intact_chain_verifies():
    rows, head = make_chain(20)
    assert verify_chain(rows, head) == (20, None)


def test_empty_chain_verifies():
    assert verify_chain([], {"seq": 0, "last_hash": GENESIS}) == (0, None)


@given(st.integers(min_value=1, max_value=15), st.sampled_from(["actor_name", "action", "object_id", "detail"]))
def test_changing_any_field_names_that_row(k, field):
    rows, head = make_chain(15)
    f, prev, h = rows[k - 1]
    tampered = ChainFields(**{**{s: getattr(f, s) for s in f.__slots__}, field: getattr(f, field) + "!"})
    rows[k - 1] = (tampered, prev, h)
    _, broken = verify_chain(rows, head)
    assert broken is not None and broken.seq == k


def test_deleting_a_middle_row_is_caught():
    rows, head = make_chain(10)
    del rows[4]
    _, broken = verify_chain(rows, head)
    assert broken is not None and broken.seq == 6


def test_deleting_the_newest_row_is_caught_by_the_head():
    rows, head = make_chain(10)
    _, broken = verify_chain(rows[:-1], head)
    assert broken is not None


def test_rehashing_a_row_breaks_the_next_one():
    rows, head = make_chain(10)
    f, prev, _ = rows[3]
    forged = ChainFields(**{**{s: getattr(f, s) for s in f.__slots__}, "action": "forged"})
    rows[3] = (forged, prev, entry_hash(forged, prev))
    _, broken = verify_chain(rows, head)
    assert broken is not None and broken.seq == 5
