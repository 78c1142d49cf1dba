"""Cached diagnosis of one loaded run under the user's tag mapping, in one language."""
from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from diagnostics import engine
from diagnostics.model import Report
from diagnostics.rundata import RunData


@st.cache_data(show_spinner=False, max_entries=256)
def _diagnose(content_key: str, overrides: tuple[tuple[str, str | None], ...], lang: str,
              _run: RunData) -> Report:
    # The run itself is not hashed (frames of up to millions of rows): `content_key` names
    # its content (folder fingerprint or upload hash + run name).
    return engine.diagnose(_run, lang=lang)


def diagnose(run: RunData, content_key: str, overrides: Mapping[str, str | None],
             lang: str) -> tuple[RunData, Report]:
    """The run as the user mapped it, and its report."""
    mapped = run.with_mapping(overrides) if overrides else run
    return mapped, _diagnose(content_key, tuple(sorted(overrides.items())), lang, mapped)
