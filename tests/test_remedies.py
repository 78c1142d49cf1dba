"""The remedy catalogue: order, texts, citations checked against the documents, and changes."""
from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from diagnostics import remedies
from diagnostics.documents import DOCUMENTS, document
from diagnostics.remedies import (
    DIAGNOSIS_ORDER,
    LANGS,
    STAGE,
    all_rule_ids,
    citations,
    diagnosis_source,
    find_remedy,
    general_tips,
    remedies_for,
    rule_title,
    stage_name,
)

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# The documents' order, as shared/REMEDIES.md lists it (divergence: derived, see remedies.py).
EXPECTED_ORDER = {
    "divergence": ["lower_lr", "grad_clip", "init", "batch_norm"],
    "exploding_gradient": ["grad_clip", "lower_lr", "init", "batch_norm"],
    "vanishing_gradient": ["init_activation", "batch_norm", "adaptive_lr"],
    "dead_relu": ["leaky_relu", "init", "lower_lr", "batch_norm"],
    "lr_oscillation": ["lower_lr", "lr_schedule", "adaptive_lr", "larger_batch"],
    "underfitting": ["loss", "batch_size", "activation", "adaptive_lr", "momentum",
                     "capacity", "train_longer"],
    "overfitting": ["more_data", "augment", "early_stopping", "weight_decay", "dropout",
                    "smaller_network"],
}

# Config fields a change may touch: type, and the allowed values for enums.
ENUMS = {
    "model": {"mlp", "cnn"},
    "activation": {"relu", "leaky_relu", "elu", "sigmoid", "tanh", "selu"},
    "init": {"default", "xavier", "he", "bad_negative_bias", "tiny_std", "huge_std"},
    "loss": {"cross_entropy", "mse"},
    "optimizer": {"sgd", "adagrad", "rmsprop", "adam"},
    "lr_schedule": {"constant", "step", "cosine"},
    "device": {"auto", "cpu", "cuda"},
}
INTS = {"depth", "width", "lr_step_size", "early_stopping_patience", "epochs", "batch_size",
        "train_size", "seed"}
FLOATS = {"dropout", "lr", "momentum", "weight_decay", "lr_gamma", "grad_clip", "label_noise"}
BOOLS = {"batch_norm", "augment"}
FIELDS = set(ENUMS) | INTS | FLOATS | BOOLS | {"dataset"}
RELATIVE = re.compile(r"^(×\d+(\.\d+)?|\+\d+)$")


def every_remedy(lang: str):
    for rule_id in all_rule_ids():
        yield from remedies_for(rule_id, lang)
    yield from general_tips(lang)


def test_diagnosis_order_and_stages():
    assert DIAGNOSIS_ORDER == ("divergence", "exploding_gradient", "vanishing_gradient",
                               "dead_relu", "lr_oscillation", "underfitting", "overfitting")
    assert all_rule_ids() == DIAGNOSIS_ORDER
    stages = [STAGE[r] for r in DIAGNOSIS_ORDER]
    assert stages == sorted(stages) and set(stages) == {1, 2, 3}
    for lang in LANGS:
        assert all(stage_name(s, lang) for s in (1, 2, 3))
        assert all(rule_title(r, lang) for r in DIAGNOSIS_ORDER)
        assert "《深度学习实践经验总结》" in diagnosis_source(lang) and "§三" in diagnosis_source(lang)


@pytest.mark.parametrize("rule_id", list(EXPECTED_ORDER))
def test_order_matches_the_documents(rule_id):
    expected = [f"{rule_id}.{name}" for name in EXPECTED_ORDER[rule_id]]
    for lang in LANGS:
        assert [r.id for r in remedies_for(rule_id, lang)] == expected


def test_every_rule_has_remedies_and_ids_are_unique():
    assert set(EXPECTED_ORDER) == set(DIAGNOSIS_ORDER)
    ids = [r.id for r in every_remedy("en")]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("lang", LANGS)
def test_texts_are_complete(lang):
    for r in every_remedy(lang):
        assert r.action.strip() and r.why.strip() and r.snippet.strip() and r.source.strip(), r.id
    # the Chinese texts are in Chinese, the English ones are not
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for en, zh in zip(every_remedy("en"), every_remedy("zh")):
        assert en.id == zh.id and en.change == zh.change and en.snippet == zh.snippet
        assert cjk.search(zh.action) and cjk.search(zh.why), zh.id
        # section references such as "001 §一.3" may appear in English text
        assert not cjk.search(re.sub(r"§\S+", "", en.action + en.why)), en.id
        for c in citations(en.id):  # the same places cited in both; English adds glosses
            assert f"§{c.section} {c.heading}" in en.source and f"§{c.section} {c.heading}" in zh.source


def test_snippets_compile_and_are_short():
    for r in every_remedy("en"):
        compile(r.snippet, r.id, "exec")
        lines = [ln for ln in r.snippet.splitlines() if ln.strip()]
        assert 2 <= len(lines) <= 8, (r.id, len(lines))


def test_changes_use_real_config_fields_with_sensible_types():
    for r in every_remedy("en"):
        if r.id.startswith("tip."):
            assert r.change is None
            continue
        assert r.change, f"{r.id}: every problem remedy is one-click here"
        assert 1 <= len(r.change) <= 2, r.id
        for key, value in r.change.items():
            assert key in FIELDS, (r.id, key)
            if isinstance(value, str) and key not in ENUMS and key != "dataset":
                assert RELATIVE.match(value), (r.id, key, value)
                assert key in INTS | FLOATS, (r.id, key)
                assert not value.startswith("+") or key in INTS, (r.id, key)
            elif key in ENUMS:
                assert value in ENUMS[key], (r.id, key, value)
            elif key in BOOLS:
                assert isinstance(value, bool), (r.id, key)
            elif key in INTS:
                assert isinstance(value, int) and not isinstance(value, bool) and value >= 0
            elif key in FLOATS:
                assert isinstance(value, float) and value >= 0, (r.id, key)


def test_changes_are_private_copies_and_reports_pickle():
    remedies_for("overfitting")[3].change["weight_decay"] = 1.0  # type: ignore[index]
    assert remedies_for("overfitting")[3].change == {"weight_decay": 0.005}
    assert pickle.loads(pickle.dumps(remedies_for("underfitting", "zh"))) == remedies_for("underfitting", "zh")


def test_api_errors_and_lookup():
    with pytest.raises(ValueError):
        remedies_for("overfitting", "fr")
    with pytest.raises(ValueError):
        general_tips("de")
    with pytest.raises(KeyError):
        remedies_for("no_such_rule")
    with pytest.raises(KeyError):
        rule_title("no_such_rule")
    assert find_remedy("overfitting.dropout", "zh").change == {"dropout": 0.5}
    assert find_remedy("tip.monitoring").change is None
    assert remedies_for("overfitting")[0].to_dict()["change"] == {"train_size": 0}


def test_divergence_order_is_documented():
    doc = remedies.__doc__ or ""
    assert "divergence" in doc and "derived" in doc


# ---- citations checked against the documents themselves ----------------------------------
NUMBERING = re.compile(r"^[0-9一二三四五六七八九十.（）()]+$")


def all_cited():
    ids = [r.id for r in every_remedy("en")]
    return [(rid, c) for rid in ids for c in citations(rid)] + [
        ("diagnosis", c) for c in remedies.DIAGNOSIS_CITES]


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"source documents not found at {SEEDS}")
def test_citations_occur_in_the_documents():
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    for rid, c in all_cited():
        assert c.doc in texts, (rid, c.doc)
        text = texts[c.doc]
        start = 0
        if not NUMBERING.match(c.section):  # an unnumbered section is cited by its own heading
            start = text.find(c.section)
            assert start >= 0, (rid, c.section)
        at = text.find(c.heading, start)
        assert at >= 0, f"{rid}: heading {c.heading!r} not in {c.doc}"
        if c.quote:  # the quote lies inside the cited section, just after its heading
            q = text.find(c.quote, at)
            assert 0 <= q - at <= 800, f"{rid}: quote {c.quote!r} not under {c.heading!r} in {c.doc}"


def test_source_strings_name_title_and_heading_never_the_file():
    for lang in LANGS:
        for r in every_remedy(lang):
            assert ".txt" not in r.source, r.id
            for c in citations(r.id):
                assert f"{document(c.doc).name(lang)} §{c.section} {c.heading}" in r.source, r.id


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"source documents not found at {SEEDS}")
def test_document_titles_and_authors_are_the_documents_own():
    files = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert [d.file for d in DOCUMENTS] == files
    for d in DOCUMENTS:
        head = (SEEDS / d.file).read_text(encoding="utf-8")[:600]
        assert d.title in head and (not d.author or f"作者：{d.author}" in head), d.file
        assert d.title or (d.untitled_en and d.untitled_zh), d.file


# ---- the trainer can apply every change -------------------------------------------------
def test_every_change_applies_to_a_default_config():
    try:
        from trainers.config import TrainConfig, apply_change
    except ImportError as e:
        pytest.skip(f"trainers.config not importable yet ({e})")
    base = TrainConfig()
    for r in every_remedy("en"):
        if r.change is None:
            continue
        out = apply_change(base, r.change)
        cfg = base if out is None else out
        for key, value in r.change.items():
            if not isinstance(value, str) or key in ENUMS:
                assert getattr(cfg, key) == value, (r.id, key)
