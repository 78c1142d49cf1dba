"""Cached diagnosis of one loaded run under the user's tag mapping.

The report holds message keys, not text: the page renders it in the reader's language, so a
language switch re-renders the cached report and runs no rule again."""
from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from diagnostics import engine
from diagnostics.model import Report
from diagnostics.rundata import RunData


@st.cache_data(show_spinner=False, max_entries=256)
def _diagnose(content_key: str, overrides: tuple[tuple[str, str | None], ...], _run: RunData) -> Report:
    # The run itself is not hashed (frames of up to millions of rows): `content_key` names
    # its content (folder fingerprint or upload hash + run name).
    return engine.diagnose(_run)


def diagnose(run: RunData, content_key: str, overrides: Mapping[str, str | None]) -> tuple[RunData, Report]:
    """The run as the user mapped it, and its report."""
    mapped = run.with_mapping(overrides) if overrides else run
    return mapped, _diagnose(content_key, tuple(sorted(overrides.items())), mapped)
