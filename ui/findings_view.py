"""The findings of a diagnosis: each with its evidence and its remedies, in the reader's language.

The report holds message keys (`diagnostics.messages`); everything is worded here, when it is
drawn, so a language switch re-renders the cached report without running a rule again.
Remedies of a run our trainer made get an "apply and re-run" button, its fix-first finding a
"fix this for me" (auto-repair, drawn by `ui.repair_panel`); what they start lives on disk
(ui/rerun.py), not here.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from diagnostics.messages import render
from diagnostics.model import Finding, Remedy, Report
from diagnostics.remedies import remedies_of
from diagnostics.statistic_names import statistic_name
from trainers.config import ConfigError
from trainers.family import RunNode
from trainers.rerun import RerunError
from ui import names, rerun, shell, sources, widget_state
from ui.components import SEVERITY_ICON, SEVERITY_LABEL, state_text
from ui.i18n import t


def findings(report: Report, lang: str, target: rerun.Target | None = None) -> None:
    """`target`: the run as a parent of re-runs; None where re-running is not offered."""
    st.subheader(t("findings", lang))
    if not report.findings:
        st.markdown(t("no_findings", lang))
    if target is not None and not target.ok and any(remedies_of(f, lang) for f in report.findings):
        # Say once why the buttons are missing, not under every remedy.
        st.info(t("cannot_rerun", lang, reason=target.reason or t("upload_no_rerun", lang)),
                icon="📝")
    made = rerun.made_for(target.path) if target is not None and target.ok else {}
    for number, f in enumerate(report.findings, start=1):
        _finding(number, f, lang, target if target is not None and target.ok else None, made)


def _finding(number: int, f: Finding, lang: str, target: rerun.Target | None = None,
             made: Mapping[str, list[RunNode]] | None = None) -> None:
    with st.container(border=True):
        st.markdown(f"#### {number}. {SEVERITY_ICON[f.severity]} {render(f.title, lang)}")
        facts = [t(SEVERITY_LABEL[f.severity], lang), t("confidence", lang, c=f.confidence)]
        if f.onset_step is not None:
            facts.append(t("onset_at", lang, step=f.onset_step))
        st.caption(" · ".join(facts))
        st.markdown(render(f.message, lang))
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
        remedies = remedies_of(f, lang)
        if not remedies:
            return
        if number == 1 and target is not None and any(r.change for r in remedies):
            from ui import repair_panel  # it draws with this module's pieces

            repair_panel.repair(f, target, lang)
        _remedies(f, remedies, number == 1, lang, target, made or {})


def _remedies(f: Finding, remedies: Sequence[Remedy], fix_first: bool, lang: str, target: rerun.Target | None,
              made: Mapping[str, list[RunNode]]) -> None:
    """Remedies keep the documents' order: numbered as given, never re-sorted. The fix-first
    finding shows its first remedy (the summary's "try first"); the rest are folded and drawn
    only once unfolded: a run's charts, above, are drawn after everything sent with them, and
    six remedies with their code took a fifth of a second of that."""
    up_front = remedies[:1] if fix_first else []
    if up_front:
        st.markdown(f"**{t('remedies', lang)} ({len(remedies)})**")
        remedy(1, up_front[0], lang, target, made.get(up_front[0].id, []))
    rest = remedies[len(up_front):]
    if not rest:
        return
    if not up_front:
        label = f"{t('remedies', lang)} ({len(remedies)})"
    else:  # "Remedies 2–6 of 6"; "Remedy 2 of 2"
        label = t("more_remedies" if len(rest) > 1 else "last_remedy", lang, lo=2, n=len(remedies))
    box = widget_state.unfolded(label, f"remedies_open:{f.rule_id}:{fix_first}", icon="💊")
    if box is not None:
        with box:
            for i, r in enumerate(rest, start=len(up_front) + 1):
                remedy(i, r, lang, target, made.get(r.id, []))


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
            st.error(t("rerun_failed", lang, msg=render(e, lang)), icon="🚫")
            return
        # Straight to the child: it trains live there, and its verdict appears when done.
        st.switch_page(shell.PAGE_COMPARE, query_params={"run": Path(job.run_dir).name})
    if why == rerun.NOOP:
        st.caption(t("rerun_noop", lang))
    elif why:
        st.caption(t("rerun_bad_change", lang, msg=render(why, lang)))
    for node in made:
        st.page_link(shell.PAGE_COMPARE, query_params={"run": node.name}, icon="⚖️",
                     label=t("already_rerun", lang, name=names.tail(node.name), state=state_text(
                         rerun.state(node), lang)), help=node.name)


def findings_brief(report: Report, lang: str, marks: Mapping[str, str] | None = None) -> None:
    """A report's findings as one line each (a run still training, before vs after)."""
    lines = [f"- {SEVERITY_ICON[f.severity]} {render(f.title, lang)}"
             + (f" · *{marks[f.rule_id]}*" if marks and f.rule_id in marks else "")
             for f in report.findings]
    st.markdown("\n".join(lines) or t("no_findings", lang))
