"""Several runs in one folder: files written by real writers (torch's SummaryWriter) into temp
folders, then the real labelled logs whose folders hold restarted, resumed and paired sessions."""
from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import pytest
from torch.utils.tensorboard import SummaryWriter

from diagnostics import reader, render
from diagnostics.engine import diagnose
from diagnostics.reader import load

LABELLED = Path(__file__).resolve().parents[2] / "shared" / "reallabelled"
WALL = 1_700_000_000.0  # event wall times: long ago, so no file is taken to be live


@pytest.fixture(autouse=True)
def _fresh_cache():
    reader.clear_cache()


def session(folder: Path, steps, *, stamp: int, wall0: float, tags=("train/loss",),
            value=lambda step: 1.0 / (step + 1), counter: int = 0) -> Path:
    """One writer session: a SummaryWriter logs `tags` at `steps`, one second apart from
    `wall0`; its file is renamed to carry `stamp` and the writer's `counter` (files order by
    them, as real names do)."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    writer = SummaryWriter(str(folder))
    for i, step in enumerate(steps):
        for tag in tags:
            writer.add_scalar(tag, value(step), step, walltime=wall0 + i)
    writer.close()
    (written,) = set(folder.iterdir()) - before
    return written.rename(folder / f"events.out.tfevents.{stamp}.testhost.{stamp}.{counter}")


def last_record(data: bytes) -> bytes:
    """The file's last TFRecord (u64 length, u32 crc, data, u32 crc)."""
    pos = start = 0
    while pos < len(data):
        start, pos = pos, pos + 16 + struct.unpack_from("<Q", data, pos)[0]
    return data[start:pos]


def names(result) -> list[str]:
    return [r.run for r in result.runs]


# ---- sessions written here -------------------------------------------------------------------


def test_a_step_counter_that_starts_over_starts_a_second_run(tmp_path):
    logs = tmp_path / "logs"
    session(logs, range(0, 100, 10), stamp=100, wall0=WALL)
    session(logs, range(0, 60, 10), stamp=200, wall0=WALL + 500, value=lambda s: 5.0)
    result = load(logs)
    assert names(result) == ["logs#1", "logs#2"] and result.errors == []
    first, second = result.runs
    assert list(first.scalar("train/loss").index) == list(range(0, 100, 10))
    assert list(second.scalar("train/loss").index) == list(range(0, 60, 10))
    assert (second.scalar("train/loss") == 5.0).all()  # nothing of the first run mixed in
    assert second.part.index == 2 and second.part.of == 2 and second.part.folder == "logs"
    assert second.part.first_file.startswith("events.out.tfevents.200.") and second.part.steps == (0, 50)
    assert first.path == second.path == str(logs.resolve())  # both still point at the folder


def test_files_opened_in_the_same_second_keep_their_writers_order(tmp_path):
    session(tmp_path, range(10), stamp=100, wall0=WALL, counter=9)
    session(tmp_path, range(10), stamp=100, wall0=WALL + 500, counter=10, value=lambda s: 5.0)
    first, second = load(tmp_path).runs  # counter 9 was opened first, though "10" < "9" as text
    assert first.files[0].endswith(".9") and (second.scalar("train/loss") == 5.0).all()


def test_run_names_stay_unique_beside_a_folder_named_like_them(tmp_path):
    session(tmp_path / "logs", range(10), stamp=100, wall0=WALL)
    session(tmp_path / "logs", range(10), stamp=200, wall0=WALL + 500)
    session(tmp_path / "logs#1", range(10), stamp=100, wall0=WALL)
    assert sorted(names(load(tmp_path))) == ["logs##1", "logs##2", "logs#1"]


def test_a_resumed_session_whose_steps_carry_on_stays_one_run(tmp_path):
    session(tmp_path / "run", range(0, 100, 10), stamp=100, wall0=WALL)
    # resumed from the checkpoint at step 60: re-logs 70-90, then goes on
    session(tmp_path / "run", range(70, 200, 10), stamp=200, wall0=WALL + 500, value=lambda s: 7.0)
    (run,) = load(tmp_path / "run").runs
    assert run.run == "run" and run.part is None and len(run.files) == 2
    series = run.scalar("train/loss")
    assert list(series.index) == list(range(0, 200, 10))
    assert series.loc[60] != 7.0 and series.loc[70] == 7.0  # the resumed writes win


def test_files_written_together_with_other_tags_are_one_run(tmp_path):
    # e.g. a writer that puts its eval metrics or hparams in a second file at the same time
    session(tmp_path, range(0, 50, 5), stamp=100, wall0=WALL, tags=("train/loss",))
    session(tmp_path, range(0, 50, 10), stamp=101, wall0=WALL + 1, tags=("val/loss", "val/acc"))
    (run,) = load(tmp_path).runs
    assert run.part is None and {"train/loss", "val/loss", "val/acc"} <= run.canonical_tags()


def test_two_writers_of_the_same_tags_at_once_are_one_run(tmp_path):
    session(tmp_path, range(10), stamp=100, wall0=WALL)
    session(tmp_path, range(10), stamp=101, wall0=WALL + 3)  # began before the other's last event
    (run,) = load(tmp_path).runs
    assert len(run.files) == 2


def test_a_header_only_file_does_not_start_a_run(tmp_path):
    session(tmp_path, range(0, 100, 10), stamp=100, wall0=WALL)
    session(tmp_path, [], stamp=150, wall0=WALL + 200)  # a writer opened and closed, nothing logged
    session(tmp_path, range(100, 200, 10), stamp=200, wall0=WALL + 500)
    result = load(tmp_path)
    assert names(result) == [tmp_path.name]
    assert [e.message.split(":")[0] for e in result.errors] == ["empty"]


def test_an_aborted_single_step_session_folds_into_the_restart_after_it(tmp_path):
    session(tmp_path, range(19, 240, 20), stamp=100, wall0=WALL)  # aborted at 219
    session(tmp_path, [9], stamp=200, wall0=WALL + 300)  # died at once: one step
    session(tmp_path, range(19, 300, 20), stamp=300, wall0=WALL + 600)  # started over, ran on
    first, second = load(tmp_path).runs
    assert len(first.files) == 1 and len(second.files) == 2
    assert list(second.scalar("train/loss").index) == [9, *range(19, 300, 20)]


def test_keras_fits_pair_each_validation_side_with_its_train_side(tmp_path):
    logs = tmp_path / "logs"
    for fit, wall in ((1, WALL), (2, WALL + 5000)):
        session(logs / "train", range(10), stamp=100 * fit, wall0=wall, tags=("epoch_loss",))
        session(logs / "validation", range(10), stamp=100 * fit + 1, wall0=wall + 0.5, tags=("epoch_loss",))
    result = load(logs)
    assert names(result) == ["logs#1", "logs#2"]
    for run in result.runs:
        assert [Path(f).parent.name for f in run.files] == ["train", "validation"]
        assert len(run.scalar("train/loss")) == 10 and len(run.scalar("val/loss")) == 10


def test_a_validation_file_goes_with_the_fit_it_was_written_alongside(tmp_path):
    # its name's stamp comes after the second fit's train file; its wall times say which fit
    logs = tmp_path / "logs"
    session(logs / "train", range(10), stamp=100, wall0=WALL, tags=("epoch_loss",))
    session(logs / "train", range(10), stamp=200, wall0=WALL + 5000, tags=("epoch_loss",))
    session(logs / "validation", range(10), stamp=250, wall0=WALL + 0.5, tags=("epoch_loss",))
    first, second = load(logs).runs
    assert first.has("val/loss") and not second.has("val/loss")


def test_the_report_says_which_of_the_folders_runs_it_is(tmp_path):
    session(tmp_path / "logs", range(0, 100, 10), stamp=100, wall0=WALL)
    session(tmp_path / "logs", range(0, 100, 10), stamp=200, wall0=WALL + 500)
    second = load(tmp_path / "logs").runs[1]
    report = diagnose(second)
    line = ("Run 2 of 2 found in folder logs (its step counter started over): "
            "from file events.out.tfevents.200")
    assert line in render.text(report, "en") and line in render.markdown(report, "en")
    assert "文件夹 logs 中有 2 个运行" in render.text(report, "zh")
    assert report.to_dict()["part"] == {"index": 2, "of": 2, "folder": "logs", "steps": [0, 90],
                                        "first_file": "events.out.tfevents.200.testhost.200.0"}
    session(tmp_path / "one", range(10), stamp=100, wall0=WALL)
    alone = diagnose(load(tmp_path / "one").runs[0])  # a folder of one run: no such line
    assert "part" not in alone.to_dict() and "found in folder" not in render.text(alone, "en")


def test_the_cache_follows_a_second_run_as_it_grows(tmp_path):
    session(tmp_path, range(0, 100, 10), stamp=100, wall0=WALL)
    live = session(tmp_path, range(0, 30, 10), stamp=200, wall0=time.time() - 5)
    first = load(tmp_path).runs
    assert load(tmp_path).runs[1] is first[1]  # unchanged: from the cache
    with open(live, "ab") as fh:  # the writer appends its next event (a copy of the last one)
        fh.write(last_record(live.read_bytes()))
    os.utime(live)
    grown = load(tmp_path).runs
    assert names(load(tmp_path)) == [f"{tmp_path.name}#1", f"{tmp_path.name}#2"]
    assert len(grown[1].scalars) == len(first[1].scalars) + 1 and len(grown[0].scalars) == 10


# ---- real folders (shared/reallabelled) ------------------------------------------------------


def labelled(prefix: str) -> Path:
    found = sorted(LABELLED.glob(f"{prefix}_*")) if LABELLED.is_dir() else []
    if not found:
        pytest.skip(f"labelled real logs not found at {LABELLED}")
    return found[0]


def stems(run) -> list[str]:
    """The files of a run by their pid.counter ending, e.g. "13092.0"."""
    return [".".join(Path(f).name.removesuffix(".v2").split(".")[-2:]) for f in run.files]


def test_real_hf_trainers_sharing_one_logging_dir():
    result = load(labelled("05"))
    assert names(result) == ["logs#1", "logs#2", "logs#3", "logs#4"]
    assert [stems(r) for r in result.runs] == [["13092.0", "13092.1"], ["13092.2", "13092.3"],
                                               ["13092.4"], ["13092.5"]]
    assert list(result.runs[0].scalar("val/loss").index) == [3125, 6250, 9375]
    assert list(result.runs[2].scalar("val/loss").index) == [782, 1564, 2346, 3128]


def test_real_keras_two_fits_into_one_logs_folder():
    result = load(labelled("11"))
    assert names(result) == ["logs#1", "logs#2"]
    for run in result.runs:
        assert {Path(f).parent.name for f in run.files} == {"train", "validation"}
        assert len(run.scalar("train/loss")) == 20 and len(run.scalar("val/loss")) == 20


def test_real_gan_restarted_with_its_batch_counter_at_zero():
    result = load(labelled("22"))
    assert len(result.runs) == 4
    assert all(r.part.steps[0] == 0 for r in result.runs)
    assert list(result.runs[-1].scalar("train/loss").index) == list(range(16, 21))


def test_real_yolov5_resumed_four_times_is_one_run():
    (run,) = load(labelled("31")).runs
    assert run.run == "runs/train/exp" and run.part is None and len(run.files) == 5
    assert list(run.scalar("train/loss").index) == list(range(300))


def test_real_lightning_hparams_file_after_the_run_stays_with_it():
    (run,) = load(labelled("32")).runs  # the second file holds only hp_metric at step 0
    assert run.part is None and len(run.files) == 2


def test_real_detectron2_aborted_restarts_and_resumes():
    first, main = load(labelled("41")).runs
    assert stems(first) == ["23300.2"] and first.part.steps == (19, 225)
    # four starts that died at iteration 9, the restart after them, and its two resumes
    assert stems(main) == [f"23300.{n}" for n in range(3, 10)]
    steps = list(main.scalar("train/loss").index)
    assert steps[:3] == [9, 19, 39] and steps[-1] == 1999 and steps == sorted(set(steps))


def test_real_yolox_two_full_runs_with_the_same_steps():
    result = load(labelled("42"))
    assert len(result.runs) == 2
    assert [list(r.original("val/COCOAP50").index) for r in result.runs] == [list(range(1, 21))] * 2
