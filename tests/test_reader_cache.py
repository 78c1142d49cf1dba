"""The reader's cache of run folders: bounded by the rows it holds, not by a count of folders,
so a logdir of many small runs is re-opened from it whole."""
from __future__ import annotations

import os

from diagnostics import reader
from diagnostics.reader_cache import ENTRY_ROWS, FolderCache
from tests.test_reader_writers import OLD, simple, write_events


def test_many_small_folders_all_stay():
    cache = FolderCache(max_rows=10_000_000)
    for i in range(5_000):
        cache.put(("run", i), ("v1",), f"value {i}", rows=500)
    assert len(cache) == 5_000 and cache.get(("run", 0), ("v1",)) == "value 0"


def test_past_the_rows_bound_the_least_recently_used_go():
    cache = FolderCache(max_rows=3 * (100 + ENTRY_ROWS))
    for name in "abc":
        cache.put((name,), (1,), name, rows=100)
    assert cache.get(("a",), (1,)) == "a"  # now the most recently used
    cache.put(("d",), (1,), "d", rows=100)
    assert sorted(f[0] for f in cache) == ["a", "c", "d"]
    cache.put(("huge",), (1,), "huge", rows=10**9)  # alone past the bound: kept, the rest go
    assert list(cache) == [("huge",)] and cache.get(("huge",), (1,)) == "huge"


def test_one_version_per_folder():
    cache = FolderCache(max_rows=2 * (10 + ENTRY_ROWS))
    cache.put(("live",), (1,), "old", rows=10)
    cache.put(("other",), (1,), "other", rows=10)
    for version in range(2, 50):  # a run that grows between looks replaces its entry
        cache.put(("live",), (version,), f"v{version}", rows=10)
    assert cache.get(("live",), (1,)) is None and cache.get(("live",), (49,)) == "v49"
    assert cache.get(("other",), (1,)) == "other"  # the replaced versions weigh nothing


def test_a_logdir_of_more_runs_than_the_old_entry_cap_reopens_from_the_cache(tmp_path):
    reader.clear_cache()
    for i in range(300):  # the cache used to hold 256 folders: each re-open parsed them all again
        write_events(tmp_path / f"run_{i:03d}", [(s, [simple("loss", 1.0 / (s + 1))]) for s in range(3)])
    first = reader.load(tmp_path)
    again = reader.load(tmp_path)
    assert len(again.runs) == 300 and all(a is b for a, b in zip(first.runs, again.runs))
    path = next((tmp_path / "run_007").glob("*tfevents*"))
    os.utime(path, (OLD + 1, OLD + 1))  # a changed file: that folder alone is read again
    changed = reader.load(tmp_path)
    assert [a is b for a, b in zip(first.runs, changed.runs)].count(False) == 1
    reader.clear_cache()
