"""A run and its diagnosis at a glance: the run's header and settings, the health summary, the
overview of several runs, run states, and the export buttons (the findings themselves:
`ui.findings_view`). Texts are worded here, from the report's message keys, in `lang`.

Every widget's key is derived from `run_key` (a stable id of the loaded run), so widgets of
different runs never collide and survive reruns and language switches.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from diagnostics import render
from diagnostics.messages import render as words
from diagnostics.model import Report, Severity
from diagnostics.remedies import display_title, remedies_of
from diagnostics.rundata import RunData
from trainers.jobs import read_json, run_state
from ui import chart_controls, curves_panel, export, overlay_chart, report_html, sources, widget_state
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
            t("col_fix_first", lang): (f"{SEVERITY_ICON[first.severity]} {words(first.title, lang)}" if first
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
    box = widget_state.unfolded(t("config_title", lang, n=len(run.config)), "config_open", icon="⚙️")
    if box is None:
        return
    with box:
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
        st.warning(t("file_problem", lang, file=p.file, msg=words(p.message, lang)), icon="⚠️")


def health_summary(report: Report, lang: str) -> None:
    st.subheader(t("health", lang))
    if report.part:  # the folder held several runs: say which one this diagnosis is of
        st.info(render.part_line(report.part, lang), icon="🗂️")
    first = report.fix_first
    if first is not None:
        alert = st.error if first.severity == Severity.CRITICAL else st.warning
        text = t("fix_first", lang, title=words(first.title, lang))
        remedies = remedies_of(first, lang)
        if remedies:  # the documents' first remedy: what to try before anything else
            text += "  \n" + t("try_first", lang, action=remedies[0].action, n=len(remedies))
        alert(text, icon=SEVERITY_ICON[first.severity])
    elif report.passed:
        st.success(t("all_clear", lang), icon="✅")
    else:  # never a silent "healthy" when nothing could be judged
        st.info(t("nothing_assessed", lang), icon="❔")
    found, fine, unknown = st.columns(3)
    with found:
        st.markdown(f"**{t('found', lang)}**")
        st.markdown("\n".join(f"- {SEVERITY_ICON[f.severity]} {words(f.title, lang)}" for f in report.findings)
                    or t("none", lang))
    with fine:
        st.markdown(f"**{t('fine', lang)}**")
        st.markdown("\n".join(f"- ✅ {display_title(r, lang, short=True)}" for r in report.passed) or t("none", lang))
    with unknown:
        st.markdown(f"**{t('not_assessed', lang)}**")
        lines = []
        for na in report.not_assessed:
            lines.append(f"- ❔ **{display_title(na.rule_id, lang, short=True)}**: {words(na.reason, lang)}")
            if na.to_log:
                lines.append(f"  - {t('to_log', lang, what=words(na.to_log, lang))}")
        st.markdown("\n".join(lines) or t("none", lang))


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


def export_buttons(run: RunData, report: Report, lang: str, run_key: str) -> None:
    st.subheader(t("export", lang))
    stem = export.file_stem(report.run)
    left, middle, right = st.columns(3)
    with left:
        st.download_button(t("download_json", lang), export.to_json(report, run, lang), file_name=f"{stem}.json",
                           mime="application/json", key=f"dl_json:{run_key}", on_click="ignore", icon="📥")
    with middle:
        st.download_button(t("download_md", lang), export.to_markdown(report, lang), file_name=f"{stem}.md",
                           mime="text/markdown", key=f"dl_md:{run_key}", on_click="ignore", icon="📝")
    with right:  # built on click (a callable): ~5 MB with plotly.js inlined, not on every draw
        st.download_button(t("download_html", lang), lambda: report_html.build(run, report, lang),
                           file_name=f"{stem}.html", mime="text/html", key=f"dl_html:{run_key}",
                           on_click="ignore", icon="🌐")
