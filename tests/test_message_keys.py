"""A diagnosis speaks in message keys, worded at the edge; a rule is one module plus one registry line.

- a made-up eighth rule: one new module and one line in the registry, and it is run, ordered,
  titled, worded and exported like the others (no remedies: it has none in the catalogue);
- nothing under diagnostics/rules takes a language (`grep -rn lang diagnostics/rules` is empty);
- the Chinese catalogue has every key the built-in rules and the engine say, with the same
  placeholders; the JSON's key and parameters word the same text again;
- switching the UI's language re-renders the cached report: no rule runs again.
"""
from __future__ import annotations

import importlib.util
import json
import pickle
import sys
from dataclasses import replace

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from diagnostics import messages, rules
from diagnostics import render as edge
from diagnostics.engine import diagnose
from diagnostics.messages import Msg, english, render
from diagnostics.messages_zh import ZH
from diagnostics.model import Finding
from diagnostics.reader import load
from diagnostics.remedies import remedies_of, rule_title
from diagnostics.rules import REGISTRY, curves
from tests.conftest import REPO

SAMPLES = REPO / "sample_runs"

# The whole of the made-up rule: one module (here written to a file, as a developer would).
PLATEAU = '''"""plateau — the training loss stopped moving halfway through and never moved again."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diagnostics import signals as sig
from diagnostics.model import Evidence, Severity
from diagnostics.rules import curves
from diagnostics.rules.base import Examples, Rule, SyntheticRun, finding

ID = "plateau"
TITLE = "The loss plateaued"
SHORT_NAME = "Plateau"
STAGE = 2
NEEDS = (("train/loss",),)
TEXT = {
    "to_log": "log the training loss (train/loss) every few steps",
    "found": "train/loss has not moved since step {onset} (it varies by {spread_pct}% over the "
             "second half; threshold {threshold_pct}%).",
}


@dataclass(frozen=True)
class Thresholds:
    max_spread: float = 0.01  # (max - min) / level over the second half


def check(run, th):
    loss = sig.finite(run.scalar("train/loss"))
    half = loss.iloc[len(loss) // 2:]
    if len(half) < 3:
        return None
    spread = float(np.ptp(half.to_numpy())) / abs(float(half.median()))
    if spread > th.max_spread:
        return None
    onset = int(half.index[0])
    return finding(ID, message="found", severity=Severity.WARNING, confidence=0.8, onset_step=onset,
                   evidence=[Evidence(tag="train/loss", steps=(onset, int(loss.index[-1])),
                                      statistic="spread / level", value=spread, threshold=th.max_spread)],
                   onset=onset, spread_pct=100 * spread, threshold_pct=100 * th.max_spread)


def _flat():
    ts = curves.train_steps()
    return SyntheticRun("flat").scalar("train/loss", ts, np.r_[np.linspace(2.3, 2.2, 10),
                                                                np.full(len(ts) - 10, 2.2)]).build()


EXAMPLES = Examples(fires=(_flat,), quiet=(lambda: curves.healthy().build(),))
RULE = Rule(id=ID, title=TITLE, short_name=SHORT_NAME, stage=STAGE, needs=NEEDS, texts=TEXT,
            check=check, thresholds=Thresholds(), examples=EXAMPLES, doc=__doc__ or "")
'''


@pytest.fixture
def plateau(tmp_path, monkeypatch):
    """The made-up rule's module, importable as `diagnostics.rules.plateau` (as if its file sat
    in diagnostics/rules/), and the registry with its one line added."""
    path = tmp_path / "plateau.py"
    path.write_text(PLATEAU, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("diagnostics.rules.plateau", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    registry = (
        "divergence",
        "exploding_gradient",
        "vanishing_gradient",
        "dead_relu",
        "lr_oscillation",
        "plateau",  # <- the one new line
        "underfitting",
        "overfitting",
    )
    assert [name for name in registry if name not in REGISTRY] == ["plateau"]
    assert tuple(name for name in registry if name != "plateau") == REGISTRY  # nothing else changed
    monkeypatch.setattr(rules, "RULES", rules.load(registry))
    return module


def test_a_made_up_eighth_rule_is_one_module_and_one_registry_line(plateau):
    run = plateau.EXAMPLES.fires[0]()
    report = diagnose(run)
    # run and ordered: the registry's tuple is the order of diagnosis (a stage-2 rule before underfitting)
    assert [f.rule_id for f in report.findings] == ["plateau", "underfitting"]
    assert report.fix_first.rule_id == "plateau" and len(report.passed) + len(report.not_assessed) == 6
    # titled and worded from what the module declares; Chinese falls back to its English
    first = report.fix_first
    assert render(first.title, "en") == rule_title("plateau") == "The loss plateaued"
    assert render(first.title, "zh") == "The loss plateaued"
    assert english(first.message).startswith("train/loss has not moved since step ")
    assert "The loss plateaued" in edge.text(report, "en") and "The loss plateaued" in edge.text(report, "zh")
    # no remedies in the catalogue: none offered, nothing fails
    assert remedies_of(first, "en") == () and report.to_dict("zh")["findings"][0]["remedies"] == []
    assert report.to_dict()["findings"][0]["message_key"] == "plateau.found"
    # its examples behave, like every built-in rule's
    assert plateau.RULE.run(plateau.EXAMPLES.quiet[0]()) is None
    # the short name lists it where it passed
    healthy = diagnose(curves.healthy().build())
    assert "plateau" in healthy.passed and "Plateau" in edge.text(healthy, "en")


def test_the_registry_keeps_the_order_of_the_stages(plateau):
    with pytest.raises(ImportError):
        rules.load(("overfitting", "plateau"))  # a stage-3 rule before a stage-2 one
    with pytest.raises(ImportError):
        rules.load(("plateau", "plateau"))


def test_no_rule_module_takes_a_language():
    """`grep -rn "lang" diagnostics/rules` finds nothing (compiled files included)."""
    folder = REPO / "diagnostics" / "rules"
    hits = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and b"lang" in p.read_bytes()]
    assert hits == []


def _keys_said() -> set[str]:
    """Every message key the built-in rules, their shared helpers and the engine can say."""
    return set(messages.english_catalogue())


def test_the_chinese_catalogue_has_every_key_with_the_same_placeholders():
    english_table = messages.english_catalogue()
    missing = sorted(_keys_said() - set(ZH))
    assert missing == []
    assert sorted(set(ZH) - _keys_said()) == []  # nothing stale
    for key, template in english_table.items():
        assert messages.placeholders(ZH[key]) == messages.placeholders(template), key


def test_every_rule_declares_its_words_and_titles():
    for rule in rules.RULES.values():
        assert {"to_log"} <= set(rule.texts)
        assert rule.title and rule.short_name and rule.stage in (1, 2, 3)
        assert render(Msg(f"{rule.id}.name"), "zh") != rule.short_name  # translated


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.iterdir()) if SAMPLES.is_dir() else [])
def test_the_json_keys_and_params_word_the_same_text_in_every_language(name):
    report = diagnose(load(SAMPLES / name).runs[0])
    for lang in messages.LANGS:
        data = report.to_dict(lang)
        for f in data["findings"]:
            again = messages.from_json({"key": f["message_key"], "params": f["message_params"]})
            assert render(again, lang) == f["message"]
            assert render(Msg(f["title_key"]), lang) == f["title"]
        for n in data["not_assessed"]:
            assert render(messages.from_json({"key": n["reason_key"], "params": n["reason_params"]}),
                          lang) == n["reason"]
            if n["to_log_key"]:
                assert render(messages.from_json({"key": n["to_log_key"], "params": n["to_log_params"]}),
                              lang) == n["to_log"]
        json.dumps(data)  # plain JSON: numbers formatted, nested messages as {"key", "params"}


def test_a_report_pickles_with_its_keys_and_renders_after():
    report = diagnose(rules.RULES["overfitting"].examples.fires[0]())
    back = pickle.loads(pickle.dumps(report))  # st.cache_data keeps reports pickled
    assert back == report and back.to_dict("zh") == report.to_dict("zh")
    assert isinstance(back.findings[0], Finding) and render(back.findings[0].message, "zh") != english(
        back.findings[0].message)


def test_an_unknown_key_renders_as_itself_and_a_nested_message_in_the_same_language():
    assert render(Msg("nobody.said_this"), "zh") == "nobody.said_this"
    nested = Msg("engine.broken", cause=Msg("divergence.title"), onset=12)
    assert render(nested, "zh").startswith("已先发现「损失发散")
    assert english(nested).startswith("The loss diverges (NaN/inf or runaway) was found first (step 12)")


# ---- the UI: a language switch re-renders, it does not re-diagnose --------------------------
@pytest.fixture
def counted(monkeypatch):
    """Every registered rule's `check`, counted."""
    calls = {"n": 0}
    for rule_id, rule in list(rules.RULES.items()):
        def counting(run, th, _check=rule.check):
            calls["n"] += 1
            return _check(run, th)
        monkeypatch.setitem(rules.RULES, rule_id, replace(rule, check=counting))
    st.cache_data.clear()
    yield calls
    st.cache_data.clear()


def _page(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("subheader", "markdown", "warning", "error", "info")
                     for e in at.get(kind))


@pytest.mark.skipif(not (SAMPLES / "overfitting").is_dir(), reason="sample_runs/ not generated")
def test_switching_the_language_re_renders_without_running_a_rule(counted):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    at.multiselect(key="pick_samples").set_value(["overfitting"])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    ran = counted["n"]
    assert ran > 0 and rule_title("overfitting", "en") in _page(at)
    at.radio(key="lang").set_value("zh")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    page = _page(at)
    assert rule_title("overfitting", "zh") in page and "val/loss 在第" in page  # the finding, in Chinese
    assert counted["n"] == ran  # worded again, not judged again
    at.radio(key="lang").set_value("en")
    at.run()
    assert rule_title("overfitting", "en") in _page(at) and counted["n"] == ran

