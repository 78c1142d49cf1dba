"""Acceptance of auto-repair: does trying the documents' remedies in order clear each problem?

For every problem scenario: take its sample run (sample_runs/<scenario>, else train the
scenario at seed 0), run `auto_repair` on the scenario's problem with a budget of remedies and
several seeds per verdict, and report how many re-runs it took to clear the finding and the seed
spread behind each verdict.

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
    attempts = auto_repair(parent, rule, budget=budget, seeds=seeds, out=root)
    trained = 0
    for a in attempts:
        trained += a.verdict != "skipped"
        cmp = a.comparison or {}
        row["attempts"].append({
            "remedy": a.remedy_id, "change": a.resolved_change, "verdict": a.verdict,
            "reason": a.reason.get("en", ""), "findings_after": [list(f) for f in a.findings_after],
            "metric": cmp.get("metric"),
            "parent": [s["value"] for s in cmp.get("parent", [])],
            "child": [s["value"] for s in cmp.get("child", [])],
            "parent_mean": cmp.get("parent_mean"), "child_mean": cmp.get("child_mean"),
            "spread": cmp.get("spread")})
        if a.success:
            row["cleared_after"] = trained
    row["seconds"] = round(time.time() - started, 1)
    return row


def table(rows: list[dict], budget: int) -> str:
    lines = ["| scenario | problem repaired | re-runs to clear | remedy that cleared | "
             "metric: parent → child (mean of seeds) | spread (±) | verdicts tried |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        tried = "; ".join(f"{a['remedy'].split('.', 1)[1]}: {a['verdict']}" for a in r["attempts"])
        win = next((a for a in r["attempts"] if a["verdict"] == "resolved"), None)
        cleared = r["cleared_after"] if r["cleared_after"] else f"not in {budget}"
        nums = (f"{win['metric']}: {_f(win['parent_mean'])} → {_f(win['child_mean'])}",
                _f(win["spread"])) if win else ("–", "–")
        lines.append(f"| {r['scenario']} | {r['rule'] or 'none found'} | {cleared} | "
                     f"{win['remedy'] if win else '–'} | {nums[0]} | {nums[1]} | {tried or '–'} |")
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
    (out / "rerun_acceptance.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    print(table(rows, args.budget))
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
