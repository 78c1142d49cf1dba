"""Regenerate `sample_runs/`: one run per scenario (seed 0) plus `healthy_seed1`.

Each folder holds the events, config.json, status.json and expected.json
(`{"must": [...], "must_not": [...]}`, rule ids from `trainers.scenarios.EXPECTED`).
Checkpoints are deleted: the folder is committed and must stay small.

    python scripts/make_sample_runs.py
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainers.loop import train  # noqa: E402
from trainers.scenarios import EXPECTED, SCENARIOS, scenario_config  # noqa: E402

OUT = ROOT / "sample_runs"
RUNS = [(name, name, 0) for name in SCENARIOS] + [("healthy_seed1", "healthy", 1)]


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)  # wipe: folder names are stable, contents are not
    scratch = OUT / ".scratch"
    for folder, scenario, seed in RUNS:
        result = train(scenario_config(scenario, seed), scratch, progress=False, run_name=folder)
        shutil.rmtree(result.run_dir / "checkpoints")
        (result.run_dir / "expected.json").write_text(json.dumps(EXPECTED[scenario], indent=2) + "\n")
        result.run_dir.rename(OUT / folder)
        print(f"{folder:20s} {result.state:9s} {_size(OUT / folder) / 1024:6.0f} KB")
    scratch.rmdir()
    print(f"total {_size(OUT) / 1024:.0f} KB in {OUT}")


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


if __name__ == "__main__":
    main()
