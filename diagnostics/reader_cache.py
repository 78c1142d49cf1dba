"""The reader's in-process cache of run folders: each folder's result (its runs and file
problems), kept while the folder is unchanged, so re-opening a logdir costs the `stat` calls.

An entry is found by its folder (run name, path, tag overrides) and holds one version of it
(what `reader` puts in it: the path, size and mtime of every file, which files may be live, the
config.json's stat). A new version replaces the old one: a run still training changes every
few seconds, and the versions it leaves behind would otherwise fill the cache with dead copies.

Bound: the rows held, not a count of entries (1,000 small runs weigh less than one large one).
Past `MAX_ROWS` the least recently used entries go; each weighs at least `ENTRY_ROWS`, so a
logdir of many empty folders is bounded too. Cached frames are shared: treat them as read-only.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

MAX_ROWS = 20_000_000  # scalar and histogram rows held, ~40 bytes each
ENTRY_ROWS = 1_000  # the least an entry weighs: its frames' overhead, names, key


class FolderCache:
    """folder -> (version, value), least recently used first; safe across threads."""

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self._entries: OrderedDict[tuple, tuple[tuple, Any, int]] = OrderedDict()  # version, value, weight
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, folder: tuple, version: tuple) -> Any | None:
        """The value stored for this version of `folder`, or None."""
        with self._lock:
            entry = self._entries.get(folder)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(folder)
            return entry[1]

    def put(self, folder: tuple, version: tuple, value: Any, rows: int) -> None:
        """Keep `value` (holding `rows` rows) as `folder`'s one version."""
        weight = rows + ENTRY_ROWS
        with self._lock:
            old = self._entries.pop(folder, None)
            if old is not None:
                self._weight -= old[2]
            self._entries[folder] = (version, value, weight)
            self._weight += weight
            while len(self._entries) > 1 and self._weight > self.max_rows:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple]:
        """The folders held, least recently used first (a copy: safe while others write)."""
        with self._lock:
            return iter(list(self._entries))
