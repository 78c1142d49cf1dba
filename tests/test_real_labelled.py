"""The engineer's labels on 43 real public logs (`../shared/reallabelled/LABELS.json`) hold:
every `must` is found in its folder, and nothing the engineer ruled out (`must_not`) is said.

A folder's findings are the union over the runs it holds, as `benchmarks.real_logs` scores it.
"""
from __future__ import annotations

import json

import pytest

from benchmarks.real_logs import labels, score, totals
from tests.conftest import SHARED

ROOT = SHARED / "reallabelled"
LABELS = labels(ROOT) if (ROOT / "LABELS.json").is_file() else {}


@pytest.fixture(scope="module")
def scores():
    return {s.folder: s for s in score(ROOT)}


@pytest.mark.skipif(not LABELS, reason="../shared/reallabelled not present")
@pytest.mark.parametrize("folder", sorted(LABELS))
def test_labels_hold(folder, scores):
    s = scores[folder]
    assert not s.error and s.runs >= 1
    assert not s.missed and not s.wrong, (
        f"{folder}: missed {list(s.missed)}, ruled out but found {list(s.wrong)}; the "
        f"engineer's reading: {LABELS[folder].get('why')}")


@pytest.mark.skipif(not LABELS, reason="../shared/reallabelled not present")
def test_totals_meet_the_acceptance(scores):
    t = totals(list(scores.values()))
    assert t["recall"] >= 0.95 and t["must_not_hits"] == 0 and t["other_extra"] <= 1, json.dumps(t)
