"""The one place where a diagnosis meets Streamlit: health summary, charts, findings, export.

Every widget's key is derived from `run_key` (a stable id of the loaded run), so widgets of
different runs never collide and survive reruns and language switches.
"""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from diagnostics.model import Finding, Remedy, Report, Severity
from diagnostics.remedies import rule_title
from diagnostics.rundata import RunData
from ui import charts, export
from ui.i18n import t

SEVERITY_ICON = {Severity.CRITICAL: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}
SEVERITY_LABEL = {
    Severity.CRITICAL: "sev_critical", Severity.WARNING: "sev_warning", Severity.INFO: "sev_info",
}


def overview(labels: list[str], reports: list[Report], lang: str) -> None:
    """One row per picked run: what to fix first and how much was found."""
    st.subheader(t("overview", lang))
    rows = []
    for label, report in zip(labels, reports):
        first = report.fix_first
        rows.append({
            t("col_run", lang): label,
            t("col_fix_first", lang): (f"{SEVERITY_ICON[first.severity]} {first.title}" if first
                                       else "✅" if report.passed else "❔"),
            t("col_findings", lang): len(report.findings),
            t("col_not_assessed", lang): len(report.not_assessed),
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="overview_table")


def run_header(run: RunData, lang: str) -> None:
    points = int(len(run.scalars)) + int(run.histograms[["tag", "step"]].drop_duplicates().shape[0])
    st.caption(t("run_meta", lang, writer=run.writer or t("unknown", lang), n=len(run.files),
                 points=f"{points:,}"))
    for p in run.problems:
        st.warning(t("file_problem", lang, file=p.file, msg=p.message), icon="⚠️")


def health_summary(report: Report, lang: str) -> None:
    st.subheader(t("health", lang))
    first = report.fix_first
    if first is not None:
        alert = st.error if first.severity == Severity.CRITICAL else st.warning
        alert(t("fix_first", lang, title=first.title), icon=SEVERITY_ICON[first.severity])
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
        st.markdown("\n".join(f"- ✅ {rule_title(r, lang)}" for r in report.passed) or t("none", lang))
    with unknown:
        st.markdown(f"**{t('not_assessed', lang)}**")
        lines = []
        for na in report.not_assessed:
            lines.append(f"- ❔ **{rule_title(na.rule_id, lang)}**: {na.reason}")
            if na.to_log:
                lines.append(f"  - {t('to_log', lang, what=na.to_log)}")
        st.markdown("\n".join(lines) or t("none", lang))


def curves(run: RunData, report: Report, lang: str, run_key: str) -> None:
    st.subheader(t("curves", lang))
    figs = charts.figures(run, report, lang)
    if not figs:
        st.info(t("no_curves", lang))
        return
    columns = st.columns(2)
    for i, (chart_id, fig) in enumerate(figs):
        with columns[i % 2]:
            st.plotly_chart(fig, key=f"chart:{run_key}:{chart_id}", width="stretch",
                            config={"displaylogo": False})


def findings(report: Report, lang: str) -> None:
    st.subheader(t("findings", lang))
    if not report.findings:
        st.markdown(t("no_findings", lang))
    for number, f in enumerate(report.findings, start=1):
        _finding(number, f, lang)


def _finding(number: int, f: Finding, lang: str) -> None:
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
                    t("ev_statistic", lang): e.statistic,
                    t("ev_value", lang): f"{e.value:.4g}",
                    t("ev_threshold", lang): f"{e.threshold:.4g}",
                }
                for e in f.evidence
            ]))
        if not f.remedies:
            return
        # Open for the finding to fix first only: the rest would make the page very long.
        with st.expander(f"{t('remedies', lang)} ({len(f.remedies)})", expanded=number == 1, icon="💊"):
            # Remedies keep the documents' order: numbered as given, never re-sorted.
            for i, r in enumerate(f.remedies, start=1):
                remedy(i, r, lang)


def remedy(number: int, r: Remedy, lang: str) -> None:
    """One remedy or tip: action, why, its citation, and how to apply it."""
    st.markdown(f"{number}. **{r.action}** — {r.why}")
    st.caption(t("source_cite", lang, src=r.source))
    if r.snippet:
        st.code(r.snippet, language="python")
    if r.change:
        st.caption(t("trainer_change", lang, change=json.dumps(dict(r.change), ensure_ascii=False)))


def export_buttons(run: RunData, report: Report, lang: str, run_key: str) -> None:
    st.subheader(t("export", lang))
    stem = export.file_stem(report.run)
    left, right = st.columns(2)
    with left:
        st.download_button(t("download_json", lang), export.to_json(report, run), file_name=f"{stem}.json",
                           mime="application/json", key=f"dl_json:{run_key}", on_click="ignore", icon="📥")
    with right:
        st.download_button(t("download_md", lang), export.to_markdown(report, lang), file_name=f"{stem}.md",
                           mime="text/markdown", key=f"dl_md:{run_key}", on_click="ignore", icon="📝")
