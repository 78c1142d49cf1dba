"""`python -m trainers`: listing, one real run, and one-line errors with exit code 2."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainers.cli import main
from trainers.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "trainers", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_list_scenarios_prints_one_line_each():
    proc = run_cli("--list-scenarios")
    assert proc.returncode == 0
    lines = proc.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == list(SCENARIOS)
    assert all(len(line.split("\t")) == 2 and line.split("\t")[1] for line in lines)


@pytest.mark.slow
def test_scenario_run_prints_its_new_folder_last(tmp_path):
    proc = run_cli("--scenario", "underfitting", "--out", str(tmp_path), "--seed", "3",
                   "--set", "epochs=2", "lr=x0.5")
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(proc.stdout.strip().splitlines()[-1])
    assert run_dir.parent == tmp_path and run_dir.name.startswith("underfitting-")
    assert run_dir.name.endswith("-s3")
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["epochs"], config["seed"], config["lr"]) == (2, 3, 0.5)
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "done" and status["epoch"] == 2 and status["step"] == status["total_steps"]
    assert (run_dir / "checkpoints" / "best.pt").exists() and (run_dir / "checkpoints" / "final.pt").exists()
    assert [p for p in run_dir.iterdir() if p.name.startswith("events.out.tfevents")]
    assert [p for p in run_dir.iterdir() if p.is_dir()] == [run_dir / "checkpoints"]  # no hparams sub-folder
    assert "step" in proc.stderr  # the progress bar


def test_config_file_run_and_a_second_run_get_distinct_folders(tmp_path):
    config = tmp_path / "mine.json"
    config.write_text(json.dumps({"dataset": "moons", "epochs": 1, "width": 8}))
    out = tmp_path / "runs"
    first = main(["--config", str(config), "--out", str(out), "--no-progress"])
    second = main(["--config", str(config), "--out", str(out), "--no-progress", "--set", "width=+8"])
    assert first == second == 0
    folders = sorted(out.iterdir())
    assert len(folders) == 2 and all(f.name.startswith("mine-") for f in folders)
    widths = sorted(json.loads((f / "config.json").read_text())["width"] for f in folders)
    assert widths == [8, 16]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scenario", "nope", "--out", "X"], "unknown scenario"),
        (["--scenario", "healthy", "--out", "X", "--set", "bogus=1"], "bogus: unknown config key"),
        (["--scenario", "healthy", "--out", "X", "--set", "lr=fast"], "lr: expected a number"),
        (["--scenario", "healthy", "--out", "X", "--set", "lr"], "expected key=value"),
        (["--scenario", "healthy", "--out", "X", "--set", "train_size=99999"], "train_size:"),
        (["--config", "MISSING.json", "--out", "X"], "cannot read"),
        (["--config", "BAD.json", "--out", "X"], "invalid JSON"),
        (["--scenario", "healthy"], "--out"),
        (["--out", "X"], "one of the arguments"),
        (["--scenario", "healthy", "--config", "BAD.json", "--out", "X"], "not allowed with"),
        (["--scenario", "healthy", "--out", "X", "--seed", "one"], "invalid int value"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, args, needle):
    (tmp_path / "BAD.json").write_text('{"lr": 0.1,')
    args = [str(tmp_path / a) if a in ("X", "MISSING.json", "BAD.json") else a for a in args]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("python -m trainers: error:")
    assert not (tmp_path / "X").exists()  # nothing was created


def test_bad_argument_in_a_real_process_has_no_traceback(tmp_path):
    proc = run_cli("--scenario", "healthy", "--out", str(tmp_path), "--set", "dropout=2")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "python -m trainers: error: dropout: must be in [0, 1), got 2.0"
    assert proc.stdout == "" and not list(tmp_path.iterdir())
