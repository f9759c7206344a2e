"""The compiled tagger: CRF weights in numpy tables and a batched, constrained Viterbi decoder.

A model trained with CRFsuite (:mod:`gridgov.places.address.train`) is compiled once into a
``.npz`` file holding

* per dense feature template, a sorted array of integer keys with the row of its weights;
* the weight rows (``[rows, labels]``), the set-feature weights and the label transition matrix;
* the token vocabulary and the dictionary (division names, keywords) the features use.

Parsing a batch computes every dense key of every token at once with numpy
(:class:`~gridgov.places.address.features.FeatureSpace`), finds the weight rows in an
open-addressing hash table (built at load time, probed with whole-array operations), sums them
block by block (so the score block stays in cache), adds the set features through a sparse
product, and runs Viterbi over groups of equal length, allowing only well-formed BIOES sequences.
Nothing here imports CRFsuite; ``pycrfsuite`` is needed only to compile a freshly trained model.

Several models built on one feature space can be merged into one whose scores are their mean
(:meth:`CompiledModel.average`, used for bagging) at no cost at parse time.

A model may also carry a small neural scorer (``nn_*`` arrays, :mod:`~.neural`): its label
log-probabilities, times the stored ``neural_weight``, are added to the CRF's state scores before
the Viterbi, and its label transitions (if trained with a CRF loss), times the same weight, to
the CRF's transitions (:meth:`CompiledModel.attach_neural`).

The Viterbi runs as a numba-compiled loop (:func:`~gridgov.places.address.kernels.viterbi`) when
numba is installed and ``use_kernels`` is true; the numpy version below gives the same paths.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from gridgov.places.address.features import DENSE_TEMPLATES, Dictionary, FeatureSpace
from gridgov.places.address.kernels import HAVE_NUMBA, viterbi

__all__ = ["CompiledModel", "FORMAT_VERSION"]

FORMAT_VERSION = 2
_NEG = np.float32(-1e30)
_VITERBI_ROWS = 512  # sequences decoded together (keeps the [rows, K, K] temporaries in cache)
_BLOCK = 2048  # tokens whose scores are summed together
_TMPL_SLOTS = 32  # dense template keys are stored as key * 32 + template index
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


class _HashTable:
    """An open-addressing (linear probing) hash table ``int64 key → int32 value`` built and
    queried with whole-array numpy operations; several times faster than ``searchsorted`` over
    the ~200k feature keys of a model."""

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.bits = max(4, int(np.ceil(np.log2(max(keys.size, 1)))) + 1)  # load factor 1/4 to 1/2
        size = 1 << self.bits
        self.keys = np.full(size, -1, np.int64)
        self.values = np.zeros(size, np.int32)
        h = self._hash(keys)
        pending = np.arange(keys.size)
        probe = 0
        while pending.size:
            slot = (h[pending] + probe) & (size - 1)
            free = np.flatnonzero(self.keys[slot] == -1)
            # of the keys that want the same free slot, the first takes it; the others probe on
            _, first = np.unique(slot[free], return_index=True)
            won = free[first]
            self.keys[slot[won]] = keys[pending[won]]
            self.values[slot[won]] = values[pending[won]]
            keep = np.ones(pending.size, np.bool_)
            keep[won] = False
            pending = pending[keep]
            probe += 1

    def _hash(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.astype(np.uint64) * _HASH_MUL) >> np.uint64(64 - self.bits)).astype(np.int64)

    def lookup(self, keys: np.ndarray, default: int) -> np.ndarray:
        out = np.full(keys.size, default, np.int64)
        h = self._hash(keys)
        mask = self.keys.size - 1
        pending = np.arange(keys.size)
        probe = 0
        while pending.size:
            slot = (h[pending] + probe) & mask
            k = self.keys[slot]
            hit = k == keys[pending]
            out[pending[hit]] = self.values[slot[hit]]
            pending = pending[~hit & (k != -1)]
            probe += 1
        return out


class CompiledModel:
    """Weights + feature space + decoder. Build with :meth:`from_crfsuite`, persist with
    :meth:`save` / :meth:`load`."""

    def __init__(
        self,
        *,
        labels: list[str],
        space: FeatureSpace,
        template_keys: list[np.ndarray],
        template_rows: list[np.ndarray],
        weights: np.ndarray,
        set_weights: np.ndarray,
        transitions: np.ndarray,
        meta: dict | None = None,
        neural: dict[str, np.ndarray] | None = None,
        neural_weight: float = 1.0,
    ) -> None:
        self.labels = labels
        self.space = space
        self.template_keys = template_keys
        self.template_rows = template_rows
        # one extra all-zero row for "feature not in the model" (filled in place: one copy at most)
        self.weights = np.zeros((weights.shape[0] + 1, len(labels)), np.float32)
        self.weights[:-1] = weights
        self.zero_row = self.weights.shape[0] - 1
        self.set_weights = set_weights.astype(np.float32)
        self.transitions = transitions.astype(np.float32)
        self.meta = dict(meta or {})
        #: run the compiled loops of :mod:`~.kernels` (numba) where they exist; ``False``: numpy only
        self.use_kernels = True
        self._table = _HashTable(
            np.concatenate([k * _TMPL_SLOTS + t for t, k in enumerate(template_keys)]).astype(np.int64),
            np.concatenate(template_rows).astype(np.int32),
        )
        self.attach_neural(neural, neural_weight)

    def attach_neural(self, arrays: dict[str, np.ndarray] | None, weight: float = 1.0) -> None:
        """Add (or, with ``None``, remove) the network whose log-probabilities, times ``weight``,
        are added to the CRF state scores (:mod:`gridgov.places.address.neural`)."""
        self.neural_arrays = dict(arrays) if arrays else None
        self.neural_weight = float(weight)
        self.neural = None
        if arrays:
            from gridgov.places.address.neural import NeuralScorer

            self.neural = NeuralScorer(arrays, {name: i for i, (name, _, _) in enumerate(DENSE_TEMPLATES)})
            if self.neural.n_labels != len(self.labels):
                raise ValueError("neural scorer and CRF have different label sets")
        # a network trained with a CRF loss has label transitions of its own: the decoder uses
        # the CRF's plus weight × the network's (the product of experts of two CRFs)
        trans = self.transitions
        if self.neural is not None and self.neural.transitions is not None:
            trans = trans + self.neural_weight * self.neural.transitions
        self._prepare_decoder(trans)

    @property
    def dictionary(self) -> Dictionary:
        return self.space.dictionary

    # ------------------------------------------------------------------------------------
    # compile / save / load
    # ------------------------------------------------------------------------------------
    @classmethod
    def from_crfsuite(cls, path: str | Path, space: FeatureSpace, meta: dict | None = None) -> CompiledModel:
        import pycrfsuite  # training-time dependency only

        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        info = tagger.info()
        tagger.close()
        labels = sorted(info.labels, key=_label_sort_key)
        lab_idx = {lab: i for i, lab in enumerate(labels)}
        K = len(labels)
        tmpl_index = {name: i for i, (name, _, _) in enumerate(DENSE_TEMPLATES)}
        set_weights = np.zeros((space.n_set, K), np.float32)
        attr_rows: dict[str, int] = {}
        per_tmpl: list[list[tuple[int, int]]] = [[] for _ in DENSE_TEMPLATES]
        rows: list[np.ndarray] = []
        for (attr, lab), w in info.state_features.items():
            name, _, value = attr.partition("=")
            j = lab_idx[lab]
            if name == "s":
                set_weights[int(value), j] += w
                continue
            r = attr_rows.get(attr)
            if r is None:
                r = attr_rows[attr] = len(rows)
                rows.append(np.zeros(K, np.float32))
                per_tmpl[tmpl_index[name]].append((int(value), r))
            rows[r][j] += w
        template_keys, template_rows = [], []
        for lst in per_tmpl:
            lst.sort()
            template_keys.append(np.array([k for k, _ in lst], dtype=np.int64))
            template_rows.append(np.array([r for _, r in lst], dtype=np.int32))
        weights = np.vstack(rows) if rows else np.zeros((0, K), np.float32)
        trans = np.zeros((K, K), np.float32)
        for (a, b), w in info.transitions.items():
            trans[lab_idx[a], lab_idx[b]] = w
        return cls(
            labels=labels,
            space=space,
            template_keys=template_keys,
            template_rows=template_rows,
            weights=weights,
            set_weights=set_weights,
            transitions=trans,
            meta=meta,
        )

    @classmethod
    def average(cls, models: Sequence[CompiledModel], meta: dict | None = None) -> CompiledModel:
        """One model whose scores are the mean of the ``models``' scores (all built on the same
        feature space): every weight is averaged, a feature or label a model lacks counting as 0
        there."""
        if not models:
            raise ValueError("nothing to average")
        space = models[0].space
        if any(m.space is not space for m in models):
            raise ValueError("models must share one feature space")
        labels = sorted(set().union(*(m.labels for m in models)), key=_label_sort_key)
        index = {lab: i for i, lab in enumerate(labels)}
        K, n = len(labels), len(models)
        cols = [np.array([index[lab] for lab in m.labels], np.int64) for m in models]
        template_keys, template_rows, blocks = [], [], []
        offset = 0
        for t in range(len(DENSE_TEMPLATES)):
            keys = np.unique(np.concatenate([m.template_keys[t] for m in models]))
            block = np.zeros((keys.size, K), np.float32)
            for m, c in zip(models, cols):
                pos = np.searchsorted(keys, m.template_keys[t])
                block[pos[:, None], c[None, :]] += m.weights[m.template_rows[t]] / n
            template_keys.append(keys)
            template_rows.append(np.arange(offset, offset + keys.size, dtype=np.int32))
            blocks.append(block)
            offset += keys.size
        set_weights = np.zeros((space.n_set, K), np.float32)
        transitions = np.zeros((K, K), np.float32)
        for m, c in zip(models, cols):
            set_weights[:, c] += m.set_weights / n
            transitions[c[:, None], c[None, :]] += m.transitions / n
        return cls(
            labels=labels,
            space=space,
            template_keys=template_keys,
            template_rows=template_rows,
            weights=np.vstack(blocks) if blocks else np.zeros((0, K), np.float32),
            set_weights=set_weights,
            transitions=transitions,
            meta=meta,
        )

    def save(self, path: str | Path) -> None:
        meta = dict(self.meta)
        meta.update(
            format=FORMAT_VERSION,
            labels=self.labels,
            templates=[[n, c, list(o)] for n, c, o in DENSE_TEMPLATES],
            set_names=self.dictionary.set_names,
        )
        if self.neural_arrays:
            meta["neural_weight"] = self.neural_weight
        arrays: dict[str, np.ndarray] = {
            "weights": self.weights[:-1],
            "set_weights": self.set_weights,
            "transitions": self.transitions,
            "vocab": _encode_strings(self.space.vocab),
            "dictionary": _encode_strings([json.dumps(self.dictionary.to_state(), ensure_ascii=False)]),
            "meta": _encode_strings([json.dumps(meta, ensure_ascii=False, sort_keys=True)]),
        }
        for t, (k, r) in enumerate(zip(self.template_keys, self.template_rows)):
            arrays[f"keys_{t}"] = k
            arrays[f"rows_{t}"] = r
        if self.neural_arrays:
            for name, arr in self.neural_arrays.items():
                arrays["nn_" + name] = arr
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(_npz_bytes(arrays))

    @classmethod
    def load(cls, path: str | Path) -> CompiledModel:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(_decode_strings(z["meta"])[0])
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported address model format {meta.get('format')!r}")
            templates = [(n, c, tuple(o)) for n, c, o in meta["templates"]]
            if templates != list(DENSE_TEMPLATES):
                raise ValueError(f"{path}: model was trained with different feature templates")
            dictionary = Dictionary.from_state(json.loads(_decode_strings(z["dictionary"])[0]))
            if dictionary.set_names != meta["set_names"]:
                raise ValueError(f"{path}: dictionary does not match the model's set features")
            space = FeatureSpace(_decode_strings(z["vocab"]), dictionary)
            n_t = len(DENSE_TEMPLATES)
            neural = {n[3:]: z[n] for n in z.files if n.startswith("nn_")} or None
            return cls(
                labels=list(meta["labels"]),
                space=space,
                template_keys=[z[f"keys_{t}"] for t in range(n_t)],
                template_rows=[z[f"rows_{t}"] for t in range(n_t)],
                weights=z["weights"],
                set_weights=z["set_weights"],
                transitions=z["transitions"],
                meta={k: v for k, v in meta.items() if k not in ("labels", "templates", "set_names", "neural_weight")},
                neural=neural,
                neural_weight=float(meta.get("neural_weight", 1.0)),
            )

    # ------------------------------------------------------------------------------------
    # decoding structure
    # ------------------------------------------------------------------------------------
    def _prepare_decoder(self, transitions: np.ndarray) -> None:
        labels = self.labels
        K = len(labels)
        prefix = [lab.split("-", 1)[0] for lab in labels]
        entity = [lab.split("-", 1)[1] if "-" in lab else lab for lab in labels]
        self.entity = entity
        self.prefix = prefix
        index = {lab: i for i, lab in enumerate(labels)}
        self.begin_states = np.array([i for i in range(K) if prefix[i] in ("b", "s")], np.int64)
        self.closed_states = np.array([i for i in range(K) if prefix[i] in ("e", "s")], np.int64)
        self.inner_states = np.array([i for i in range(K) if prefix[i] in ("i", "e")], np.int64)
        dummy = K  # a state with score -inf
        p1, p2 = [], []
        for i in self.inner_states:
            p1.append(index.get("b-" + entity[i], dummy))
            p2.append(index.get("i-" + entity[i], dummy))
        self.inner_p1 = np.array(p1, np.int64)
        self.inner_p2 = np.array(p2, np.int64)
        tr = np.vstack([transitions, np.zeros((1, K), np.float32)])
        self.trans_closed_begin = transitions[np.ix_(self.closed_states, self.begin_states)].copy()
        # full transition matrix with the structural constraints as -inf (for the backtrace)
        full = np.full((K, K), _NEG, np.float32)
        full[np.ix_(self.closed_states, self.begin_states)] = self.trans_closed_begin
        for j, i in enumerate(self.inner_states):
            for pred in (self.inner_p1[j], self.inner_p2[j]):
                if pred < K:
                    full[pred, i] = transitions[pred, i]
        self.trans_full = full
        self.trans_p1 = tr[self.inner_p1, self.inner_states]
        self.trans_p2 = tr[self.inner_p2, self.inner_states]

    # ------------------------------------------------------------------------------------
    # emissions
    # ------------------------------------------------------------------------------------
    def emissions(
        self,
        token_lists: Sequence[Sequence[str]],
        starts: Sequence[Sequence[int]],
        ends: Sequence[Sequence[int]],
        *,
        with_neural: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """State scores ``[total tokens, labels]`` for a batch and the offsets of each sequence
        (``with_neural=False``: the CRF's alone, without the network's log-probabilities)."""
        keys, codes, seq_off = self.space.features(token_lists, starts, ends)
        total = keys.shape[0]
        K = len(self.labels)
        if total == 0:
            return np.zeros((0, K), np.float32), seq_off
        rows = self._table.lookup((keys * _TMPL_SLOTS + np.arange(keys.shape[1])).ravel(), self.zero_row)
        rows = rows.reshape(keys.shape)
        W = self.weights
        E = np.empty((total, K), np.float32)
        for a in range(0, total, _BLOCK):
            b = min(a + _BLOCK, total)
            blk = E[a:b]
            r = rows[a:b]
            np.take(W, r[:, 0], axis=0, out=blk)
            for t in range(1, r.shape[1]):
                blk += W[r[:, t]]
        E += self.set_weights[0]  # bias
        # set features (repeats, dictionary matches, keyword context), each counted once per token
        m = None
        if codes.size:
            F = self.space.n_set
            r = codes // F
            indptr = np.searchsorted(r, np.arange(total + 1))
            m = sp.csr_matrix(
                (np.ones(codes.size, np.float32), (codes - r * F).astype(np.int32), indptr), shape=(total, F)
            )
            E += m @ self.set_weights
        if with_neural and self.neural is not None:  # product of experts: + weight × the network's log-probabilities
            lp = self.neural.log_probs(keys, m, seq_off, normalize=False)
            lp *= self.neural_weight
            E += lp
        return E, seq_off

    # ------------------------------------------------------------------------------------
    # Viterbi
    # ------------------------------------------------------------------------------------
    def decode(self, E: np.ndarray, seq_off: np.ndarray) -> np.ndarray:
        """Best well-formed label sequence of every sequence, as one flat array of label indices
        aligned with the rows of ``E``."""
        if HAVE_NUMBA and self.use_kernels:
            return viterbi(E, seq_off, self.begin_states, self.closed_states, self.inner_states, self.inner_p1,
                           self.inner_p2, self.trans_closed_begin, self.trans_p1, self.trans_p2, self.trans_full)  # fmt: skip
        lens = np.diff(seq_off)
        out = np.zeros(E.shape[0], np.int64)
        order = np.argsort(lens, kind="stable")
        sorted_lens = lens[order]
        bounds = np.flatnonzero(np.diff(sorted_lens)) + 1
        for g in np.split(order, bounds):
            if g.size == 0:
                continue
            L = int(lens[g[0]])
            if L == 0:
                continue
            for c in range(0, g.size, _VITERBI_ROWS):
                idx = seq_off[g[c : c + _VITERBI_ROWS]][:, None] + np.arange(L)[None, :]
                out[idx] = self._viterbi(E[idx])
        return out

    def tag(
        self,
        token_lists: Sequence[Sequence[str]],
        starts: Sequence[Sequence[int]],
        ends: Sequence[Sequence[int]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Flat label indices for all tokens of the batch and the sequence offsets."""
        E, seq_off = self.emissions(token_lists, starts, ends)
        return self.decode(E, seq_off), seq_off

    def _viterbi(self, X: np.ndarray) -> np.ndarray:
        """X: ``[B, L, K]`` state scores → ``[B, L]`` best label indices.

        The forward pass keeps only the best scores per step (no back-pointer tables); the
        backtrace recomputes the best predecessor of the one state chosen at each step."""
        B, L, K = X.shape
        begin, closed, inner = self.begin_states, self.closed_states, self.inner_states
        p1, p2 = self.inner_p1, self.inner_p2
        t_cb, t_p1, t_p2 = self.trans_closed_begin, self.trans_p1, self.trans_p2
        scores = np.empty((L, B, K + 1), np.float32)
        score = scores[0]
        score.fill(_NEG)
        score[:, begin] = X[:, 0, begin]
        for t in range(1, L):
            prev, score = score, scores[t]
            score[:, K] = _NEG
            # into B/S states: from any E/S state
            score[:, begin] = (prev[:, closed][:, :, None] + t_cb[None, :, :]).max(axis=1)
            # into I/E states: from B-x or I-x of the same entity
            score[:, inner] = np.maximum(prev[:, p1] + t_p1, prev[:, p2] + t_p2)
            score[:, :K] += X[:, t, :]
        path = np.empty((B, L), np.int64)
        cur = closed[scores[L - 1][:, closed].argmax(axis=1)]
        path[:, L - 1] = cur
        trans = self.trans_full
        for t in range(L - 1, 0, -1):
            cand = scores[t - 1][:, :K] + trans[:, cur].T  # [B, K]
            cur = cand.argmax(axis=1)
            path[:, t - 1] = cur
        return path


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """``np.savez_compressed`` with fixed member timestamps, so equal arrays give equal bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _label_sort_key(lab: str) -> tuple[str, str]:
    p, _, e = lab.partition("-")
    return (e, p)


def _encode_strings(items: list[str]) -> np.ndarray:
    data = "\n".join(s.replace("\n", " ") for s in items).encode("utf-8")
    return np.frombuffer(data, dtype=np.uint8).copy()


def _decode_strings(arr: np.ndarray) -> list[str]:
    return bytes(arr.tobytes()).decode("utf-8").split("\n")
