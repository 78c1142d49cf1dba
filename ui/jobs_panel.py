"""The Jobs page's parts and the sidebar's job count. There is no daemon: each job starts the
next queued one as it ends, a watcher beside it does when it is killed outright, and these
timed fragments call `JobQueue.poll()` too. Every tick reads the queue from disk, so a restarted
app, or a second tab, shows the same jobs.

What the registry holds is data someone else may have written: entries the queue refused are
listed with their one-line reasons (`JobQueue.rejected()`), never raised; labels and errors
from entries are shown as plain text (no links, images or markup of theirs); paths from
repair.json and lineage.json are followed only inside the runs root and the samples.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import streamlit as st

from diagnostics.messages import render
from trainers.confine import is_inside
from trainers.jobs import FINISHED, QUEUED, RUNNING, Job, JobQueue
from trainers.lineage import parent_of, read_lineage
from trainers.repair import read_repair
from ui import compare_view, components, job_time, new_run, picker, repair_panel, rerun, shell, sources
from ui.i18n import t

STATE_ICON = components.STATE_ICON  # shown with the state's word (`components.state_text`)
SHOWN = 20  # newest jobs drawn; a long history would make every tick slow


def page(lang: str) -> None:
    st.title(f"⚙️ {t('jobs_title', lang)}")
    root = sources.runs_root()
    st.caption(t("jobs_root", lang, root=root))
    try:
        q = rerun.queue()
    except OSError as e:  # a read-only runs folder: nothing can be queued there
        st.error(t("rerun_failed", lang, msg=e), icon="🚫")
        return
    settings(q, lang)
    new_run.form(q, lang)
    _jobs(q, lang)


def settings(q: JobQueue, lang: str) -> None:
    # The disk is the truth (another tab may have changed it): re-read it on every run.
    st.session_state["max_parallel"] = q.max_parallel
    st.number_input(t("max_parallel", lang), min_value=1, max_value=16, step=1,
                    key="max_parallel", help=t("max_parallel_help", lang),
                    on_change=lambda: q.set_max_parallel(int(st.session_state["max_parallel"])))


@st.fragment(run_every=2)
def _jobs(q: JobQueue, lang: str) -> None:
    jobs = q.poll()
    rejected(q, lang)
    if not jobs:
        st.info(t("no_jobs", lang))
        return
    counts = {s: sum(j.state == s for j in jobs) for s in (RUNNING, QUEUED)}
    st.caption(t("job_counts", lang, running=counts[RUNNING], queued=counts[QUEUED],
                 finished=len(jobs) - counts[RUNNING] - counts[QUEUED]))
    newest = list(reversed(jobs))
    for job in newest[:SHOWN]:
        card(q, job, lang)
    if len(newest) > SHOWN:
        st.caption(t("older_jobs", lang, n=len(newest) - SHOWN))


def rejected(q: JobQueue, lang: str) -> None:
    """Registry entries the queue would not use, one line each, as plain text."""
    bad = q.rejected()
    if bad:
        st.warning(t("jobs_rejected", lang, n=len(bad)), icon="🧹")
        st.code("\n".join(f"{name}: {reason}" for name, reason in bad), language="text")


def card(q: JobQueue, job: Job, lang: str) -> None:
    """One job: state, cancel, progress; a running one's live curves and findings, or an
    auto-repair's attempts; its log on demand."""
    with st.container(border=True):
        head, button = st.columns([6, 1], vertical_alignment="center")
        age = time.strftime("%H:%M:%S", time.localtime(job.created))
        head.markdown(f"**{plain(job_label(job, lang))}** · "
                      f"{components.state_text(job.state, lang)} · {age}{timing(job, lang)}")
        if job.state not in FINISHED:
            button.button(t("cancel", lang), key=f"cancel:{job.id}", icon="✖️",
                          on_click=q.cancel, args=(job.id,))
        if job.error:  # worded in the UI's language when it has a key; else the child's own words
            st.error(f"{t('job_error', lang)}: {plain(render(job.error, lang))}", icon="🚫")
        if job.kind == "repair":
            record = read_repair(job.run_dir)
            repair_panel.repair_status(job, record, lang, job.id)
            current = (record or {}).get("current")
            if job.state == RUNNING and isinstance(current, str) and is_inside(current, [q.root]):
                compare_view.live_run(current, _parents(current), lang, f"job:{job.id}")
        elif job.state == RUNNING:
            compare_view.live_run(job.run_dir, _parents(job.run_dir), lang, f"job:{job.id}")
        # Seed replicas are not comparisons of their own: they join their base run's verdict.
        changed = set((read_lineage(job.run_dir) or {}).get("resolved_change") or {}) - {"seed"}
        if job.kind == "rerun" and job.state in rerun.USABLE and changed:
            st.page_link(shell.PAGE_COMPARE, label=t("page_compare", lang), icon="⚖️",
                         query_params={"run": Path(job.run_dir).name})
        elif job.kind == "train" and job.state in rerun.USABLE and (place := picker.where(job.run_dir)):
            # A callback, so the Diagnose page's sidebar widgets take the run before they draw.
            if st.button(t("open_run", lang), key=f"open:{job.id}", icon="🩺",
                         on_click=picker.open_run, args=place):
                st.switch_page(shell.PAGE_DIAGNOSE)
        with st.expander(t("log", lang)):
            st.code(job.log_tail() or "—", language="text")


def timing(job: Job, lang: str, now: float | None = None) -> str:
    """` · 2 min 05 s elapsed · about 1 min 10 s left`: the ETA at the pace so far."""
    parts = []
    spent = job_time.elapsed(job, now)
    if spent is not None:
        parts.append(t("job_elapsed", lang, t=job_time.duration(spent)))
    left = job_time.eta(job, now)
    if left is not None:
        parts.append(t("job_eta", lang, t=job_time.duration(left)))
    return "".join(f" · {p}" for p in parts)


# The back-end's English label prefixes (trainers.rerun / trainers.repair) -> i18n keys.
_LABEL_PREFIXES = {"re-run ": "job_label_rerun", "auto-repair ": "job_label_repair"}


def job_label(job: Job, lang: str) -> str:
    """The job's label with its kind worded in `lang`; names and changes stay as they are."""
    label = job.label or job.id
    for prefix, key in _LABEL_PREFIXES.items():
        if label.startswith(prefix):
            return t(key, lang, rest=label[len(prefix):])
    return label


def _parents(run_dir: str) -> list[str]:
    parent = parent_of(run_dir, within=rerun.allowed_roots())
    return [str(parent)] if parent is not None and parent.is_dir() else []


_MARKUP = re.compile(r"([\\`*\[\]()<>!$~|#{}])")  # what makes links, images, HTML, maths


def plain(text: str) -> str:
    """`text` (from a file someone else may have written) as literal markdown on one line: no
    link, image, autolink, maths or styling of theirs survives; words and ':' stay readable."""
    text = _MARKUP.sub(r"\\\1", " ".join(text.split()))
    return text.replace("://", ":\\/\\/").replace("www.", "www\\.")


def sidebar_status(lang: str) -> None:
    """On every page: how many jobs run and wait, linked to the Jobs page (the jobs start one
    another; its timer keeps the count fresh and settles a job killed outright)."""
    q = rerun.active_queue()  # None: no jobs ever; never a folder created just by looking
    if q is None or not any(j.state in (RUNNING, QUEUED) for j in q.poll()):
        return  # no timer while idle: a submit re-runs the page, which starts it
    with st.sidebar:
        _sidebar_tick(lang)


@st.fragment(run_every=2)
def _sidebar_tick(lang: str) -> None:
    q = rerun.active_queue()
    jobs = q.poll() if q is not None else []
    running = sum(j.state == RUNNING for j in jobs)
    queued = sum(j.state == QUEUED for j in jobs)
    if running or queued:
        st.page_link(shell.PAGE_JOBS, icon="⚙️",
                     label=t("sidebar_jobs", lang, running=running, queued=queued))
