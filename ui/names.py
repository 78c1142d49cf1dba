"""Run names where space is short (sidebar chips, table cells, link labels): the tail of a long
name, where runs of one experiment differ (`...+lr=0.1`, `-seed3`), with the full name kept for
a tooltip. No Streamlit here.
"""
from __future__ import annotations

from collections.abc import Iterable

TAIL = 30  # characters shown of a longer name, the ellipsis included
ELLIPSIS = "…"


def tail(name: str, width: int = TAIL) -> str:
    """`name` as is when it fits, else `…` and its last width-1 characters."""
    return name if len(name) <= width else ELLIPSIS + name[-(width - 1):]


def cut(names: Iterable[str], width: int = TAIL) -> list[str]:
    """The names that `tail` shortens: the ones a tooltip should spell out in full."""
    return [n for n in names if len(n) > width]
