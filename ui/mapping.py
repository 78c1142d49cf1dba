"""The tag-mapping panel: which original tag plays each canonical role, and the user's fixes.

The corrections live only in the selectboxes' session state (keys `map:<run_key>:<role>`), so
`overrides()` can be read anywhere in a rerun — the overview table and the chosen run's
diagnosis see the same corrected mapping — and a reset is just deleting those keys.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from diagnostics import tag_names
from diagnostics.rundata import RunData
from ui import widget_state
from ui.i18n import t

NONE = ""  # the "not logged" choice
OPEN = "mapping_open"  # whether the panel is unfolded: one state for every run


def roles() -> tuple[str, ...]:
    """The fixed canonical roles (train/loss, val/loss, ...); per-layer families map by name."""
    return tag_names.CANONICAL


def _key(run_key: str, role: str) -> str:
    return f"{widget_state.MAPPING}{run_key}:{role}"


def guessed(run: RunData, role: str) -> str:
    """The original the diagnosis reads for `role` (`RunData.chosen_original`: the same choice
    as `RunData.scalar`, steps counted once, not rows)."""
    return run.chosen_original(role) or NONE


def overrides(run: RunData, run_key: str) -> dict[str, str | None]:
    """original -> canonical corrections the user made for this run (empty if none)."""
    out: dict[str, str | None] = {}
    for role in roles():
        chosen = st.session_state.get(_key(run_key, role))
        base = guessed(run, role)
        if chosen is None or chosen == base:
            continue
        if chosen == NONE:
            out.update({orig: None for orig in run.originals_for(role)})
        else:
            out[chosen] = role
    return out


def _reset(run_key: str) -> None:
    for key in [k for k in st.session_state if str(k).startswith(f"{widget_state.MAPPING}{run_key}:")]:
        del st.session_state[key]


def panel(run: RunData, mapped: RunData, run_key: str, lang: str) -> None:
    """Selectboxes per role (defaults: the reader's guess) and the full original -> role table,
    drawn only while the panel is unfolded: folded, they cost the page's first draw a third of
    its time and the user nothing (`ui.widget_state` keeps their choices)."""
    changed = bool(overrides(run, run_key))
    if changed:  # said outside the panel: the user may have folded it
        st.info(t("mapping_changed", lang), icon="🔁")
    box = widget_state.unfolded(t("mapping", lang), OPEN, expanded=changed, icon="🏷️")
    if box is None:
        return
    with box:
        st.caption(t("mapping_help", lang))
        counts = run.point_counts()
        # Derived tags too (a loss logged only as components): a default missing from the
        # options is reset to the first one, which would unmap the loss.
        options = [NONE, *sorted({*run.scalars["tag"].unique().tolist(), *run.derived})]

        def label(tag: str) -> str:
            if tag == NONE:
                return t("not_mapped", lang)
            return f"{tag} · {t('points', lang, n=counts.get(tag, 0))}"

        columns = st.columns(3)
        for i, role in enumerate(roles()):
            # The default goes through session state, not `index`: a language switch re-sets
            # these keys (i18n.keep_choices), and Streamlit warns when a widget has both.
            st.session_state.setdefault(_key(run_key, role), guessed(run, role))
            with columns[i % 3]:
                st.selectbox(role, options, format_func=label, key=_key(run_key, role))
        st.button(t("reset_mapping", lang), key=f"map_reset:{run_key}", on_click=_reset,
                  args=(run_key,), disabled=not changed)
        st.markdown(f"**{t('mapping_table', lang)}**")
        st.dataframe(
            pd.DataFrame(
                [(orig, canon or "", counts.get(orig, 0)) for orig, canon in sorted(mapped.tag_map.items())],
                columns=[t("col_original", lang), t("col_role", lang), t("col_points", lang)],
            ),
            hide_index=True, width="stretch", height=240, key=f"map_table:{run_key}",
        )
