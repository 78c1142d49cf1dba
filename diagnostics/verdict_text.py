"""The words of a verdict: a key and its parameters (`diagnostics.compare.judge`), worded at the edge.

`judge` records a verdict key ("fixed", "no change_absent", "mismatch_task", ...) and its
parameters (numbers already formatted; the margin, the rule and who was compared as data); the
CLI, the UI and the JSON export word them here, through the one message type
(`diagnostics.messages`): `message(key, params)` builds the line as messages, `render` words it.
The English templates are `TEXT` below (keys "verdict.<name>", a space in a verdict's name
written "_"); the Chinese ones are in `messages_zh`. Nothing below the edge takes a language.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagnostics import messages
from diagnostics.messages import LANGS, Msg, Param, english_catalogue, placeholders

VERDICTS = ("fixed", "contained", "improved", "no change", "worse", "not comparable", "skipped", "failed")

# English, keys "verdict.<name>" (`diagnostics.messages`).
TEXT = {
    # the verdicts' names ("name.<verdict>")
    "name.fixed": "fixed",
    "name.contained": "contained",
    "name.improved": "improved",
    "name.no_change": "no change",
    "name.worse": "worse",
    "name.not_comparable": "no verdict",
    "name.skipped": "skipped",
    "name.failed": "failed",
    "named": "{verdict}: {line}",  # "<verdict>: <outcome first, then the finding>"
    # the lines
    "fixed": '{metric} {c} vs {p} before: better by {d}, beyond the {margin}; "{title}" gone on '
             "{n}/{n} {who}",
    "contained": '{metric} {c} vs {p} before: the same within the {margin}; "{title}" gone on '
                 "{n}/{n} {who}, but the model delivered is no better",
    "improved": '{metric} {c} vs {p} before: better by {d}, beyond the {margin}; "{title}" still on '
                "{k}/{n} {who}",
    "no_change": '{metric} {c} vs {p} before: within the {margin}; "{title}" on {k}/{n} {who} '
                 "({j}/{m} before)",
    "improved_absent": '{metric} {c} vs {p} before: better by {d}, beyond the {margin}; the run before did '
                       'not show "{title}"',
    "no_change_absent": '{metric} {c} vs {p} before: within the {margin}; the run before did not show '
                        '"{title}"',
    "worse": "{metric} {c} vs {p} before: worse by {d}, beyond the {margin}",
    "earlier": "{metric} {c} vs {p} before; a problem of an earlier stage appeared on most {who}: "
               "{rules}",
    "not_comparable": "{why}",
    "skipped": "the parent's config already has this",
    "failed": "{error}",
    # pieces
    "margin_measured": "seed spread ±{s}",
    "margin_provisional": "{pct} % margin ±{s} (no seed spread measured)",
    "who_rerun": "child seeds",
    "who_pair": "runs after the change",
    "provisional": "; one seed a side: provisional",
    # why two runs are not compared
    "mismatch_loss_tags": "no verdict: the runs log {tag} under different names ({a} vs {b}), so they do not "
                          "share a task",
    "mismatch_nothing_shared": "no verdict: the runs share no loss or validation measure to weigh them on",
    "mismatch_config": "no verdict: their configs name a different {key} ({a} vs {b}), so they do not "
                       "share a task",
    "mismatch_task": "no verdict: they train different tasks ({a} vs {b})",
    "mismatch_scale": "no verdict: their {tag} starts at {a} vs {b}, orders of magnitude apart: not the "
                      "same loss on the same data",
}


def _key(name: str) -> str:
    return f"verdict.{name.replace(' ', '_')}"


def verdict_name(verdict: str, lang: str = "en") -> str:
    if str(verdict) not in VERDICTS or lang not in LANGS:
        return str(verdict)
    return messages.render(Msg(_key(f"name.{verdict}")), lang)


def message(key: str, params: Mapping[str, Any]) -> Param:
    """The verdict line as messages: "<verdict>: <outcome first, then the finding>"."""
    p = {k: _text(v) for k, v in params.items()}
    if isinstance(params.get("margin"), Mapping):
        m = params["margin"]
        p["margin"] = _piece(str(m.get("key", "")), {k: _text(v) for k, v in m.items() if k != "key"})
    if "rule" in params:
        from diagnostics.rules import RULES

        rule = str(params["rule"])
        p["title"] = Msg(f"{rule}.title") if rule in RULES else rule
    if "who" in params:
        p["who"] = _piece(f"who_{params['who']}", {})
    line = _piece(key, p)
    verdict = key.removesuffix("_absent")
    if verdict in VERDICTS and verdict != "not comparable":
        line = Msg("verdict.named", verdict=Msg(_key(f"name.{verdict}")), line=line)
    if params.get("provisional"):
        return (line, Msg("verdict.provisional"))
    return line


def _piece(name: str, params: dict[str, Any]) -> Param:
    """Msg "verdict.<name>"; the bare name when the catalogue lacks it or a parameter it needs."""
    template = english_catalogue().get(_key(name))
    if template is None or not placeholders(template) <= set(params):
        return name
    return Msg(_key(name), **params)


def render(key: str, params: Mapping[str, Any], lang: str = "en") -> str:
    """One line in `lang` (en when unknown). A key or a parameter missing from the catalogue
    reads as the key itself, never raises."""
    return messages.render(message(key, params), lang if lang in LANGS else "en")


def render_all(key: str, params: Mapping[str, Any]) -> dict[str, str]:
    """{lang: line} for every language: what the JSON keeps beside the key and params."""
    return messages.render_all(message(key, params))


def _text(value: Any) -> Any:
    if isinstance(value, Mapping):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return value
