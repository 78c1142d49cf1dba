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


def state(listing: Sequence[str], prints: Sequence[tuple[tuple[str, int, int], ...]]) -> str:
    """A digest of what the page shows from a root: its runs (`list_run_folders`) and the picked
    ones' files (`fingerprint`), as the page drew them."""
    return hashlib.sha1(repr((tuple(listing), tuple(prints))).encode()).hexdigest()


def state_now(root: Path, folders: Sequence[str]) -> str:
    """`state` of the root as it is on disk now."""
    return state(sources.list_run_folders(root), [sources.fingerprint(sources.inside(root, f)) for f in folders])


def follow(root: Path, folders: Sequence[str], seen: str) -> None:
    """Draw the (invisible) watcher: rerun the page once the root's `state` differs from `seen`."""
    _poll(str(root), tuple(folders), seen)


@st.fragment(run_every=EVERY_S)
def _poll(root: str, folders: tuple[str, ...], seen: str) -> None:
    if state_now(Path(root), folders) != seen:
        st.rerun()  # the whole page (scope "app"): the sidebar lists new runs too
