"""Auto-repair: try a problem's remedies in the documents' order until one FIXES it.

Fixed means a better model: the finding gone on every child seed AND the outcome (best val
loss, or the run's validation metric; `diagnostics.compare.judge`) better beyond the seed
spread. A remedy that only contains the problem (early stopping that stops before the harm, the
same best val loss) does not end the search; if nothing within the budget fixes it, the repair
ends at the remedy that made the model best (`repair_record.ends_at`).

Each remedy with a config change becomes one child run of the parent per seed. A child that
already exists with exactly that config (an earlier "apply and re-run", an earlier repair) is
reused, not trained again. A remedy that would not change the parent's config is skipped
without spending budget. With seeds > 1 the parent is re-trained at the extra seeds too (or
its existing replicas reused), so both sides of every verdict have a measured spread.

`parallel=N` trains the next N remedies x all seeds side by side through the executor
(`trainers.executor`: local runs them one after another, Ray side by side), then judges them
in the documents' order. Progress is on disk after every training:
`<out>/.repairs/<parent>.<rule>/repair.json` (`trainers.repair_record`).

    python -m trainers repair PARENT_RUN [--rule ID] [--budget 4] [--seeds 1] [--parallel 1]
                              [--executor local|ray] [--out DIR]
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from diagnostics.verdict_text import render_all
from trainers.executor import EXECUTORS, Executor, TrainSpec, get_executor
from trainers.jobs import Job, JobQueue, RepairTask, write_json
from trainers.repair_record import Attempt, NotJudged, ends_at, read_repair, record_dir  # noqa: F401 - the repair's public names live here too
from trainers.rerun import RerunError, RerunPlan, parent_config, plan_rerun

SKIPPED, FAILED = NotJudged.SKIPPED, NotJudged.FAILED
# The one place an auto-repair's defaults live (the CLI, the job and the UI take them from here):
# remedies judged at most, seeds per tried remedy, children trained at once.
BUDGET, SEEDS, PARALLEL = 4, 1, 1


def auto_repair(parent_run_dir: str | os.PathLike[str], rule_id: str | None = None, *,
                budget: int = BUDGET, seeds: int = SEEDS, parallel: int = PARALLEL,
                out: str | os.PathLike[str] | None = None, executor: Executor | None = None,
                on_attempt: Callable[[Attempt], None] | None = None) -> list[Attempt]:
    """Try the remedies of `rule_id` (default: the report's fix-first problem) on the parent.

    budget: at most this many remedies are judged (skipped no-ops do not count); seeds: child
    runs per remedy (and parent runs to compare against); parallel: remedies trained side by
    side. Returns the attempts in order ([] when the parent does not show the problem); the
    repair's end is `ends_at(attempts)`. Raises RerunError for a run we cannot re-run.
    """
    if budget < 1 or seeds < 1 or parallel < 1:
        raise ValueError("auto_repair: budget, seeds and parallel must be >= 1")
    search = _Search(Path(parent_run_dir).resolve(), rule_id, budget, seeds, parallel,
                     out, executor or get_executor())
    return search.run(on_attempt)


class _Search:
    """One repair: its parent, its record on disk, and the remedies still to try."""

    def __init__(self, parent: Path, rule_id: str | None, budget: int, seeds: int,
                 parallel: int, out: str | os.PathLike[str] | None, executor: Executor) -> None:
        from diagnostics.engine import diagnose
        from diagnostics.remedies import all_rule_ids, remedies_for

        self.parent, self.base = parent, parent_config(parent)
        self.out = Path(out).resolve() if out is not None else parent.parent
        self.parent_run = _load(parent)
        self.report = diagnose(self.parent_run)
        found = [f.rule_id for f in self.report.findings]
        if rule_id is not None and rule_id not in all_rule_ids():
            raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(all_rule_ids())}")
        self.rule_id = rule_id or (found[0] if found else "none")
        self.found = found
        self.seeds = [self.base.seed + i for i in range(seeds)]
        self.candidates = ([r for r in remedies_for(self.rule_id) if r.change is not None]
                           if self.rule_id in found else [])
        self.budget, self.parallel, self.executor = budget, parallel, executor
        live = sum(not plan_rerun(parent, r.change, out=self.out).is_noop for r in self.candidates)
        self.state: dict[str, Any] = {
            "state": "running", "parent": str(parent), "rule_id": self.rule_id, "budget": budget,
            "seeds": self.seeds, "parallel": parallel, "executor": executor.name, "step": 0,
            "total_steps": seeds - 1 + seeds * min(budget, live), "current": None,
            "replicas": [], "attempts": [], "parent_findings": found, "reused": 0,
            "started": time.time(), "finished": None, "success": None, "ends_at": None}
        self.folder = record_dir(parent, self.rule_id, self.out)
        self.folder.mkdir(parents=True, exist_ok=True)

    def save(self) -> None:
        write_json(self.folder / "repair.json", self.state)

    def run(self, on_attempt: Callable[[Attempt], None] | None) -> list[Attempt]:
        attempts: list[Attempt] = []
        try:
            if self.rule_id not in self.found:  # the parent does not show it: nothing to do
                self.state.update(state="done", total_steps=0, finished=time.time())
                return []
            parents = None
            todo = list(self.candidates)
            judged = 0
            while todo and judged < self.budget and not any(a.success for a in attempts):
                batch: list[tuple[Any, RerunPlan]] = []
                while todo and len(batch) < self.parallel and judged + len(batch) < self.budget:
                    remedy = todo.pop(0)
                    plan = plan_rerun(self.parent, remedy.change, remedy_id=remedy.id, out=self.out)
                    if plan.is_noop:
                        attempts.append(self._record(_skipped(remedy, plan), on_attempt))
                    else:
                        batch.append((remedy, plan))
                if not batch:
                    continue
                parents, new = self._train_batch(batch, parents)
                judged += len(batch)
                for attempt in new:
                    attempts.append(self._record(attempt, on_attempt))
            at = ends_at(attempts)
            self.state.update(state="done", current=None, finished=time.time(), ends_at=at,
                              success=bool(at is not None and attempts[at].success))
            return attempts
        except BaseException as e:
            self.state.update(state="failed", finished=time.time(),
                              error=f"{type(e).__name__}: {e}")
            raise
        finally:
            self.save()

    def _record(self, attempt: Attempt, on_attempt: Callable[[Attempt], None] | None) -> Attempt:
        self.state["attempts"].append(attempt.to_dict())
        self.save()
        if on_attempt is not None:
            on_attempt(attempt)
        return attempt

    def _child(self, change: dict[str, Any] | None, seed: int, remedy_id: str | None,
               specs: list[TrainSpec]) -> tuple[Path, bool]:
        """The child folder for this change at this seed: an existing one (reused), or a new
        one whose training is added to `specs`."""
        plan = plan_rerun(self.parent, change, remedy_id=remedy_id,
                          seed=None if seed == self.base.seed else seed, out=self.out)
        found = plan.existing()
        if found is not None:
            self.state["reused"] += 1
            self.state["total_steps"] = max(self.state["total_steps"] - 1, self.state["step"])
            return found, True
        child = plan.create_child()
        specs.append(TrainSpec(plan.config, child))
        return child, False

    def _train_batch(self, batch: list[tuple[Any, RerunPlan]],
                     parents: list[Any] | None) -> tuple[list[Any], list[Attempt]]:
        """Train (or reuse) the parent's replicas once and each remedy of `batch` at every seed,
        side by side through the executor; then judge each remedy, in order."""
        specs: list[TrainSpec] = []
        replicas = []
        if parents is None:
            for seed in self.seeds[1:]:  # the parent's config at the other seeds: its spread
                replicas.append(self._child(None, seed, None, specs)[0])
            self.state["replicas"] = [str(r) for r in replicas]
        kids: list[tuple[list[Path], int]] = []
        for remedy, _ in batch:
            made = [self._child(dict(remedy.change), s, remedy.id, specs) for s in self.seeds]
            kids.append(([p for p, _ in made], sum(reused for _, reused in made)))
        training = [str(s.run_dir) for s in specs]
        self.state.update(current=training[0] if training else None, training=training)
        self.save()

        def done(outcome: Any) -> None:
            self.state["step"] += 1
            if str(outcome.run_dir) in training:
                training.remove(str(outcome.run_dir))
            self.state.update(current=training[0] if training else None, training=training)
            self.save()

        outcomes = {o.run_dir: o for o in self.executor.run(specs, on_done=done)}
        self.state.update(current=None, training=[])
        if parents is None:
            parents = [self.parent_run, *(_load(r) for r in replicas)]
        return parents, [self._judge(remedy, plan, children, reused, parents, outcomes)
                         for (remedy, plan), (children, reused) in zip(batch, kids)]

    def _judge(self, remedy: Any, plan: RerunPlan, children: list[Path], reused: int,
               parents: list[Any], outcomes: dict[Path, Any]) -> Attempt:
        from diagnostics.compare import judge

        attempt = Attempt(remedy_id=remedy.id, action=remedy.action, change=dict(remedy.change),
                          resolved_change=plan.resolved_change,
                          children=tuple(map(str, children)), reused=reused)
        broken = [o for c in children if (o := outcomes.get(c)) is not None and o.error]
        try:
            if broken:
                raise RuntimeError(broken[0].error)
            cmp = judge(parents, [_load(c) for c in children], self.rule_id,
                        reports={id(self.parent_run): self.report})
        except Exception as e:  # one broken attempt must not end the whole repair
            params = {"error": f"{type(e).__name__}: {e}"[:300]}
            return replace(attempt, verdict=FAILED, reason_key="failed", reason_params=params,
                           reason=render_all("failed", params))
        return replace(attempt, findings_after=tuple(s.findings for s in cmp.child),
                       verdict=str(cmp.verdict), reason_key=cmp.reason_key,
                       reason_params=dict(cmp.reason_params), reason=cmp.reason,
                       comparison=cmp.to_dict())


def _skipped(remedy: Any, plan: RerunPlan) -> Attempt:
    return Attempt(remedy_id=remedy.id, action=remedy.action, change=dict(remedy.change),
                   resolved_change=plan.resolved_change, verdict=SKIPPED, reason_key="skipped",
                   reason=render_all("skipped", {}))


def submit_repair(queue: JobQueue, parent: str | os.PathLike[str], rule_id: str, *,
                  budget: int = BUDGET, seeds: int = SEEDS, parallel: int = PARALLEL) -> Job:
    """Run auto_repair as a background job; its children go under the queue's root.

    The rule must be named here (the UI has the report), so the record folder, and with it the
    job's progress file, is known before the job starts. The parent must lie inside the
    queue's root or the bundled samples (ValueError otherwise): the job's entry is checked
    like any other before it runs. The job's trainings go through the executor its process is
    given (RUN_DOCTOR_EXECUTOR), `parallel` remedies side by side.
    """
    parent_config(parent)  # fail here, in the UI, for a run we cannot re-run
    task = RepairTask(parent=str(Path(parent).resolve()), rule=rule_id, budget=budget,
                      seeds=seeds, parallel=parallel)
    at_once = f" ({parallel} remedies × {seeds} seeds at once)" if parallel > 1 else ""
    return queue.submit("repair", run_dir=record_dir(parent, rule_id, queue.root), repair=task,
                        label=f"auto-repair {Path(parent).name}: {rule_id}{at_once}")


def _load(run_dir: Path) -> Any:
    from diagnostics.reader import load

    result = load(run_dir)
    if not result.runs:
        raise RuntimeError(f"could not read {run_dir}: {result.errors}")
    return result.runs[0]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m trainers repair",
        description="Try a problem's remedies, one re-run each, until one fixes it.")
    p.add_argument("parent")
    p.add_argument("--rule", help="the problem to repair (default: the report's fix-first)")
    p.add_argument("--budget", type=int, default=BUDGET, help=f"most remedies to judge (default {BUDGET})")
    p.add_argument("--seeds", type=int, default=SEEDS, help=f"seeds per verdict (default {SEEDS})")
    p.add_argument("--parallel", type=int, default=PARALLEL,
                   help=f"remedies trained side by side, each at every seed (default {PARALLEL}); "
                        "--parallel 3 --seeds 3 tries the first 3 remedies x 3 seeds at once")
    p.add_argument("--executor", choices=EXECUTORS,
                   help="where trainings run (default: $RUN_DOCTOR_EXECUTOR, else local)")
    p.add_argument("--out", help="where child runs go (default: next to the parent)")
    p.add_argument("--json", action="store_true", help="print the attempts as JSON")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)

    def show(a: Attempt) -> None:
        print(f"{a.remedy_id}: {a.reason.get('en', a.verdict)}", file=sys.stderr)

    try:
        executor = get_executor(args.executor)
        if executor.name == "ray":
            executor.connect()  # ray.init replaces the SIGTERM handler: ours goes after it
        # cancel() sends SIGTERM: as SystemExit, repair.json and the child's status.json say so.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        attempts = auto_repair(args.parent, args.rule, budget=args.budget, seeds=args.seeds,
                               parallel=args.parallel, out=args.out, executor=executor,
                               on_attempt=show)
    except (RerunError, ValueError, KeyError) as e:
        print(str(e) if isinstance(e, RerunError) else f"error: {e}", file=sys.stderr)
        return 2
    if not attempts:
        print(f"nothing to repair: {args.parent} does not show "
              f"{args.rule or 'any problem'}", file=sys.stderr)
        return 0
    from trainers.repair_table import as_json, as_text

    at = ends_at(attempts)
    print(as_json(attempts, at) if args.json else as_text(attempts, at), file=sys.stderr
          if not args.json else sys.stdout)
    if not args.json:
        print(attempts[at].children[0] if at is not None and attempts[at].success
              else "not fixed")
    return 0 if at is not None and attempts[at].success else 1


if __name__ == "__main__":
    from trainers.quick_exit import exit_quickly

    exit_quickly(main())
