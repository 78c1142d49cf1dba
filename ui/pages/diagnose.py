"""Diagnose page: pick runs in the sidebar, see the chosen run's health, curves and findings."""
from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import compare_view, components, curves_panel, diagnosis, findings_view, mapping, picker, rerun, watch
from ui.i18n import current_lang, t


def choose(runs: list[picker.Chosen], lang: str) -> tuple[picker.Chosen, DeltaGenerator]:
    """With several runs picked: the one to show in detail, and a slot for the overview table."""
    table = st.empty()  # filled last: the chosen run's diagnosis should not wait for the others
    labels = [c.label for c in runs]
    label = st.selectbox(t("chosen_run", lang), labels, key="chosen_run")
    return (runs[labels.index(label)] if label in labels else runs[0]), table


def overview(runs: list[picker.Chosen], table: DeltaGenerator, lang: str) -> None:
    """One row per picked run (its diagnosis under its own mapping)."""
    done = [diagnosis.diagnose(c.run, c.content, mapping.overrides(c.run, c.key)) for c in runs]
    labels, mapped, reports = [c.label for c in runs], [m for m, _ in done], [r for _, r in done]
    with table.container():
        components.overview(labels, mapped, reports, lang)
        compare_view.pair(labels, mapped, reports, lang)


def show_run(chosen: picker.Chosen, lang: str) -> None:
    st.header(chosen.label)
    components.run_header(chosen.run, lang)
    compare_view.lineage(chosen.run.path, lang, chosen.key)
    with st.spinner(t("diagnosing", lang)):
        overrides = mapping.overrides(chosen.run, chosen.key)
        mapped, report = diagnosis.diagnose(chosen.run, chosen.content, overrides)
    components.health_summary(report, lang)
    components.config_table(chosen.run, lang, chosen.key)
    mapping.panel(chosen.run, mapped, chosen.key, lang)
    curves_panel.curves(mapped, report, lang, chosen.key)
    findings_view.findings(report, lang, rerun.target(chosen.run, chosen.key, lang))
    components.export_buttons(mapped, report, lang, chosen.key)


def main() -> None:
    lang = current_lang()
    st.title(f"🩺 {t('app_title', lang)}")
    st.caption(t("tagline", lang))
    picked = picker.sidebar(lang)
    if picked.watch is not None:
        watch.follow(*picked.watch)
    for message in picked.errors:
        st.error(message, icon="🚫")
    for message in picked.skipped:
        st.warning(message, icon="⚠️")
    if not picked.runs:
        if picked.errors:
            return
        if picked.source == "samples":
            st.info(t("empty_state", lang))
            st.button(t("try_example", lang), key="try_example", on_click=picker.show_example, type="primary")
        elif picked.source == "upload" or picked.choices:  # an empty runs folder is said in the sidebar
            st.info(t(f"empty_state_{picked.source}", lang, root=picked.root))
        return
    if len(picked.runs) == 1:
        show_run(picked.runs[0], lang)
        return
    chosen, table = choose(picked.runs, lang)
    show_run(chosen, lang)
    overview(picked.runs, table, lang)


main()
