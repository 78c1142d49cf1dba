"""The reader on event files written by the real writers (torch SummaryWriter and TensorBoard's
own EventFileWriter), in temp folders."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from diagnostics import reader
from diagnostics.inventory import inventory, main
from diagnostics.reader import Limits, ReaderError, load

OLD = time.time() - 3600  # an mtime well outside the live window


@pytest.fixture(autouse=True)
def _fresh_cache():
    reader.clear_cache()


# ---- writing helpers (also used by the other reader tests) -----------------------------------


def tensor_scalar(tag: str, value: float, first: bool = True, double: bool = False) -> summary_pb2.Summary.Value:
    """A TF2-style scalar: a rank-0 tensor; plugin metadata only on a tag's first write."""
    if double:
        tensor = tensor_pb2.TensorProto(dtype=2, double_val=[value], tensor_shape=tensor_shape_pb2.TensorShapeProto())
    else:
        tensor = tensor_pb2.TensorProto(dtype=1, tensor_content=np.float32(value).tobytes(),
                                        tensor_shape=tensor_shape_pb2.TensorShapeProto())
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    return summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta if first else None)


def tensor_histogram(tag: str, buckets: np.ndarray) -> summary_pb2.Summary.Value:
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in buckets.shape]
    tensor = tensor_pb2.TensorProto(dtype=2, tensor_content=buckets.astype("<f8").tobytes(),
                                    tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims))
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="histograms"))
    return summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta)


def write_events(folder: Path, events: list[tuple[int, list[summary_pb2.Summary.Value]]], *,
                 stamp: int | None = None, wall0: float = 1_700_000_000.0) -> Path:
    """Write (step, values) events with TensorBoard's EventFileWriter; returns the file. With
    `stamp`, the file is renamed so its name carries that timestamp (files order by it)."""
    writer = EventFileWriter(str(folder))
    for i, (step, values) in enumerate(events):
        writer.add_event(event_pb2.Event(wall_time=wall0 + i, step=step, summary=summary_pb2.Summary(value=values)))
    writer.close()
    path = Path(writer._file_name)  # noqa: SLF001 - the writer has no public getter
    if stamp is not None:
        path = path.rename(folder / f"events.out.tfevents.{stamp}.testhost.1.0")
    os.utime(path, (OLD, OLD))
    return path


def simple(tag: str, value: float) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(tag=tag, simple_value=value)


def write_torch(folder: Path, steps: int = 50) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder))
    rng = np.random.default_rng(0)
    for step in range(steps):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        writer.add_scalar("Accuracy/test", step / steps, step, new_style=True)  # a tensor scalar
        if step % 10 == 0:
            writer.add_histogram("act/fc1", rng.normal(size=500), step, bins=16)
    writer.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hp/final": 0.5}, run_name=".")
    writer.close()
    for f in folder.glob("events*"):
        os.utime(f, (OLD, OLD))


# ---- tests -----------------------------------------------------------------------------------------


def test_torch_summary_writer_scalars_histograms_hparams(tmp_path):
    write_torch(tmp_path / "run")
    result = load(tmp_path / "run")
    assert result.errors == []
    (run,) = result.runs
    assert run.run == "run" and run.writer == "torch"
    loss = run.scalar("train/loss")
    assert len(loss) == 50 and loss.iloc[3] == pytest.approx(0.25)
    acc = run.scalar("val/acc")  # Accuracy/test, written as a tensor scalar by new_style=True
    assert len(acc) == 50 and acc.iloc[10] == pytest.approx(0.2)
    hist = run.histograms[run.histograms["tag"] == "act/fc1"]
    assert hist.groupby("step")["count"].sum().tolist() == [500.0] * 5
    assert (hist["left"] <= hist["right"]).all()
    assert run.histogram_tags("act") == ["act/fc1"]
    assert run.config == {"lr": 0.1, "opt": "sgd"}
    assert list(run.scalars.columns) == ["run", "tag", "step", "value", "wall_time"]
    assert isinstance(run.scalars["tag"].dtype, pd.CategoricalDtype)  # small to cache and pickle
    assert run.scalars["step"].dtype == np.int64


def test_tensorboard_writer_tf2_tensors_and_tf1_values(tmp_path):
    buckets = np.array([[0.0, 1.0, 3.0], [1.0, 2.0, 5.0]])
    histo = summary_pb2.HistogramProto(min=-1.0, max=3.0, num=6, bucket_limit=[0.0, 1.0, 1.7e308],
                                       bucket=[0, 4, 2])
    write_events(tmp_path, [
        (0, [tensor_scalar("epoch_loss", 2.5), tensor_scalar("lr", 0.01, double=True),
             tensor_histogram("grad/fc1", buckets)]),
        (1, [tensor_scalar("epoch_loss", 1.5, first=False)]),  # no metadata: remembered from step 0
        (2, [simple("train/acc", 0.75), summary_pb2.Summary.Value(tag="act/fc1", histo=histo)]),
        (3, [summary_pb2.Summary.Value(tag="note", tensor=tensor_pb2.TensorProto(dtype=7, string_val=[b"x"]))]),
    ])
    (run,) = load(tmp_path).runs
    assert run.scalar("train/loss").to_dict() == {0: 2.5, 1: 1.5}
    assert run.scalar("opt/lr").iloc[0] == 0.01
    assert run.scalar("train/acc").iloc[0] == 0.75
    grad = run.histograms[run.histograms["tag"] == "grad/fc1"]
    assert grad[["left", "right", "count"]].to_numpy().tolist() == buckets.tolist()
    act = run.histograms[run.histograms["tag"] == "act/fc1"]  # TensorBoard's migration of HistogramProto
    assert act[["left", "right", "count"]].to_numpy().tolist() == [[-1.0, 1.0, 4.0], [1.0, 3.0, 2.0]]
    assert "note" not in run.tag_map  # string tensors are not scalars


def test_keras_split_folders_are_one_run_with_prefixed_validation_tags(tmp_path):
    logs = tmp_path / "logs"
    write_events(logs / "train", [(e, [tensor_scalar("epoch_loss", 1.0 / (e + 1), first=e == 0)]) for e in range(5)])
    write_events(logs / "validation", [(e, [tensor_scalar("epoch_loss", 2.0 / (e + 1), first=e == 0),
                                             tensor_scalar("epoch_accuracy", e / 5, first=e == 0)])
                                       for e in range(5)])
    (run,) = load(logs).runs
    assert run.run == "logs"
    assert run.tag_map == {"epoch_loss": "train/loss", "validation/epoch_loss": "val/loss",
                           "validation/epoch_accuracy": "val/acc"}
    assert run.scalar("val/loss").iloc[1] == 1.0
    assert len(run.files) == 2
    # the validation folder alone still reads as validation
    (alone,) = load(logs / "validation").runs
    assert alone.run == "validation" and alone.has("val/loss") and not alone.has("train/loss")


def test_estimator_eval_child_joins_parent_but_unrelated_children_do_not(tmp_path):
    write_events(tmp_path / "model", [(1, [simple("loss", 3.0)])], stamp=100)
    write_events(tmp_path / "model" / "eval", [(1, [simple("loss", 4.0)])], stamp=101)
    write_events(tmp_path / "model" / "test", [(1, [simple("loss", 5.0)])], stamp=102)
    write_events(tmp_path / "exp" / "test", [(1, [simple("loss", 6.0)])], stamp=103)  # a run named test
    runs = {r.run: r for r in load(tmp_path).runs}
    assert set(runs) == {"model", "exp/test"}
    assert load(tmp_path / "model").runs[0].run == "model"
    assert runs["model"].scalar("train/loss").iloc[0] == 3.0
    assert runs["model"].scalar("val/loss").iloc[0] == 4.0  # eval beats test
    assert "test/loss" in runs["model"].tag_map
    assert runs["exp/test"].tag_map == {"loss": "train/loss"}


def test_the_root_folders_own_run_comes_first(tmp_path):
    root = tmp_path / "zz_parent"
    write_events(root, [(0, [simple("loss", 1.0)])])
    write_events(root / "aa_child", [(0, [simple("loss", 2.0)])])
    assert [r.run for r in load(root).runs] == ["zz_parent", "aa_child"]


def test_resumed_run_keeps_every_row_and_orders_files_by_timestamp(tmp_path):
    # numeric order (999 before 1000), not the names' lexicographic order
    write_events(tmp_path, [(s, [simple("loss", 1.0)]) for s in range(10)], stamp=999, wall0=1000.0)
    write_events(tmp_path, [(s, [simple("loss", 2.0)]) for s in range(5, 15)], stamp=1000, wall0=2000.0)
    (run,) = load(tmp_path).runs
    assert len(run.scalars) == 20
    assert run.files[0].endswith("tfevents.999.testhost.1.0")
    series = run.scalar("train/loss")
    assert list(series.index) == list(range(15))
    assert series.loc[4] == 1.0 and series.loc[5] == 2.0  # last write wins


def test_config_json_marks_our_runs(tmp_path):
    from trainers.config import TrainConfig

    write_events(tmp_path, [(0, [simple("train/loss", 1.0)])])
    (tmp_path / "config.json").write_text(TrainConfig(lr=0.1).to_json())
    (run,) = load(tmp_path).runs
    assert run.writer == "run-doctor" and run.config["lr"] == 0.1
    (tmp_path / "config.json").write_text(json.dumps({"lr": 0.5, "epochs": 3}))  # someone else's
    (run,) = load(tmp_path).runs
    assert run.writer == "torch" and run.config == {"lr": 0.5, "epochs": 3}
    (tmp_path / "config.json").write_text("{not json")
    result = load(tmp_path)
    assert result.runs[0].config is None
    assert [e.file for e in result.errors] == [f"{tmp_path.name}/config.json"]


def _truncate(path: Path, cut: int, mtime: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - cut])
    os.utime(path, (mtime, mtime))


def test_live_file_tail_is_quiet_but_an_old_truncated_file_is_reported(tmp_path):
    now = time.time()
    path = write_events(tmp_path, [(s, [simple("loss", float(s))]) for s in range(20)], wall0=now - 20)
    _truncate(path, 7, now)  # just modified, events just written: a writer is still at it
    result = load(tmp_path)
    assert result.errors == [] and len(result.runs[0].scalars) == 19
    _truncate(path, 0, OLD)  # the same bytes, but long untouched
    result = load(tmp_path)
    assert len(result.runs[0].scalars) == 19
    assert len(result.errors) == 1 and result.errors[0].message.startswith("truncated")
    assert result.runs[0].problems == tuple(result.errors)


def test_an_old_truncated_file_just_copied_is_still_reported(tmp_path):
    # A fresh mtime alone (a copy, a clone, an unpacked archive) must not make old events live.
    path = write_events(tmp_path, [(s, [simple("loss", float(s))]) for s in range(20)])  # 2023 wall times
    _truncate(path, 7, time.time())
    result = load(tmp_path)
    assert len(result.runs[0].scalars) == 19
    assert [e.message.split(":")[0] for e in result.errors] == ["truncated"]


def test_only_the_newest_file_of_a_folder_can_be_live(tmp_path):
    now = time.time()
    first = write_events(tmp_path, [(s, [simple("loss", 1.0)]) for s in range(5)], stamp=1, wall0=now)
    write_events(tmp_path, [(s, [simple("loss", 2.0)]) for s in range(5, 9)], stamp=2, wall0=now)
    _truncate(first, 3, time.time())
    result = load(tmp_path)
    assert [e.message.split(":")[0] for e in result.errors] == ["truncated"]


def test_cache_returns_same_run_until_a_file_changes(tmp_path):
    path = write_events(tmp_path, [(0, [simple("loss", 1.0)])])
    first = load(tmp_path).runs[0]
    assert load(tmp_path).runs[0] is first
    with open(path, "ab") as fh:  # an appended (complete) record changes size and mtime
        fh.write(path.read_bytes()[-48:])
    os.utime(path, (OLD + 5, OLD + 5))
    assert load(tmp_path).runs[0] is not first


def test_the_cache_keeps_one_version_of_a_growing_run(tmp_path):
    path = write_events(tmp_path / "live", [(0, [simple("loss", 1.0)])])
    write_events(tmp_path / "other", [(0, [simple("loss", 2.0)])])
    reader.clear_cache()
    load(tmp_path)
    for n in range(3):  # the run grows, as a training run does between two looks
        with open(path, "ab") as fh:
            fh.write(path.read_bytes()[-48:])
        os.utime(path, (OLD + n + 1, OLD + n + 1))
        assert len(load(tmp_path).runs[0].scalars) == n + 2
    folders = sorted(key[1].rsplit("/", 1)[-1] for key in reader._cache)  # noqa: SLF001
    assert folders == ["live", "other"]  # the superseded versions of "live" were dropped


def test_bad_and_empty_files_are_reported_and_good_ones_load(tmp_path):
    write_events(tmp_path / "good", [(0, [simple("loss", 1.0)])])
    (tmp_path / "good" / "events.out.tfevents.5.junk").write_bytes(np.random.default_rng(1).bytes(500))
    (tmp_path / "good" / "events.out.tfevents.6.lfs").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 812\n")
    write_events(tmp_path / "empty", [])  # header only: 40 bytes
    (tmp_path / "prof" / "events.out.tfevents.7.host.profile-empty").parent.mkdir()
    (tmp_path / "empty" / "events.out.tfevents.1.host.0").parent.mkdir(exist_ok=True)
    write_events(tmp_path / "prof", [])
    next((tmp_path / "prof").glob("events*")).rename(tmp_path / "prof" / "events.out.tfevents.7.host.profile-empty")
    result = load(tmp_path)
    assert [r.run for r in result.runs] == ["good"]
    messages = {Path(e.file).name: e.message for e in result.errors}
    assert messages["events.out.tfevents.5.junk"] == "not an event file (no valid TFRecord framing)"
    assert messages["events.out.tfevents.6.lfs"].startswith("not an event file: a Git LFS pointer")
    assert messages["events.out.tfevents.7.host.profile-empty"].startswith("profiler marker")
    empty = [m for f, m in messages.items() if f.startswith("events.out.tfevents.1")]
    assert empty == ["empty: only the file header (file_version), no events"]
    assert all(e.file.startswith(tmp_path.name + "/") for e in result.errors)


def test_single_file_and_missing_path(tmp_path):
    path = write_events(tmp_path / "version_0", [(0, [simple("train_loss", 1.0)])])
    (run,) = load(path).runs
    assert run.run == "version_0" and run.has("train/loss")
    with pytest.raises(ReaderError, match="no such file or folder"):
        load(tmp_path / "nope")


def test_symlinks_never_lead_out_of_the_root(tmp_path):
    outside = write_events(tmp_path / "outside", [(0, [simple("loss", 1.0)])])
    root = tmp_path / "root"
    write_events(root / "inside", [(0, [simple("loss", 2.0)])])
    (root / "inside" / "events.out.tfevents.9.link").symlink_to(outside)
    (root / "linked_dir").symlink_to(tmp_path / "outside", target_is_directory=True)
    result = load(root)
    assert [r.run for r in result.runs] == ["inside"] and len(result.runs[0].scalars) == 1
    assert sorted(e.message.split(" (")[0] for e in result.errors) == [
        "symlink to a file outside the logdir", "symlink to a folder outside the logdir"]


def test_limits_refuse_too_many_or_too_large(tmp_path):
    for i in range(3):
        write_events(tmp_path / f"r{i}", [(0, [simple("loss", 1.0)])])
    with pytest.raises(ReaderError, match="more than 2 event files"):
        load(tmp_path, limits=Limits(max_files=2))
    with pytest.raises(ReaderError, match="exceed 100 bytes"):
        load(tmp_path, limits=Limits(max_bytes=100))


def test_tag_overrides_apply_to_every_run(tmp_path):
    write_events(tmp_path, [(0, [simple("loss", 1.0), simple("my_metric", 2.0)])])
    (run,) = load(tmp_path, tag_overrides={"my_metric": "val/loss"}).runs
    assert run.tag_map == {"loss": "train/loss", "my_metric": "val/loss"}


def test_inventory_json_and_exit_codes(tmp_path, capsys):
    write_events(tmp_path / "ok", [(s, [simple("train_loss", 1.0)]) for s in range(3)])
    assert main(str(tmp_path / "ok")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"runs": [{"run": "ok", "writer": "torch", "files": [f"ok/{out['runs'][0]['files'][0][3:]}"],
                             "tags": [{"tag": "train_loss", "canonical": "train/loss", "points": 3}]}],
                   "errors": []}
    write_events(tmp_path / "bad", [])
    assert main(str(tmp_path / "bad")) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["runs"] == []
    assert captured.err.count("\n") == 1 and "empty" in captured.err
    assert main(str(tmp_path / "missing")) == 2
    assert inventory(str(tmp_path / "missing"))["errors"][0]["message"] == "no such file or folder"


def test_hand_framed_records_empty_tag_and_bad_utf8(tmp_path):
    """Records framed by hand: an empty tag is a tag; a tag that is not UTF-8 is a bad record."""
    import struct

    import google_crc32c

    def masked(data: bytes) -> bytes:
        crc = google_crc32c.value(data)
        return struct.pack("<I", (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)

    def record(data: bytes) -> bytes:
        head = struct.pack("<Q", len(data))
        return head + masked(head) + data + masked(data)

    def event(tag: str, step: int) -> bytes:
        value = summary_pb2.Summary.Value(tag=tag, simple_value=step / 2)
        return event_pb2.Event(wall_time=1.0, step=step, summary=summary_pb2.Summary(value=[value])).SerializeToString()

    bad = event("a", 9).replace(b"\x0a\x01a", b"\x0a\x01\xff")
    path = tmp_path / "events.out.tfevents.1.hand"
    path.write_bytes(record(event("a", 3)) + record(event("", 4)) + record(bad) + record(event("a", 5)))
    os.utime(path, (OLD, OLD))
    result = load(tmp_path)
    assert result.runs[0].scalars[["tag", "step", "value"]].to_numpy().tolist() == [["a", 3, 1.5], ["", 4, 2.0],
                                                                                  ["a", 5, 2.5]]
    assert [e.message for e in result.errors] == ["1 record(s) are not valid Event protobufs (skipped)"]


def test_a_total_loss_logged_only_as_components_is_derived(tmp_path):
    # YOLOv5's habit: weighted components per side, no total. The sum stands in for the loss.
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "exp"))
    for epoch in range(6):
        for side, scale in (("train", 1.0), ("val", 0.8)):
            writer.add_scalar(f"{side}/box_loss", scale * 0.10 / (epoch + 1), epoch)
            if epoch != 3 or side == "val":  # one missing point: the sum exists where all do
                writer.add_scalar(f"{side}/obj_loss", scale * 0.05, epoch)
        writer.add_scalar("x/lr0", 0.01, epoch)
    writer.close()
    run = load(tmp_path).runs[0]
    assert len(run.scalars) == 6 * 4 - 1 + 6  # every event kept, no derived rows among them
    total = run.scalar("train/loss")
    assert run.originals_for("train/loss") == ["train/box_loss+obj_loss"]
    assert list(total.index) == [0, 1, 2, 4, 5]
    assert total.to_numpy() == pytest.approx([0.10 / (e + 1) + 0.05 for e in (0, 1, 2, 4, 5)])
    assert run.scalar("val/loss").to_numpy() == pytest.approx([0.8 * (0.10 / (e + 1) + 0.05) for e in range(6)])
    tags = {t["tag"]: t for t in inventory(str(tmp_path))["runs"][0]["tags"]}
    assert tags["train/box_loss+obj_loss"] == {"tag": "train/box_loss+obj_loss", "canonical": "train/loss",
                                               "points": 5}
    assert tags["train/box_loss"]["canonical"] is None  # a component is still not the loss
    # the user can say the sum is not their loss: then train/loss is simply not logged
    assert load(tmp_path, tag_overrides={"train/box_loss+obj_loss": None}).runs[0].scalar("train/loss") is None
