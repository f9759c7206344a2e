"""The Chinese address parser: elements and offsets, robustness, normalisation, quality on dev.

Nothing here trains a model: the parsing tests use the model shipped in the package, and the
quality tests (which read the dataset) skip when ``/work/shared/datasets/address`` is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.places.address import (
    LABELS,
    Element,
    load_model,
    normalize_text,
    parse_address,
    parse_many,
    parse_to_json_lines,
)
from gridgov.places.address.data import read_dataset, spans_from_char_tags
from gridgov.places.address.engine import CompiledModel
from gridgov.places.address.evaluate import evaluate_examples
from gridgov.places.address.features import DENSE_TEMPLATES
from gridgov.places.address.parser import DEFAULT_MODEL_PATH, MAX_TOKENS
from gridgov.places.address.text import chinese_number_to_int, fold_width, tokenize

DATA = Path("/work/shared/datasets/address")
needs_data = pytest.mark.skipif(not (DATA / "dev.txt").exists(), reason="address dataset not available")
needs_model = pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="address model not built")
SLICE_F1_FLOOR = 0.885  # the shipped model on the first 500 dev addresses (it scores 0.90 there)
DEV_F1_FLOOR = 0.902  # the shipped model on all of dev (it scores 0.9055; the CRF alone 0.8947)


def pairs(text: str) -> list[tuple[str, str]]:
    return [(e.label, e.text) for e in parse_address(text)]


def check_offsets(text: str, elems: list[Element]) -> None:
    last_end = 0
    for e in elems:
        assert e.label in LABELS
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end] == e.text
        assert e.start >= last_end, "elements overlap or are out of order"
        last_end = e.end


# --------------------------------------------------------------------------------------------
# text utilities (no model needed)
# --------------------------------------------------------------------------------------------


def test_tokenize_digit_and_latin_runs_with_original_offsets():
    text = "浙江省杭州市１２３号Ａ座 5-1 room"
    toks, starts, ends = tokenize(text)
    assert toks == ["浙", "江", "省", "杭", "州", "市", "123", "号", "A", "座", "5", "-", "1", "room"]
    assert [text[s:e] for s, e in zip(starts, ends)][6] == "１２３"
    assert all(fold_width(text[s:e]) == t for t, s, e in zip(toks, starts, ends))


def test_tokenize_empty_and_whitespace():
    assert tokenize("") == ([], [], [])
    assert tokenize(" \t\u3000\n") == ([], [], [])


def test_fold_width_keeps_length():
    s = "（１２３）ＡＢＣ　ｘ"
    assert fold_width(s) == "(123)ABC x"
    assert len(fold_width(s)) == len(s)


@pytest.mark.parametrize(
    "cn,value",
    [
        ("三", 3),
        ("十", 10),
        ("十二", 12),
        ("二十一", 21),
        ("一百零五", 105),
        ("五〇一", 501),
        ("两", 2),
        ("x", None),
    ],
)
def test_chinese_numbers(cn, value):
    assert chinese_number_to_int(cn) == value


@pytest.mark.parametrize(
    "raw,norm",
    [
        ("浙江省杭州市西湖区文三路９０号三单元五〇一室", "浙江省杭州市西湖区文三路90号3单元501室"),
        ("上城区 解放路 ２８号（原体育馆）对面", "上城区解放路28号"),
        ("延安路 十二层 附近", "延安路12层"),
        ("滨江区江南大道 二号楼 1203", "滨江区江南大道2号楼1203"),
        ("ａｂｃ大厦Ｂ座", "ABC大厦B座"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_text(raw, norm):
    assert normalize_text(raw) == norm


def test_normalize_text_keeps_place_names_with_numerals():
    assert normalize_text("杭州市三墩镇五常街道八一路") == "杭州市三墩镇五常街道八一路"


def test_spans_from_char_tags_conlleval_rule():
    tags = ["b-prov", "i-prov", "i-city", "b-city", "o", "i-road"]
    assert spans_from_char_tags(tags) == [("prov", 0, 2), ("city", 2, 3), ("city", 3, 4), ("road", 5, 6)]


# --------------------------------------------------------------------------------------------
# parsing with the shipped model
# --------------------------------------------------------------------------------------------


@needs_model
def test_full_address():
    assert pairs("浙江省杭州市余杭区五常街道文一西路969号阿里巴巴西溪园区") == [
        ("prov", "浙江省"),
        ("city", "杭州市"),
        ("district", "余杭区"),
        ("town", "五常街道"),
        ("road", "文一西路"),
        ("roadno", "969号"),
        ("poi", "阿里巴巴西溪园区"),
    ]


@needs_model
@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "杭州市西湖区文三路90号",
            [("city", "杭州市"), ("district", "西湖区"), ("road", "文三路"), ("roadno", "90号")],
        ),
        ("西湖区文三路90号", [("district", "西湖区"), ("road", "文三路"), ("roadno", "90号")]),
        (
            "余杭区良渚街道沈港路11号2楼",
            [
                ("district", "余杭区"),
                ("town", "良渚街道"),
                ("road", "沈港路"),
                ("roadno", "11号"),
                ("floorno", "2楼"),
            ],
        ),
    ],
)
def test_missing_levels(text, expected):
    assert pairs(text) == expected


@needs_model
def test_element_to_dict_and_labels():
    e = parse_address("浙江省杭州市")[0]
    assert e.to_dict() == {"label": "prov", "text": "浙江省", "start": 0, "end": 3}
    assert set(LABELS) >= {
        "prov",
        "city",
        "district",
        "devzone",
        "town",
        "community",
        "road",
        "roadno",
        "poi",
    }


@needs_model
def test_full_width_digits_and_offsets():
    text = "浙江省杭州市西湖区文三路９０号"
    got = parse_address(text)
    check_offsets(text, got)
    assert ("roadno", "９０号") in [(e.label, e.text) for e in got]
    # folding does not change what is found, only the characters shown
    folded = parse_address(fold_width(text))
    assert [(e.label, e.start, e.end) for e in got] == [(e.label, e.start, e.end) for e in folded]


@needs_model
def test_full_width_letters_and_brackets():
    text = "杭州市滨江区江南大道５８８号（恒鑫大厦）Ｂ座１２０３室"
    got = parse_address(text)
    check_offsets(text, got)
    found = [(e.label, e.text) for e in got]
    assert ("houseno", "Ｂ座") in found
    assert ("roomno", "１２０３室") in found


@needs_model
def test_chinese_numeral_unit_and_room():
    text = "杭州市西湖区文三路90号新华小区3幢三单元五〇一室"
    got = pairs(text)
    assert ("houseno", "3幢") in got
    assert ("cellno", "三单元") in got
    assert ("roomno", "五〇一室") in got


@needs_model
@pytest.mark.parametrize("house", ["5号楼", "5栋", "5幢", "B座", "五号楼", "十二幢"])
def test_building_words(house):
    text = f"杭州市滨江区江南大道588号恒鑫大厦{house}1203室"
    got = pairs(text)
    assert ("houseno", house) in got
    assert ("roomno", "1203室") in got


@needs_model
def test_noise_words_and_brackets_do_not_break_parsing():
    text = "杭州市上城区解放路28号(原体育馆)对面 银泰百货 附近"
    got = parse_address(text)
    check_offsets(text, got)
    labels = [e.label for e in got]
    assert labels[:4] == ["city", "district", "road", "roadno"]
    assert any(e.label == "assist" and e.text in ("对面", "附近") for e in got)


@needs_model
def test_spaces_between_elements():
    text = "浙江省 杭州市 滨江区 六和路 368号"
    got = parse_address(text)
    check_offsets(text, got)
    assert [(e.label, e.text) for e in got] == [
        ("prov", "浙江省"),
        ("city", "杭州市"),
        ("district", "滨江区"),
        ("road", "六和路"),
        ("roadno", "368号"),
    ]


@needs_model
@pytest.mark.parametrize("text", ["", " ", "   ", "\t", "\u3000\u3000", "\n"])
def test_empty_and_whitespace_only(text):
    assert parse_address(text) == []


@needs_model
@pytest.mark.parametrize(
    "text", ["😀", "\x00\x07", "ÀÉÎ", "русский", "\ufeff浙江省", "a\u0301", "\U0002a6a5路"]
)
def test_odd_unicode(text):
    check_offsets(text, parse_address(text))


@needs_model
def test_parse_many_matches_parse_address():
    texts = ["浙江省杭州市西湖区文三路90号", "", "   ", "宁波市鄞州区天童南路588号A座1503", "😀" * 3]
    assert parse_many(texts) == [parse_address(t) for t in texts]
    assert parse_many([]) == []


@needs_model
def test_long_text_is_parsed_in_pieces_with_correct_offsets():
    unit = "浙江省杭州市西湖区文三路90号新华小区3幢2单元501室，"
    text = unit * 40  # > 1,000 characters, > MAX_TOKENS tokens
    assert len(tokenize(text)[0]) > MAX_TOKENS
    got = parse_address(text)
    check_offsets(text, got)
    assert sum(e.label == "roomno" for e in got) >= 35


@needs_model
def test_very_long_text_does_not_crash():
    for text in ("杭州市" + "x" * 200_000 + "文三路90号", "文三路90号" * 5_000):
        got = parse_address(text)
        check_offsets(text, got)


@needs_model
def test_json_lines_output():
    lines = ["浙江省杭州市西湖区文三路90号\n", "\n", "   \n", "a\x00b\x07😀\n", "\ud800x\n", "x" * 2000]
    out = [json.loads(s) for s in parse_to_json_lines(lines)]
    assert len(out) == len(lines)
    assert out[0]["text"] == "浙江省杭州市西湖区文三路90号"
    assert out[0]["elements"][0] == {"label": "prov", "text": "浙江省", "start": 0, "end": 3}
    assert out[1] == {"text": "", "elements": []}
    assert out[2] == {"text": "", "elements": []}
    for o in out:
        for e in o["elements"]:
            assert o["text"][e["start"] : e["end"]] == e["text"]
    raw = next(parse_to_json_lines(["上城区解放路28号"]))
    assert "上城区" in raw  # ensure_ascii=False


@needs_model
def test_load_model_is_cached():
    assert load_model() is load_model()
    assert load_model(DEFAULT_MODEL_PATH) is load_model()


@needs_model
def test_model_env_setting(monkeypatch, tmp_path):
    from gridgov.places.address import parser as parser_mod

    missing = tmp_path / "nope.npz"
    monkeypatch.setenv(parser_mod.MODEL_ENV, str(missing))
    with pytest.raises(FileNotFoundError, match="GRIDGOV_ADDRESS_MODEL"):
        load_model()
    monkeypatch.setenv(parser_mod.MODEL_ENV, str(DEFAULT_MODEL_PATH))
    assert load_model() is load_model(DEFAULT_MODEL_PATH)


@needs_model
def test_shipped_model_is_small_and_self_describing():
    assert DEFAULT_MODEL_PATH.stat().st_size < 5_000_000
    meta = load_model().model.meta
    assert meta["training"]["addresses"] > 5000


@needs_model
def test_training_features_equal_parsing_features():
    """The CRFsuite attribute strings the trainer sees, looked up in the compiled tables, give the
    same scores as the numpy parsing path (so training and runtime features cannot drift)."""
    m = load_model().model
    texts = [
        "浙江省杭州市余杭区五常街道文一西路969号阿里巴巴西溪园区",
        "江干区 景坛路135号 庆春银泰负三楼",
        "x",
    ]
    toks, starts, ends = (list(x) for x in zip(*(tokenize(t) for t in texts)))
    E, off = m.emissions(toks, starts, ends, with_neural=False)
    tmpl = {name: t for t, (name, _, _) in enumerate(DENSE_TEMPLATES)}
    lookup = {
        (t, int(k)): int(r)
        for t, (keys, rows) in enumerate(zip(m.template_keys, m.template_rows))
        for k, r in zip(keys, rows)
    }
    for i, attrs in enumerate(m.space.attributes(toks, starts, ends)):
        for j, a in enumerate(attrs):
            score = np.zeros(len(m.labels), np.float64)
            for attr in a:
                name, _, value = attr.partition("=")
                if name == "s":
                    score += m.set_weights[int(value)]
                else:
                    r = lookup.get((tmpl[name], int(value)))
                    if r is not None:
                        score += m.weights[r]
            np.testing.assert_allclose(E[off[i] + j], score, atol=1e-4)


@needs_model
def test_neural_scorer_is_added_per_address_independently():
    """The shipped model's network adds its label scores to the CRF's; on its own (per-token argmax,
    or its Viterbi path with its own transitions when trained with a CRF loss) it already tags
    a plain address right (so the exported weights are read the way PyTorch trained them); a
    token's scores do not depend on the other addresses of the batch (the recurrent layer never
    runs across two addresses)."""
    m = load_model().model
    if m.neural is None:
        pytest.skip("model without a neural scorer")
    texts = ["浙江省杭州市余杭区五常街道文一西路969号阿里巴巴西溪园区", "x", "江干区 景坛路135号 庆春银泰负三楼"]
    toks, starts, ends = (list(x) for x in zip(*(tokenize(t) for t in texts)))
    E, off = m.emissions(toks, starts, ends)
    crf, _ = m.emissions(toks, starts, ends, with_neural=False)
    assert m.neural_weight > 0
    own = (E - crf)[: off[1]]  # the network's scores × its weight
    if m.neural.transitions is None:  # trained per token: its argmax is its tagging
        net = [m.labels[j] for j in own.argmax(axis=1)]
    else:  # trained with a CRF loss: its tagging is the Viterbi path with its own transitions
        alone = CompiledModel.load(DEFAULT_MODEL_PATH)
        alone._prepare_decoder(alone.neural.transitions * alone.neural_weight)
        net = [m.labels[j] for j in alone.decode(own, np.array([0, off[1]]))]
    # 浙江省 杭州市 余杭区 五常街道 文一西路 969号 (the POI after it is left to the CRF)
    expected = "prov:3 city:3 district:3 town:4 road:4 roadno:2"
    spans = [(part.split(":")[0], int(part.split(":")[1])) for part in expected.split()]
    tags = [f"{'b' if i == 0 else 'e' if i == n - 1 else 'i'}-{lab}" for lab, n in spans for i in range(n)]
    assert net[: len(tags)] == tags
    for i in range(len(texts)):
        alone, _ = m.emissions(toks[i : i + 1], starts[i : i + 1], ends[i : i + 1])
        np.testing.assert_allclose(alone, E[off[i] : off[i + 1]], atol=1e-4)


@needs_model
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_parse_never_raises_and_spans_are_well_formed(text):
    check_offsets(text, parse_address(text))


@needs_model
@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from("浙江省杭州市西湖区文三路号楼栋单元室0123456789AB- （）１２三〇"),
            max_size=60,
        ),
        max_size=8,
    )
)
def test_batch_equals_single(texts):
    assert parse_many(texts) == [parse_address(t) for t in texts]


# --------------------------------------------------------------------------------------------
# quality on the dataset (skipped when the dataset is absent)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_examples():
    return read_dataset(DATA / "dev.txt")


@needs_data
@needs_model
def test_dev_slice_f1_floor(dev_examples):
    r = evaluate_examples(dev_examples[:500])
    assert r["micro"]["f1"] >= SLICE_F1_FLOOR, r["micro"]
    assert r["per_label"]["prov"]["f1"] > 0.9
    assert r["per_label"]["road"]["f1"] > 0.9


@needs_data
@needs_model
def test_dev_f1_floor(dev_examples):
    r = evaluate_examples(dev_examples)
    assert r["addresses"] == 2985
    assert "redundant" not in r["per_label"]
    assert r["micro"]["f1"] >= DEV_F1_FLOOR, r["micro"]


# --------------------------------------------------------------------------------------------
# the compiled loops (numba) against the numpy reference paths
# --------------------------------------------------------------------------------------------


def _kernel_toggle(m, on: bool) -> None:
    m.use_kernels = on
    if m.neural is not None:
        m.neural.use_kernel = on


@needs_model
@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("浙江省杭州市西湖区文三路号楼栋单元室附近0123456789AB- （）"), max_size=50),
        min_size=1,
        max_size=40,
    )
)
def test_compiled_network_and_viterbi_equal_numpy(texts):
    """The numba recurrent layer gives the numpy layer's scores (its rational tanh is within
    ~1e-6 of numpy's) and the numba Viterbi the numpy Viterbi's paths, on batches of mixed
    lengths (chunks of sequences that end at different steps, empty sequences included)."""
    from gridgov.places.address.kernels import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba not installed")
    m = load_model().model
    toks, starts, ends = (list(x) for x in zip(*(tokenize(t) for t in texts)))
    try:
        _kernel_toggle(m, True)
        E1, off = m.emissions(toks, starts, ends)
        p1 = m.decode(E1, off)
        _kernel_toggle(m, False)
        E2, _ = m.emissions(toks, starts, ends)
        p2 = m.decode(E1, off)
    finally:
        _kernel_toggle(m, True)
    np.testing.assert_allclose(E1, E2, atol=2e-3)
    assert p1.tolist() == p2.tolist()


@needs_model
def test_compiled_viterbi_equals_numpy_on_random_scores():
    """Random state scores (no ties): both decoders find the same well-formed best path, and it
    never breaks the BIOES structure."""
    from gridgov.places.address.kernels import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba not installed")
    m = load_model().model
    rng = np.random.default_rng(7)
    lens = np.array([1, 2, 3, 7, 0, 30, 5, 5, 64])
    off = np.concatenate([[0], np.cumsum(lens)])
    E = rng.normal(0, 3, (int(off[-1]), len(m.labels))).astype(np.float32)
    try:
        m.use_kernels = True
        a = m.decode(E, off)
        m.use_kernels = False
        b = m.decode(E, off)
    finally:
        m.use_kernels = True
    assert a.tolist() == b.tolist()
    for i in range(lens.size):
        path = [m.labels[j] for j in a[off[i] : off[i + 1]]]
        if not path:
            continue
        assert path[0][0] in "bs" and path[-1][0] in "es"
        for x, y in zip(path, path[1:]):
            assert (x[0] in "es" and y[0] in "bs") or (x[0] in "bi" and y[0] in "ie" and x[2:] == y[2:]), (x, y)


@needs_model
def test_network_transitions_are_added_to_the_crf_transitions():
    """A network trained with a CRF loss (``--neural-loss crf``) carries label transitions
    (``nn_trans``): the decoder adds them × the network's weight to the CRF's; removing the
    network restores the CRF's own."""
    m = CompiledModel.load(DEFAULT_MODEL_PATH)
    if m.neural is None:
        pytest.skip("model without a neural scorer")
    text = "浙江省杭州市余杭区五常街道文一西路969号"
    toks, starts, ends = tokenize(text)
    E, off = m.emissions([toks], [starts], [ends])
    labels = [m.labels[j] for j in m.decode(E, off)]
    assert labels[:4] == ["b-prov", "i-prov", "e-prov", "b-city"]
    base_full = m.trans_full.copy()
    K = len(m.labels)
    own = m.neural.transitions
    trans = np.zeros((K, K), np.float32) if own is None else own.copy()
    trans[m.labels.index("e-prov"), m.labels.index("b-city")] -= 1000.0  # forbid prov → city
    m.attach_neural({**m.neural_arrays, "trans": trans}, m.neural_weight)
    i, j = m.labels.index("e-prov"), m.labels.index("b-city")
    assert m.trans_full[i, j] == pytest.approx(base_full[i, j] - 1000.0 * m.neural_weight)
    changed = [m.labels[k] for k in m.decode(E, off)]
    assert changed[:4] != ["b-prov", "i-prov", "e-prov", "b-city"]
    m.attach_neural(None)  # the CRF's own transitions again
    np.testing.assert_array_equal(m.trans_closed_begin, m.transitions[np.ix_(m.closed_states, m.begin_states)])


@needs_model
@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("浙江省杭州市恒鑫大厦文三路号B座单元室0123()（）【】《》“” "), max_size=60))
def test_brackets_never_open_or_close_an_element(text):
    """The training data holds no brackets or quotes: elements are trimmed to the text inside
    them, and a bracket alone is no element."""
    elems = parse_address(text)
    check_offsets(text, elems)
    for e in elems:
        assert e.text[0] not in "()（）【】《》“” " and e.text[-1] not in "()（）【】《》“” ", e
