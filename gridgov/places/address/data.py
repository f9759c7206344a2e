"""Reading the address dataset (one ``token TAG`` per line, a blank line between addresses) and
turning BIO tags into labelled character spans.

Label names are case-folded (``devZone`` → ``devzone``, ``subRoad`` → ``subroad``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["Example", "read_dataset", "iter_dataset", "spans_from_char_tags", "LABELS"]

#: the label set of the dataset (``labels.txt``), case-folded, in its order.
LABELS: tuple[str, ...] = (
    "country", "prov", "city", "district", "devzone", "town", "community", "road", "subroad",
    "roadno", "subroadno", "poi", "subpoi", "houseno", "cellno", "floorno", "roomno", "person",
    "assist", "redundant", "otherinfo",
)  # fmt: skip

Example = tuple[str, list[str]]
"""``(text, char_tags)``: the address text and one tag per character, ``b-<label>`` or
``i-<label>`` (labels case-folded)."""


def iter_dataset(path: str | Path) -> Iterator[Example]:
    """Yield ``(text, char_tags)`` for each address of a BIO file."""
    tokens: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                if tokens:
                    yield _example(tokens)
                    tokens = []
                continue
            tok, _, tag = line.rpartition(" ")
            if not tok:  # a line holding only a tag (token was a space): skip it
                continue
            tokens.append((tok, tag))
    if tokens:
        yield _example(tokens)


def _example(tokens: list[tuple[str, str]]) -> Example:
    text = "".join(t for t, _ in tokens)
    tags: list[str] = []
    for tok, tag in tokens:
        prefix, _, label = tag.partition("-")
        label = label.lower() or "otherinfo"
        if prefix.upper() == "B":
            tags.append("b-" + label)
            tags.extend(["i-" + label] * (len(tok) - 1))
        else:
            tags.extend(["i-" + label] * len(tok))
    return text, tags


def read_dataset(path: str | Path) -> list[Example]:
    """All addresses of a BIO file as ``(text, char_tags)``."""
    return list(iter_dataset(path))


def spans_from_char_tags(tags: Iterable[str]) -> list[tuple[str, int, int]]:
    """``[(label, start, end), ...]`` from per-character ``b-x``/``i-x`` tags (``o`` = outside).

    An ``i-x`` after a different label (or after ``o``) opens a new span, as in conlleval.
    """
    spans: list[tuple[str, int, int]] = []
    cur_label: str | None = None
    cur_start = 0
    i = -1
    for i, tag in enumerate(tags):
        if tag == "o" or not tag:
            if cur_label is not None:
                spans.append((cur_label, cur_start, i))
                cur_label = None
            continue
        prefix, label = tag[0], tag[2:]
        if prefix == "b" or label != cur_label:
            if cur_label is not None:
                spans.append((cur_label, cur_start, i))
            cur_label, cur_start = label, i
    if cur_label is not None:
        spans.append((cur_label, cur_start, i + 1))
    return spans
