"""The remedy catalogue: what the source documents say to do about each problem, in their order.

The documents are `shared/seeds/00[0-4]_*.txt` (Chinese); `shared/REMEDIES.md` maps them. Every
remedy cites the document by title (`documents.py`) + section heading as written in it, and where our built-in
trainer can apply it, carries the config change for a re-run (`trainers.config.apply_change`).

Order of diagnosis (001 §三, 000 整体流程 items 4–5): first make the run work on the training
data, only then on the test data. So findings are fixed first by stage — 1 the run is broken
(divergence, exploding gradients), 2 it cannot learn (vanishing gradients, dead ReLUs,
learning-rate oscillation, underfitting), 3 it does not generalise (overfitting) — and within a
problem the remedies keep the documents' order; they are never re-sorted. The order and the
stages are declared by the rules and their registry (`diagnostics.rules.REGISTRY`); this
catalogue holds the remedies, keyed by rule id (a rule without an entry has none).

Choices made here (the documents leave them open):
- `divergence` (NaN/inf or a runaway loss) has no list of its own in the documents. Its order is
  derived from the exploding-gradient list with the learning rate moved to the front: a loss that
  blows up is most directly caused by steps that are too large, and 004 §1 names the learning
  rate together with gradient size as what decides whether training works. Lowering it removes
  the cause, whereas clipping (003 §(5)) only bounds the symptom, so clipping comes second as the
  safety net; then initialisation (000 item 1) and batch norm (000 item 2) as in that list.
- One change per re-run (000 item 5, 增量式的改动). Where a document offers two alternatives in
  one item joined by "or", they are two adjacent remedies in the same place of the order:
  overfitting item 0 = `more_data`, `augment` (001 §二); underfitting item 6 = `capacity`,
  `train_longer` (004 §3). A change touches two keys only where the document presents them as one
  remedy: He initialisation with ReLU (000 item 1), and Adam with its own lr (an SGD learning
  rate does not transfer to Adam).
- An unknown rule id raises KeyError (a typo should fail loudly, not silently show no remedies);
  an unknown language raises ValueError. `LANGS` lists the supported ones.
"""
from __future__ import annotations

from dataclasses import replace

from diagnostics import rules as registry
from diagnostics.messages import Msg, render
from diagnostics.model import Finding, Remedy
from diagnostics.remedy_data import C000_BOTTLENECK, C000_INCREMENTAL, C001_LOOP, CATALOGUE, TIPS, Cite, Entry

LANGS = ("en", "zh")

# The order of diagnosis and each rule's stage are the rule registry's (`diagnostics.rules`).
DIAGNOSIS_ORDER: tuple[str, ...] = tuple(registry.RULES)
STAGE: dict[str, int] = {rule_id: rule.stage for rule_id, rule in registry.RULES.items()}

STAGE_NAMES: dict[int, dict[str, str]] = {
    1: {"en": "The run is broken: the loss diverges or gradients explode",
        "zh": "训练崩溃：损失发散或梯度爆炸"},
    2: {"en": "The run cannot learn: it does not fit its training data",
        "zh": "学不好：连训练数据都拟合不好（train accuracy 不高）"},
    3: {"en": "The run does not generalise: test accuracy is low (overfitting)",
        "zh": "泛化差：测试准确率不高（过拟合）"},
}

# Where the order of diagnosis comes from.
DIAGNOSIS_CITES: tuple[Cite, ...] = (C001_LOOP, C000_BOTTLENECK, C000_INCREMENTAL)


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGS)}")
    return lang


def _rule(rule_id: str) -> str:
    if rule_id not in CATALOGUE:
        raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(DIAGNOSIS_ORDER)}")
    return rule_id


def _remedy(entry: Entry, lang: str) -> Remedy:
    action, why = entry.en if lang == "en" else entry.zh
    return Remedy(
        id=entry.id,
        action=action,
        why=why,
        source="; ".join(c.render(lang) for c in entry.cites),
        snippet=entry.snippet.rstrip("\n"),
        # a fresh plain dict per call: callers may edit it, and reports must pickle (st.cache_data)
        change=dict(entry.change) if entry.change is not None else None,
    )


def all_rule_ids() -> tuple[str, ...]:
    """Every rule id with remedies, in the order of diagnosis."""
    return tuple(r for r in DIAGNOSIS_ORDER if r in CATALOGUE)


def _registered(rule_id: str) -> str:
    if rule_id not in registry.RULES:
        raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(registry.RULES)}")
    return rule_id


def rule_title(rule_id: str, lang: str = "en") -> str:
    """The problem a rule finds, in `lang` (the rule declares it in English; `messages_zh`)."""
    return render(Msg(f"{_registered(rule_id)}.title"), _lang(lang))


def check_name(rule_id: str, lang: str = "en") -> str:
    """The check's short name ("Divergence"), where `rule_title` names the problem found."""
    return render(Msg(f"{_registered(rule_id)}.name"), _lang(lang))


def display_title(rule_id: str, lang: str = "en", *, short: bool = False) -> str:
    """The rule's title (`short`: its check's name), or its id for a rule outside the registry
    (a user's own) or a language there is no catalogue for: a label to show, never a reason to fail."""
    try:
        return check_name(rule_id, lang) if short else rule_title(rule_id, lang)
    except (KeyError, ValueError):
        return rule_id


def stage_name(stage: int, lang: str = "en") -> str:
    return STAGE_NAMES[stage][_lang(lang)]


NOT_FOR_TASK = {
    "en": "does not apply to this run: it is {task}",
    "zh": "不适用于该运行：它是{task}",
}
TASK_NAMES = {
    "classification": {"en": "a classifier", "zh": "分类任务"},
    "detection": {"en": "an object detector", "zh": "目标检测任务"},
    "segmentation": {"en": "a segmentation model", "zh": "分割任务"},
    "regression": {"en": "a regression", "zh": "回归任务"},
    "language_model": {"en": "a language model", "zh": "语言模型"},
    "generation": {"en": "a generative (GAN) model", "zh": "生成（GAN）模型"},
}


def remedies_for(rule_id: str, lang: str = "en", task: str | None = None) -> tuple[Remedy, ...]:
    """The remedies for one problem, in the documents' order. KeyError for an unknown rule.

    `task` (`tag_hints.task_of`): remedies that cannot help that task follow the others, in their
    own order, marked `applies=False` with the reason; None (unknown task) keeps them all."""
    _lang(lang)
    entries = CATALOGUE[_rule(rule_id)]
    fits = [e for e in entries if task is None or e.tasks is None or task in e.tasks]
    unfit = [replace(_remedy(e, lang), applies=False, not_applicable=NOT_FOR_TASK[lang].format(
        task=TASK_NAMES.get(task, {}).get(lang, task))) for e in entries if e not in fits]
    return tuple(_remedy(e, lang) for e in fits) + tuple(unfit)


def remedies_of(finding: Finding, lang: str) -> tuple[Remedy, ...]:
    """A finding's remedies in `lang`: its rule's, for its run's task; none for a rule outside
    the catalogue (a user's own rule has no documents behind it)."""
    try:
        return remedies_for(finding.rule_id, lang, finding.task)
    except KeyError:
        return ()


def general_tips(lang: str = "en") -> tuple[Remedy, ...]:
    """The documents' other advice (no one-click re-run: every `change` is None)."""
    return tuple(_remedy(e, _lang(lang)) for e in TIPS)


def find_remedy(remedy_id: str, lang: str = "en") -> Remedy:
    """A remedy or tip by its id (e.g. from a UI button); KeyError if there is none."""
    rule_id = remedy_id.partition(".")[0]
    pool = general_tips(lang) if rule_id == "tip" else remedies_for(rule_id, lang)
    for r in pool:
        if r.id == remedy_id:
            return r
    raise KeyError(f"unknown remedy {remedy_id!r}")


def citations(remedy_id: str) -> tuple[Cite, ...]:
    """The structured citations behind a remedy or tip (document, section, heading, quote)."""
    for entry in (*TIPS, *(e for entries in CATALOGUE.values() for e in entries)):
        if entry.id == remedy_id:
            return entry.cites
    raise KeyError(f"unknown remedy {remedy_id!r}")


def diagnosis_source(lang: str = "en") -> str:
    """The citation for the order of diagnosis itself."""
    return "; ".join(c.render(_lang(lang)) for c in DIAGNOSIS_CITES)
