"""Benchmark: the Chinese address parser on the dataset's dev split.

Measured in the same run, on the same addresses, pinned to ONE core (BLAS threads = 1):

* the shipped model (``gridgov/places/address/model/address.npz``, or ``--model``): entity-level
  precision / recall / F1 per label and micro overall (exact label + character span; labels
  case-folded; ``redundant`` excluded on both sides), and end-to-end addresses/s of
  ``parse_many`` over all of dev (text in → elements out, repeated for at least 3 s); when the
  model has a neural scorer, also the same CRF without it (F1 and addresses/s);
* a baseline trained here on ``train.txt``: a plain linear-chain CRF with ordinary token features
  (the character and its ±2 neighbours, neighbouring bigrams, digit/letter flags — the usual
  sklearn-crfsuite recipe, c1 = c2 = 0.1, 100 iterations, all possible transitions), run through
  sklearn-crfsuite when installed, otherwise through python-crfsuite with the same features as
  dicts; its F1 and addresses/s, and our ratios to it.

    python benchmarks/bench_address.py [--data /work/shared/datasets/address] [--model PATH] [--no-baseline]

Prints tables, then one JSON line ``{"name": "address_parser", "figures": {...}}``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from gridgov.places.address.data import read_dataset, spans_from_char_tags
from gridgov.places.address.evaluate import format_report, score_spans
from gridgov.places.address.kernels import HAVE_NUMBA
from gridgov.places.address.parser import DEFAULT_MODEL_PATH, AddressParser
from gridgov.places.address.text import tokenize
from gridgov.places.address.train import token_tags

TARGET_F1 = 0.92
TARGET_ADDR_PER_S = 5000
MIN_SECONDS = 3.0


def pin_one_core() -> int | None:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError):
        return None


def timed_rate(fn, n_items: int, min_seconds: float = MIN_SECONDS) -> tuple[float, int]:
    """Items/s of ``fn()`` (which processes ``n_items``), repeated for at least ``min_seconds``."""
    fn()  # warm-up
    reps, t0 = 0, time.perf_counter()
    while True:
        fn()
        reps += 1
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return reps * n_items / dt, reps


def cpu_rate(fn, n_items: int, reps: int = 5) -> float:
    """Items per CPU-second of this process, best of ``reps`` runs of ``fn()``: on a shared machine
    less sensitive to the other load than the wall-clock rate of :func:`timed_rate`."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return n_items / max(best, 1e-9)


# --------------------------------------------------------------------------------------------
# baseline: plain CRF with ordinary token features
# --------------------------------------------------------------------------------------------


def plain_features(tokens: list[str]) -> list[dict[str, float]]:
    n = len(tokens)
    out = []
    for i, w in enumerate(tokens):
        f = {"bias": 1.0, "w0=" + w: 1.0}
        if w.isdigit():
            f["isdigit"] = 1.0
        elif w.isascii() and w.isalpha():
            f["isalpha"] = 1.0
        for k in (-2, -1, 1, 2):
            j = i + k
            f[f"w{k}=" + (tokens[j] if 0 <= j < n else ("<s>" if j < 0 else "</s>"))] = 1.0
        if i == 0:
            f["BOS"] = 1.0
        else:
            f["b-1=" + tokens[i - 1] + "|" + w] = 1.0
        if i == n - 1:
            f["EOS"] = 1.0
        else:
            f["b0=" + w + "|" + tokens[i + 1]] = 1.0
        out.append(f)
    return out


class PlainCRF:
    def __init__(self) -> None:
        self.kind = ""
        self.tagger = None
        self._tmp = tempfile.TemporaryDirectory()

    def fit(self, examples) -> float:
        X, Y = [], []
        for text, tags in examples:
            toks, _, _, y = token_tags(text, tags)
            bio = [("b-" if t[0] in "bs" else "i-") + t[2:] for t in y]
            X.append(plain_features(toks))
            Y.append(bio)
        t0 = time.perf_counter()
        try:
            import sklearn_crfsuite

            crf = sklearn_crfsuite.CRF(
                algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True
            )
            crf.fit(X, Y)
            self.kind = "sklearn-crfsuite"
            self.tagger = crf.tagger_
        except ImportError:
            import pycrfsuite

            trainer = pycrfsuite.Trainer(verbose=False)
            for x, y in zip(X, Y):
                trainer.append(x, y)
            trainer.set_params(
                {"c1": 0.1, "c2": 0.1, "max_iterations": 100, "feature.possible_transitions": True}
            )
            path = str(Path(self._tmp.name) / "plain.crfsuite")
            trainer.train(path)
            self.tagger = pycrfsuite.Tagger()
            self.tagger.open(path)
            self.kind = "python-crfsuite (plain features)"
        return time.perf_counter() - t0

    def parse_many(self, texts: list[str]) -> list[list[tuple[str, int, int]]]:
        out = []
        for text in texts:
            toks, starts, ends = tokenize(text)
            if not toks:
                out.append([])
                continue
            y = self.tagger.tag(plain_features(toks))
            spans: list[tuple[str, int, int]] = []
            for s, e, tag in zip(starts, ends, y):
                lab = tag[2:]
                if tag[0] == "b" or not spans or spans[-1][0] != lab or spans[-1][2] != s:
                    spans.append((lab, s, e))
                else:
                    spans[-1] = (lab, spans[-1][1], e)
            out.append(spans)
        return out


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="/work/shared/datasets/address")
    ap.add_argument("--model", default=str(DEFAULT_MODEL_PATH))
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "dev.txt").exists():
        print(f"dataset not found at {data}", file=sys.stderr)
        return 2
    cpu = pin_one_core()
    runtime = "numba loops" if HAVE_NUMBA else "numpy loops (numba not installed)"
    print(f"pinned to CPU {cpu}; model {args.model} ({Path(args.model).stat().st_size / 1e6:.2f} MB); {runtime}")

    t0 = time.perf_counter()
    parser = AddressParser.load(args.model)
    load_s = time.perf_counter() - t0
    dev = read_dataset(data / "dev.txt")
    texts = [t for t, _ in dev]
    gold = [spans_from_char_tags(tags) for _, tags in dev]

    parsed = parser.parse_many(texts)
    ours = score_spans(gold, [[(e.label, e.start, e.end) for e in el] for el in parsed])
    rate, reps = timed_rate(lambda: parser.parse_many(texts), len(texts))
    cpu = cpu_rate(lambda: parser.parse_many(texts), len(texts))
    print(f"\n== gridgov address parser on dev ({len(texts)} addresses) ==")
    print(format_report(ours))
    print(
        f"speed: {rate:,.0f} addresses/s on one core (parse_many over dev x{reps}), "
        f"{cpu:,.0f} per CPU-second (best of 5); model load {load_s:.2f} s"
    )

    figures: dict[str, object] = {
        "dev_addresses": len(texts),
        "f1": round(ours["micro"]["f1"], 4),
        "precision": round(ours["micro"]["precision"], 4),
        "recall": round(ours["micro"]["recall"], 4),
        "per_label_f1": {k: round(v["f1"], 4) for k, v in ours["per_label"].items()},
        "addresses_per_s": round(rate),
        "addresses_per_cpu_s": round(cpu),
        "model_mb": round(Path(args.model).stat().st_size / 1e6, 2),
        "model_load_s": round(load_s, 2),
        "runtime": "numba" if HAVE_NUMBA else "numpy",
        "target_f1": TARGET_F1,
        "target_addresses_per_s": TARGET_ADDR_PER_S,
        "meets_f1_target": ours["micro"]["f1"] >= TARGET_F1,
        "meets_speed_target": rate >= TARGET_ADDR_PER_S,
    }
    training = parser.model.meta.get("training", {})
    if training:
        figures["model_algorithm"] = training.get("algorithm")
    if parser.model.neural is not None:
        # the same model without its neural scorer (the CRF alone), measured in the same run
        crf = AddressParser.load(args.model)
        crf.model.attach_neural(None)
        cpred = crf.parse_many(texts)
        cscore = score_spans(gold, [[(e.label, e.start, e.end) for e in el] for el in cpred])
        crate, creps = timed_rate(lambda: crf.parse_many(texts), len(texts))
        ccpu = cpu_rate(lambda: crf.parse_many(texts), len(texts))
        print(
            f"\nthe CRF alone (no neural scorer): F1 {cscore['micro']['f1']:.4f} "
            f"(P {cscore['micro']['precision']:.4f} R {cscore['micro']['recall']:.4f}), "
            f"{crate:,.0f} addresses/s (x{creps}), {ccpu:,.0f} per CPU-second; "
            f"with the network x{ccpu / cpu:.2f} the CPU time; neural weight {parser.model.neural_weight}"
        )
        figures.update(
            neural_weight=parser.model.neural_weight,
            crf_only_f1=round(cscore["micro"]["f1"], 4),
            crf_only_addresses_per_s=round(crate),
            crf_only_addresses_per_cpu_s=round(ccpu),
            cpu_time_ratio_to_crf_only=round(ccpu / cpu, 2),
        )

    if not args.no_baseline:
        train = read_dataset(data / "train.txt")
        base = PlainCRF()
        fit_s = base.fit(train)
        bpred = base.parse_many(texts)
        bscore = score_spans(gold, bpred)
        brate, breps = timed_rate(lambda: base.parse_many(texts), len(texts))
        print(f"\n== baseline: plain CRF, {base.kind}, trained here in {fit_s:.0f} s ==")
        print(format_report(bscore))
        print(f"speed: {brate:,.0f} addresses/s on one core (x{breps})")
        figures.update(
            baseline_kind=base.kind,
            baseline_f1=round(bscore["micro"]["f1"], 4),
            baseline_addresses_per_s=round(brate),
            baseline_train_s=round(fit_s, 1),
            f1_gain=round(ours["micro"]["f1"] - bscore["micro"]["f1"], 4),
            error_reduction=round(1 - (1 - ours["micro"]["f1"]) / (1 - bscore["micro"]["f1"]), 3),
            speed_ratio=round(rate / brate, 2),
        )
        print(
            f"\nF1 {ours['micro']['f1']:.4f} vs {bscore['micro']['f1']:.4f} (+{figures['f1_gain']:.4f}); "
            f"speed x{figures['speed_ratio']}"
        )
    print(json.dumps({"name": "address_parser", "figures": figures}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
