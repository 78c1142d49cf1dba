"""The Jobs page's "train a new run" form: one of the trainer's scenarios (healthy, or a
problem on purpose), a seed, and optional changes, trained in the background like a re-run.
It is how a user on a GPU box gets a first run of their own, or a labelled example of a
problem, without a terminal.

One submit makes one job: Enter in the form's text box submits it, so a click on the button
after it would submit the same form again; a submit equal to the last one while that job is
still queued or running queues nothing (`LAST` in the session). Under the form, a line that
follows the job just queued, gone once it has ended (its card below says how)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from diagnostics.messages import render
from trainers.config import ConfigError, apply_change, parse_set
from trainers.jobs import FINISHED, QUEUED, JobQueue
from trainers.scenarios import DESCRIPTIONS, SCENARIOS, scenario_config
from ui.i18n import t

DESCRIPTIONS_ZH = {
    "healthy": "digits 数据集上的 MLP，Adam 1e-3：学得很好（验证准确率约 0.97），没有问题",
    "overfitting": "200 个带噪声标签的样本、很宽的网络、60 轮：验证损失上升，训练损失下降",
    "underfitting": "很小的 sigmoid 网络、MSE 损失、普通 SGD：训练准确率停在约 0.5",
    "lr_oscillation": "SGD + momentum，学习率 1.0：训练损失在批次之间来回摆动，始终不收敛",
    "dead_relu": "ReLU 偏置初始为 -3：大多数单元从不激活，学习停滞",
    "vanishing_gradient": "8 层 sigmoid、极小的初始化：第一层梯度约为最后一层的 1e-13",
    "exploding_gradient": "巨大的初始化、SGD + momentum、不裁剪：梯度范数爆炸，损失变为 NaN",
}


def describe(name: str, lang: str) -> str:
    return f"{name} — {(DESCRIPTIONS_ZH if lang == 'zh' else DESCRIPTIONS)[name]}"


def form(q: JobQueue, lang: str) -> None:
    with st.expander(t("new_run", lang), icon="➕"):
        with st.form("new_run_form", border=False):
            name = st.selectbox(t("new_run_scenario", lang), list(SCENARIOS), key="new_run_scenario",
                                format_func=lambda n: describe(n, lang))
            seed = st.number_input(t("new_run_seed", lang), min_value=0, max_value=1_000_000, step=1,
                                   key="new_run_seed")
            changes = st.text_input(t("new_run_changes", lang), key="new_run_changes",
                                    placeholder="lr=0.01 epochs=40", help=t("new_run_changes_help", lang))
            submitted = st.form_submit_button(t("new_run_go", lang), type="primary", icon="🚀")
        if submitted:
            submit(q, name, int(seed), changes, lang)
        _queued(q, lang)


LAST = "new_run:last"  # {"what": (scenario, seed, changes), "job": id, "again": bool}


def submit(q: JobQueue, name: str, seed: int, changes: str, lang: str) -> None:
    what = (name, seed, " ".join(changes.split()))
    last = st.session_state.get(LAST)
    if last and last["what"] == what and _state(q, last["job"]) not in (*FINISHED, None):
        st.session_state[LAST] = {**last, "again": True}  # the same submit again: no new job
        return
    try:
        config = apply_change(scenario_config(name, seed), parse_set(changes.split()))
        job = q.submit_train(config, name=f"{name}-s{seed}")
    except (ConfigError, OSError) as e:  # a bad change, a read-only runs folder
        st.error(t("rerun_failed", lang, msg=render(e, lang)), icon="🚫")
        return
    st.session_state[LAST] = {"what": what, "job": job.id, "again": False}


def _state(q: JobQueue, job_id: str) -> str | None:
    try:
        return q.get(job_id).state
    except KeyError:  # the registry lost it (removed by hand): nothing to follow
        return None


@st.fragment(run_every=2)
def _queued(q: JobQueue, lang: str) -> None:
    """The job this form queued, as it stands now; nothing once it has ended."""
    last = st.session_state.get(LAST)
    state = _state(q, last["job"]) if last else None
    if state is None or state in FINISHED:
        return
    name = Path(q.get(last["job"]).run_dir).name
    text = t("new_run_started" if state == QUEUED else "new_run_training", lang, name=name)
    if last.get("again"):
        text += " " + t("new_run_same", lang)
    st.info(text, icon="⏳" if state == QUEUED else "🏃")
