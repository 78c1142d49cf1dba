"""The one place where a diagnosis meets Streamlit: health summary, charts, findings, export.

Every widget's key is derived from `run_key` (a stable id of the loaded run), so widgets of
different runs never collide and survive reruns and language switches.

Remedies of a run our trainer made get an "apply and re-run" button, its fix-first finding a
"fix this for me" (auto-repair, drawn by `ui.repair_panel`); what they start lives on disk
(ui/rerun.py), not here.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from diagnostics import render
from diagnostics.messages_zh import translate
from diagnostics.model import Finding, Remedy, Report, Severity
from diagnostics.remedies import display_title
from diagnostics.rundata import RunData
from diagnostics.statistic_names import statistic_name
from trainers.config import ConfigError
from trainers.family import RunNode
from trainers.jobs import read_json, run_state
from trainers.rerun import RerunError
from ui import (
    backend_zh,
    chart_controls,
    curves_panel,
    export,
    names,
    overlay_chart,
    report_html,
    rerun,
    shell,
    sources,
)
from ui.i18n import t

SEVERITY_ICON = {Severity.CRITICAL: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}
SEVERITY_LABEL = {
    Severity.CRITICAL: "sev_critical", Severity.WARNING: "sev_warning", Severity.INFO: "sev_info",
}


def overview(labels: list[str], runs: list[RunData], reports: list[Report], lang: str) -> None:
    """One row per picked run: what to fix first and how much was found; then their loss
    curves on shared charts, as a tracker would show them."""
    st.subheader(t("overview", lang))
    rows = []
    for label, report in zip(labels, reports):
        first = report.fix_first
        rows.append({
            t("col_run", lang): label,
            t("col_fix_first", lang): (f"{SEVERITY_ICON[first.severity]} {first.title}" if first
                                       else f"✅ {t('overview_clear', lang)}" if report.passed
                                       else f"❔ {t('overview_unknown', lang)}"),
            t("col_findings", lang): len(report.findings),
            t("col_not_assessed", lang): len(report.not_assessed),
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="overview_table")
    differ = config_differences(labels, runs)
    if differ is not None:
        st.markdown(f"**{t('config_differs', lang)}**")
        st.dataframe(differ, hide_index=True, width="stretch", key="overview_config")
    view = chart_controls.current()
    figs = [(tag, fig) for tag in ("train/loss", "val/loss")
            if (fig := overlay_chart.runs_overlay(zip(labels, runs), tag, lang, view)) is not None]
    for column, (tag, fig) in curves_panel.grid(figs):
        with column:
            curves_panel.show(fig, f"overview_chart:{tag}")


def _setting(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def config_differences(labels: list[str], runs: list[RunData]) -> pd.DataFrame | None:
    """One row per run, one column per setting whose value is not the same in every run that
    has a config (our config.json, else hparams): what was changed between the experiments."""
    configs = [dict(run.config or {}) for run in runs]
    if sum(bool(c) for c in configs) < 2:
        return None
    keys = sorted({k for c in configs for k in c})
    differ = [k for k in keys if len({_setting(c.get(k)) for c in configs if c}) > 1]
    if not differ:
        return None
    rows = [{"run": label, **{k: _setting(c[k]) if k in c else "—" for k in differ}}
            for label, c in zip(labels, configs)]
    return pd.DataFrame(rows)


def config_table(run: RunData, lang: str, run_key: str) -> None:
    """The run's settings (our config.json, else the hparams it logged), folded away."""
    if not run.config:
        return
    with st.expander(t("config_title", lang, n=len(run.config)), icon="⚙️"):
        st.dataframe(pd.DataFrame([(k, _setting(v)) for k, v in sorted(run.config.items())],
                                  columns=[t("config_key", lang), t("config_value", lang)]),
                     hide_index=True, width="stretch", key=f"config:{run_key}")


def run_header(run: RunData, lang: str) -> None:
    points = int(len(run.scalars)) + int(run.histograms[["tag", "step"]].drop_duplicates().shape[0])
    st.caption(t("run_meta", lang, writer=run.writer or t("unknown", lang), n=len(run.files),
                 points=f"{points:,}"))
    # Only runs in the server's runs folder can still be training (an upload is a snapshot).
    if run.path and Path(run.path).resolve().is_relative_to(sources.runs_root()) \
            and run_state(run.path) == "running":
        progress = read_json(Path(run.path) / "status.json") or {}
        where = (t("run_where", lang, e=progress["epoch"], n=progress["epochs"])
                 if isinstance(progress.get("epoch"), int) and progress.get("epochs") else "…")
        st.info(t("run_training", lang, where=where), icon="⏳")
    for p in run.problems:
        st.warning(t("file_problem", lang, file=p.file, msg=translate(p.message, lang)), icon="⚠️")


def health_summary(report: Report, lang: str) -> None:
    st.subheader(t("health", lang))
    if report.part:  # the folder held several runs: say which one this diagnosis is of
        st.info(render.part_line(report.part, lang), icon="🗂️")
    first = report.fix_first
    if first is not None:
        alert = st.error if first.severity == Severity.CRITICAL else st.warning
        text = t("fix_first", lang, title=first.title)
        if first.remedies:  # the documents' first remedy: what to try before anything else
            text += "  \n" + t("try_first", lang, action=first.remedies[0].action, n=len(first.remedies))
        alert(text, icon=SEVERITY_ICON[first.severity])
    elif report.passed:
        st.success(t("all_clear", lang), icon="✅")
    else:  # never a silent "healthy" when nothing could be judged
        st.info(t("nothing_assessed", lang), icon="❔")
    found, fine, unknown = st.columns(3)
    with found:
        st.markdown(f"**{t('found', lang)}**")
        st.markdown("\n".join(f"- {SEVERITY_ICON[f.severity]} {f.title}" for f in report.findings)
                    or t("none", lang))
    with fine:
        st.markdown(f"**{t('fine', lang)}**")
        st.markdown("\n".join(f"- ✅ {display_title(r, lang, short=True)}" for r in report.passed) or t("none", lang))
    with unknown:
        st.markdown(f"**{t('not_assessed', lang)}**")
        lines = []
        for na in report.not_assessed:
            lines.append(f"- ❔ **{display_title(na.rule_id, lang, short=True)}**: {na.reason}")
            if na.to_log:
                lines.append(f"  - {t('to_log', lang, what=na.to_log)}")
        st.markdown("\n".join(lines) or t("none", lang))


def findings(report: Report, lang: str, target: rerun.Target | None = None) -> None:
    """`target`: the run as a parent of re-runs; None where re-running is not offered."""
    st.subheader(t("findings", lang))
    if not report.findings:
        st.markdown(t("no_findings", lang))
    if target is not None and not target.ok and any(f.remedies for f in report.findings):
        # Say once why the buttons are missing, not under every remedy.
        st.info(t("cannot_rerun", lang, reason=target.reason or t("upload_no_rerun", lang)),
                icon="📝")
    made = rerun.made_for(target.path) if target is not None and target.ok else {}
    for number, f in enumerate(report.findings, start=1):
        _finding(number, f, lang, target if target is not None and target.ok else None, made)


def _finding(number: int, f: Finding, lang: str, target: rerun.Target | None = None,
             made: Mapping[str, list[RunNode]] | None = None) -> None:
    with st.container(border=True):
        st.markdown(f"#### {number}. {SEVERITY_ICON[f.severity]} {f.title}")
        facts = [t(SEVERITY_LABEL[f.severity], lang), t("confidence", lang, c=f.confidence)]
        if f.onset_step is not None:
            facts.append(t("onset_at", lang, step=f.onset_step))
        st.caption(" · ".join(facts))
        st.markdown(f.message)
        if f.evidence:
            st.markdown(f"**{t('evidence', lang)}**")
            st.table(pd.DataFrame([
                {
                    t("ev_tag", lang): e.tag,
                    t("ev_steps", lang): f"{e.steps[0]}–{e.steps[1]}",
                    t("ev_statistic", lang): statistic_name(e.statistic, lang),
                    t("ev_value", lang): f"{e.value:.4g}",
                    t("ev_threshold", lang): f"{e.threshold:.4g}",
                }
                for e in f.evidence
            ]))
        if not f.remedies:
            return
        if number == 1 and target is not None and any(r.change for r in f.remedies):
            from ui import repair_panel  # it draws with this module's pieces

            repair_panel.repair(f, target, lang)
        # Open for the finding to fix first only: the rest would make the page very long.
        with st.expander(f"{t('remedies', lang)} ({len(f.remedies)})", expanded=number == 1, icon="💊"):
            # Remedies keep the documents' order: numbered as given, never re-sorted.
            for i, r in enumerate(f.remedies, start=1):
                remedy(i, r, lang, target, (made or {}).get(r.id, []))


def remedy(number: int, r: Remedy, lang: str, target: rerun.Target | None = None,
           made: list[RunNode] | None = None) -> None:
    """One remedy or tip: action, why, its citation, and how to apply it (with `target`, a
    run our trainer can re-run: one click, and `made` are the re-runs it already has)."""
    if not r.applies:  # kept, last, for the record: the documents list it, this run cannot use it
        st.markdown(f"{number}. ~~{r.action}~~ — *{r.not_applicable}*. {r.why}")
    else:
        st.markdown(f"{number}. **{r.action}** — {r.why}")
    st.caption(t("source_cite", lang, src=r.source))
    if r.snippet:
        st.code(r.snippet, language="python")
    if r.change:
        st.caption(t("trainer_change", lang, change=json.dumps(dict(r.change), ensure_ascii=False)))
        if target is not None:
            _rerun_button(r, target, lang, made or [])


def _rerun_button(r: Remedy, target: rerun.Target, lang: str, made: list[RunNode]) -> None:
    why = rerun.blocked(target.path, r.change or {})
    if st.button(t("apply_rerun", lang), key=f"rerun:{target.key}:{r.id}", icon="🔁",
                 disabled=why is not None, help=t("apply_rerun_help", lang, root=sources.runs_root())):
        try:
            job = rerun.submit_remedy(target, r)
        except (OSError, RerunError, ConfigError) as e:  # e.g. a read-only runs folder
            st.error(t("rerun_failed", lang, msg=backend_zh.translate(e, lang)), icon="🚫")
            return
        # Straight to the child: it trains live there, and its verdict appears when done.
        st.switch_page(shell.PAGE_COMPARE, query_params={"run": Path(job.run_dir).name})
    if why == rerun.NOOP:
        st.caption(t("rerun_noop", lang))
    elif why:
        st.caption(t("rerun_bad_change", lang, msg=backend_zh.translate(why, lang)))
    for node in made:
        st.page_link(shell.PAGE_COMPARE, query_params={"run": node.name}, icon="⚖️",
                     label=t("already_rerun", lang, name=names.tail(node.name), state=state_text(
                         rerun.state(node), lang)), help=node.name)


def state_label(state: str | None, lang: str) -> str:
    """A run's or job's state in words (None: no status yet, i.e. starting)."""
    key = f"state_{state or 'starting'}"
    return t(key, lang) if key in _STATE_KEYS else str(state)


STATE_ICON = {"queued": "⏳", "running": "🏃", "done": "✅", "early_stopped": "✅",
              "diverged": "⚠️", "failed": "❌", "cancelled": "🚫", "stopped": "⏹️"}


def state_text(state: str | None, lang: str) -> str:
    """The state's icon with its word beside it: never an icon alone."""
    return f"{STATE_ICON.get(state or '', '')} {state_label(state, lang)}".strip()


_STATE_KEYS = {f"state_{s}" for s in ("queued", "running", "done", "early_stopped", "diverged",
                                      "failed", "cancelled", "stopped", "starting")}


def findings_brief(report: Report, lang: str, marks: Mapping[str, str] | None = None) -> None:
    """A report's findings as one line each (a run still training, before vs after)."""
    lines = [f"- {SEVERITY_ICON[f.severity]} {f.title}"
             + (f" · *{marks[f.rule_id]}*" if marks and f.rule_id in marks else "")
             for f in report.findings]
    st.markdown("\n".join(lines) or t("no_findings", lang))


def export_buttons(run: RunData, report: Report, lang: str, run_key: str) -> None:
    st.subheader(t("export", lang))
    stem = export.file_stem(report.run)
    left, middle, right = st.columns(3)
    with left:
        st.download_button(t("download_json", lang), export.to_json(report, run), file_name=f"{stem}.json",
                           mime="application/json", key=f"dl_json:{run_key}", on_click="ignore", icon="📥")
    with middle:
        st.download_button(t("download_md", lang), export.to_markdown(report, lang), file_name=f"{stem}.md",
                           mime="text/markdown", key=f"dl_md:{run_key}", on_click="ignore", icon="📝")
    with right:  # built on click (a callable): ~5 MB with plotly.js inlined, not on every draw
        st.download_button(t("download_html", lang), lambda: report_html.build(run, report, lang),
                           file_name=f"{stem}.html", mime="text/html", key=f"dl_html:{run_key}",
                           on_click="ignore", icon="🌐")
