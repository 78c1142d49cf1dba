"""Parent vs re-run: curves overlaid, config diff, findings before and after, and a verdict that
weighs the difference against seed noise; a run still training, live; the lineage of any run.

The re-run to show is the page's `?run=` query parameter (a folder under the runs root), so a
reload or a restarted app opens the same comparison; everything else is read from disk. Only
runs and parents inside the runs root and the samples are shown (`rerun.family`): a
`lineage.json` naming a parent elsewhere is listed as ignored, and that parent is never read.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from diagnostics.compare import Comparison, aligned_curves, compare
from diagnostics.engine import diagnose
from diagnostics.model import Report
from diagnostics.remedies import display_title, find_remedy
from diagnostics.rundata import RunData
from trainers.lineage import ancestors
from ui import charts, components, picker, rerun, shell, sources
from ui.i18n import t

SIDE_COLOR = {"parent": "#7f8c8d", "child": "#2980b9"}
VERDICT_BOX = {"resolved": st.success, "improved": st.info, "no change": st.warning,
               "worse": st.error}
LOSS_TAGS = ("val/loss", "train/loss")


# ---- the page ----------------------------------------------------------------------------------
def page(lang: str) -> None:
    st.title(f"⚖️ {t('compare_title', lang)}")
    flat = rerun.family()
    refused = rerun.refused(flat)
    if refused:  # lineage.json written elsewhere: said, never followed
        st.warning(t("lineage_refused", lang, n=len(refused)), icon="🧹")
        st.code("\n".join(f"{n['name']}: {n['problem']}" for n in refused), language="text")
    options = rerun.comparable(flat)
    if not options:
        st.info(t("no_reruns", lang, root=sources.runs_root()))
        return
    names = [n["name"] for n in options]
    wanted = st.query_params.get("run")
    if wanted in names:  # the URL wins: links and switch_page carry the re-run to open
        st.session_state["compare_run"] = wanted
    name = st.selectbox(t("pick_rerun", lang), names, key="compare_run", on_change=_remember)
    st.query_params["run"] = name
    show(flat, options[names.index(name)]["run"], lang)


def _remember() -> None:
    st.query_params["run"] = st.session_state["compare_run"]


def show(flat: Mapping[str, dict[str, Any]], path: str, lang: str) -> None:
    node = flat[path]
    parent = flat[node["parent"]]
    st.header(node["name"])
    st.markdown(t("rerun_of", lang, parent=rerun.display_name(parent["run"]),
                  change=change_text(node)))
    if node["remedy_id"]:
        try:
            st.caption(t("remedy_was", lang, action=find_remedy(node["remedy_id"], lang).action))
        except KeyError:  # a remedy id from an older catalogue
            st.caption(node["remedy_id"])
    lineage(path, lang, f"cmp:{node['name']}", flat, on_diagnose=False)
    if parent["missing"]:
        st.error(t("parent_missing", lang, path=parent["run"]), icon="🚫")
        return
    state = rerun.state(node)
    if state not in rerun.OVER:
        _live(path, parent["run"], state, lang)
    elif state not in rerun.USABLE:
        job = _job(path)
        st.error(t("child_failed", lang, state=components.state_label(state, lang),
                   msg=(job.error if job else "") or "—"), icon="🚫")
        if job is not None and job.log_tail():
            st.code(job.log_tail(), language="text")
    else:
        verdict(flat, path, lang)


def change_text(node: Mapping[str, Any]) -> str:
    """`lr = 0.1 (×0.1)`: the resolved value, and what was asked when that was relative."""
    asked = node.get("change") or {}
    parts = []
    for key, value in (node.get("resolved_change") or {}).items():
        part = f"{key} = {value}"
        if key in asked and str(asked[key]) != str(value):
            part += f" ({asked[key]})"
        parts.append(part)
    return ", ".join(parts) or "—"


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
    curves(base, [run], lang, key)
    st.markdown(f"**{t('live_findings', lang)}**")
    components.findings_brief(diagnose(run, lang=lang), lang)


# ---- the verdict -------------------------------------------------------------------------------
def verdict(flat: Mapping[str, dict[str, Any]], path: str, lang: str) -> None:
    """Compare every finished seed of both sides; more seeds on request, taken in as they end."""
    base_parent = flat[path]["parent"]
    sides = {"parent": rerun.parent_group(flat, path), "child": rerun.group(flat, path)}
    states = {n["run"]: rerun.state(n) for nodes in sides.values() for n in nodes}
    # A parent that is not our job (a sample) may have no status: it is finished all the same.
    usable = {side: [n["run"] for n in nodes if states[n["run"]] in rerun.USABLE
                     or (n["run"] == base_parent and states[n["run"]] is None)]
              for side, nodes in sides.items()}
    pending = [r for r, s in states.items() if s not in rerun.OVER and r != base_parent]
    runs = {side: [r for p in paths if (r := rerun.load_run(p)) is not None]
            for side, paths in usable.items()}
    if not runs["parent"] or not runs["child"]:
        st.error(t("load_failed", lang, what=flat[path]["name"], msg="no events"), icon="🚫")
        return
    reports = {side: diagnose(rs[0], lang=lang) for side, rs in runs.items()}
    parent_first = reports["parent"].fix_first
    rule = rerun.rule_of(path) or (parent_first.rule_id if parent_first else "none")
    # compare() judges in English rule terms; reports of other runs it diagnoses itself.
    cmp = compare(runs["parent"], runs["child"], rule)

    st.subheader(t("verdict", lang))
    VERDICT_BOX[cmp.verdict](cmp.reason_text(lang), icon=components.VERDICT_ICON[cmp.verdict])
    if pending:
        st.info(t("seeds_pending", lang, n=len(pending)), icon="⏳")
        _wait(tuple(pending))
    elif cmp.provisional:
        st.caption(t("provisional_note", lang))
    if st.button(t("more_seeds", lang), key=f"seeds:{flat[path]['name']}", icon="🎲",
                 disabled=bool(pending), help=t("more_seeds_help", lang)):
        try:
            rerun.submit_seeds(flat, path)
        except (OSError, ValueError) as e:
            st.error(t("rerun_failed", lang, msg=e), icon="🚫")
        else:
            st.rerun()
    _seed_table(cmp, lang, flat[path]["name"])
    curves(runs["parent"], runs["child"], lang, f"cmp:{flat[path]['name']}",
           by_epoch="batch_size" in cmp.config_diff,
           tags=("val/acc", *LOSS_TAGS) if cmp.metric.endswith("acc") else LOSS_TAGS)
    _config_diff(cmp, lang, flat[path]["name"])
    before, after = st.columns(2)
    with before:
        st.markdown(f"**{t('findings_before', lang)}**")
        components.findings_brief(reports["parent"], lang,
                                  {r: t("mark_cleared", lang) for r in cmp.cleared_findings})
    with after:
        st.markdown(f"**{t('findings_after', lang)}**")
        components.findings_brief(reports["child"], lang,
                                  {r: t("mark_new", lang) for r in cmp.new_findings})


def pair(labels: Sequence[str], runs: Sequence[RunData], reports: Sequence[Report], lang: str) -> None:
    """Two of the runs picked together, before and after a change the user made themselves
    (their own experiments, not our re-runs): did the first one's fix-first problem go away?
    One seed a side, so the verdict is provisional (compare() says so)."""
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
    if not any(all(r.has(tag) for r in two) for tag in LOSS_TAGS):  # nothing to weigh them on
        st.caption(t("pair_no_metric", lang))
        return
    cmp = compare([runs[before]], [runs[after]], first.rule_id,
                  reports={id(runs[before]): reports[before], id(runs[after]): reports[after]})
    VERDICT_BOX[cmp.verdict](cmp.reason_text(lang), icon=components.VERDICT_ICON[cmp.verdict])
    new = [display_title(r, lang) for r in cmp.new_findings]
    if new:
        st.caption(t("pair_new", lang, rules=", ".join(new)))


@st.fragment(run_every=2)
def _wait(pending: tuple[str, ...]) -> None:
    """Pump the queue while seed runs train; redraw the verdict once they have all ended."""
    q = rerun.active_queue()
    if q is not None:
        q.poll()
    if all(rerun.run_state(p) in rerun.OVER for p in pending):
        st.rerun()


def _seed_table(cmp: Comparison, lang: str, key: str) -> None:
    rows = [{t("col_side", lang): t(f"side_{side}", lang), "run": rerun.display_name(s.run)
             if Path(s.run).is_absolute() else s.run, t("col_seed", lang): s.seed,
             t("col_value", lang): s.value, t("col_has_problem", lang): "●" if s.has_finding else "—"}
            for side, seeds in (("parent", cmp.parent), ("child", cmp.child)) for s in seeds]
    st.markdown(f"**{t('seeds_table', lang, metric=cmp.metric)}**")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"seed_table:{key}")


def _config_diff(cmp: Comparison, lang: str, key: str) -> None:
    st.markdown(f"**{t('config_diff', lang)}**")
    rows = [{t("col_key", lang): k, t("side_parent", lang): json.dumps(a),
             t("side_child", lang): json.dumps(b)} for k, (a, b) in cmp.config_diff.items()]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"diff:{key}")
    else:
        st.caption(t("none", lang))


# ---- curves ------------------------------------------------------------------------------------
def curves(parents: Sequence[RunData], children: Sequence[RunData], lang: str, key: str, *,
           by_epoch: bool = False, tags: Sequence[str] = LOSS_TAGS) -> None:
    figs = [(tag, fig) for tag in tags
            if (fig := overlay(parents, children, tag, lang, by_epoch)) is not None]
    if not figs:
        st.caption(t("no_events_yet", lang))
        return
    st.markdown(f"**{t('overlay', lang)}**")
    columns = st.columns(len(figs))
    for column, (tag, fig) in zip(columns, figs):
        with column:
            st.plotly_chart(fig, key=f"overlay:{key}:{tag}", width="stretch",
                            config={"displaylogo": False})


def overlay(parents: Sequence[RunData], children: Sequence[RunData], tag: str, lang: str,
            by_epoch: bool = False) -> go.Figure | None:
    """One tag of every run, parent seeds grey and re-run seeds blue; the first seed of each
    side drawn bold. By epoch when the change alters the batch size (a step is then a
    different amount of data), else by step."""
    frame = aligned_curves(parents, children, tag)
    if frame.empty:
        return None
    x = "epoch" if by_epoch and frame["epoch"].notna().any() else "step"
    firsts = {parents[0].run if parents else None, children[0].run if children else None}
    fig = go.Figure()
    for side in ("parent", "child"):
        for run, rows in frame[frame["side"] == side].groupby("run", sort=False):
            shown = charts.thin(pd.Series(rows["value"].to_numpy(), index=rows[x].to_numpy()))
            seed = rows["seed"].iloc[0]
            bold = run in firsts
            fig.add_scatter(x=shown.index.to_numpy(), y=shown.to_numpy(), mode="lines",
                            name=f"{t(f'side_{side}', lang)} · {t('replica', lang, seed=seed)}",
                            legendgroup=side, opacity=1.0 if bold else 0.55,
                            line=dict(color=SIDE_COLOR[side], width=2.5 if bold else 1.2))
    charts.lay_out(fig, tag, lang, x=x)
    return fig


# ---- lineage -----------------------------------------------------------------------------------
def lineage(path: str, lang: str, key: str, flat: Mapping[str, dict[str, Any]] | None = None,
            *, on_diagnose: bool = True) -> None:
    """Where a run comes from (its ancestors) and its re-runs, each with a button to diagnose
    it and, for a re-run, a link to its comparison. Nothing for a run without either."""
    if not path:
        return
    path = str(Path(path).resolve())
    flat = rerun.family() if flat is None else flat
    # The first run first; only within the runs root and the samples (lineage.json is data).
    chain = [str(p) for p in reversed(ancestors(path, within=rerun.allowed_roots()))]
    kids = rerun.children(flat, path)
    if not chain and not kids:
        return
    with st.expander(t("lineage", lang), expanded=True, icon="🌳"):
        if chain:
            st.markdown(f"**{t('lineage_from', lang)}**")
            for i, run in enumerate(chain):
                _lineage_row(run, flat.get(run, {}), "&nbsp;" * 4 * i, lang, f"{key}:up{i}",
                             on_diagnose)
        if kids:
            st.markdown(f"**{t('lineage_children', lang)}**")
            for i, node in enumerate(kids):
                _lineage_row(node["run"], node, "↳ ", lang, f"{key}:down{i}", on_diagnose)


def _lineage_row(path: str, node: Mapping[str, Any], indent: str, lang: str, key: str,
                 on_diagnose: bool) -> None:
    text, open_col, compare_col = st.columns([6, 1, 2], vertical_alignment="center")
    what = change_text(node) if node.get("parent") else ""
    state = components.state_label(rerun.run_state(path), lang) if Path(path).is_dir() else "—"
    text.markdown(f"{indent}`{rerun.display_name(path)}`" + (f" · {what}" if what else "")
                  + f" · {state}")
    place = picker.where(path)
    if place is not None:
        with open_col:
            # A callback, so the Diagnose page's sidebar widgets take the run before they draw.
            if st.button(t("open_run", lang), key=f"open:{key}", on_click=picker.open_run,
                         args=place) and not on_diagnose:
                st.switch_page(shell.PAGE_DIAGNOSE)
    if node.get("parent") and not node.get("external") and not rerun.is_replica(node):
        with compare_col:
            st.page_link(shell.PAGE_COMPARE, label=t("page_compare", lang), icon="⚖️",
                         query_params={"run": node["name"]})
