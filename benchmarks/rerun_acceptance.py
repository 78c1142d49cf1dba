"""Acceptance of auto-repair: does trying the documents' remedies in order FIX each problem, i.e.
clear the finding AND deliver a better model (the outcome, beyond the seed spread)?

For every problem scenario: take its sample run (sample_runs/<scenario>, else train the
scenario at seed 0), run `auto_repair` on the scenario's problem with a budget of remedies and
several seeds per verdict, and report the remedy the repair ends at, its verdict, the outcome
before -> after ± the seed spread, and what every remedy tried did to the outcome. Then count
duplicate children over the whole benchmark (two child folders of one parent with the same
config): there must be none.

    python benchmarks/rerun_acceptance.py [--budget 4] [--seeds 3] [--workers 2] [--out DIR]

Scenarios run in parallel worker processes (one torch thread each: on a small CPU box two
single-threaded trainings beat one two-threaded one). Writes <out>/rerun_acceptance.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PROBLEMS = ("exploding_gradient", "vanishing_gradient", "dead_relu", "lr_oscillation",
            "underfitting", "overfitting")


def parent_run(scenario: str, out: Path) -> Path:
    """The committed sample run, or a fresh one of the scenario at seed 0."""
    sample = REPO / "sample_runs" / scenario
    if (sample / "config.json").is_file():
        return sample
    from trainers.jobs import train_into
    from trainers.scenarios import scenario_config

    target = out / "parents" / scenario
    if not (target / "status.json").is_file():
        train_into(scenario_config(scenario, 0), target, progress=False)
    return target


def repair_scenario(scenario: str, out: str, budget: int, seeds: int) -> dict:
    from diagnostics.engine import diagnose
    from diagnostics.reader import load
    from trainers.repair import auto_repair

    started = time.time()
    root = Path(out) / scenario
    parent = parent_run(scenario, root)
    found = [f.rule_id for f in diagnose(load(parent).runs[0]).findings]
    # The scenario's own problem when the parent shows it, else whatever must be fixed first.
    rule = scenario if scenario in found else (found[0] if found else None)
    row = {"scenario": scenario, "parent": str(parent), "parent_findings": found, "rule": rule,
           "attempts": [], "cleared_after": None}
    if rule is None:
        row["seconds"] = round(time.time() - started, 1)
        return row
    from trainers.repair import ends_at

    attempts = auto_repair(parent, rule, budget=budget, seeds=seeds, out=root)
    for a in attempts:
        cmp = a.comparison or {}
        outcome = cmp.get("outcome") or {}
        row["attempts"].append({
            "remedy": a.remedy_id, "change": a.resolved_change, "verdict": str(a.verdict),
            "reason": a.reason.get("en", ""), "findings_after": [list(f) for f in a.findings_after],
            "metric": outcome.get("metric"), "reused": a.reused,
            "parent": [s["value"] for s in cmp.get("parent", [])],
            "child": [s["value"] for s in cmp.get("child", [])],
            "before": outcome.get("before"), "after": outcome.get("after"),
            "spread": outcome.get("spread"), "margin": outcome.get("margin")})
    at = ends_at(attempts)
    row["ends_at"] = at
    row["cleared_after"] = at + 1 if at is not None and attempts[at].success else None
    row["seconds"] = round(time.time() - started, 1)
    return row


def duplicates(out: Path) -> list[list[str]]:
    """Groups of child folders (under the benchmark's output) of one parent with one config."""
    from trainers.lineage import find_runs, parent_of

    seen: dict[tuple[str, str], list[str]] = {}
    for run in find_runs(out):
        parent, config = parent_of(run), run / "config.json"
        if parent is None or not config.is_file():
            continue
        seen.setdefault((str(parent), config.read_text()), []).append(str(run))
    return [group for group in seen.values() if len(group) > 1]


def table(rows: list[dict], budget: int) -> str:
    lines = ["| scenario | ends at (remedy #) | verdict | outcome: before → after (mean of seeds) "
             "| seed spread ± | every remedy tried: verdict, after |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        tried = "; ".join(f"{a['remedy'].split('.', 1)[1]}: {a['verdict']}, {_f(a['after'])}"
                          for a in r["attempts"])
        end = r["attempts"][r["ends_at"]] if r.get("ends_at") is not None else None
        nums = (f"{end['metric']}: {_f(end['before'])} → {_f(end['after'])}", _f(end["spread"])) \
            if end else ("–", "–")
        where = (f"{end['remedy'].split('.', 1)[1]} ({r['ends_at'] + 1})" if end
                 else f"nothing helped in {budget}")
        lines.append(f"| {r['scenario']} | {where} | "
                     f"{end['verdict'] if end else '–'} | {nums[0]} | {nums[1]} | {tried or '–'} |")
    return "\n".join(lines)


def _list(xs) -> str:
    return ", ".join(_f(x) if isinstance(x, (int, float)) else str(x) for x in xs)


def _f(x) -> str:
    return f"{x:.4f}" if isinstance(x, (int, float)) else str(x)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=int, default=4)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default=str(REPO / ".cache" / "rerun_acceptance"))
    p.add_argument("--scenarios", nargs="*", default=list(PROBLEMS))
    args = p.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"  # inherited by the workers before torch loads there
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(repair_scenario, s, str(out), args.budget, args.seeds)
                   for s in args.scenarios]
        rows = [f.result() for f in futures]
    dups = duplicates(out)
    (out / "rerun_acceptance.json").write_text(json.dumps({"rows": rows, "duplicates": dups},
                                                          indent=1, ensure_ascii=False))
    print(table(rows, args.budget))
    print(f"\nduplicate children (same parent, same config): {len(dups)}")
    print(f"\n{len(rows)} scenarios, budget {args.budget}, {args.seeds} seeds per verdict, "
          f"{args.workers} workers: {time.time() - started:.0f} s; details in "
          f"{out / 'rerun_acceptance.json'}")
    for r in rows:
        for a in r["attempts"]:
            seeds = (f" [parent seeds {_list(a['parent'])} | child seeds {_list(a['child'])}]"
                     if a["child"] else "")
            print(f"  {r['scenario']:<19} {a['remedy']:<34} {a['reason']}{seeds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
