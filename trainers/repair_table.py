"""What each remedy of a repair did to the outcome, as one table: rows the CLI prints and the UI
shows (`rows`), the same figures as JSON (`as_json`). Outcome first, then the verdict, then the
finding; the row the repair ends at is marked.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from diagnostics.verdict_text import render, verdict_name

COLUMNS = ("#", "remedy", "outcome", "before → after", "± margin", "verdict", "finding after",
           "children")


def rows(attempts: Sequence[Mapping[str, Any]], at: int | None, lang: str = "en") -> list[dict]:
    """One row per attempt (repair.json's attempt dicts or `Attempt.to_dict()`)."""
    out = []
    for i, a in enumerate(attempts):
        cmp = a.get("comparison") or {}
        outcome = cmp.get("outcome") or {}
        kids = a.get("children") or []
        after = a.get("findings_after") or []
        rule = cmp.get("rule")
        still = sum(1 for f in after if rule in f) if rule else None
        reused = int(a.get("reused") or 0)
        out.append({
            "#": f"{i + 1}{' ◀' if i == at else ''}",
            "remedy": a.get("action") or a.get("remedy_id", ""),
            "outcome": outcome.get("metric", "—"),
            "before → after": (f"{_f(outcome.get('before'))} → {_f(outcome.get('after'))}"
                               if outcome else "—"),
            "± margin": (_f(outcome.get("margin"))
                         + ("" if outcome.get("spread") is not None else " (1 seed)")
                         if outcome else "—"),
            "verdict": verdict_name(str(a.get("verdict", "")), lang),
            "finding after": f"{still}/{len(after)} seeds" if still is not None and after else "—",
            "children": (f"{len(kids) - reused} trained, {reused} reused" if kids else "—"),
            "reason": reason(a, lang),
        })
    return out


def reason(a: Mapping[str, Any], lang: str = "en") -> str:
    """The attempt's one line in `lang`: from its key and params when it has them."""
    if a.get("reason_key"):
        return render(str(a["reason_key"]), a.get("reason_params") or {}, lang)
    words = a.get("reason") or {}
    return words.get(lang) or words.get("en") or str(a.get("verdict", ""))


def as_text(attempts: Sequence[Any], at: int | None, lang: str = "en") -> str:
    dicts = [a.to_dict() if hasattr(a, "to_dict") else a for a in attempts]
    table = rows(dicts, at, lang)
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in COLUMNS) for r in table]
    if at is None:
        lines.append("ends: no remedy within the budget made the model better")
    else:
        end = dicts[at]
        lines.append(f"ends at #{at + 1} {end.get('remedy_id')}: {reason(end, lang)}")
    return "\n".join(lines)


def as_json(attempts: Sequence[Any], at: int | None) -> str:
    dicts = [a.to_dict() if hasattr(a, "to_dict") else a for a in attempts]
    return json.dumps({"ends_at": at, "table": rows(dicts, at), "attempts": dicts}, indent=1,
                      ensure_ascii=False)


def _f(x: Any) -> str:
    if isinstance(x, str):
        return x  # "inf" as plain_number writes it
    return f"{x:.4f}" if isinstance(x, (int, float)) and not math.isnan(x) else "—"
