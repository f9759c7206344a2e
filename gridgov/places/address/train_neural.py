"""Train the neural scorer of the address tagger (PyTorch, CPU) and export it as numpy arrays.

Called by :mod:`gridgov.places.address.train` with ``--neural`` after the CRF: the network reads
the CRF's own features (:class:`~gridgov.places.address.features.FeatureSpace`: the token's
vocabulary id, the token bigrams ``b-1``/``b0``, the type pattern ``y3`` and the set features)
and predicts the same BIOES labels; :class:`~gridgov.places.address.neural.NeuralScorer` runs the
exported arrays with numpy at parse time.

Network: embeddings (token 64, bigram 32 × 2, type pattern 8, set features projected to 32) →
one bidirectional recurrent layer (GRU or LSTM, H units per direction) → linear to the labels;
dropout 0.3 on the embeddings and on the recurrent output, embedding dropout 5 % (a token or
bigram replaced by "unknown", so that unseen ones get a trained row); per-token cross entropy
(``loss="ce"``) or the negative log-likelihood of a linear-chain CRF over the network's scores
with label transitions of its own, exported as ``trans`` and added (× the weight) to the CRF's
at parse time (``loss="crf"``);
Adam (lr 2e-3, × 0.3 after 60 % of the epochs), batches of 32 addresses, gradient norm clipped
at 5. One thread, fixed seeds: the same data and options give the same arrays.

Needs PyTorch (training only: ``pip install gridgov[train]``); parsing never imports it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import numpy as np

from gridgov.places.address.engine import CompiledModel
from gridgov.places.address.features import DENSE_TEMPLATES

__all__ = ["train_network", "NEURAL_DEFAULTS"]

NEURAL_DEFAULTS: dict[str, object] = {
    "cell": "lstm",
    "hidden": 64,
    "epochs": 12,
    "seed": 1,
    "weight": 2.5,
    "loss": "crf",
}
_TOK, _BIG, _TYP, _SET = 64, 32, 8, 32
_DROP, _WORD_DROP, _LR, _BATCH = 0.3, 0.05, 2e-3, 32
_FEATURE_BATCH = 1000


def _log(msg: str) -> None:
    print(f"[train-neural] {msg}", file=sys.stderr, flush=True)


def _ids(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    p = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return np.where(sorted_keys[p] == keys, p + 1, 0)


def train_network(
    model: CompiledModel,
    seqs: Sequence[tuple[list[str], list[int], list[int], list[str]]],
    *,
    cell: str = NEURAL_DEFAULTS["cell"],  # type: ignore[assignment]
    hidden: int = NEURAL_DEFAULTS["hidden"],  # type: ignore[assignment]
    epochs: int = NEURAL_DEFAULTS["epochs"],  # type: ignore[assignment]
    seed: int = NEURAL_DEFAULTS["seed"],  # type: ignore[assignment]
    loss: str = NEURAL_DEFAULTS["loss"],  # type: ignore[assignment]
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """Train the network on ``seqs`` (tokens, starts, ends, BIOES tags — :func:`~.train.token_tags`)
    over ``model``'s feature space and labels; returns the arrays of
    :class:`~gridgov.places.address.neural.NeuralScorer`."""
    import torch
    from torch import nn

    log = _log if progress else (lambda msg: None)
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    t0 = time.perf_counter()
    col = {name: i for i, (name, _, _) in enumerate(DENSE_TEMPLATES)}
    space = model.space
    F, K = space.n_set, len(model.labels)
    lab = {name: i for i, name in enumerate(model.labels)}
    keys_l, codes_l, offs = [], [], [np.zeros(1, np.int64)]
    n_tok = 0
    for a in range(0, len(seqs), _FEATURE_BATCH):
        chunk = seqs[a : a + _FEATURE_BATCH]
        keys, codes, off = space.features([s[0] for s in chunk], [s[1] for s in chunk], [s[2] for s in chunk])
        keys_l.append(keys)
        codes_l.append(codes + n_tok * F)
        offs.append(off[1:] + n_tok)
        n_tok += keys.shape[0]
    keys = np.vstack(keys_l)
    codes = np.concatenate(codes_l)
    off = np.concatenate(offs)
    y = np.array([lab[t] for s in seqs for t in s[3]], np.int64)
    tok = keys[:, col["u0"]]
    big_keys = np.unique(np.concatenate([keys[:, col["b-1"]], keys[:, col["b0"]][-1:]]), return_counts=True)
    big_keys = np.sort(big_keys[0][big_keys[1] >= 2])  # bigrams seen at least twice
    typ_keys = np.unique(keys[:, col["y3"]])
    bm1 = _ids(big_keys, keys[:, col["b-1"]])
    b0 = _ids(big_keys, keys[:, col["b0"]])
    typ = _ids(typ_keys, keys[:, col["y3"]])
    S = np.zeros((n_tok, F), np.float32)
    S.reshape(-1)[codes] = 1.0
    V = len(space.vocab)
    log(f"{len(seqs)} addresses, {n_tok} tokens; {big_keys.size} bigrams, {typ_keys.size} type patterns")

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.et = nn.Embedding(V, _TOK)
            self.eb = nn.Embedding(big_keys.size + 1, _BIG)
            self.ey = nn.Embedding(typ_keys.size + 1, _TYP)
            self.es = nn.Linear(F, _SET, bias=False)
            self.dp = nn.Dropout(_DROP)
            rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
            self.rnn = rnn(_TOK + 2 * _BIG + _TYP + _SET, hidden, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * hidden, K)

        def forward(self, t, p, q, r, s, lens):
            x = self.dp(torch.cat([self.et(t), self.eb(p), self.eb(q), self.ey(r), self.es(s)], -1))
            packed = nn.utils.rnn.pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
            h, _ = self.rnn(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
            return self.out(self.dp(h))

    def batch(idx: np.ndarray, drop: bool):
        lens = off[idx + 1] - off[idx]
        L = int(lens.max())
        rows = off[idx][:, None] + np.arange(L)[None, :]
        valid = np.arange(L)[None, :] < lens[:, None]
        rows = np.where(valid, rows, 0)
        arrs = [np.where(valid, a[rows], 0) for a in (tok, bm1, b0, typ)]
        if drop:
            for a in arrs[:3]:
                a[rng.random_sample(a.shape) < _WORD_DROP] = 0
        s = S[rows] * valid[:, :, None]
        yy = np.where(valid, y[rows], -100)
        return [torch.from_numpy(a) for a in arrs] + [torch.from_numpy(s), torch.from_numpy(lens)], torch.from_numpy(yy)

    net = Net()
    params = list(net.parameters())
    if loss == "crf":
        # linear-chain CRF on the network's scores: its own label transitions (exported as
        # ``trans``), BIOES structure enforced (forbidden moves never scored)
        prefix = [lab.split("-", 1)[0] for lab in model.labels]
        entity = [lab.split("-", 1)[1] for lab in model.labels]
        allowed = np.zeros((K, K), bool)
        for i in range(K):
            for j in range(K):
                if prefix[i] in "es" and prefix[j] in "bs":
                    allowed[i, j] = True
                elif prefix[i] in "bi" and prefix[j] in "ie" and entity[i] == entity[j]:
                    allowed[i, j] = True
        neg = torch.tensor(-1e4)
        allowed_t = torch.from_numpy(allowed)
        start_ok = torch.tensor([p in "bs" for p in prefix])
        end_ok = torch.tensor([p in "es" for p in prefix])
        trans = nn.Parameter(torch.zeros(K, K))
        params.append(trans)
    elif loss != "ce":
        raise ValueError(f"unknown loss {loss!r}")

    def crf_nll(em, yy, lens):
        """Mean over tokens of the CRF negative log-likelihood of the gold paths."""
        B, L, _ = em.shape
        tr = torch.where(allowed_t, trans, neg)
        mask = torch.arange(L)[None, :] < lens[:, None]
        y0 = yy.clamp(min=0)
        gold = em.gather(2, y0[:, :, None])[:, :, 0]
        gold = (gold * mask).sum(1)
        step = tr[y0[:, :-1], y0[:, 1:]] * mask[:, 1:]
        gold = gold + step.sum(1)
        alpha = em[:, 0] + torch.where(start_ok, 0.0, neg)
        for t in range(1, L):
            nxt = torch.logsumexp(alpha[:, :, None] + tr[None], dim=1) + em[:, t]
            alpha = torch.where(mask[:, t : t + 1], nxt, alpha)
        logz = torch.logsumexp(alpha + torch.where(end_ok, 0.0, neg), dim=1)
        return (logz - gold).sum() / mask.sum()

    opt = torch.optim.Adam(params, lr=_LR)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0 if e < epochs * 0.6 else 0.3)
    lossf = nn.CrossEntropyLoss(ignore_index=-100)
    n = off.size - 1
    for ep in range(epochs):
        net.train()
        total = 0.0
        order = rng.permutation(n)
        for i in range(0, n, _BATCH):
            inputs, target = batch(order[i : i + _BATCH], True)
            opt.zero_grad()
            if loss == "crf":
                value = crf_nll(net(*inputs), target, inputs[-1])
            else:
                value = lossf(net(*inputs).reshape(-1, K), target.reshape(-1))
            value.backward()
            nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            total += value.item()
        sched.step()
        log(f"epoch {ep + 1}/{epochs}: loss {total:.1f} ({time.perf_counter() - t0:.0f} s so far)")
    w = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    arrays: dict[str, np.ndarray] = {
        "tok_emb": w["et.weight"],
        "big_emb": w["eb.weight"],
        "big_keys": big_keys.astype(np.int64),
        "typ_emb": w["ey.weight"],
        "typ_keys": typ_keys.astype(np.int64),
        "set_proj": np.ascontiguousarray(w["es.weight"].T),
        "out_w": w["out.weight"],
        "out_b": w["out.bias"],
    }
    if loss == "crf":
        arrays["trans"] = np.where(allowed, trans.detach().numpy(), 0.0).astype(np.float32)
    for d, suffix in (("f", ""), ("b", "_reverse")):
        arrays[f"w_ih_{d}"] = w[f"rnn.weight_ih_l0{suffix}"]
        arrays[f"w_hh_{d}"] = w[f"rnn.weight_hh_l0{suffix}"]
        arrays[f"b_ih_{d}"] = w[f"rnn.bias_ih_l0{suffix}"]
        arrays[f"b_hh_{d}"] = w[f"rnn.bias_hh_l0{suffix}"]
    return arrays
