"""Parent vs re-run: curves overlaid, config diff, findings before and after, and a verdict that
weighs the difference against seed noise; a run still training, live; the lineage of any run.

The re-run to show is the page's `?run=` query parameter (a folder under the runs root), so a
reload or a restarted app opens the same comparison; everything else is read from disk. Only
runs and parents inside the runs root and the samples are shown (`rerun.family`): a
`lineage.json` naming a parent elsewhere is listed as ignored, and that parent is never read.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from diagnostics.messages import render
from diagnostics.remedies import find_remedy
from trainers.family import Family
from trainers.rerun_verdict import judge_rerun
from ui import components, diagnosis, findings_view, rerun, sources, verdict_view
from ui.compare_curves import LOSS_TAGS, curves
from ui.i18n import t
from ui.lineage_view import change_text, lineage  # noqa: F401 - pages use them from here
from ui.verdict_view import pair  # noqa: F401 - the Diagnose page uses it from here


# ---- the page ----------------------------------------------------------------------------------
def page(lang: str) -> None:
    st.title(f"⚖️ {t('compare_title', lang)}")
    flat = rerun.family()
    refused = flat.refused()
    if refused:  # lineage.json written elsewhere: said, never followed
        st.warning(t("lineage_refused", lang, n=len(refused)), icon="🧹")
        st.code("\n".join(f"{n.name}: {n.problem}" for n in refused), language="text")
    options = flat.comparable()
    if not options:
        st.info(t("no_reruns", lang, root=sources.runs_root()))
        return
    names = [n.name for n in options]
    wanted = st.query_params.get("run")
    if wanted in names:  # the URL wins: links and switch_page carry the re-run to open
        st.session_state["compare_run"] = wanted
    name = st.selectbox(t("pick_rerun", lang), names, key="compare_run", on_change=_remember)
    st.query_params["run"] = name
    show(flat, options[names.index(name)].run, lang)


def _remember() -> None:
    st.query_params["run"] = st.session_state["compare_run"]


def show(flat: Family, path: str, lang: str) -> None:
    node = flat[path]
    parent = flat[node.parent]
    st.header(node.name)
    st.markdown(t("rerun_of", lang, parent=rerun.display_name(parent.run),
                  change=change_text(node)))
    if node.remedy_id:
        try:
            st.caption(t("remedy_was", lang, action=find_remedy(node.remedy_id, lang).action))
        except KeyError:  # a remedy id from an older catalogue
            st.caption(node.remedy_id)
    lineage(path, lang, f"cmp:{node.name}", flat, on_diagnose=False)
    if parent.missing:
        st.error(t("parent_missing", lang, path=parent.run), icon="🚫")
        return
    state = rerun.state(node)
    if state not in rerun.OVER:
        _live(path, parent.run, state, lang)
    elif state not in rerun.USABLE:
        job = _job(path)
        st.error(t("child_failed", lang, state=components.state_label(state, lang),
                   msg=(render(job.error, lang) if job else "") or "—"), icon="🚫")
        if job is not None and job.log_tail():
            st.code(job.log_tail(), language="text")
    else:
        verdict(flat, path, lang)


def _job(path: str):
    q = rerun.active_queue()
    return q.job_for_run(path) if q is not None else None


@st.fragment(run_every=1)
def _live(path: str, parent: str, was: str | None, lang: str) -> None:
    q = rerun.active_queue()
    if q is not None:
        q.poll()  # fresh states now (a job killed outright is settled only by a poll)
    now = rerun.run_state(path)
    if now != was and now in rerun.OVER:
        st.rerun()  # the whole page: the verdict replaces the live view
    st.subheader(t("training", lang, state=components.state_label(now, lang)))
    live_run(path, [parent], lang, f"cmp:{Path(path).name}")


def live_run(path: str, parents: Sequence[str], lang: str, key: str) -> None:
    """A run still training: progress, its loss so far over its parents', findings so far."""
    job = _job(path)
    status = job.progress() if job is not None else {}
    if status.get("total_steps"):
        st.progress(min(status.get("step", 0) / status["total_steps"], 1.0),
                    text=t("progress", lang, epoch=status.get("epoch", 0),
                           epochs=status.get("epochs", "?"), step=status.get("step", 0),
                           total=status["total_steps"]))
    run = rerun.load_run(path)
    if run is None:
        st.caption(t("no_events_yet", lang))
        return
    base = [r for p in parents if (r := rerun.load_run(p)) is not None]
    curves(base, [run], lang, key, controls=False)
    st.markdown(f"**{t('live_findings', lang)}**")
    findings_view.findings_brief(diagnosis.report_of(run), lang)


# ---- the verdict -------------------------------------------------------------------------------
def verdict(flat: Family, path: str, lang: str) -> None:
    """Every finished seed of both sides, judged below the UI (`trainers.rerun_verdict`): the
    outcome figures first, then the verdict; more seeds on request, taken in as they end."""
    name = flat[path].name
    rv = judge_rerun(flat, path, rerun.load_run)
    cmp = rv.comparison
    if cmp is None:
        st.error(t("load_failed", lang, what=name, msg="no events"), icon="🚫")
        return
    st.subheader(t("verdict", lang))
    verdict_view.outcome(cmp, lang)
    verdict_view.verdict_box(cmp, lang)
    if rv.pending:
        st.info(t("seeds_pending", lang, n=len(rv.pending)), icon="⏳")
        _wait(rv.pending)
    elif cmp.provisional:
        st.caption(t("provisional_note", lang))
    if st.button(t("more_seeds", lang), key=f"seeds:{name}", icon="🎲",
                 disabled=bool(rv.pending), help=t("more_seeds_help", lang)):
        try:
            rerun.submit_seeds(flat, path)
        except (OSError, ValueError) as e:
            st.error(t("rerun_failed", lang, msg=e), icon="🚫")
        else:
            st.rerun()
    verdict_view.seed_table(cmp, lang, name)
    curves(rv.parents, rv.children, lang, f"cmp:{name}",
           tags=("val/acc", *LOSS_TAGS) if cmp.metric.endswith("acc") else LOSS_TAGS)
    verdict_view.config_diff(cmp, lang, name)
    reports = {side: verdict_view.findings_of(runs)
               for side, runs in (("parent", rv.parents), ("child", rv.children))}
    before, after = st.columns(2)
    with before:
        st.markdown(f"**{t('findings_before', lang)}**")
        findings_view.findings_brief(reports["parent"], lang,
                                     {r: t("mark_cleared", lang) for r in cmp.cleared_findings})
    with after:
        st.markdown(f"**{t('findings_after', lang)}**")
        findings_view.findings_brief(reports["child"], lang,
                                     {r: t("mark_new", lang) for r in cmp.new_findings})


@st.fragment(run_every=2)
def _wait(pending: tuple[str, ...]) -> None:
    """Pump the queue while seed runs train; redraw the verdict once they have all ended."""
    q = rerun.active_queue()
    if q is not None:
        q.poll()
    if all(rerun.run_state(p) in rerun.OVER for p in pending):
        st.rerun()
