"""Cached diagnosis of one loaded run under the user's tag mapping.

The report holds message keys, not text: the page renders it in the reader's language, so a
language switch re-renders the cached report and runs no rule again."""
from __future__ import annotations

import weakref
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


# Reports of runs the reader handed out (compare and live views): the reader's cache gives the
# same RunData object for an unchanged folder, so a page run diagnoses only what changed.
_BY_RUN: dict[int, tuple[weakref.ref[RunData], Report]] = {}


def report_of(run: RunData) -> Report:
    """The report of a run as loaded (no tag mapping), diagnosed once per RunData object."""
    held = _BY_RUN.get(id(run))
    if held is not None and held[0]() is run:
        return held[1]
    report = engine.diagnose(run)
    for key in [k for k, (ref, _) in _BY_RUN.items() if ref() is None]:  # runs gone from the reader's cache
        del _BY_RUN[key]
    _BY_RUN[id(run)] = (weakref.ref(run), report)
    return report
