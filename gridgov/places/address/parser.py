"""Parse free Chinese address text into labelled elements.

>>> from gridgov.places.address import parse_address
>>> [(e.label, e.text) for e in parse_address("浙江省杭州市余杭区五常街道文一西路969号")]  # doctest: +SKIP
[('prov', '浙江省'), ('city', '杭州市'), ('district', '余杭区'), ('town', '五常街道'),
 ('road', '文一西路'), ('roadno', '969号')]

Offsets are character offsets in the text as given (end exclusive): ``text[e.start:e.end] == e.text``.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from gridgov.places.address.engine import CompiledModel
from gridgov.places.address.text import tokenize

__all__ = [
    "Element",
    "AddressParser",
    "DEFAULT_MODEL_PATH",
    "load_model",
    "parse_address",
    "parse_many",
    "parse_to_json_lines",
]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "model" / "address.npz"
MODEL_ENV = "GRIDGOV_ADDRESS_MODEL"
#: longest token sequence tagged as one piece; longer input is tagged in consecutive pieces
MAX_TOKENS = 256
_BATCH = 2048
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
#: brackets and quotes never open or close an element: the training data holds none, so the
#: model's labels for them are arbitrary; an element is trimmed to the text inside them
_EDGE_CHARS = frozenset("()（）[]［］【】〔〕{}｛｝<>＜＞《》〈〉「」『』\"'＂＇“”‘’ \t\u3000")


@dataclass(frozen=True, slots=True)
class Element:
    """One address element: ``label`` (dataset label, e.g. ``"prov"``), its ``text`` and its
    character offsets ``start``/``end`` (end exclusive) in the parsed text."""

    label: str
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "text": self.text, "start": self.start, "end": self.end}


class AddressParser:
    """A loaded model plus the glue from raw text to :class:`Element` lists."""

    def __init__(self, model: CompiledModel) -> None:
        self.model = model
        labels = model.labels
        prefix = [lab.split("-", 1)[0] for lab in labels]
        self._is_begin = np.array([p in ("b", "s") for p in prefix])
        self._is_end = np.array([p in ("e", "s") for p in prefix])
        self._entity = [lab.split("-", 1)[1] for lab in labels]

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> AddressParser:
        return cls(CompiledModel.load(_resolve(path)))

    def parse(self, text: str) -> list[Element]:
        return self.parse_many([text])[0]

    def parse_many(self, texts: Iterable[str]) -> list[list[Element]]:
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        out: list[list[Element]] = []
        for i in range(0, len(texts), _BATCH):
            out.extend(self._parse_batch(texts[i : i + _BATCH]))
        return out

    # ------------------------------------------------------------------------------------
    def _parse_batch(self, texts: list[str]) -> list[list[Element]]:
        toks_l: list[list[str]] = []
        starts_l: list[list[int]] = []
        ends_l: list[list[int]] = []
        owner: list[int] = []  # text index of each piece
        for i, text in enumerate(texts):
            toks, starts, ends = tokenize(text)
            if len(toks) <= MAX_TOKENS:
                toks_l.append(toks)
                starts_l.append(starts)
                ends_l.append(ends)
                owner.append(i)
                continue
            for a in range(0, len(toks), MAX_TOKENS):
                toks_l.append(toks[a : a + MAX_TOKENS])
                starts_l.append(starts[a : a + MAX_TOKENS])
                ends_l.append(ends[a : a + MAX_TOKENS])
                owner.append(i)
        labels, seq_off = self.model.tag(toks_l, starts_l, ends_l)
        result: list[list[Element]] = [[] for _ in texts]
        if labels.size == 0:
            return result
        # elements = (first token with a B/S label, next token with an E/S label), in order
        b_tok = np.flatnonzero(self._is_begin[labels])
        e_tok = np.flatnonzero(self._is_end[labels])
        lens = np.diff(seq_off)
        piece_of = np.repeat(np.arange(len(toks_l)), lens)[b_tok]
        flat_starts = np.fromiter(chain.from_iterable(starts_l), np.int64, labels.size)
        flat_ends = np.fromiter(chain.from_iterable(ends_l), np.int64, labels.size)
        names = self._entity
        for piece, lab, s, e in zip(
            piece_of.tolist(), labels[b_tok].tolist(), flat_starts[b_tok].tolist(), flat_ends[e_tok].tolist()
        ):
            i = owner[piece]
            text = texts[i]
            while s < e and text[s] in _EDGE_CHARS:
                s += 1
            while e > s and text[e - 1] in _EDGE_CHARS:
                e -= 1
            if s < e:
                result[i].append(Element(names[lab], text[s:e], s, e))
        return result


def _resolve(path: str | os.PathLike[str] | None) -> Path:
    if path is None:
        env = os.environ.get(MODEL_ENV)
        path = env if env else DEFAULT_MODEL_PATH
    p = Path(path)
    if p.suffix == ".crfsuite" and p.with_suffix(".npz").exists():
        p = p.with_suffix(".npz")
    if not p.exists():
        raise FileNotFoundError(
            f"address model not found at {p}; train one with "
            "`python -m gridgov.places.address.train --data DIR --out PATH` "
            f"or point {MODEL_ENV} at a model file"
        )
    return p


_cache: dict[Path, AddressParser] = {}
_lock = threading.Lock()


def load_model(path: str | os.PathLike[str] | None = None) -> AddressParser:
    """The parser for the model at ``path`` (default: ``$GRIDGOV_ADDRESS_MODEL`` or the model shipped
    in ``gridgov/places/address/model/address.npz``), loaded once and cached."""
    p = _resolve(path).resolve()
    parser = _cache.get(p)
    if parser is None:
        with _lock:
            parser = _cache.get(p)
            if parser is None:
                parser = _cache[p] = AddressParser.load(p)
    return parser


def parse_address(text: str) -> list[Element]:
    """Elements of one address, in text order (see :class:`Element`)."""
    return load_model().parse(text)


def parse_many(texts: Iterable[str]) -> list[list[Element]]:
    """Elements of many addresses (the fast batch path)."""
    return load_model().parse_many(texts)


def parse_to_json_lines(lines: Iterable[str], *, batch_size: int = _BATCH) -> Iterator[str]:
    """One JSON object per input line: ``{"text": ..., "elements": [{"label", "text", "start",
    "end"}, ...]}`` (``ensure_ascii=False``); the line's trailing newline is not part of the text.
    Streams: reads ``batch_size`` lines at a time."""
    parser = load_model()
    batch: list[str] = []

    def flush() -> Iterator[str]:
        for text, elems in zip(batch, parser.parse_many(batch)):
            yield json.dumps({"text": text, "elements": [e.to_dict() for e in elems]}, ensure_ascii=False)
        batch.clear()

    for line in lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            text = ""
        elif _SURROGATE_RE.search(text):  # lone surrogates cannot be written as UTF-8
            text = _SURROGATE_RE.sub("\ufffd", text)
        batch.append(text)
        if len(batch) >= batch_size:
            yield from flush()
    if batch:
        yield from flush()
