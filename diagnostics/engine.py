"""`diagnose(run)`: run every rule on one run and order what they found.

Every rule runs. A rule whose data is missing, or that raises, becomes `NotAssessed` (with the
reason and what to log) — never a crash and never a silent "healthy". Findings come in the
documents' order of diagnosis (`remedies.DIAGNOSIS_ORDER`), each with its remedies attached
here (rules return findings without them: message and remedy kept apart).

Interactions — a finding can make other rules' inputs meaningless. A finding of an earlier
stage (the documents' order) silences a later-stage rule only when it is SOLID (confidence at
least `SOLID`) and COVERS the later one's steps (its onset is no later than the start of the
later finding's evidence windows: underfitting judges the end of the run):
- a stage-1 finding (divergence, exploding gradients: the run is broken) -> every stage-2 and
  stage-3 rule: a broken run's curves say nothing about whether it could learn or generalise
  (a diverged loss is not "oscillating", NaNs are not "overfitting");
- a stage-2 finding (the run cannot learn) -> overfitting: a run that does not fit its
  training data is not judged on generalisation (the documents: fix training first);
- vanishing gradients, dead ReLUs or lr oscillation -> underfitting: they ARE the reason the
  run does not fit, and their remedies are the specific ones; underfitting is then not judged
  separately.
A silenced rule is reported as not assessed, with the reason. Otherwise both are reported: a
loss that oscillated for 700k steps before it went NaN shows both problems, and a weak
oscillation reading must not hide a val loss that rose sevenfold. Rules in the same stage do
not hide each other (exploding gradients and divergence often come together).

Losses that do not measure fit (`RunData.loss_kind`): reinforcement-learning objectives (a
PPO loss can go negative and grows with the returns), a GAN's generator/discriminator balance
and contrastive losses. On such a run with its default tag mapping, the rules in `NOT_FIT`
are not assessed, with the reason; a GAN's reconstruction loss (L1), where logged, is judged
for overfitting like any loss. A loss the user maps by hand is judged as usual.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from diagnostics import tags
from diagnostics.model import Finding, NotAssessed, Report
from diagnostics.remedies import DIAGNOSIS_ORDER, LANGS, STAGE, display_title, remedies_for
from diagnostics.rules import RULES, Rule
from diagnostics.rules.base import text
from diagnostics.rundata import RunData

EXPLAINED_BY: dict[str, tuple[str, ...]] = {
    "underfitting": ("vanishing_gradient", "dead_relu", "lr_oscillation"),
}

BROKEN = {
    "en": "{cause} was found first (step {onset}); while it is present this problem cannot be "
          "judged reliably — fix that first",
    "zh": "已先发现「{cause}」（第 {onset} 步）；在它存在时无法可靠判断该问题——请先解决它",
}
EXPLAINED = {
    "en": "{cause} already explains why the run does not fit its training data; not judged "
          "separately",
    "zh": "「{cause}」已经解释了模型为何拟合不好训练数据，不再单独判断",
}
SOLID = 0.7  # confidence from which a finding may silence later-stage rules

# Which rules a loss of each kind cannot serve (see the module docstring).
NOT_FIT: dict[str, tuple[str, ...]] = {
    "reinforcement": ("*", "underfitting", "overfitting"),  # *: every rule needing a loss
    "adversarial": ("lr_oscillation", "underfitting", "overfitting"),
    "contrastive": ("underfitting", "overfitting"),
}
NOT_FIT_REASON = {
    "reinforcement": {
        "en": "this run's losses are reinforcement-learning objectives{writer}: policy/value "
              "losses can go negative and grow with the returns, so they say nothing about fit; "
              "judge it by its evaluation reward",
        "zh": "该运行的损失是强化学习目标{writer}：策略/价值损失可能为负，并随回报增大而增大，"
              "不能说明拟合程度；请看评估回报",
    },
    "adversarial": {
        "en": "this run trains a GAN: its generator and discriminator losses measure a balance "
              "between two networks, not how well either fits the data",
        "zh": "该运行训练的是 GAN：生成器和判别器的损失衡量的是两个网络之间的平衡，"
              "而不是模型对数据的拟合程度",
    },
    "contrastive": {
        "en": "this run's loss is contrastive: it is measured against each batch's own "
              "negatives, so its level says little about fit; judge it by a downstream metric",
        "zh": "该运行的损失是对比损失：它相对于每个批次自身的负样本计算，其数值难以说明拟合程度；"
              "请看下游指标",
    },
}
NOT_FIT_TO_LOG = {
    "en": "log a loss that measures fit (a reconstruction or validation loss) or an evaluation "
          "metric; or map a supervised loss to train/loss (and val/loss) in the tag-mapping panel",
    "zh": "记录一个能衡量拟合程度的损失（重建损失或验证损失）或评估指标；或在标签映射面板中把监督学习的"
          "损失映射为 train/loss（及 val/loss）",
}
WRITER_NOTE = {"en": " ({writer})", "zh": "（{writer}）"}
FAILED = {
    "en": "the rule failed on this run ({error})",
    "zh": "该规则在此运行上出错（{error}）",
}


def diagnose(run: RunData, *, lang: str = "en", rules: Iterable[str | Rule] | None = None) -> Report:
    """Diagnose one run. `rules`: ids or `Rule` objects (default: all, in the order of diagnosis)."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGS)}")
    selected = [RULES[r] if isinstance(r, str) else r for r in (rules or RULES.values())]
    kind, task = run.loss_kind(), tags.task_of(run.tag_map, run.writer)
    outcomes = {rule.id: _not_fit(rule, run, kind, lang) if _cannot_serve(rule, run, kind)
                else _run_rule(rule, run, lang) for rule in selected}
    outcomes = _apply_interactions(outcomes, lang)
    ordered = sorted(outcomes.items(), key=lambda item: _rank(item[0]))  # stable: ties keep order
    findings = sorted((o for _, o in ordered if isinstance(o, Finding)),
                      key=lambda f: (_rank(f.rule_id), f.severity))
    return Report(
        run=run.run,
        findings=tuple(_with_remedies(f, lang, task) for f in findings),
        not_assessed=tuple(o for _, o in ordered if isinstance(o, NotAssessed)),
        passed=tuple(rid for rid, o in ordered if o is None),
        lang=lang,
        part=run.part,
    )


def _run_rule(rule: Rule, run: RunData, lang: str) -> Finding | NotAssessed | None:
    try:
        return rule.run(run, lang)
    except Exception as e:  # one broken rule must not take the whole report down
        return NotAssessed(rule_id=rule.id, reason=text(FAILED, lang).format(
            error=f"{type(e).__name__}: {e}"))


def _cannot_serve(rule: Rule, run: RunData, kind: str | None) -> bool:
    """The run's losses do not measure fit and this rule would judge them."""
    if kind is None:
        return False
    unfit = NOT_FIT.get(kind, ())
    if rule.id not in unfit:
        return "*" in unfit and _needs_loss(rule)
    return not (kind == "adversarial" and rule.id == "overfitting" and run.fit_measured())


def _needs_loss(rule: Rule) -> bool:
    """Every alternative set of the rule's inputs contains a loss curve."""
    return all(any(t in tags.LOSS_TAGS for t in need) for need in rule.needs)


def _not_fit(rule: Rule, run: RunData, kind: str, lang: str) -> NotAssessed:
    writer = text(WRITER_NOTE, lang).format(writer=run.writer) if run.writer else ""
    return NotAssessed(rule_id=rule.id, reason=text(NOT_FIT_REASON[kind], lang).format(writer=writer),
                       to_log=text(NOT_FIT_TO_LOG, lang))


def _apply_interactions(outcomes: dict, lang: str) -> dict:
    found = {rid: o for rid, o in outcomes.items() if isinstance(o, Finding)}
    out = dict(outcomes)
    for rid, outcome in outcomes.items():
        if isinstance(outcome, NotAssessed):
            continue  # keep its own reason (missing data says what to log)
        stage = STAGE.get(rid)
        earlier = [f for cid, f in found.items()
                   if stage is not None and STAGE.get(cid, stage) < stage and _silences(f, outcome)]
        if earlier:
            first = min(earlier, key=lambda f: _rank(f.rule_id))
            out[rid] = NotAssessed(rule_id=rid, reason=text(BROKEN, lang).format(
                cause=display_title(first.rule_id, lang), onset=first.onset_step))
            continue
        causes = [cid for cid in EXPLAINED_BY.get(rid, ()) if cid in found
                  and _silences(found[cid], outcome)]
        if causes:
            out[rid] = NotAssessed(rule_id=rid, reason=text(EXPLAINED, lang).format(
                cause=", ".join(display_title(c, lang) for c in causes)))
    return out


def _silences(cause: Finding, other: Finding | None) -> bool:
    """Whether `cause` may hide `other` (a later-stage rule's finding, or None when it passed):
    only a solid finding, and only where it came no later than the other problem."""
    if cause.confidence < SOLID:
        return False
    if other is None or cause.onset_step is None:
        return True
    # the steps the other finding judged: its evidence windows (underfitting judges the end
    # of the run, whatever its onset says), else its onset
    judged = [e.steps[0] for e in other.evidence] or (
        [other.onset_step] if other.onset_step is not None else [])
    return not judged or cause.onset_step <= min(judged)


def _rank(rule_id: str) -> int:
    return DIAGNOSIS_ORDER.index(rule_id) if rule_id in DIAGNOSIS_ORDER else len(DIAGNOSIS_ORDER)


def _with_remedies(finding: Finding, lang: str, task: str | None = None) -> Finding:
    try:
        remedies = remedies_for(finding.rule_id, lang, task)
    except KeyError:  # a rule outside the catalogue (a user's own) has no remedies to offer
        remedies = ()
    return replace(finding, remedies=remedies)
