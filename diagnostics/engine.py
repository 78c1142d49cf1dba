"""`diagnose(run)`: run every rule on one run and order what they found.

Every rule runs. A rule whose data is missing, or that raises, becomes `NotAssessed` (with the
reason and what to log) — never a crash and never a silent "healthy". Findings come in the
documents' order of diagnosis (`remedies.DIAGNOSIS_ORDER`), each with its remedies attached
here (rules return findings without them: message and remedy kept apart).

Interactions — a finding can make other rules' inputs meaningless; those rules are then
reported as not assessed, with the reason, instead of as findings or as passed:
- a stage-1 finding (divergence, exploding gradients: the run is broken) -> every stage-2 and
  stage-3 rule: a broken run's curves say nothing about whether it could learn or generalise
  (a diverged loss is not "oscillating", NaNs are not "overfitting");
- a stage-2 finding (the run cannot learn) -> overfitting: a run that does not fit its
  training data is not judged on generalisation (the documents: fix training first);
- vanishing gradients, dead ReLUs or lr oscillation -> underfitting: they ARE the reason the
  run does not fit, and their remedies are the specific ones; underfitting is then not judged
  separately.
Rules in the same stage do not hide each other otherwise (exploding gradients and divergence
often come together and are both reported).

Reinforcement learning: on a run written by an RL writer (`tags.RL_WRITERS`: Stable-Baselines3,
ML-Agents) with its default tag mapping, every rule that needs a loss is not assessed, with the
reason: a PPO loss is a policy/value objective, not a supervised loss (underfitting and lr
oscillation fired on real PPO runs whose value loss grew with the returns). A loss the user
maps by hand in the tag-mapping panel is judged as usual.
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
RL_LOSS = {
    "en": "{writer} writes reinforcement-learning logs: its losses are policy/value objectives "
          "(they can go negative and grow with the returns), not a supervised loss, so this "
          "rule cannot judge them",
    "zh": "{writer} 写的是强化学习日志：其中的损失是策略/价值目标（可能为负，并随回报增大而增大），"
          "不是监督学习的损失，该规则无法据此判断",
}
RL_TO_LOG = {
    "en": "to judge a supervised loss of this run anyway, map it to train/loss (and val/loss) "
          "in the tag-mapping panel",
    "zh": "如果该运行确实记录了监督学习的损失，可在标签映射面板中把它映射为 train/loss（及 val/loss）后再判断",
}
FAILED = {
    "en": "the rule failed on this run ({error})",
    "zh": "该规则在此运行上出错（{error}）",
}


def diagnose(run: RunData, *, lang: str = "en", rules: Iterable[str | Rule] | None = None) -> Report:
    """Diagnose one run. `rules`: ids or `Rule` objects (default: all, in the order of diagnosis)."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGS)}")
    selected = [RULES[r] if isinstance(r, str) else r for r in (rules or RULES.values())]
    rl = run.writer in tags.RL_WRITERS and tags.default_losses(run.tag_map)
    outcomes = {rule.id: _rl_not_assessed(rule, run, lang) if rl and _needs_loss(rule)
                else _run_rule(rule, run, lang) for rule in selected}
    outcomes = _apply_interactions(outcomes, lang)
    ordered = sorted(outcomes.items(), key=lambda item: _rank(item[0]))  # stable: ties keep order
    findings = sorted((o for _, o in ordered if isinstance(o, Finding)),
                      key=lambda f: (_rank(f.rule_id), f.severity))
    return Report(
        run=run.run,
        findings=tuple(_with_remedies(f, lang) for f in findings),
        not_assessed=tuple(o for _, o in ordered if isinstance(o, NotAssessed)),
        passed=tuple(rid for rid, o in ordered if o is None),
        lang=lang,
    )


def _run_rule(rule: Rule, run: RunData, lang: str) -> Finding | NotAssessed | None:
    try:
        return rule.run(run, lang)
    except Exception as e:  # one broken rule must not take the whole report down
        return NotAssessed(rule_id=rule.id, reason=text(FAILED, lang).format(
            error=f"{type(e).__name__}: {e}"))


def _needs_loss(rule: Rule) -> bool:
    """Every alternative set of the rule's inputs contains a loss curve."""
    return all(any(t in tags.LOSS_TAGS for t in need) for need in rule.needs)


def _rl_not_assessed(rule: Rule, run: RunData, lang: str) -> NotAssessed:
    return NotAssessed(rule_id=rule.id, reason=text(RL_LOSS, lang).format(writer=run.writer),
                       to_log=text(RL_TO_LOG, lang))


def _apply_interactions(outcomes: dict, lang: str) -> dict:
    found = {rid: o for rid, o in outcomes.items() if isinstance(o, Finding)}
    out = dict(outcomes)
    for rid, outcome in outcomes.items():
        if isinstance(outcome, NotAssessed):
            continue  # keep its own reason (missing data says what to log)
        stage = STAGE.get(rid)
        earlier = [f for cid, f in found.items()
                   if stage is not None and STAGE.get(cid, stage) < stage]
        if earlier:
            first = min(earlier, key=lambda f: _rank(f.rule_id))
            out[rid] = NotAssessed(rule_id=rid, reason=text(BROKEN, lang).format(
                cause=display_title(first.rule_id, lang), onset=first.onset_step))
            continue
        causes = [cid for cid in EXPLAINED_BY.get(rid, ()) if cid in found]
        if causes:
            out[rid] = NotAssessed(rule_id=rid, reason=text(EXPLAINED, lang).format(
                cause=", ".join(display_title(c, lang) for c in causes)))
    return out



def _rank(rule_id: str) -> int:
    return DIAGNOSIS_ORDER.index(rule_id) if rule_id in DIAGNOSIS_ORDER else len(DIAGNOSIS_ORDER)


def _with_remedies(finding: Finding, lang: str) -> Finding:
    try:
        remedies = remedies_for(finding.rule_id, lang)
    except KeyError:  # a rule outside the catalogue (a user's own) has no remedies to offer
        remedies = ()
    return replace(finding, remedies=remedies)
