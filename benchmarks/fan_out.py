"""Wall time of "try the first 3 remedies × 3 seeds" on one scenario: the local executor (one
training after another, as before) vs Ray (every training a task, side by side).

    python benchmarks/fan_out.py [--scenario lr_oscillation] [--n 3] [--out DIR]

Both start from the same parent in fresh output folders (nothing reused), run `auto_repair` with
budget = parallel = n and seeds = n: n x n remedy children plus n - 1 parent replicas. The Ray
figure includes starting a local Ray (bound to 127.0.0.1, one CPU per task), also given apart.
Writes
<out>/fan_out.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="lr_oscillation")
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--out", default=str(REPO / ".cache" / "fan_out"))
    args = p.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from trainers.executor import LocalExecutor, RayExecutor
    from trainers.jobs import train_into
    from trainers.repair import auto_repair, ends_at
    from trainers.scenarios import scenario_config

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    parent = out / "parent" / args.scenario
    train_into(scenario_config(args.scenario, 0), parent, progress=False)
    result = {"scenario": args.scenario, "n": args.n, "trainings": args.n * args.n + args.n - 1,
              "cpus": os.cpu_count()}
    for name, make in (("local", LocalExecutor), ("ray", RayExecutor)):
        started = time.time()
        executor = make()
        if name == "ray":
            executor.connect()  # a local Ray on 127.0.0.1: timed apart, a cluster is up already
            result["ray_startup_s"] = round(time.time() - started, 1)
        attempts = auto_repair(parent, args.scenario, budget=args.n, seeds=args.n,
                               parallel=args.n, out=out / name, executor=executor)
        at = ends_at(attempts)
        result[name] = {"seconds": round(time.time() - started, 1),
                        "verdicts": [str(a.verdict) for a in attempts], "ends_at": at}
        print(f"{name}: {result[name]['seconds']} s, verdicts {result[name]['verdicts']}",
              flush=True)
    result["ratio"] = round(result["local"]["seconds"] / result["ray"]["seconds"], 2)
    result["ratio_without_startup"] = round(
        result["local"]["seconds"] / (result["ray"]["seconds"] - result["ray_startup_s"]), 2)
    (out / "fan_out.json").write_text(json.dumps(result, indent=1))
    print(f"{result['trainings']} trainings: local {result['local']['seconds']} s, "
          f"ray {result['ray']['seconds']} s (of which {result['ray_startup_s']} s starting Ray), "
          f"ratio {result['ratio']}x ({result['ratio_without_startup']}x without the start)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
