"""`diagnose(run)`: run every rule on one run and order what they found.

Every rule runs. A rule whose data is missing, or that raises, becomes `NotAssessed` (with the
reason and what to log) — never a crash and never a silent "healthy". Findings come in the
documents' order of diagnosis (the rule registry's, `rules.REGISTRY`); each finding's remedies
are the catalogue's for its rule and the run's task (`remedies.remedies_of`), in the reader's
language when it is shown. Nothing here picks a language: reasons are message keys (`TEXT`).

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

from collections.abc import Iterable, Mapping
from dataclasses import replace

from diagnostics import rules as registry
from diagnostics import tag_hints, tags
from diagnostics.messages import Msg
from diagnostics.model import Finding, NotAssessed, Report
from diagnostics.rules import Rule
from diagnostics.rules.base import joined
from diagnostics.rundata import RunData

EXPLAINED_BY: dict[str, tuple[str, ...]] = {
    "underfitting": ("vanishing_gradient", "dead_relu", "lr_oscillation"),
}
SOLID = 0.7  # confidence from which a finding may silence later-stage rules

# Which rules a loss of each kind cannot serve (see the module docstring).
NOT_FIT: dict[str, tuple[str, ...]] = {
    "reinforcement": ("*", "underfitting", "overfitting"),  # *: every rule needing a loss
    "adversarial": ("lr_oscillation", "underfitting", "overfitting"),
    "contrastive": ("underfitting", "overfitting"),
}

# The engine's English texts, keys "engine.<name>" (`diagnostics.messages`).
TEXT = {
    "broken": "{cause} was found first (step {onset}); while it is present this problem cannot be "
              "judged reliably — fix that first",
    "explained": "{cause} already explains why the run does not fit its training data; not judged "
                 "separately",
    "not_fit_reinforcement": "this run's losses are reinforcement-learning objectives{writer}: "
                             "policy/value losses can go negative and grow with the returns, so "
                             "they say nothing about fit; judge it by its evaluation reward",
    "not_fit_adversarial": "this run trains a GAN: its generator and discriminator losses measure a "
                           "balance between two networks, not how well either fits the data",
    "not_fit_contrastive": "this run's loss is contrastive: it is measured against each batch's "
                           "own negatives, so its level says little about fit; judge it by a "
                           "downstream metric",
    "not_fit_to_log": "log a loss that measures fit (a reconstruction or validation loss) or an "
                      "evaluation metric; or map a supervised loss to train/loss (and val/loss) in "
                      "the tag-mapping panel",
    "writer_note": " ({writer})",
    "failed": "the rule failed on this run ({error})",
    "separator": ", ",
}


def diagnose(run: RunData, *, rules: Iterable[str | Rule] | None = None) -> Report:
    """Diagnose one run. `rules`: ids or `Rule` objects (default: the registry's, all of them).

    Findings come in the registry's order of diagnosis whatever order the rules run in; the
    report holds message keys, not text (`messages.render` words it for a reader)."""
    known = registry.RULES  # read now: a registry swapped in is the one that counts
    selected = [known[r] if isinstance(r, str) else r for r in (rules or known.values())]
    by_id = {rule.id: rule for rule in selected}
    kind, task = run.loss_kind(), tag_hints.task_of(run.tag_map, run.writer)
    outcomes = {rule.id: _not_fit(rule, run, kind) if _cannot_serve(rule, run, kind)
                else _run_rule(rule, run) for rule in selected}
    outcomes = _apply_interactions(outcomes, {rid: _stage(rid, by_id) for rid in outcomes})
    rank = _ranks(known)
    ordered = sorted(outcomes.items(), key=lambda item: rank(item[0]))  # stable: ties keep order
    findings = sorted((o for _, o in ordered if isinstance(o, Finding)),
                      key=lambda f: (rank(f.rule_id), f.severity))
    return Report(
        run=run.run,
        findings=tuple(replace(f, task=task) for f in findings),  # its remedies: for this task
        not_assessed=tuple(o for _, o in ordered if isinstance(o, NotAssessed)),
        passed=tuple(rid for rid, o in ordered if o is None),
        part=run.part,
    )


def _run_rule(rule: Rule, run: RunData) -> Finding | NotAssessed | None:
    try:
        return rule.run(run)
    except Exception as e:  # one broken rule must not take the whole report down
        return NotAssessed(rule_id=rule.id, reason=Msg("engine.failed", error=f"{type(e).__name__}: {e}"))


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


def _not_fit(rule: Rule, run: RunData, kind: str) -> NotAssessed:
    writer = Msg("engine.writer_note", writer=run.writer) if run.writer else ""
    return NotAssessed(rule_id=rule.id, reason=Msg(f"engine.not_fit_{kind}", writer=writer),
                       to_log=Msg("engine.not_fit_to_log"))


def _stage(rule_id: str, rules: Mapping[str, Rule]) -> int | None:
    rule = rules.get(rule_id) or registry.RULES.get(rule_id)
    return rule.stage if rule is not None else None


def _apply_interactions(outcomes: dict, stages: Mapping[str, int | None] | None = None) -> dict:
    """`stages`: each rule's stage (default: the registry's; None: unknown, silences and is
    silenced by nothing)."""
    stages = stages if stages is not None else {rid: _stage(rid, {}) for rid in outcomes}
    found = {rid: o for rid, o in outcomes.items() if isinstance(o, Finding)}
    rank = _ranks(registry.RULES)
    out = dict(outcomes)
    for rid, outcome in outcomes.items():
        if isinstance(outcome, NotAssessed):
            continue  # keep its own reason (missing data says what to log)
        stage = stages.get(rid)
        earlier = [f for cid, f in found.items()
                   if stage is not None and (stages.get(cid) or stage) < stage and _silences(f, outcome)]
        if earlier:
            first = min(earlier, key=lambda f: rank(f.rule_id))
            out[rid] = NotAssessed(rule_id=rid, reason=Msg(
                "engine.broken", cause=first.title, onset=first.onset_step))
            continue
        causes = [cid for cid in EXPLAINED_BY.get(rid, ()) if cid in found
                  and _silences(found[cid], outcome)]
        if causes:
            out[rid] = NotAssessed(rule_id=rid, reason=Msg(
                "engine.explained", cause=joined([found[c].title for c in causes], "engine.separator")))
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


def _ranks(rules: Mapping[str, Rule]):
    """A rule id's place in the registry's order of diagnosis (rules outside it: last)."""
    order = {rule_id: i for i, rule_id in enumerate(rules)}
    return lambda rule_id: order.get(rule_id, len(order))
