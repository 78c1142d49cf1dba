"""Auto-repair: try a problem's remedies in the documents' order, one re-run each, until it clears.

Each remedy with a config change becomes one child run of the parent (per seed); the children
are diagnosed and compared with the parent (`diagnostics.compare`), and the first remedy whose
verdict is "resolved" (the finding gone on every child seed, validation not worse beyond the
seed spread) ends the search. A remedy that would not change the parent's config (more data
when all data is already used) is skipped without spending budget. With seeds > 1 the parent is
re-trained at the extra seeds too, so both sides of every verdict have a measured spread.

Progress is on disk after every training: `<out>/.repairs/<parent>.<rule>/repair.json`
({"state", "step", "total_steps", "attempts": [...], ...}), so a background job (`submit_repair`)
shows it in the UI like a training's status.json.

    python -m trainers.repair PARENT_RUN [--rule ID] [--budget 4] [--seeds 1] [--out DIR]
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trainers.jobs import Job, JobQueue, RepairTask, read_json, train_into, write_json
from trainers.rerun import RerunError, parent_config, plan_rerun

SKIPPED, FAILED = "skipped", "failed"  # attempt outcomes besides compare's verdicts


@dataclass(frozen=True)
class Attempt:
    remedy_id: str
    action: str
    change: dict[str, Any]
    resolved_change: dict[str, Any]
    children: tuple[str, ...] = ()  # run folders, one per seed
    findings_after: tuple[tuple[str, ...], ...] = ()  # per child seed
    verdict: str = ""  # resolved | improved | no change | worse | skipped | failed
    reason: dict[str, str] = field(default_factory=dict)  # en / zh, one line each
    comparison: dict[str, Any] | None = None  # Comparison.to_dict(): per-seed numbers, spread

    @property
    def success(self) -> bool:
        return self.verdict == "resolved"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["children"] = list(self.children)
        d["findings_after"] = [list(f) for f in self.findings_after]
        return d


def record_dir(parent: str | os.PathLike[str], rule_id: str, out: str | os.PathLike[str]) -> Path:
    """Where one repair of one problem of one parent keeps repair.json (and its job.log)."""
    return Path(out).resolve() / ".repairs" / f"{Path(parent).resolve().name}.{rule_id}"


def read_repair(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """A repair.json (or the folder holding it), None while it does not exist. It is data from
    shared storage: no symlink is followed, and a field of the wrong type is dropped (an
    attempt that is not an object, too), so the pages that draw it never meet a surprise."""
    path = Path(path)
    path = path / "repair.json" if path.is_dir() else path
    record = read_json(path)
    if record is None:
        return None
    record = _typed(record, _RECORD_TYPES)
    attempts = record.get("attempts")
    record["attempts"] = [_typed(a, _ATTEMPT_TYPES) for a in attempts if isinstance(a, dict)] \
        if isinstance(attempts, list) else []
    for a in record["attempts"]:
        a["children"] = [c for c in a.get("children") or [] if isinstance(c, str)]
        a["reason"] = {k: v for k, v in (a.get("reason") or {}).items() if isinstance(v, str)}
    return record


_NUMBER = (int, float)
_RECORD_TYPES: dict[str, tuple[type, ...]] = {
    "state": (str,), "error": (str,), "current": (str,), "parent": (str,), "rule_id": (str,),
    "step": _NUMBER, "total_steps": _NUMBER, "started": _NUMBER, "finished": _NUMBER,
    "replicas": (list,), "parent_findings": (list,), "success": (bool,)}
_ATTEMPT_TYPES: dict[str, tuple[type, ...]] = {
    "remedy_id": (str,), "action": (str,), "verdict": (str,), "change": (dict,),
    "resolved_change": (dict,), "children": (list,), "findings_after": (list,),
    "reason": (dict,), "comparison": (dict,)}


def _typed(data: dict[str, Any], types: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """`data` without the listed keys whose value is not of their type (NaN/inf are no numbers)."""
    def ok(key: str, value: Any) -> bool:
        want = types.get(key)
        if want is None or value is None:
            return True
        if want is _NUMBER:
            return isinstance(value, _NUMBER) and not isinstance(value, bool) \
                and math.isfinite(value)
        return isinstance(value, want)

    return {k: v for k, v in data.items() if ok(k, v)}


def auto_repair(parent_run_dir: str | os.PathLike[str], rule_id: str | None = None, *,
                budget: int = 4, seeds: int = 1, out: str | os.PathLike[str] | None = None,
                progress: bool = False,
                on_attempt: Callable[[Attempt], None] | None = None) -> list[Attempt]:
    """Try the remedies of `rule_id` (default: the report's fix-first problem) on the parent.

    budget: at most this many remedies are trained (skipped no-ops do not count); seeds: child
    runs per remedy (and parent runs to compare against). Returns the attempts in order; the
    last one is the success if any succeeded; [] when the parent does not show the problem.
    Raises RerunError for a run we cannot re-run.
    """
    from diagnostics.compare import compare
    from diagnostics.engine import diagnose
    from diagnostics.remedies import all_rule_ids, remedies_for

    if budget < 1 or seeds < 1:
        raise ValueError("auto_repair: budget and seeds must be >= 1")
    parent = Path(parent_run_dir).resolve()
    base = parent_config(parent)
    out = Path(out).resolve() if out is not None else parent.parent
    parent_run = _load(parent)
    report = diagnose(parent_run)
    found = [f.rule_id for f in report.findings]
    if rule_id is not None and rule_id not in all_rule_ids():
        raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(all_rule_ids())}")
    rule_id = rule_id or (found[0] if found else "none")
    seed_list = [base.seed + i for i in range(seeds)]
    candidates = ([r for r in remedies_for(rule_id) if r.change is not None]
                  if rule_id in found else [])
    live = sum(not plan_rerun(parent, r.change, out=out).is_noop for r in candidates)
    state = {"state": "running", "parent": str(parent), "rule_id": rule_id, "budget": budget,
             "seeds": seed_list, "step": 0, "total_steps": seeds - 1 + seeds * min(budget, live),
             "current": None, "replicas": [], "attempts": [], "parent_findings": found,
             "started": time.time(), "finished": None, "success": None}
    folder = record_dir(parent, rule_id, out)
    folder.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        write_json(folder / "repair.json", state)

    def train(change: dict[str, Any] | None, seed: int, remedy_id: str | None) -> Path:
        plan = plan_rerun(parent, change, remedy_id=remedy_id,
                          seed=None if seed == base.seed else seed, out=out)
        child = plan.create_child()
        state["current"] = str(child)
        save()
        train_into(plan.config, child, progress=progress)
        state["step"] += 1
        return child

    try:
        if rule_id not in found:  # the parent does not show the problem: nothing to repair
            state.update(state="done", total_steps=0, finished=time.time())
            return []
        parents = [parent_run]
        for seed in seed_list[1:]:  # the parent's config at the other seeds: its spread
            replica = train(None, seed, None)
            state["replicas"].append(str(replica))
            parents.append(_load(replica))
        reports = {id(parent_run): report}
        attempts: list[Attempt] = []
        tried = 0
        for remedy in candidates:
            if tried >= budget:
                break
            plan = plan_rerun(parent, remedy.change, remedy_id=remedy.id, out=out)
            attempt = Attempt(remedy_id=remedy.id, action=remedy.action,
                              change=dict(remedy.change), resolved_change=plan.resolved_change)
            if plan.is_noop:
                attempt = _with(attempt, verdict=SKIPPED, reason={
                    "en": "skipped: the parent's config already has this",
                    "zh": "跳过：父运行的配置已经如此"})
            else:
                tried += 1
                try:
                    kids = [train(dict(remedy.change), s, remedy.id) for s in seed_list]
                    runs = [_load(k) for k in kids]
                    verdict = compare(parents, runs, rule_id, reports=reports)
                    attempt = _with(attempt, children=tuple(map(str, kids)),
                                    findings_after=tuple(s.findings for s in verdict.child),
                                    verdict=verdict.verdict, reason=dict(verdict.reason),
                                    comparison=verdict.to_dict())
                except Exception as e:  # one broken attempt must not end the whole repair
                    attempt = _with(attempt, verdict=FAILED,
                                    reason={"en": f"failed: {type(e).__name__}: {e}",
                                            "zh": f"失败：{type(e).__name__}: {e}"})
            attempts.append(attempt)
            state["attempts"].append(attempt.to_dict())
            save()
            if on_attempt is not None:
                on_attempt(attempt)
            if attempt.success:
                break
        state.update(state="done", current=None, finished=time.time(),
                     success=bool(attempts and attempts[-1].success))
        return attempts
    except BaseException as e:
        state.update(state="failed", finished=time.time(), error=f"{type(e).__name__}: {e}")
        raise
    finally:
        save()


def submit_repair(queue: JobQueue, parent: str | os.PathLike[str], rule_id: str, *,
                  budget: int = 4, seeds: int = 1) -> Job:
    """Run auto_repair as a background job; its children go under the queue's root.

    The rule must be named here (the UI has the report), so the record folder, and with it the
    job's progress file, is known before the job starts. The parent must lie inside the
    queue's root or the bundled samples (ValueError otherwise): the job's entry is checked
    like any other before it runs.
    """
    parent_config(parent)  # fail here, in the UI, for a run we cannot re-run
    task = RepairTask(parent=str(Path(parent).resolve()), rule=rule_id, budget=budget,
                      seeds=seeds)
    return queue.submit("repair", run_dir=record_dir(parent, rule_id, queue.root), repair=task,
                        label=f"auto-repair {Path(parent).name}: {rule_id}")


def _load(run_dir: Path) -> Any:
    from diagnostics.reader import load

    result = load(run_dir)
    if not result.runs:
        raise RuntimeError(f"could not read {run_dir}: {result.errors}")
    return result.runs[0]


def _with(attempt: Attempt, **changes: Any) -> Attempt:
    return Attempt(**{**asdict(attempt), **changes})


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m trainers repair",
        description="Try a problem's remedies, one re-run each, until it clears.")
    p.add_argument("parent")
    p.add_argument("--rule", help="the problem to repair (default: the report's fix-first)")
    p.add_argument("--budget", type=int, default=4, help="most remedies to train (default 4)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per verdict (default 1)")
    p.add_argument("--out", help="where child runs go (default: next to the parent)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)

    def show(a: Attempt) -> None:
        print(f"{a.remedy_id}: {a.reason.get('en', a.verdict)}", file=sys.stderr)

    # cancel() sends SIGTERM: as SystemExit, repair.json and the child's status.json record it.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        attempts = auto_repair(args.parent, args.rule, budget=args.budget, seeds=args.seeds,
                               out=args.out, on_attempt=show)
    except (RerunError, ValueError, KeyError) as e:
        print(str(e) if isinstance(e, RerunError) else f"error: {e}", file=sys.stderr)
        return 2
    if not attempts:
        print(f"nothing to repair: {args.parent} does not show "
              f"{args.rule or 'any problem'}", file=sys.stderr)
        return 0
    last = attempts[-1]
    print(last.children[0] if last.success and last.children else "not repaired")
    return 0 if last.success else 1


if __name__ == "__main__":
    sys.exit(main())
