"""The words of a verdict: one catalogue per language, rendered at the edge from a key + params.

`diagnostics.compare.judge` records a message key and its parameters (numbers already
formatted); the CLI, the UI and the JSON export render them here. Nothing below the edge takes
a language.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS = ("en", "zh")

VERDICT_NAMES = {
    "fixed": {"en": "fixed", "zh": "已修复"},
    "contained": {"en": "contained", "zh": "已遏制"},
    "improved": {"en": "improved", "zh": "有改善"},
    "no change": {"en": "no change", "zh": "无变化"},
    "worse": {"en": "worse", "zh": "变差"},
    "not comparable": {"en": "no verdict", "zh": "无法判断"},
    "skipped": {"en": "skipped", "zh": "跳过"},
    "failed": {"en": "failed", "zh": "失败"},
}

CATALOGUE: dict[str, dict[str, str]] = {
    "fixed": {
        "en": '{metric} {c} vs {p} before: better by {d}, beyond the {margin}; "{title}" gone on '
              "{n}/{n} {who}",
        "zh": "{metric} {c}（之前 {p}）：好了 {d}，超出{margin}；「{title}」在 {n}/{n} 个{who}上都消失"},
    "contained": {
        "en": '{metric} {c} vs {p} before: the same within the {margin}; "{title}" gone on '
              "{n}/{n} {who}, but the model delivered is no better",
        "zh": "{metric} {c}（之前 {p}）：在{margin}之内没有变化；「{title}」在 {n}/{n} 个{who}上消失，"
              "但交付的模型并没有更好"},
    "improved": {
        "en": '{metric} {c} vs {p} before: better by {d}, beyond the {margin}; "{title}" still on '
              "{k}/{n} {who}",
        "zh": "{metric} {c}（之前 {p}）：好了 {d}，超出{margin}；「{title}」仍在 {k}/{n} 个{who}上"},
    "no change": {
        "en": '{metric} {c} vs {p} before: within the {margin}; "{title}" on {k}/{n} {who} '
              "({j}/{m} before)",
        "zh": "{metric} {c}（之前 {p}）：在{margin}之内；「{title}」在 {k}/{n} 个{who}上"
              "（之前 {j}/{m}）"},
    "improved_absent": {
        "en": '{metric} {c} vs {p} before: better by {d}, beyond the {margin}; the run before did '
              'not show "{title}"',
        "zh": "{metric} {c}（之前 {p}）：好了 {d}，超出{margin}；之前的运行本来没有「{title}」"},
    "no change_absent": {
        "en": '{metric} {c} vs {p} before: within the {margin}; the run before did not show '
              '"{title}"',
        "zh": "{metric} {c}（之前 {p}）：在{margin}之内；之前的运行本来没有「{title}」"},
    "worse": {
        "en": "{metric} {c} vs {p} before: worse by {d}, beyond the {margin}",
        "zh": "{metric} {c}（之前 {p}）：差了 {d}，超出{margin}"},
    "earlier": {
        "en": "{metric} {c} vs {p} before; a problem of an earlier stage appeared on most {who}: "
              "{rules}",
        "zh": "{metric} {c}（之前 {p}）；多数{who}上出现了更早阶段的问题：{rules}"},
    "not comparable": {"en": "{why}", "zh": "{why}"},
    "skipped": {"en": "the parent's config already has this", "zh": "父运行的配置已经如此"},
    "failed": {"en": "{error}", "zh": "{error}"},
    # pieces
    "margin_measured": {"en": "seed spread ±{s}", "zh": "种子波动 ±{s}"},
    "margin_provisional": {
        "en": "{pct} % margin ±{s} (no seed spread measured)",
        "zh": "{pct}% 阈值 ±{s}（未测得种子波动）"},
    "who_rerun": {"en": "child seeds", "zh": "子运行种子"},
    "who_pair": {"en": "runs after the change", "zh": "改动后的运行"},
    "provisional": {"en": "; one seed a side: provisional", "zh": "；每边一个种子：结论暂定"},
    # why two runs are not compared
    "mismatch_loss_tags": {
        "en": "no verdict: the runs log {tag} under different names ({a} vs {b}), so they do not "
              "share a task",
        "zh": "无法判断：两个运行的 {tag} 名称不同（{a} 与 {b}），不是同一个任务"},
    "mismatch_nothing_shared": {
        "en": "no verdict: the runs share no loss or validation measure to weigh them on",
        "zh": "无法判断：两个运行没有可共同比较的损失或验证指标"},
    "mismatch_config": {
        "en": "no verdict: their configs name a different {key} ({a} vs {b}), so they do not "
              "share a task",
        "zh": "无法判断：两个运行配置中的 {key} 不同（{a} 与 {b}），不是同一个任务"},
    "mismatch_task": {
        "en": "no verdict: they train different tasks ({a} vs {b})",
        "zh": "无法判断：两个运行训练的是不同任务（{a} 与 {b}）"},
    "mismatch_scale": {
        "en": "no verdict: their {tag} starts at {a} vs {b}, orders of magnitude apart: not the "
              "same loss on the same data",
        "zh": "无法判断：两个运行的 {tag} 起点为 {a} 与 {b}，相差几个数量级：不是同一数据上的同一损失"},
}


def verdict_name(verdict: str, lang: str = "en") -> str:
    return VERDICT_NAMES.get(str(verdict), {}).get(lang) or str(verdict)


def render(key: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """One line: "<verdict>: <outcome first, then the finding>" in `lang` (en when unknown).
    A key or a parameter missing from the catalogue renders as the key itself, never raises."""
    lang = lang if lang in LANGS else "en"
    p = {k: _text(v, lang) for k, v in params.items()}
    if "margin" in params and isinstance(params["margin"], Mapping):
        m = params["margin"]
        p["margin"] = _piece(str(m.get("key", "")), m, lang)
    if "rule" in params:
        from diagnostics.remedies import display_title

        try:
            p["title"] = display_title(str(params["rule"]), lang)
        except KeyError:
            p["title"] = str(params["rule"])
    if "who" in params:
        p["who"] = _piece(f"who_{params['who']}", {}, lang)
    try:
        line = CATALOGUE[key][lang].format(**p)
    except (KeyError, IndexError, ValueError):
        line = key
    verdict = key.removesuffix("_absent")
    if verdict in VERDICT_NAMES and verdict != "not comparable":
        line = f"{verdict_name(verdict, lang)}{'：' if lang == 'zh' else ': '}{line}"
    if params.get("provisional"):
        line += CATALOGUE["provisional"][lang]
    return line


def render_all(key: str, params: Mapping[str, Any]) -> dict[str, str]:
    """{lang: line} for every language: what the JSON keeps beside the key and params."""
    return {lang: render(key, params, lang) for lang in LANGS}


def _piece(key: str, params: Mapping[str, Any], lang: str) -> str:
    try:
        return CATALOGUE[key][lang].format(**{k: _text(v, lang) for k, v in params.items()})
    except (KeyError, IndexError, ValueError):
        return key


def _text(value: Any, lang: str) -> Any:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return value
