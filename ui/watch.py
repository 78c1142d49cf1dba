"""Following runs that are still being written: the Diagnose page redraws as they grow.

A small timed fragment compares the runs folder's list of runs and the picked folders' file
sizes and mtimes with what the page was drawn from, and reruns the whole page only when they
changed. A still page costs a few `stat` calls every few seconds; a growing one is re-read
cheaply, since the reader re-parses only folders whose files changed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from ui import sources

EVERY_S = 3.0


def state(root: Path, folders: Sequence[str]) -> str:
    """A digest of what the page shows from `root`: which runs exist, and the picked ones' files."""
    h = hashlib.sha1(repr(sources.list_run_folders(root)).encode())
    for folder in folders:
        try:
            h.update(repr(sources.fingerprint(sources.inside(root, folder))).encode())
        except sources.OutsideRoot:  # only folders the sidebar listed arrive here; be safe anyway
            continue
    return h.hexdigest()


def follow(root: Path, folders: Sequence[str], seen: str) -> None:
    """Draw the (invisible) watcher: rerun the page once `state` differs from `seen`."""
    _poll(str(root), tuple(folders), seen)


@st.fragment(run_every=EVERY_S)
def _poll(root: str, folders: tuple[str, ...], seen: str) -> None:
    if state(Path(root), folders) != seen:
        st.rerun()  # the whole page (scope "app"): the sidebar lists new runs too
