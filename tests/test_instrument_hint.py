""""Not assessed" names the one line that would log the missing per-layer data, for the writer
the reader detected (Lightning, Hugging Face, anything else), in English and Chinese."""
from __future__ import annotations

import pytest

from diagnostics import instrument_hint
from diagnostics.engine import diagnose
from diagnostics.messages import english, render
from diagnostics.rules.base import SyntheticRun

CJK = "\u4e00"  # any Chinese text has characters at or above it
INSTRUMENTED_RULES = ("exploding_gradient", "vanishing_gradient", "dead_relu")


def loss_only(writer: str | None):
    return SyntheticRun(writer=writer).scalar("train/loss", range(60), [1 / (i + 1) for i in range(60)]).build()


@pytest.mark.parametrize("writer, line", [
    ("pytorch-lightning", "add `RunDoctorCallback()` to `Trainer(callbacks=[...])`"),
    ("huggingface", "`Trainer(..., callbacks=[RunDoctorCallback()])`"),
    ("torch", "`inst = instrument(model, writer)`"),
    (None, "`inst = instrument(model, writer)`"),
])
def test_not_assessed_gives_the_line_for_the_detected_writer(writer, line):
    report = diagnose(loss_only(writer))
    missing = {n.rule_id: english(n.to_log) for n in report.not_assessed}
    assert set(INSTRUMENTED_RULES) <= set(missing)
    for rule in INSTRUMENTED_RULES:
        assert line in missing[rule], missing[rule]
    others = [english(na.to_log) for na in report.not_assessed if na.rule_id not in INSTRUMENTED_RULES]
    assert all("RunDoctorCallback" not in t and "instrument(" not in t for t in others)


@pytest.mark.parametrize("writer", ["pytorch-lightning", "huggingface", None])
def test_the_line_in_chinese(writer):
    zh = {n.rule_id: render(n.to_log, "zh") for n in diagnose(loss_only(writer)).not_assessed}
    code = "RunDoctorCallback()" if writer else "instrument(model, writer)"
    for rule in INSTRUMENTED_RULES:
        assert code in zh[rule] and "全部记录只需" in zh[rule]
    assert any(ch >= CJK for ch in render(instrument_hint.hint(writer), "zh"))


def test_no_line_when_only_the_loss_is_missing():
    # vanishing gradients needs per-layer norms AND train/loss: with the norms there, only the
    # loss is missing, and the instruments' line would not help
    run = (SyntheticRun(writer="huggingface").scalar("grad_norm/fc1", range(10), [1.0] * 10)
           .scalar("grad_norm/fc2", range(10), [1.0] * 10).build())
    na = {n.rule_id: n for n in diagnose(run).not_assessed}
    assert "RunDoctorCallback" not in english(na["vanishing_gradient"].to_log)
    assert instrument_hint.wanted([("grad_norm/*", "train/loss"), ("hist:grad/*",)])
    assert not instrument_hint.wanted([("train/loss",), ("hist:grad/*", "train/loss")])
