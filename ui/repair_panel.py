"""The auto-repair panel under the fix-first finding: "fix this for me", "try the first 3 remedies
× 3 seeds", and the repair's attempts as one table of what each remedy did to the outcome
(`trainers.repair_table`), with the remedy it ends at. Shows repair.json; decides nothing.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from diagnostics.messages import render
from diagnostics.model import Finding
from trainers.jobs import CANCELLED, FAILED, FINISHED, QUEUED, Job
from trainers.repair_table import reason as attempt_reason
from trainers.repair_table import rows as outcome_rows
from trainers.rerun import RerunError
from ui import names, rerun, shell
from ui.components import state_label
from ui.i18n import t
from ui.verdict_view import VERDICT_ICON, verdict_label  # noqa: F401 - shown here too


def repair(f: Finding, target: rerun.Target, lang: str) -> None:
    """"Fix this for me" on the fix-first finding, and the repair's attempts as they come."""
    job, record = rerun.repair_of(target.path, f.rule_id)
    busy = job is not None and job.state not in FINISHED
    stem = f"{target.key}:{f.rule_id}"
    button_col, budget_col, seeds_col = st.columns([2, 1, 1], vertical_alignment="bottom")
    lo, hi = rerun.REPAIR_BUDGET_RANGE
    budget = budget_col.number_input(t("repair_budget", lang), min_value=lo, max_value=hi, step=1,
                                     value=rerun.REPAIR_BUDGET, key=f"repair_budget:{stem}",
                                     disabled=busy, help=t("repair_budget_help", lang))
    lo, hi = rerun.REPAIR_SEEDS_RANGE
    seeds = seeds_col.number_input(t("repair_seeds", lang), min_value=lo, max_value=hi, step=1,
                                   value=rerun.REPAIR_SEEDS, key=f"repair_seeds:{stem}",
                                   disabled=busy, help=t("repair_seeds_help", lang))
    fix = button_col.button(t("fix_for_me", lang), key=f"repair:{stem}", icon="🛠️",
                            type="primary", disabled=busy,
                            help=t("fix_for_me_help", lang, n=int(budget)))
    fan = st.button(t("fan_out", lang, n=rerun.FAN_OUT), key=f"fan_out:{stem}", icon="🧪",
                    disabled=busy, help=t("fan_out_help", lang, n=rerun.FAN_OUT))
    if fix or fan:
        try:
            if fan:
                rerun.start_fan_out(target, f.rule_id)
            else:
                rerun.start_repair(target, f.rule_id, budget=int(budget), seeds=int(seeds))
        except (OSError, RerunError) as e:
            st.error(t("rerun_failed", lang, msg=render(e, lang)), icon="🚫")
            return
        st.rerun()  # draw the buttons disabled and the live attempts below them
    if busy:
        _repair_live(target.path, f.rule_id, lang, target.key)
    elif job is not None:
        repair_status(job, record, lang, f"{target.key}:{f.rule_id}")


@st.fragment(run_every=2)
def _repair_live(path: str, rule_id: str, lang: str, key: str) -> None:
    q = rerun.active_queue()
    if q is not None:
        q.poll()  # fresh states now (a job killed outright is settled only by a poll)
    job, record = rerun.repair_of(path, rule_id)
    if job is None or job.state in FINISHED:
        rerun.forget_family()  # the repair made children: show them in the lineage now
        st.rerun()  # the whole page: button enabled again
    repair_status(job, record, lang, f"{key}:{rule_id}")


def repair_status(job: Job | None, record: Mapping[str, Any] | None, lang: str, key: str) -> None:
    """An auto-repair from its job and repair.json: where it stands, then one row per attempt
    (remedy, change, re-run, verdict and why) with a link to each re-run's comparison."""
    record = record or {}
    attempts = record.get("attempts") or []
    st.markdown(f"**🛠️ {t('repair_title', lang)}**")
    if job is not None and job.state == QUEUED:
        st.info(t("repair_queued", lang), icon="⏳")
    elif job is not None and job.state in (FAILED, CANCELLED):
        st.error(t("repair_failed", lang, msg=render(job.error, lang) or record.get("error")
                   or state_label(job.state, lang)), icon="🚫")
    elif record.get("state") == "running":
        total = max(int(record.get("total_steps") or 1), 1)
        st.progress(min(int(record.get("step") or 0) / total, 1.0),
                    text=t("repair_running", lang, step=record.get("step") or 0, total=total))
    elif not record:  # started, repair.json not written yet
        st.progress(0.0, text=t("state_starting", lang))
    elif record.get("state") == "done":
        _ending(record, attempts, lang)
    if not attempts:
        return
    at = record.get("ends_at") if record.get("state") == "done" else None
    table = outcome_rows(attempts, at if isinstance(at, int) else None, lang)
    st.dataframe(pd.DataFrame([{  # the outcome first, then the verdict and the finding
        "#": row["#"],
        t("col_remedy", lang): row["remedy"],
        t("col_outcome", lang): row["outcome"],
        t("col_before_after", lang): row["before → after"],
        t("col_margin", lang): row["± margin"],
        t("col_verdict", lang): verdict_label(a.get("verdict", ""), lang),
        t("col_finding_after", lang): row["finding after"],
        t("col_change", lang): json.dumps(a.get("resolved_change") or a.get("change"),
                                          ensure_ascii=False),
        t("col_children", lang): row["children"],
        t("col_reason", lang): attempt_reason(a, lang),
    } for row, a in zip(table, attempts)]), hide_index=True, width="stretch",
        key=f"repair_table:{key}")
    for a in attempts:
        for child in (a.get("children") or [])[:1]:
            st.page_link(shell.PAGE_COMPARE, query_params={"run": Path(child).name}, icon="⚖️",
                         label=t("already_rerun", lang, name=names.tail(Path(child).name),
                                 state=verdict_label(a.get("verdict", ""), lang)),
                         help=Path(child).name)


def _ending(record: Mapping[str, Any], attempts: list[dict[str, Any]], lang: str) -> None:
    """Fixed by ..., else the best it got, else nothing helped."""
    at = record.get("ends_at")
    end = attempts[at] if isinstance(at, int) and 0 <= at < len(attempts) else None
    child = rerun.display_name((end.get("children") or [""])[0]) if end else ""
    if end is not None and record.get("success"):
        st.success(t("repair_fixed", lang, action=end.get("action", ""), child=child), icon="✅")
    elif end is not None:
        st.warning(t("repair_ends_at", lang, action=end.get("action", ""), child=child,
                     verdict=verdict_label(end.get("verdict", ""), lang)), icon="📈")
    elif not attempts:
        st.info(t("repair_nothing", lang), icon="❔")
    else:
        st.warning(t("repair_not_fixed", lang), icon="⚠️")
