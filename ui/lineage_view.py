"""Where a run comes from and what was re-run from it: its ancestors and children, each with a
button to diagnose it and, for a re-run, a link to its comparison. Shows the family
(`trainers.family`), decides nothing.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from trainers.family import Family, RunNode
from trainers.lineage import ancestors
from ui import components, names, picker, rerun, shell
from ui.i18n import t


def change_text(node: RunNode | None) -> str:
    """`lr = 0.1 (×0.1)`: the resolved value, and what was asked when that was relative."""
    if node is None:
        return "—"
    asked = node.change or {}
    parts = []
    for key, value in (node.resolved_change or {}).items():
        part = f"{key} = {value}"
        if key in asked and str(asked[key]) != str(value):
            part += f" ({asked[key]})"
        parts.append(part)
    return ", ".join(parts) or "—"


# ---- lineage -----------------------------------------------------------------------------------
def lineage(path: str, lang: str, key: str, flat: Family | None = None,
            *, on_diagnose: bool = True) -> None:
    """Where a run comes from (its ancestors) and its re-runs, each with a button to diagnose
    it and, for a re-run, a link to its comparison. Nothing for a run without either."""
    if not path:
        return
    path = str(Path(path).resolve())
    flat = rerun.family() if flat is None else flat
    # The first run first; only within the runs root and the samples (lineage.json is data).
    chain = [str(p) for p in reversed(ancestors(path, within=rerun.allowed_roots()))]
    kids = flat.children(path)
    if not chain and not kids:
        return
    with st.expander(t("lineage", lang), expanded=True, icon="🌳"):
        if chain:
            st.markdown(f"**{t('lineage_from', lang)}**")
            for i, run in enumerate(chain):
                _lineage_row(run, flat.get(run), "&nbsp;" * 4 * i, lang, f"{key}:up{i}",
                             on_diagnose)
        if kids:
            st.markdown(f"**{t('lineage_children', lang)}**")
            for i, node in enumerate(kids):
                _lineage_row(node.run, node, "↳ ", lang, f"{key}:down{i}", on_diagnose)


def _lineage_row(path: str, node: RunNode | None, indent: str, lang: str, key: str,
                 on_diagnose: bool) -> None:
    text, open_col, compare_col = st.columns([6, 1, 2], vertical_alignment="center")
    what = change_text(node) if node is not None and node.parent else ""
    state = components.state_text(rerun.run_state(path), lang) if Path(path).is_dir() else "—"
    name = rerun.display_name(path)
    text.markdown(f"{indent}`{names.tail(name, names.TAIL * 2)}`" + (f" · {what}" if what else "")
                  + f" · {state}", help=name if names.cut([name], names.TAIL * 2) else None)
    place = picker.where(path)
    if place is not None:
        with open_col:
            # A callback, so the Diagnose page's sidebar widgets take the run before they draw.
            if st.button(t("open_run", lang), key=f"open:{key}", on_click=picker.open_run,
                         args=place) and not on_diagnose:
                st.switch_page(shell.PAGE_DIAGNOSE)
    if node is not None and node.parent and not node.external and not node.is_replica:
        with compare_col:
            st.page_link(shell.PAGE_COMPARE, label=t("page_compare", lang), icon="⚖️",
                         query_params={"run": node.name})
