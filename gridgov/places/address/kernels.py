"""Compiled loops (numba) of the address tagger: the neural scorer's bidirectional recurrent
layer (:func:`rnn_hidden`) and the BIOES-constrained Viterbi (:func:`viterbi`).

numpy runs a recurrent layer step by step, and at every step pays a dozen array calls whose
elementwise work (``tanh`` on float32 costs ~15 multiplications per element) dominates; this
module runs the whole layer, input gathers included, as one loop compiled by numba:

* the input of each token is the sum of rows of the folded input projections (token, bigram
  ``b-1``, bigram ``b0``, type pattern, and one row per set feature, read from the CSR matrix),
  gathered where it is needed, never materialised for the whole batch;
* sequences run in chunks of ``CHUNK`` sorted by decreasing length, so that at step ``t`` the
  sequences still running are a prefix of the chunk; the recurrent product of a step is done
  as dot products over the transposed weights, four sequences at a time (as fast as a
  one-thread BLAS ``sgemm`` at these sizes, and free of BLAS's threading);
* ``tanh`` is a rational approximation (the one of Eigen's ``ptanh`` for float32, error
  < 1e-6 absolute) made of multiplications, additions and one division, which LLVM vectorises;
  sigmoids are ``(tanh(x / 2) + 1) / 2`` with the halving folded into the weights at load time
  (as for the numpy path). All loops are compiled with ``error_model="numpy"``: numba's
  default checks every float division for zero, which keeps LLVM from vectorising (10× slower);
* the Viterbi runs one sequence at a time, keeps best scores only (a max over the allowed
  predecessors, vectorised) and recomputes the best predecessor on the way back, with the
  tie-breaking of the numpy decoder (lowest state index), so both give the same paths.

The gates come as :class:`~gridgov.places.address.neural.NeuralScorer` prepares them: LSTM
``(i, f, o, g)``, GRU ``(r, z, n)``, sigmoid pre-activations halved, recurrent biases folded into
the input projection except the GRU's ``b_hn``. One thread (no ``parallel``); the compiled code
is cached on disk by numba (``cache=True``), so only the first process pays the compilation.

``numba`` is a runtime dependency; without it :class:`NeuralScorer` falls back to its numpy loop
(the same figures, slower).
"""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - import guard
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    HAVE_NUMBA = False

__all__ = ["HAVE_NUMBA", "rnn_hidden", "viterbi"]

CHUNK = 16  # sequences that step together (a multiple of 4)


_F = np.float32
_CLAMP = _F(7.90531110763549805)
_A13, _A11, _A9, _A7 = (
    _F(-2.76076847742355e-16),
    _F(2.00018790482477e-13),
    _F(-8.60467152213735e-11),
    _F(5.12229709037114e-08),
)
_A5, _A3, _A1 = _F(1.48572235717979e-05), _F(6.37261928875436e-04), _F(4.89352455891786e-03)
_B6, _B4, _B2, _B0 = (
    _F(1.19825839466702e-06),
    _F(1.18534705686654e-04),
    _F(2.26843463243900e-03),
    _F(4.89352518554385e-03),
)
_HALF = _F(0.5)
_ZERO = _F(0.0)


def _py_tanh(x):
    # Eigen's generic_fast_tanh_float: odd rational function on [-7.9053, 7.9053], ±1 outside;
    # float32 constants so that the whole computation stays in float32 (and vectorises)
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x2 * _A13 + _A11
    p = x2 * p + _A9
    p = x2 * p + _A7
    p = x2 * p + _A5
    p = x2 * p + _A3
    p = x2 * p + _A1
    p = x * p
    q = x2 * _B6 + _B4
    q = x2 * q + _B2
    q = x2 * q + _B0
    return p / q


def _py_rnn_hidden(tok, bm1, b0, typ, set_ptr, set_idx, p_tok, p_bm1, p_b0, p_typ, p_set,
                   w_hh_t, b_hn, seq_off, is_gru, hid):  # fmt: skip
    """Fill ``hid[total, 2H]`` (forward states, then backward states) for every token.

    ``p_*``: folded input projections ``[rows, 2, G·H]`` (float32); ``w_hh_t``: the recurrent
    weights, transposed, ``[2, G·H, H]``;
    ``b_hn``: ``[2, H]`` (GRU only); ``seq_off``: sequence offsets ``[n + 1]``."""
    n = seq_off.shape[0] - 1
    GH = w_hh_t.shape[1]
    H = w_hh_t.shape[2]
    lens = seq_off[1:] - seq_off[:-1]
    order = np.argsort(-lens, kind="mergesort")
    z = np.empty((CHUNK, GH), np.float32)
    h = np.zeros((CHUNK, H), np.float32)  # rows past the active ones are computed and ignored
    c = np.empty((CHUNK, H), np.float32)
    zr = np.empty((CHUNK, GH), np.float32)
    rows = np.empty(CHUNK, np.int64)
    for c0 in range(0, n, CHUNK):
        nb = min(CHUNK, n - c0)
        L = lens[order[c0]]
        for d in range(2):
            h[:, :] = 0.0
            c[:, :] = 0.0
            active = nb
            for t in range(L):
                while active > 0 and lens[order[c0 + active - 1]] <= t:
                    active -= 1
                # input part: gathered rows of the folded projections
                for b in range(active):
                    s = order[c0 + b]
                    if d == 0:
                        r = seq_off[s] + t
                    else:
                        r = seq_off[s + 1] - 1 - t
                    rows[b] = r
                    a1 = p_tok[tok[r], d]
                    a2 = p_bm1[bm1[r], d]
                    a3 = p_b0[b0[r], d]
                    a4 = p_typ[typ[r], d]
                    for j in range(GH):
                        z[b, j] = a1[j] + a2[j] + a3[j] + a4[j]
                    for q in range(set_ptr[r], set_ptr[r + 1]):
                        a5 = p_set[set_idx[q], d]
                        for j in range(GH):
                            z[b, j] += a5[j]
                # recurrent part zr = h @ W_hh for the chunk: dot products over the transposed
                # weights, four sequences at a time (each weight row read once for four)
                w = w_hh_t[d]
                for b in range(0, active, 4):
                    h0 = h[b]
                    h1 = h[b + 1]
                    h2 = h[b + 2]
                    h3 = h[b + 3]
                    for j in range(GH):
                        wj = w[j]
                        s0 = _ZERO
                        s1 = _ZERO
                        s2 = _ZERO
                        s3 = _ZERO
                        for k in range(H):
                            wk = wj[k]
                            s0 += h0[k] * wk
                            s1 += h1[k] * wk
                            s2 += h2[k] * wk
                            s3 += h3[k] * wk
                        zr[b, j] = s0
                        zr[b + 1, j] = s1
                        zr[b + 2, j] = s2
                        zr[b + 3, j] = s3
                if is_gru:
                    # r, z gates: input + recurrent; candidate: input + r * (recurrent + b_hn)
                    for b in range(active):
                        for j in range(H):
                            rg = _HALF * _tanh(z[b, j] + zr[b, j]) + _HALF
                            zg = _HALF * _tanh(z[b, H + j] + zr[b, H + j]) + _HALF
                            nn_ = _tanh(z[b, 2 * H + j] + rg * (zr[b, 2 * H + j] + b_hn[d, j]))
                            h[b, j] = nn_ + zg * (h[b, j] - nn_)
                else:
                    for b in range(active):
                        for j in range(H):
                            ig = _HALF * _tanh(z[b, j] + zr[b, j]) + _HALF
                            fg = _HALF * _tanh(z[b, H + j] + zr[b, H + j]) + _HALF
                            og = _HALF * _tanh(z[b, 2 * H + j] + zr[b, 2 * H + j]) + _HALF
                            gg = _tanh(z[b, 3 * H + j] + zr[b, 3 * H + j])
                            cc = fg * c[b, j] + ig * gg
                            c[b, j] = cc
                            h[b, j] = og * _tanh(cc)
                for b in range(active):
                    r = rows[b]
                    for j in range(H):
                        hid[r, d * H + j] = h[b, j]


def _py_viterbi(E, seq_off, begin, closed, inner, p1, p2, t_cb, t_p1, t_p2, trans, out):  # fmt: skip
    """Best well-formed BIOES path of every sequence (the constrained Viterbi of
    :meth:`~gridgov.places.address.engine.CompiledModel._viterbi`, one sequence at a time):
    into a B/S state only from an E/S state, into I-x/E-x only from B-x or I-x; the path ends in
    an E/S state. The forward pass keeps the best scores only (a max, which vectorises); the
    backtrace recomputes the best predecessor of the chosen state from ``trans`` (the full
    transition matrix with the forbidden moves at -1e30); ties go to the lower state index, as
    with numpy's ``argmax``."""
    K = E.shape[1]
    nb, nc, ni = begin.shape[0], closed.shape[0], inner.shape[0]
    neg = np.float32(-1e30)
    maxlen = 0
    for s in range(seq_off.shape[0] - 1):
        maxlen = max(maxlen, seq_off[s + 1] - seq_off[s])
    sc = np.empty((max(maxlen, 1), K + 1), np.float32)
    pc = np.empty(nc, np.float32)
    bb = np.empty(nb, np.float32)
    for s in range(seq_off.shape[0] - 1):
        a = seq_off[s]
        L = seq_off[s + 1] - a
        if L == 0:
            continue
        for k in range(K + 1):
            sc[0, k] = neg
        for j in range(nb):
            sc[0, begin[j]] = E[a, begin[j]]
        for t in range(1, L):
            prev = sc[t - 1]
            cur = sc[t]
            for i in range(nc):
                pc[i] = prev[closed[i]]
            for j in range(nb):
                bb[j] = neg
            for i in range(nc):  # row by row of t_cb: the inner loop vectorises
                pv = pc[i]
                row = t_cb[i]
                for j in range(nb):
                    bb[j] = max(bb[j], pv + row[j])
            cur[K] = neg
            for j in range(nb):
                cur[begin[j]] = bb[j] + E[a + t, begin[j]]
            for j in range(ni):
                cur[inner[j]] = max(prev[p1[j]] + t_p1[j], prev[p2[j]] + t_p2[j]) + E[a + t, inner[j]]
        best = neg
        arg = closed[0]
        for i in range(nc):
            if sc[L - 1, closed[i]] > best:
                best = sc[L - 1, closed[i]]
                arg = closed[i]
        out[a + L - 1] = arg
        for t in range(L - 1, 0, -1):
            best = neg
            nxt = 0
            for k in range(K):
                v = sc[t - 1, k] + trans[k, arg]
                if v > best:
                    best = v
                    nxt = k
            arg = nxt
            out[a + t - 1] = arg


if HAVE_NUMBA:
    _tanh = numba.njit(inline="always", fastmath=True, error_model="numpy", cache=True)(_py_tanh)
    _rnn_hidden = numba.njit(fastmath=True, error_model="numpy", cache=True, nogil=True)(_py_rnn_hidden)
    _viterbi = numba.njit(fastmath=True, error_model="numpy", cache=True, nogil=True)(_py_viterbi)
else:  # pragma: no cover
    _tanh = _py_tanh
    _rnn_hidden = None
    _viterbi = None


def viterbi(E, seq_off, begin, closed, inner, p1, p2, t_cb, t_p1, t_p2, trans) -> np.ndarray:
    """Flat best label indices for ``E [total, K]`` (see :func:`_py_viterbi`)."""
    if _viterbi is None:
        raise RuntimeError("numba is not installed")
    out = np.zeros(E.shape[0], np.int64)
    _viterbi(np.ascontiguousarray(E, np.float32), np.asarray(seq_off, np.int64), begin, closed, inner, p1, p2,
             t_cb, t_p1, t_p2, trans, out)  # fmt: skip
    return out


def rnn_hidden(tok, bm1, b0, typ, set_ptr, set_idx, p_tok, p_bm1, p_b0, p_typ, p_set,
               w_hh_t, b_hn, seq_off, is_gru) -> np.ndarray:  # fmt: skip
    """``[total, 2H]`` hidden states of the bidirectional layer (see :func:`_py_rnn_hidden`)."""
    if _rnn_hidden is None:
        raise RuntimeError("numba is not installed")
    total = tok.shape[0]
    hid = np.empty((total, 2 * w_hh_t.shape[2]), np.float32)
    if total:
        _rnn_hidden(tok, bm1, b0, typ, set_ptr, set_idx, p_tok, p_bm1, p_b0, p_typ, p_set,
                    w_hh_t, b_hn, seq_off, bool(is_gru), hid)  # fmt: skip
    return hid
