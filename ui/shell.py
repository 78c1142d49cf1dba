"""The frame around every page: page config, language switch, navigation."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.i18n import LANG_KEY, LANGS, current_lang, keep_choices, t

PAGES_DIR = Path(__file__).resolve().parent / "pages"
PAGE_DIAGNOSE = PAGES_DIR / "diagnose.py"
PAGE_JOBS = PAGES_DIR / "jobs.py"
PAGE_COMPARE = PAGES_DIR / "compare.py"  # ?run=<re-run folder under the runs root>


def language_switch() -> str:
    """The language radio, first in the sidebar so it is the same widget on every page."""
    with st.sidebar:
        st.radio(t("language"), list(LANGS), key=LANG_KEY, format_func=LANGS.__getitem__,
                 horizontal=True, on_change=keep_choices)
    return current_lang()


def navigation(lang: str) -> st.Page:
    # url_path fixed so switching language (which renames the pages) keeps the current page.
    pages = [
        st.Page(PAGE_DIAGNOSE, title=t("page_diagnose", lang), icon="🩺",
                url_path="diagnose", default=True),
        st.Page(PAGE_JOBS, title=t("page_jobs", lang), icon="⚙️", url_path="jobs"),
        st.Page(PAGE_COMPARE, title=t("page_compare", lang), icon="⚖️", url_path="compare"),
        st.Page(PAGES_DIR / "guide.py", title=t("page_guide", lang), icon="📖", url_path="guide"),
    ]
    return st.navigation(pages)
