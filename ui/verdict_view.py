"""Shows a verdict: the outcome figures first (before, after, the margin), then the verdict line,
the per-seed table and the config diff. The verdict itself comes from `diagnostics.compare.judge`
(via `trainers.rerun_verdict` for our re-runs); nothing here decides.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from diagnostics.compare import CONTAINED, FIXED, IMPROVED, NO_CHANGE, NOT_COMPARABLE, WORSE, Comparison, Kind, judge
from diagnostics.model import Report
from diagnostics.remedies import display_title
from diagnostics.rundata import RunData
from ui import diagnosis, names, rerun
from ui.i18n import t

VERDICT_BOX = {FIXED: st.success, CONTAINED: st.info, IMPROVED: st.info, NO_CHANGE: st.warning,
               WORSE: st.error, NOT_COMPARABLE: st.warning}
VERDICT_ICON = {FIXED: "✅", CONTAINED: "🛡️", IMPROVED: "📈", NO_CHANGE: "➖", WORSE: "📉",
                NOT_COMPARABLE: "🚫", "skipped": "⏭️", "failed": "❌"}


def verdict_label(verdict: str, lang: str) -> str:
    key = f"verdict_{verdict}"
    return f"{VERDICT_ICON.get(verdict, '')} {t(key, lang)}".strip() if verdict in VERDICT_ICON \
        else verdict


def outcome(cmp: Comparison, lang: str) -> None:
    """Before, after (with the change, coloured by the metric's direction) and the margin."""
    o = cmp.outcome
    if o is None:
        return
    before, after, margin = st.columns(3)
    before.metric(t("outcome_before", lang, metric=o.metric.shown), _num(o.before))
    after.metric(t("outcome_after", lang, metric=o.metric.shown), _num(o.after),
                 delta=f"{o.delta:+.4f}" if math.isfinite(o.delta) else None,
                 delta_color="normal" if o.metric.higher else "inverse")
    margin.metric(t("outcome_margin" if o.spread is not None else "outcome_margin_provisional",
                    lang), f"±{_num(o.margin)}")


def verdict_box(cmp: Comparison, lang: str) -> None:
    VERDICT_BOX[cmp.verdict](cmp.reason_text(lang), icon=VERDICT_ICON[cmp.verdict])


def seed_table(cmp: Comparison, lang: str, key: str) -> None:
    sides = [(side, s) for side, seeds in (("parent", cmp.parent), ("child", cmp.child))
             for s in seeds]
    full = [rerun.display_name(s.run) if Path(s.run).is_absolute() else s.run for _, s in sides]
    rows = [{t("col_side", lang): t(f"side_{side}", lang), "run": names.tail(name),
             t("col_seed", lang): s.seed, t("col_value", lang): s.value,
             t("col_has_problem", lang): f"● {t('yes', lang)}" if s.has_finding else f"— {t('no', lang)}"}
            for (side, s), name in zip(sides, full)]
    st.markdown(f"**{t('seeds_table', lang, metric=cmp.metric or '—')}**")
    cut = names.cut(full)  # the table shows their tails; the column's tooltip, in full
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"seed_table:{key}",
                 column_config={"run": st.column_config.TextColumn(
                     "run", help=t("full_names", lang, names=", ".join(cut)) if cut else None)})


def config_diff(cmp: Comparison, lang: str, key: str) -> None:
    st.markdown(f"**{t('config_diff', lang)}**")
    rows = [{t("col_key", lang): k, t("side_parent", lang): json.dumps(a),
             t("side_child", lang): json.dumps(b)} for k, (a, b) in cmp.config_diff.items()]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"diff:{key}")
    else:
        st.caption(t("none", lang))


def pair(labels: list[str], runs: list[RunData], reports: list[Report], lang: str) -> None:
    """Two of the runs picked together, before and after a change the user made themselves
    (their own experiments, not our re-runs): did the first one's fix-first problem go away,
    and is the model better? Runs that do not share a task get no verdict, and say why."""
    st.markdown(f"**{t('pair_title', lang)}**")
    left, right = st.columns(2)
    before = left.selectbox(t("pair_before", lang), range(len(labels)), index=0, key="pair_before",
                            format_func=labels.__getitem__)
    after = right.selectbox(t("pair_after", lang), range(len(labels)), index=1, key="pair_after",
                            format_func=labels.__getitem__)
    first = reports[before].fix_first
    if before == after or first is None:
        st.caption(t("pair_same" if before == after else "pair_nothing", lang, run=labels[before]))
        return
    two = (runs[before], runs[after])
    if not any(all(r.has(tag) for r in two) for tag in ("val/loss", "train/loss")):
        st.caption(t("pair_no_metric", lang))  # nothing to weigh them on
        return
    cmp = judge([runs[before]], [runs[after]], first.rule_id, kind=Kind.PAIR,
                reports={id(runs[before]): reports[before], id(runs[after]): reports[after]})
    outcome(cmp, lang)
    verdict_box(cmp, lang)
    new = [display_title(r, lang) for r in cmp.new_findings]
    if new and cmp.verdict != NOT_COMPARABLE:
        st.caption(t("pair_new", lang, rules=", ".join(new)))


def findings_of(runs: tuple[RunData, ...]) -> Report:
    """The first seed's report (worded by the page, in its language)."""
    return diagnosis.report_of(runs[0])


def _num(x: Any) -> str:
    return f"{x:.4f}" if isinstance(x, float) else str(x)
