"""One definition of a run folder (`diagnostics.run_dirs`): the reader, the app's list of runs and
the trainer's lineage agree on which folders are runs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from diagnostics import reader, run_dirs
from tests.hostile import event, header, record, scalar
from trainers.lineage import find_runs
from ui import sources


def _events(folder: Path, name: str = "events.out.tfevents.1700000000.host.1.0", tag: str = "loss") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(header() + b"".join(record(event(s, [scalar(tag, 1.0 / (s + 1))])) for s in range(5)))
    return path


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "runs"
    _events(root / "plain")
    _events(root / "keras" / "train", tag="epoch_loss")  # Keras: one run of two sides
    _events(root / "keras" / "validation", tag="epoch_loss")
    _events(root / "estimator")  # tf.estimator: events plus an eval/ child
    _events(root / "estimator" / "eval")
    _events(root / "lone" / "validation")  # a side alone: a run of its own
    _events(root / "group" / "a")  # a folder of runs
    _events(root / "group" / "b")
    _events(root / "nested")  # a run inside a run
    _events(root / "nested" / "inner")
    (root / "queued").mkdir()  # our trainer's run before its first event
    (root / "queued" / "config.json").write_text("{}")
    ours = _events(root / "ours").parent  # our trainer's finished run
    (ours / "config.json").write_text("{}")
    (ours / "status.json").write_text('{"state": "done"}')
    (ours / "checkpoints").mkdir()
    (ours / "checkpoints" / "best.pt").write_bytes(b"x")
    (root / "empty" / "deeper").mkdir(parents=True)
    _events(root / ".hidden")  # not searched, by anyone
    (root / ".jobs").mkdir()
    (root / ".jobs" / "config.json").write_text("{}")
    blob = _events(root / "linked", name="data.bin")  # an event file under another name...
    (root / "linked" / "events.out.tfevents.1700000001.host.2.0").symlink_to(blob)  # ...linked beside it
    (root / "link_to_dir").symlink_to(root / "plain", target_is_directory=True)  # never followed
    return root.resolve()


RUNS = {"plain", "keras", "estimator", "lone/validation", "group/a", "group/b", "nested", "nested/inner",
        "ours", "linked"}


def _rel(root: Path, paths) -> set[str]:
    return {Path(p).resolve().relative_to(root).as_posix() for p in paths}


def test_the_reader_the_run_list_and_the_lineage_agree_on_run_folders(tree):
    found = run_dirs.run_folders(tree)
    with_events = {f.path for f in found if f.events}
    assert _rel(tree, with_events) == RUNS
    assert _rel(tree, (f.path for f in found if f.ours)) == {"queued", "ours"}

    reader.clear_cache()
    result = reader.load(tree)
    assert _rel(tree, (r.path for r in result.runs)) == RUNS  # the reader reads those with events
    keras = next(r for r in result.runs if r.run == "keras")
    assert "validation/epoch_loss" in keras.tag_map  # one run of both sides

    assert sources.list_run_folders(tree) == sorted({p.split("/")[0] for p in RUNS})  # the app lists them
    assert all(sources.is_listed(tree, name) for name in sources.list_run_folders(tree))
    assert not any(sources.is_listed(tree, name) for name in ("queued", "empty", ".hidden", "link_to_dir"))
    for name in sources.list_run_folders(tree):  # each listed folder loads its runs, and only those
        _, loaded = sources.load_folder(tree, name)
        assert loaded.error is None and _rel(tree, (r.path for r in loaded.runs)) == \
            {p for p in RUNS if p.split("/")[0] == name}

    assert find_runs(tree) == [f.path for f in found]  # the lineage: every run folder, queued too
    assert _rel(tree, find_runs(tree)) == RUNS | {"queued"}


def test_a_root_that_is_itself_a_split_run_is_listed_as_one(tmp_path):
    root = tmp_path / "logs"
    _events(root / "train")
    _events(root / "validation")
    _events(root / "other")
    assert sources.list_run_folders(root) == [".", "other"]  # train/ and validation/ are "."
    assert sources.is_listed(root, ".") and not sources.is_listed(root, "train")
    assert [f.path for f in run_dirs.run_folders(root)] == [root, root / "other"]
    reader.clear_cache()
    runs = reader.load(root).runs
    assert sorted(r.path for r in runs) == sorted([str(root.resolve()), str((root / "other").resolve())])
    # a side alone under the root is a run of its own
    alone = tmp_path / "alone"
    _events(alone / "train")
    assert sources.list_run_folders(alone) == ["train"]


def test_folders_too_deep_are_left_out_by_everyone(tmp_path):
    root = tmp_path / "runs"
    deep = root / "deep"
    for i in range(run_dirs.MAX_DEPTH + 1):
        deep = deep / f"d{i}"
    _events(deep)
    _events(root / "shallow")
    assert sources.list_run_folders(root) == ["shallow"]
    assert [f.path.name for f in run_dirs.run_folders(root)] == ["shallow"]
    reader.clear_cache()
    result = reader.load(root)
    assert [Path(r.path).name for r in result.runs] == ["shallow"]
    assert result.errors  # the reader says what it did not search


def test_a_folder_that_cannot_be_listed_is_left_out(tmp_path):
    root = tmp_path / "runs"
    _events(root / "shallow")
    locked = root / "locked"
    _events(locked)
    os.chmod(locked, 0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        assert sources.list_run_folders(root) == ["shallow"]
        assert [f.path.name for f in run_dirs.run_folders(root)] == ["shallow"]
    finally:
        os.chmod(locked, 0o755)
