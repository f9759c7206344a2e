"""A small neural character tagger, used as a second scorer next to the CRF.

The network (trained with PyTorch by :mod:`gridgov.places.address.train_neural`, run here with
numpy and the numba loop of :mod:`~gridgov.places.address.kernels`, never PyTorch) reads, for every token, the embeddings of its vocabulary id, of the token bigrams
ending and starting at it, of the character-type pattern around it, and a projection of the
CRF's set features (dictionary matches, keyword left context, repeats); one bidirectional
recurrent layer (GRU or LSTM) turns these into per-label scores over the same BIOES labels as
the CRF.

At parse time the engine adds ``weight × log p`` to the CRF state scores before the constrained
Viterbi (a product of experts: the CRF keeps its transitions and sparse n-gram weights, the
network adds context from the whole address, in both directions).

A network trained with a CRF loss also carries label transitions (``trans``), which the engine
adds (× the same weight) to the CRF's.

The recurrent layer's input projection is folded into the embedding tables when the model is
loaded (a gather per input instead of a matrix product), sigmoids are computed as
``(tanh(x / 2) + 1) / 2`` with the halving folded into the weights. The layer runs as one
compiled loop (:func:`~gridgov.places.address.kernels.rnn_hidden`) when numba is installed;
otherwise (or with ``use_kernel = False``) both directions run together in numpy, step by step,
over chunks of sequences sorted by length (the same scores, about 3× slower).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from gridgov.places.address.kernels import HAVE_NUMBA, rnn_hidden

__all__ = ["NeuralScorer", "NEURAL_ARRAYS"]

#: arrays a model file must hold (prefixed ``nn_`` in the ``.npz``)
NEURAL_ARRAYS = (
    "tok_emb",  # [V, e]       token embedding (vocabulary ids of the feature space)
    "big_emb",  # [NB + 1, b]  bigram embedding, row 0 = unknown bigram
    "big_keys",  # [NB]        sorted bigram keys (the feature space's ``b-1``/``b0`` keys)
    "typ_emb",  # [NT + 1, 8]  type-pattern embedding, row 0 = unknown pattern
    "typ_keys",  # [NT]        sorted type-pattern keys (the ``y3`` template)
    "set_proj",  # [F, s]      projection of the set features
    "w_ih_f",  # [G·H, d]      forward input weights, gates as in PyTorch (LSTM: i f g o; GRU: r z n)
    "w_hh_f",  # [G·H, H]
    "b_ih_f",  # [G·H]
    "b_hh_f",  # [G·H]
    "w_ih_b",  # backward direction, the same shapes
    "w_hh_b",
    "b_ih_b",
    "b_hh_b",
    "out_w",  # [K, 2H]
    "out_b",  # [K]
)
#: optional: ``trans`` [K, K], the label transitions of a network trained with a CRF loss
_CHUNK = 128  # sequences run through the recurrent layer together (sorted by length)


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row of each key in a table whose row 0 is "unknown" and row i + 1 is ``sorted_keys[i]``."""
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, np.int64)
    p = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return np.where(sorted_keys[p] == keys, p + 1, 0)


class NeuralScorer:
    """Per-token label log-probabilities of the bidirectional GRU/LSTM tagger, from the CRF's own
    features."""

    def __init__(self, arrays: dict[str, np.ndarray], template_index: dict[str, int]) -> None:
        self.arrays = {k: np.asarray(arrays[k]) for k in NEURAL_ARRAYS}
        #: label transitions ``[K, K]`` of a network trained with a CRF loss (``trans``), else None
        self.transitions = np.asarray(arrays["trans"], np.float32) if "trans" in arrays else None
        a = {k: v.astype(np.float32) if v.dtype.kind == "f" else v for k, v in self.arrays.items()}
        self.col_u0 = template_index["u0"]
        self.col_bm1 = template_index["b-1"]
        self.col_b0 = template_index["b0"]
        self.col_y3 = template_index["y3"]
        self.big_keys = a["big_keys"].astype(np.int64)
        self.typ_keys = a["typ_keys"].astype(np.int64)
        e, b = a["tok_emb"].shape[1], a["big_emb"].shape[1]
        t = a["typ_emb"].shape[1]
        self.H = H = a["w_hh_f"].shape[1]
        self.gru = a["w_hh_f"].shape[0] == 3 * H
        G = 3 if self.gru else 4
        if self.gru:
            # sigmoid(x) = (tanh(x / 2) + 1) / 2: the r and z pre-activations are halved here
            perm = np.arange(3 * H)
            scale = np.ones(3 * H, np.float32)
            scale[: 2 * H] = 0.5
        else:
            # gates reordered from (i, f, g, o) to (i, f, o, g), so that the sigmoid gates are one
            # block, and their pre-activations halved
            perm = np.concatenate([np.arange(0, 2 * H), np.arange(3 * H, 4 * H), np.arange(2 * H, 3 * H)])
            scale = np.ones(4 * H, np.float32)
            scale[: 3 * H] = 0.5
        for d in ("f", "b"):
            for k in ("w_ih_", "w_hh_"):
                a[k + d] = a[k + d][perm] * scale[:, None]
            for k in ("b_ih_", "b_hh_"):
                a[k + d] = a[k + d][perm] * scale
        # the recurrent bias goes into the input projection, except the GRU's candidate part
        # (multiplied by the reset gate)
        inner = np.zeros(G * H, bool)
        if self.gru:
            inner[2 * H :] = True
        bias = np.concatenate([np.where(inner, 0, a["b_hh_" + d]) + a["b_ih_" + d] for d in ("f", "b")])
        self.b_hn = np.stack([a["b_hh_f"][inner], a["b_hh_b"][inner]])[:, None, :].astype(np.float32)
        # input projection of both directions [d, 8H], folded into the embedding tables
        w_in = np.concatenate([a["w_ih_f"], a["w_ih_b"]], axis=0).T
        parts = np.split(w_in, np.cumsum([e, b, b, t])[:4], axis=0)
        self.p_tok = a["tok_emb"] @ parts[0]
        self.p_bm1 = a["big_emb"] @ parts[1]
        self.p_b0 = a["big_emb"] @ parts[2]
        self.p_typ = a["typ_emb"] @ parts[3] + bias
        self.p_set = a["set_proj"] @ parts[4]
        self.w_hh = np.ascontiguousarray(np.stack([a["w_hh_f"].T, a["w_hh_b"].T]), dtype=np.float32)  # [2, H, G·H]
        for name in ("p_tok", "p_bm1", "p_b0", "p_typ", "p_set"):
            setattr(self, name, np.ascontiguousarray(getattr(self, name), dtype=np.float32))
        self.out_w = np.ascontiguousarray(a["out_w"].T)
        self.out_b = a["out_b"]
        self.n_labels = a["out_b"].shape[0]
        # the compiled loop (kernels.rnn_hidden) reads the projections as [rows, direction, gates]
        self.use_kernel = HAVE_NUMBA
        self.k_tables = tuple(
            getattr(self, name).reshape(-1, 2, G * H) for name in ("p_tok", "p_bm1", "p_b0", "p_typ", "p_set")
        )
        self.k_w_hh_t = np.ascontiguousarray(self.w_hh.transpose(0, 2, 1))  # [2, G·H, H]
        self.k_b_hn = np.ascontiguousarray(self.b_hn.reshape(2, -1)) if self.gru else np.zeros((2, H), np.float32)

    def _log_probs_kernel(
        self, keys: np.ndarray, set_matrix: sp.csr_matrix | None, seq_off: np.ndarray, normalize: bool, out
    ) -> np.ndarray:
        total = keys.shape[0]
        tok = np.ascontiguousarray(keys[:, self.col_u0], dtype=np.int64)
        bm1 = _lookup(self.big_keys, keys[:, self.col_bm1])
        b0 = _lookup(self.big_keys, keys[:, self.col_b0])
        typ = _lookup(self.typ_keys, keys[:, self.col_y3])
        if set_matrix is not None:
            set_ptr = np.asarray(set_matrix.indptr, np.int64)
            set_idx = np.asarray(set_matrix.indices, np.int64)
        else:
            set_ptr = np.zeros(total + 1, np.int64)
            set_idx = np.zeros(0, np.int64)
        hid = rnn_hidden(tok, bm1, b0, typ, set_ptr, set_idx, *self.k_tables, self.k_w_hh_t, self.k_b_hn,
                         np.asarray(seq_off, np.int64), self.gru)  # fmt: skip
        return self._output(hid, normalize, out)

    def _output(self, hid: np.ndarray, normalize: bool, out: np.ndarray) -> np.ndarray:
        """The output layer over the hidden states: logits, or log-probabilities (``out`` is scratch)."""
        logits = hid @ self.out_w
        logits += self.out_b
        if normalize:
            logits -= logits.max(axis=1, keepdims=True)
            np.exp(logits, out=out)
            logits -= np.log(out.sum(axis=1, keepdims=True))
        return logits

    def log_probs(
        self, keys: np.ndarray, set_matrix: sp.csr_matrix | None, seq_off: np.ndarray, *, normalize: bool = True
    ) -> np.ndarray:
        """``[total tokens, labels]`` log-probabilities (labels in the model's order) from the
        dense keys ``[total, templates]``, the token × set-feature matrix and the sequence offsets.
        ``normalize=False`` leaves out the log-sum-exp, a constant per token, which does not change
        any Viterbi path (the parser's path)."""
        total = keys.shape[0]
        H = self.H
        H4 = (3 if self.gru else 4) * H  # gate pre-activations per direction
        out = np.zeros((total, self.n_labels), np.float32)
        if total == 0:
            return out
        if self.use_kernel:
            return self._log_probs_kernel(keys, set_matrix, seq_off, normalize, out)
        # [total + 1, 8H]: the input projections of both directions; the last row is padding
        X = np.empty((total + 1, 2 * H4), np.float32)
        x = X[:total]
        np.take(self.p_tok, keys[:, self.col_u0], axis=0, out=x)
        x += self.p_bm1[_lookup(self.big_keys, keys[:, self.col_bm1])]
        x += self.p_b0[_lookup(self.big_keys, keys[:, self.col_b0])]
        x += self.p_typ[_lookup(self.typ_keys, keys[:, self.col_y3])]
        if set_matrix is not None:
            x += set_matrix @ self.p_set
        X[total] = 0.0
        X2 = X.reshape(2 * (total + 1), H4)  # row 2r: forward part of token r, 2r + 1: backward
        lens = np.diff(seq_off)
        order = np.argsort(lens, kind="stable")
        hid = np.zeros((total + 1, 2 * H), np.float32)  # last row: padding
        w_hh = self.w_hh
        for c in range(0, order.size, _CHUNK):
            g = order[c : c + _CHUNK]
            ln = lens[g]
            L = int(ln.max())
            if L == 0:
                continue
            B = g.size
            steps = np.arange(L)[None, :]
            valid = steps < ln[:, None]  # [B, L]
            fwd = np.where(valid, seq_off[g][:, None] + steps, total)
            bwd = np.where(valid, seq_off[g][:, None] + ln[:, None] - 1 - steps, total)
            # [L, 2, B, 4H]: step-major, both directions stacked (the backward one reads reversed)
            xs = X2[np.stack([2 * fwd.T, 2 * bwd.T + 1], axis=1)]
            z = np.empty((2, B, H4), np.float32)
            tmp = np.empty((2, B, H), np.float32)
            hs = np.zeros((L + 1, 2, B, H), np.float32)  # hs[t + 1] = state after step t
            if self.gru:
                b_hn = self.b_hn
                for t in range(L):
                    np.matmul(hs[t], w_hh, out=z)
                    x_t = xs[t]
                    rz = z[:, :, : 2 * H]
                    rz += x_t[:, :, : 2 * H]
                    np.tanh(rz, out=rz)  # halved at load: sigmoid = (tanh + 1) / 2
                    rz *= 0.5
                    rz += 0.5
                    n = z[:, :, 2 * H :]
                    n += b_hn
                    n *= z[:, :, :H]  # r
                    n += x_t[:, :, 2 * H :]
                    np.tanh(n, out=n)
                    h = hs[t + 1]
                    np.subtract(hs[t], n, out=h)
                    h *= z[:, :, H : 2 * H]  # z
                    h += n  # h' = n + z (h - n)
            else:
                cell = np.zeros((2, B, H), np.float32)
                for t in range(L):
                    np.matmul(hs[t], w_hh, out=z)
                    z += xs[t]
                    np.tanh(z, out=z)  # gates i, f, o (halved at load) then g
                    ifo = z[:, :, : 3 * H]
                    ifo *= 0.5
                    ifo += 0.5  # sigmoid(x) = (tanh(x / 2) + 1) / 2
                    cell *= z[:, :, H : 2 * H]
                    np.multiply(z[:, :, :H], z[:, :, 3 * H :], out=tmp)
                    cell += tmp
                    h = hs[t + 1]
                    np.tanh(cell, out=h)
                    h *= z[:, :, 2 * H : 3 * H]
            hs = hs[1:]
            hid[fwd.T, :H] = hs[:, 0]
            hid[bwd.T, H:] = hs[:, 1]
        hid = hid[:total]
        return self._output(hid, normalize, out)


