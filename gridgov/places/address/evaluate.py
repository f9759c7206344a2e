"""Entity-level evaluation of the parser on a BIO dataset file.

The rule: an element counts as correct when its label and its character span both equal a gold
element's; labels are case-folded; ``redundant`` elements are dropped on both sides (neither gold
nor predicted ``redundant`` spans are counted). The parser runs end to end on the raw text of each
address (the tokens joined), exactly as in production.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from gridgov.places.address.data import Example, read_dataset, spans_from_char_tags

__all__ = ["evaluate", "evaluate_examples", "score_spans", "format_report", "IGNORED_LABELS"]

IGNORED_LABELS = frozenset({"redundant"})


def score_spans(
    gold: Iterable[Iterable[tuple[str, int, int]]], pred: Iterable[Iterable[tuple[str, int, int]]]
) -> dict:
    """Per-label and micro precision/recall/F1 over paired lists of ``(label, start, end)`` spans."""
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for g, p in zip(gold, pred, strict=True):
        gs = {(lab.lower(), s, e) for lab, s, e in g if lab.lower() not in IGNORED_LABELS}
        ps = {(lab.lower(), s, e) for lab, s, e in p if lab.lower() not in IGNORED_LABELS}
        n_gold.update(x[0] for x in gs)
        n_pred.update(x[0] for x in ps)
        tp.update(x[0] for x in gs & ps)
    per_label = {}
    for lab in sorted(set(n_gold) | set(n_pred), key=lambda x: (-n_gold[x], x)):
        per_label[lab] = _prf(tp[lab], n_pred[lab], n_gold[lab])
    micro = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    return {"micro": micro, "per_label": per_label}


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"support": n_gold, "predicted": n_pred, "correct": tp, "precision": p, "recall": r, "f1": f}


def evaluate_examples(examples: Sequence[Example], parser=None) -> dict:
    """Evaluate ``parser`` (default: the shipped model) on ``(text, char_tags)`` examples."""
    if parser is None:
        from gridgov.places.address.parser import load_model

        parser = load_model()
    texts = [t for t, _ in examples]
    t0 = time.perf_counter()
    parsed = parser.parse_many(texts)
    seconds = time.perf_counter() - t0
    gold = [spans_from_char_tags(tags) for _, tags in examples]
    pred = [[(e.label, e.start, e.end) for e in elems] for elems in parsed]
    result = score_spans(gold, pred)
    result["addresses"] = len(texts)
    result["seconds"] = seconds
    return result


def evaluate(dev_path: str | os.PathLike[str], parser=None) -> dict:
    """Entity-level P/R/F1 per label and micro overall of the parser on a BIO file (``dev.txt``)
    or a dataset folder (its ``dev.txt``). Returns ``{"micro": {...}, "per_label": {label: {...}},
    "addresses": n, "seconds": s}`` where each score dict has support, predicted, correct,
    precision, recall and f1."""
    p = Path(dev_path)
    if p.is_dir():
        p = p / "dev.txt"
    return evaluate_examples(read_dataset(p), parser)


def format_report(result: dict) -> str:
    """A fixed-width table of :func:`evaluate`'s result."""
    lines = [f"{'label':<11}{'support':>8}{'precision':>11}{'recall':>9}{'F1':>8}"]
    for lab, s in result["per_label"].items():
        lines.append(f"{lab:<11}{s['support']:>8}{s['precision']:>11.4f}{s['recall']:>9.4f}{s['f1']:>8.4f}")
    m = result["micro"]
    lines.append(f"{'micro':<11}{m['support']:>8}{m['precision']:>11.4f}{m['recall']:>9.4f}{m['f1']:>8.4f}")
    return "\n".join(lines)
