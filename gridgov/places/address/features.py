"""Features of the address tagger, computed one way for training and for parsing.

Tokens are digit runs, Latin-letter runs or single characters (:func:`~.text.tokenize`). Every
feature of a token is either

* a **dense template** value — one integer key per token and template: the token key at offsets
  −3…+3, key bigrams, trigrams and 4-grams around the token, the character-type pattern of the
  token and its neighbours, the distance from the start and from the end of the address (capped);
  computed for a whole batch at once with numpy (:meth:`FeatureSpace.dense_keys`);
* a **set feature** — zero or more binary flags per token (:meth:`FeatureSpace.set_codes`):
  dictionary entries covering the token (division names and their former names and short forms,
  address keywords such as 小区 大厦 号楼 单元 by category, a general word list) with the token's
  role in the entry (B/I/E/S, words B/M/E with a part-of-speech group), the keyword categories
  seen earlier in the address and the last one with its distance (``seenR`` — a road word came
  before, ``lastN2`` — a 号 ended two tokens ago), and repeated token bigrams (duplicated prefixes
  such as 浙江省杭州市浙江省杭州市 are ``redundant`` text).

Training turns the same integer keys into CRFsuite attribute strings (``"b0=123456"``,
``"s=17"``, :meth:`FeatureSpace.attributes`), so what the model learned and what the runtime
computes cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "DENSE_TEMPLATES",
    "KEYWORDS",
    "Dictionary",
    "FeatureSpace",
    "token_key",
    "token_type",
]

UNK, BOS, EOS = 0, 1, 2  # reserved token ids
RESERVED = ("\x00unk", "\x00bos", "\x00eos")
TYPES = ("S", "D", "A", "C", "P")  # S = outside the address (padding)
MAX_POS = 4
WINDOW = 3  # largest |offset| of a dense template

# (name, channel, offsets); channel "k" = token key, "y" = token type, "ps"/"pe" = position
DENSE_TEMPLATES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("u-3", "k", (-3,)),
    ("u-2", "k", (-2,)),
    ("u-1", "k", (-1,)),
    ("u0", "k", (0,)),
    ("u1", "k", (1,)),
    ("u2", "k", (2,)),
    ("u3", "k", (3,)),
    ("b-3", "k", (-3, -2)),
    ("b-2", "k", (-2, -1)),
    ("b-1", "k", (-1, 0)),
    ("b0", "k", (0, 1)),
    ("b1", "k", (1, 2)),
    ("b2", "k", (2, 3)),
    ("t-3", "k", (-3, -2, -1)),
    ("t-2", "k", (-2, -1, 0)),
    ("t-1", "k", (-1, 0, 1)),
    ("t0", "k", (0, 1, 2)),
    ("t1", "k", (1, 2, 3)),
    ("q-2", "k", (-2, -1, 0, 1)),
    ("q-1", "k", (-1, 0, 1, 2)),
    ("q0", "k", (0, 1, 2, 3)),
    ("y3", "y", (-1, 0, 1)),
    ("ps", "ps", (0,)),
    ("pe", "pe", (0,)),
)

#: address keywords by category; a match must cover whole tokens.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "P": ("省", "自治区"),
    "C": ("市", "州", "地区", "盟"),
    "D": ("区", "县", "旗"),
    "T": ("镇", "乡", "街道"),
    "V": ("村", "社区", "居委会", "村委会", "委会"),
    "R": ("路", "街", "大道", "道", "巷", "弄", "线", "公路"),
    "N": ("号",),
    "O": (
        "小区", "花园", "大厦", "广场", "苑", "公寓", "中心", "学校", "医院", "市场", "城", "园", "厂",
        "公司", "酒店", "宾馆", "大楼", "家园", "新村", "商城", "工业区", "庭", "府", "湾", "轩", "阁",
        "居", "里", "坊", "汇", "店", "馆", "院", "所", "站", "局", "楼",
    ),
    "H": ("栋", "幢", "座", "号楼", "号院"),
    "U": ("单元",),
    "F": ("层", "楼"),
    "M": ("室", "房"),
    "A": (
        "附近", "对面", "旁边", "隔壁", "门口", "旁", "东侧", "西侧", "南侧", "北侧", "斜对面", "后面",
        "楼下",
    ),
    "X": ("电联", "联系"),
}  # fmt: skip
MAX_DIST = 4  # distance buckets of the "last keyword" feature


def token_key(tok: str) -> str:
    """The vocabulary form of a token: digit runs by length (``"000"``, at most 4), one Latin letter
    upper-cased, Latin words of 2–3 letters lower-cased with a ``~`` mark, longer ones ``"~L"``;
    anything else as is."""
    c = tok[0]
    if "0" <= c <= "9":
        return "0" * min(len(tok), 4)
    if c.isascii() and c.isalpha():
        if len(tok) == 1:
            return tok.upper()
        return "~" + tok.lower() if len(tok) <= 3 else "~L"
    return tok


def token_type(tok: str) -> int:
    """Index in :data:`TYPES`: 1 digits, 2 Latin, 3 CJK, 4 anything else."""
    c = tok[0]
    if "0" <= c <= "9":
        return 1
    if c.isascii() and c.isalpha():
        return 2
    if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf":
        return 3
    return 4


class Dictionary:
    """What the set features match against: named place-name / keyword dictionaries (``gaz``,
    roles B/I/E/S) and a general word list with part-of-speech groups (``words``, roles B/M/E).

    ``gaz``: ``{dictionary name: entries}``; names starting with ``k`` are keyword categories
    (``kR`` road words …) and also drive the left-context features. ``words``: ``{word: group}``.
    """

    ROLES_GAZ = "BIES"
    ROLES_WORD = "BME"

    def __init__(self, gaz: Mapping[str, Iterable[str]], words: Mapping[str, str]) -> None:
        self.gaz_names: list[str] = sorted(gaz)
        self.groups: list[str] = sorted(set(words.values()))
        kw_cats = [d[1:] for d in self.gaz_names if d.startswith("k")]
        names = ["bias", "repB", "repI"]
        names += [f"g{d}{r}" for d in self.gaz_names for r in self.ROLES_GAZ]
        names += [f"x{r}{g}" for r in self.ROLES_WORD for g in self.groups]
        names += [f"x{r}" for r in self.ROLES_WORD]
        names += [f"seen{c}" for c in kw_cats]
        names += [f"last{c}{d}" for c in ["^", *kw_cats] for d in range(1, MAX_DIST + 1)]
        names += [f"last{c}" for c in ["^", *kw_cats]]
        self.set_names: list[str] = names
        self.set_index: dict[str, int] = {n: i for i, n in enumerate(names)}
        self.kw_cats = kw_cats
        entries: dict[str, tuple[list[str], str | None]] = {}
        for d in self.gaz_names:
            for e in gaz[d]:
                if len(e) >= (1 if d.startswith("k") else 2):
                    entries.setdefault(e, ([], None))[0].append(d)
        for w, g in words.items():
            if len(w) >= 2:
                ds = entries.get(w, ([], None))[0]
                entries[w] = (ds, g)
        self.entries = entries
        self._table: dict[str, tuple | int] | None = None

    # ---- storage -------------------------------------------------------------------------
    def to_state(self) -> dict:
        gaz: dict[str, list[str]] = {d: [] for d in self.gaz_names}
        words: dict[str, str] = {}
        for e, (ds, g) in self.entries.items():
            for d in ds:
                gaz[d].append(e)
            if g is not None:
                words[e] = g
        return {"gaz": {d: sorted(v) for d, v in gaz.items()}, "words": dict(sorted(words.items()))}

    @classmethod
    def from_state(cls, state: Mapping) -> Dictionary:
        return cls(state["gaz"], state["words"])

    # ---- matching ------------------------------------------------------------------------
    @property
    def table(self) -> dict[str, tuple | int]:
        """Entry → ``(s_ids, b_ids, i_ids, e_ids, kw)`` (set-feature indices by token role, and the
        keyword category index + 1 or 0); every proper prefix of an entry → ``0``."""
        if self._table is None:
            idx = self.set_index
            kw_pos = {f"k{c}": i for i, c in enumerate(self.kw_cats)}
            table: dict[str, tuple | int] = {}
            for e, (ds, g) in self.entries.items():
                s = tuple(idx[f"g{d}S"] for d in ds)
                b = tuple(idx[f"g{d}B"] for d in ds)
                i = tuple(idx[f"g{d}I"] for d in ds)
                en = tuple(idx[f"g{d}E"] for d in ds)
                if g is not None:
                    b += (idx[f"xB{g}"], idx["xB"])
                    i += (idx[f"xM{g}"], idx["xM"])
                    en += (idx[f"xE{g}"], idx["xE"])
                kws = tuple(kw_pos[d] for d in ds if d in kw_pos)
                for k in range(1, len(e)):
                    table.setdefault(e[:k], 0)
                table[e] = (s, b, i, en, kws)
            self._table = table
        return self._table

    def set_codes(
        self,
        tokens: Sequence[str],
        starts: Sequence[int],
        ends: Sequence[int],
        base: int,
        F: int,
        out: list[int],
        hits: list[tuple[int, int, int]],
    ) -> None:
        """Append ``(base + token index) * F + feature`` to ``out`` for every dictionary feature of
        the tokens (codes may repeat; a feature counts once per token), and ``(base + end token,
        -length, category)`` to ``hits`` for every keyword match."""
        n = len(tokens)
        # dictionary entries spanning whole, adjacent tokens (entries hold no whitespace)
        get = self.table.get
        for ts in range(n):
            sub = tokens[ts]
            v = get(sub)
            te = ts
            while v is not None:
                if v:
                    s_ids, b_ids, i_ids, e_ids, kws = v  # type: ignore[misc]
                    c = (base + ts) * F
                    if ts == te:
                        out.extend([c + f for f in s_ids])
                    else:
                        out.extend([c + f for f in b_ids])
                        c2 = (base + te) * F
                        out.extend([c2 + f for f in e_ids])
                        for t in range(ts + 1, te):
                            c3 = (base + t) * F
                            out.extend([c3 + f for f in i_ids])
                    for k in kws:
                        hits.append((base + te, ts - te, k))
                te += 1
                if te >= n or starts[te] != ends[te - 1]:
                    break
                sub += tokens[te]
                v = get(sub)


def _combine(arrs: list[np.ndarray], base: int) -> np.ndarray:
    q = arrs[0]
    for a in arrs[1:]:
        q = q * base + a
    return q


class FeatureSpace:
    """Token vocabulary + dictionary: turns token lists into dense template keys and set-feature
    codes (parsing) or CRFsuite attribute strings (training)."""

    def __init__(self, vocab: Sequence[str], dictionary: Dictionary) -> None:
        self.vocab = list(vocab)
        if tuple(self.vocab[: len(RESERVED)]) != RESERVED:
            raise ValueError("vocabulary must start with the reserved ids")
        self.vocab_index = {k: i for i, k in enumerate(self.vocab)}
        self.base = len(self.vocab) + 1
        longest = max(len(o) for _, ch, o in DENSE_TEMPLATES if ch == "k")
        if self.base**longest >= 2**57:  # keys must stay below 2**57 (the engine adds 5 bits)
            raise ValueError(f"vocabulary of {len(self.vocab)} keys is too large for {longest}-gram keys")
        self.dictionary = dictionary
        self.n_set = len(dictionary.set_names)
        self._cache: dict[str, int] = {}
        self._uids: dict[str, int] = {}

    @classmethod
    def build(
        cls, token_lists: Iterable[Sequence[str]], dictionary: Dictionary, min_count: int = 1
    ) -> FeatureSpace:
        from collections import Counter

        counts: Counter[str] = Counter()
        for toks in token_lists:
            counts.update(map(token_key, toks))
        vocab = list(RESERVED) + sorted(k for k, c in counts.items() if c >= min_count)
        return cls(vocab, dictionary)

    # ------------------------------------------------------------------------------------
    def packed_ids(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """``uid << 32 | id << 3 | type`` of every token of a batch, with ``WINDOW`` pads before and
        after each sequence; ``id`` is the vocabulary id (``UNK`` for unknown keys), ``uid`` an id
        unique to the token key within the batch (unknown keys included)."""
        cache = self._cache
        uids = self._uids
        if len(cache) > 200_000 or len(uids) > 200_000:
            cache.clear()
            uids.clear()
        vi = self.vocab_index
        packed: list[int] = []
        pre = [BOS << 3] * WINDOW
        post = [EOS << 3] * WINDOW
        for toks in token_lists:
            packed.extend(pre)
            for tok in toks:
                c = cache.get(tok)
                if c is None:
                    key = token_key(tok)
                    vid = vi.get(key, UNK)
                    uid = vid if vid != UNK else uids.setdefault(key, len(self.vocab) + len(uids))
                    c = cache[tok] = (uid << 32) | (vid << 3) | token_type(tok)
                packed.append(c)
            packed.extend(post)
        return np.array(packed, np.int64)

    def features(
        self,
        token_lists: Sequence[Sequence[str]],
        starts: Sequence[Sequence[int]],
        ends: Sequence[Sequence[int]],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All features of a batch: dense keys ``[total tokens, templates]``, sorted set-feature
        codes ``token * n_set + feature`` (``bias`` not included) and the sequence offsets."""
        n_seq = len(token_lists)
        seq_off = np.zeros(n_seq + 1, np.int64)
        np.cumsum(np.fromiter((len(t) for t in token_lists), np.int64, n_seq), out=seq_off[1:])
        parr = self.packed_ids(token_lists)
        codes = self.set_codes(token_lists, starts, ends, seq_off, parr)
        return self.dense_keys(parr, seq_off), codes, seq_off

    def dense_keys(self, parr: np.ndarray, seq_off: np.ndarray) -> np.ndarray:
        """``[total tokens, templates]`` int64 keys of the dense templates, from the
        :meth:`packed_ids` of a batch and its sequence offsets ``[n + 1]``."""
        lens = np.diff(seq_off)
        n_seq = lens.size
        total = int(seq_off[-1])
        out = np.empty((total, len(DENSE_TEMPLATES)), np.int64)
        if total == 0:
            return out
        karr = (parr >> 3) & 0x1FFFFFFF
        yarr = parr & 7
        seq_idx = np.repeat(np.arange(n_seq), lens)
        within = np.arange(total) - seq_off[seq_idx]
        pos = np.arange(total) + (2 * seq_idx + 1) * WINDOW
        base = self.base
        for t, (_, ch, offs) in enumerate(DENSE_TEMPLATES):
            if ch == "k":
                out[:, t] = _combine([karr[pos + o] for o in offs], base)
            elif ch == "y":
                out[:, t] = _combine([yarr[pos + o] for o in offs], 8)
            elif ch == "ps":
                out[:, t] = np.minimum(within, MAX_POS)
            else:
                out[:, t] = np.minimum(lens[seq_idx] - 1 - within, MAX_POS)
        return out

    def set_codes(
        self,
        token_lists: Sequence[Sequence[str]],
        starts: Sequence[Sequence[int]],
        ends: Sequence[Sequence[int]],
        seq_off: np.ndarray,
        parr: np.ndarray,
    ) -> np.ndarray:
        """Sorted unique codes ``token * n_set + feature`` (flat token index over the batch) of the
        set features, ``bias`` not included (``parr``: the batch's :meth:`packed_ids`)."""
        dic = self.dictionary
        F = self.n_set
        codes: list[int] = []
        hits: list[tuple[int, int, int]] = []
        o = 0
        for toks, st, en in zip(token_lists, starts, ends):
            dic.set_codes(toks, st, en, o, F, codes, hits)
            o += len(toks)
        total = o
        if total == 0:
            return np.zeros(0, np.int64)
        mark = np.zeros(total * F, np.bool_)
        if codes:
            mark[np.array(codes, np.int64)] = True
        self._repeat_marks(mark, parr, seq_off)
        if dic.kw_cats:
            self._context_marks(mark, hits, seq_off, total)
        return np.flatnonzero(mark)

    def _repeat_marks(self, mark: np.ndarray, parr: np.ndarray, seq_off: np.ndarray) -> None:
        """``repB``/``repI`` on the two tokens of a token-key bigram that already occurred, not
        overlapping, earlier in the same address (a duplicated prefix such as 浙江省杭州市浙江省杭州市
        is typical ``redundant`` text)."""
        lens = np.diff(seq_off)
        seq_idx = np.repeat(np.arange(lens.size), lens)
        flat = np.arange(seq_idx.size)
        uid = (parr >> 32)[flat + (2 * seq_idx + 1) * WINDOW]
        # bigrams (i, i + 1) inside one address
        ok = np.flatnonzero(flat[:-1] + 1 < seq_off[1:][seq_idx[:-1]]) if flat.size > 1 else flat[:0]
        if ok.size == 0:
            return
        u = int(uid.max()) + 1
        code = (seq_idx[ok] * u + uid[ok]) * u + uid[ok + 1]
        _, first, inv = np.unique(code, return_index=True, return_inverse=True)
        rep = ok[ok[first[inv]] < ok - 1]
        F = self.n_set
        mark[rep * F + 1] = True
        mark[(rep + 1) * F + 2] = True

    def _context_marks(
        self, mark: np.ndarray, hits: list[tuple[int, int, int]], seq_off: np.ndarray, total: int
    ) -> None:
        """Left-context features: ``seen<c>`` — a keyword of category c ended before the token (in
        the same address); ``last<c>`` and ``last<c><d>`` — the category of the nearest such
        keyword (the longest one where several end together; ``^`` when none) and its distance d
        (capped)."""
        dic = self.dictionary
        F = self.n_set
        idx = dic.set_index
        ncat = len(dic.kw_cats)
        seq_end = np.zeros(total, np.int64)
        lens = np.diff(seq_off)
        seq_end[:] = np.repeat(seq_off[1:], lens)
        cat_at = np.full(total + 1, -1, np.int64)  # category active from this token on
        if hits:
            h = np.array(sorted(hits), np.int64).reshape(-1, 3)
            nxt = h[:, 0] + 1
            ok = nxt < seq_end[h[:, 0]]
            h, nxt = h[ok], nxt[ok]
        else:
            h = np.zeros((0, 3), np.int64)
            nxt = np.zeros(0, np.int64)
        # seen<c>: cumulative counts per category within each address
        cnt = np.zeros((total + 1, ncat), np.int32)
        np.add.at(cnt, (nxt, h[:, 2]), 1)
        np.cumsum(cnt, axis=0, out=cnt)
        seq_idx = np.repeat(np.arange(lens.size), lens)
        seen = cnt[:total] > cnt[seq_off[:-1]][seq_idx]
        t_i, c_i = np.nonzero(seen)
        mark[t_i * F + idx[f"seen{dic.kw_cats[0]}"] + c_i] = True
        # last<c>: forward fill of the longest keyword ending just before, reset at each address
        first = np.ones(nxt.size, np.bool_)
        first[1:] = nxt[1:] != nxt[:-1]  # hits are sorted by end, longest first
        cat_at[nxt[first]] = h[first, 2]
        marker = np.zeros(total, np.int64)
        marker[seq_off[:-1][lens > 0]] = 1
        marker[nxt[first]] = 1
        pos = np.maximum.accumulate(np.where(marker == 1, np.arange(total), 0))
        last = cat_at[pos]
        dist = np.where(last >= 0, np.minimum(np.arange(total) - pos + 1, MAX_DIST), MAX_DIST)
        tok = np.arange(total) * F
        mark[tok + idx["last^1"] + (last + 1) * MAX_DIST + dist - 1] = True
        mark[tok + idx["last^"] + last + 1] = True

    def attributes(
        self,
        token_lists: Sequence[Sequence[str]],
        starts: Sequence[Sequence[int]],
        ends: Sequence[Sequence[int]],
    ) -> list[list[list[str]]]:
        """CRFsuite attribute strings per token per sequence (the training path)."""
        keys, codes, seq_off = self.features(token_lists, starts, ends)
        names = [name + "=" for name, _, _ in DENSE_TEMPLATES]
        F = self.n_set
        per_tok: list[list[str]] = [[n + str(k) for n, k in zip(names, row)] for row in keys.tolist()]
        for c in codes.tolist():
            per_tok[c // F].append("s=" + str(c % F))
        for a in per_tok:
            a.append("s=0")  # bias
        return [per_tok[seq_off[i] : seq_off[i + 1]] for i in range(len(token_lists))]
