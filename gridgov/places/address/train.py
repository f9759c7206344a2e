"""Train the address tagger (CRFsuite) and compile it into the model file the product loads.

    python -m gridgov.places.address.train --data /path/to/address --out gridgov/places/address/model/address.npz

``--data`` is a folder with ``train.txt`` (and optionally ``dev.txt``, evaluated after training,
never trained on) in the dataset's format: one ``token TAG`` per line (BIO tags), a blank line
between addresses. A deployment retrains on its own data the same way: add its annotated addresses
to ``train.txt`` (or pass several ``--train`` files) and point ``GRIDGOV_ADDRESS_MODEL`` at the
output.

Steps: tokenise each address as the parser does; derive BIOES tags; build the dictionary (cpca
division names and former names, address keywords, optionally jieba's word list) and the token
vocabulary; compute the features with the same code the parser runs
(:class:`~gridgov.places.address.features.FeatureSpace`); train a first-order CRF with L1 + L2
regularisation (L-BFGS); compile the weights into ``.npz``. The run is deterministic: the same data
and options give a byte-identical model file.

Needs ``python-crfsuite`` (training only); ``jieba`` is optional (``--words``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from gridgov.places.address.data import Example, read_dataset
from gridgov.places.address.engine import CompiledModel
from gridgov.places.address.features import FeatureSpace
from gridgov.places.address.resources import build_dictionary, load_word_list
from gridgov.places.address.text import tokenize
from gridgov.places.address.train_neural import NEURAL_DEFAULTS

__all__ = ["train", "token_tags", "main", "DEFAULTS"]

DEFAULTS: dict[str, object] = {
    "bags": 1,
    "c1": 0.1,
    "c2": 0.1,
    "max_iterations": 100,
    "words": False,
    "word_min_freq": 5,
}
_FEATURE_BATCH = 1000


def token_tags(text: str, char_tags: Sequence[str]) -> tuple[list[str], list[int], list[int], list[str]]:
    """Tokens of ``text`` with BIOES tags (``b-x i-x e-x s-x``) derived from per-character tags."""
    toks, starts, ends = tokenize(text)
    bio = [char_tags[s] for s in starts]
    out: list[str] = []
    for i, tag in enumerate(bio):
        label = tag[2:]
        cont = i + 1 < len(bio) and bio[i + 1] == "i-" + label
        if tag[0] == "b" or i == 0 or bio[i - 1][2:] != label:
            out.append(("b-" if cont else "s-") + label)
        else:
            out.append(("i-" if cont else "e-") + label)
    return toks, starts, ends, out


def _log(msg: str) -> None:
    print(f"[train] {msg}", file=sys.stderr, flush=True)


def train(
    examples: Sequence[Example],
    out_path: str | os.PathLike[str],
    *,
    bags: int = DEFAULTS["bags"],  # type: ignore[assignment]
    c1: float = DEFAULTS["c1"],  # type: ignore[assignment]
    c2: float = DEFAULTS["c2"],  # type: ignore[assignment]
    max_iterations: int = DEFAULTS["max_iterations"],  # type: ignore[assignment]
    words: bool = DEFAULTS["words"],  # type: ignore[assignment]
    word_min_freq: int = DEFAULTS["word_min_freq"],  # type: ignore[assignment]
    possible_transitions: bool = False,
    crfsuite_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    neural: bool = False,
    neural_options: dict | None = None,
    crf_from: str | os.PathLike[str] | None = None,
) -> dict:
    """Train on ``examples`` (``(text, char_tags)`` pairs, see :mod:`~.data`) and write the compiled
    model to ``out_path``. Returns training statistics (also stored in the model's metadata).

    With ``bags`` = n > 1, n CRFs are trained, the j-th on every address whose index is not j
    modulo n, and their weights are averaged into one model (bagging: the same features and the
    same decoding cost as a single CRF, lower variance). ``bags=1`` trains one CRF on everything.

    With ``neural``, a small bidirectional recurrent network is trained on the same addresses and features
    after the CRF (:mod:`~.train_neural`, needs PyTorch) and stored in the model; the parser adds
    its log-probabilities (× ``neural_options["weight"]``) to the CRF scores. ``neural_options``
    may set ``cell`` (``gru``/``lstm``), ``hidden``, ``epochs``, ``seed``, ``loss`` (``ce``/``crf``)
    and ``weight`` (defaults ``NEURAL_DEFAULTS``: the shipped network). ``crf_from`` (a model file) skips the CRF training and keeps that file's
    CRF (trained by this function on the same examples, it is the CRF this call would train:
    training is deterministic), so that only the network is (re)trained.
    """
    log = _log if progress else (lambda msg: None)
    t0 = time.perf_counter()
    seqs = [token_tags(text, tags) for text, tags in examples]
    seqs = [s for s in seqs if s[0]]
    word_list = load_word_list(min_freq=word_min_freq) if words else {}
    if words and not word_list:
        raise RuntimeError("--words needs the jieba package (its dict.txt)")
    if crf_from is not None:
        model = CompiledModel.load(crf_from)
        model.attach_neural(None)
        stats = dict(model.meta.get("training", {}))
        stats.pop("neural", None)
        log(f"CRF taken from {crf_from} ({stats.get('algorithm', '?')}); training the network only")
    else:
        dictionary = build_dictionary(word_list)
        space = FeatureSpace.build((s[0] for s in seqs), dictionary)
        n_tokens = sum(len(s[0]) for s in seqs)
        log(
            f"{len(seqs)} addresses, {n_tokens} tokens, vocabulary {len(space.vocab)}, "
            f"dictionary {len(dictionary.entries)} entries, {space.n_set} set features"
        )
        bags = max(1, int(bags))
        params = {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "feature.possible_transitions": possible_transitions,
        }
        models: list[CompiledModel] = []
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(crfsuite_dir) if crfsuite_dir else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            for j in range(bags):
                part = [s for i, s in enumerate(seqs) if bags == 1 or i % bags != j]
                log(
                    f"CRF {j + 1}/{bags}: {len(part)} addresses; L-BFGS, c1={c1}, c2={c2}, "
                    f"{max_iterations} iterations"
                )
                trainer = _make_trainer(log, max_iterations)
                for a in range(0, len(part), _FEATURE_BATCH):
                    chunk = part[a : a + _FEATURE_BATCH]
                    attrs = space.attributes([s[0] for s in chunk], [s[1] for s in chunk], [s[2] for s in chunk])
                    for x, s in zip(attrs, chunk):
                        trainer.append(x, s[3])
                trainer.set_params(params)
                crf_file = folder / f"address-{j + 1}-of-{bags}.crfsuite"
                trainer.train(str(crf_file))
                models.append(CompiledModel.from_crfsuite(crf_file, space))
                log(f"CRF {j + 1}/{bags} done ({time.perf_counter() - t0:.0f} s so far)")
        stats = {
            "addresses": len(seqs),
            "tokens": n_tokens,
            "algorithm": "crfsuite lbfgs, first order, BIOES"
            + (f"; weights averaged over {bags} bags" if bags > 1 else ""),
            "bags": bags,
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "possible_transitions": possible_transitions,
            "words": len(word_list),
            "licence_note": "word list derived from jieba dict.txt (MIT licence)" if word_list else "",
        }
        model = CompiledModel.average(models, meta={"training": stats}) if bags > 1 else models[0]
    if neural:
        from gridgov.places.address.train_neural import NEURAL_DEFAULTS, train_network

        opts = {**NEURAL_DEFAULTS, **(neural_options or {})}
        log(f"network: {opts}")
        weight = float(opts.pop("weight"))
        model.attach_neural(train_network(model, seqs, progress=progress, **opts), weight)
        stats["neural"] = {"kind": "bidirectional RNN over the CRF features (PyTorch, exported to numpy)",
                           "weight": weight, **opts}  # fmt: skip
    model.meta = {"training": stats}
    model.save(out_path)
    stats = dict(stats)
    stats["seconds"] = round(time.perf_counter() - t0, 1)
    stats["model_bytes"] = Path(out_path).stat().st_size
    log(f"wrote {out_path} ({stats['model_bytes'] / 1e6:.2f} MB) in {stats['seconds']:.0f} s")
    return stats


def _make_trainer(log, max_iterations: int):
    """A ``pycrfsuite.Trainer`` that reports every 10th iteration and nothing else."""
    import pycrfsuite

    class Trainer(pycrfsuite.Trainer):
        def on_iteration(self, log_text, info):
            n = info.get("num", 0)
            if n % 10 == 0 or n == 1:
                log(
                    f"iteration {n}/{max_iterations}: loss {info.get('loss', 0):.1f}, "
                    f"active features {info.get('active_features', 0)}"
                )

    def quiet(self, *args):
        return None

    for hook in ("on_start", "on_featgen_progress", "on_featgen_end", "on_prepared", "on_prepare_error",
                 "on_optimization_end", "on_end"):  # fmt: skip
        setattr(Trainer, hook, quiet)
    return Trainer(verbose=True)  # pycrfsuite calls the hooks only when verbose


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m gridgov.places.address.train", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--data", help="dataset folder with train.txt (and dev.txt, evaluated if present)")
    ap.add_argument(
        "--train", action="append", default=[], help="extra/alternative BIO training file (repeatable)"
    )
    ap.add_argument("--out", required=True, help="output model (.npz)")
    ap.add_argument("--crfsuite-dir", help="also keep the raw CRFsuite models in this folder")
    ap.add_argument(
        "--bags", type=int, default=DEFAULTS["bags"], help="CRFs trained and averaged (1 = one CRF)"
    )
    ap.add_argument("--c1", type=float, default=DEFAULTS["c1"])
    ap.add_argument("--c2", type=float, default=DEFAULTS["c2"])
    ap.add_argument("--max-iterations", type=int, default=DEFAULTS["max_iterations"])
    ap.add_argument("--words", action="store_true", help="add jieba's word list to the dictionary")
    ap.add_argument(
        "--word-min-freq", type=int, default=DEFAULTS["word_min_freq"], help="jieba frequency floor"
    )
    ap.add_argument(
        "--all-transitions",
        action="store_true",
        help="weights for all label transitions, not only those seen",
    )
    ap.add_argument(
        "--neural", action="store_true", help="also train the neural scorer (needs PyTorch: gridgov[train])"
    )
    ap.add_argument("--neural-epochs", type=int, default=NEURAL_DEFAULTS["epochs"])
    ap.add_argument("--neural-hidden", type=int, default=NEURAL_DEFAULTS["hidden"], help="units per direction")
    ap.add_argument("--neural-cell", choices=("gru", "lstm"), default=NEURAL_DEFAULTS["cell"])
    ap.add_argument("--neural-weight", type=float, default=NEURAL_DEFAULTS["weight"])
    ap.add_argument(
        "--neural-loss",
        choices=("ce", "crf"),
        default=NEURAL_DEFAULTS["loss"],
        help="per-token cross entropy, or a CRF loss with the network's own label transitions",
    )
    ap.add_argument("--seed", type=int, default=NEURAL_DEFAULTS["seed"], help="seed of the network's training")
    ap.add_argument(
        "--crf-from", help="keep the CRF of this model file (trained on the same data) and train only the network"
    )
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    paths: list[Path] = []
    if args.data:
        paths.append(Path(args.data) / "train.txt")
    paths += [Path(p) for p in args.train]
    if not paths:
        ap.error("give --data or --train")
    examples: list[Example] = []
    for p in paths:
        examples.extend(read_dataset(p))
    stats = train(
        examples,
        args.out,
        c1=args.c1,
        c2=args.c2,
        max_iterations=args.max_iterations,
        words=args.words,
        word_min_freq=args.word_min_freq,
        possible_transitions=args.all_transitions,
        bags=args.bags,
        crfsuite_dir=args.crfsuite_dir,
        progress=not args.quiet,
        crf_from=args.crf_from,
        neural=args.neural,
        neural_options={
            "epochs": args.neural_epochs,
            "hidden": args.neural_hidden,
            "cell": args.neural_cell,
            "weight": args.neural_weight,
            "seed": args.seed,
            "loss": args.neural_loss,
        },
    )
    print(json.dumps(stats, ensure_ascii=False))
    if args.data and (Path(args.data) / "dev.txt").exists():
        from gridgov.places.address.evaluate import evaluate_examples, format_report
        from gridgov.places.address.parser import AddressParser

        result = evaluate_examples(read_dataset(Path(args.data) / "dev.txt"), AddressParser.load(args.out))
        print("dev (evaluation only):", file=sys.stderr)
        print(format_report(result), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
