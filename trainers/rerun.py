"""Incremental re-runs: a child run is its parent's config.json plus ONE change from a remedy.

Document 000 (整体流程 item 5) asks for incremental changes, one at a time, so a re-run changes
one config key; two only where the remedy catalogue couples them (He init with ReLU, Adam with
its own lr). Relative values ("×0.1", "+1") resolve against the parent (`apply_change`). The
child's folder is chosen and its `lineage.json` written BEFORE it trains, so a killed child
still says where it came from.

    python -m trainers rerun PARENT_RUN --change lr=×0.1 [--remedy ID] [--out DIR] [--seed N]
                             [--wait | --background]

Default: train here with a progress bar; `--background` queues a job under --out and returns at
once; `--wait` queues it and waits (it then respects the queue's max_parallel). The child's run
folder is the last line on stdout.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from diagnostics.messages import Msg, as_msg
from trainers.config import ConfigError, TrainConfig, apply_change, parse_set
from trainers.jobs import CANCELLED, FAILED, USABLE, Job, JobQueue, reserve_run_dir, run_state, train_into
from trainers.lineage import write_lineage


class RerunError(ValueError):
    """Why a re-run cannot be made; the message is one line for the user (a `Msg`: `str(e)` is
    the English, `diagnostics.messages.render(e, lang)` any wording)."""


def can_rerun(run_dir: str | os.PathLike[str]) -> tuple[bool, str]:
    """(True, "") for a run our trainer made; else (False, one-line reason). The reason is
    English, as the CLI prints it, and a message with a key: the Chinese UI words it through
    `diagnostics.messages.render`."""
    try:
        parent_config(run_dir)
    except RerunError as e:
        return False, as_msg(e) or str(e)
    return True, ""


def parent_config(run_dir: str | os.PathLike[str]) -> TrainConfig:
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise RerunError(Msg("rerun.no_config", dir=str(run_dir)))
    try:
        return TrainConfig.from_json(path.read_text(encoding="utf-8"))
    except ConfigError as e:
        raise RerunError(Msg("rerun.not_our_config", dir=str(run_dir), why=as_msg(e) or str(e))) from None


@dataclass(frozen=True)
class RerunPlan:
    """Everything about a child run that is decided before it trains."""

    parent: Path
    config: TrainConfig  # the child's full config
    change: dict[str, Any]  # as asked, e.g. {"lr": "×0.1"}
    resolved_change: dict[str, Any]  # absolute values, e.g. {"lr": 0.01}
    remedy_id: str | None
    rule_id: str | None
    seed: int | None  # a seed override (a replica for seed noise), None = the parent's seed
    out: Path  # the folder the child is created in

    @property
    def is_noop(self) -> bool:
        """The child would train exactly the parent's config (e.g. more_data when all data
        is already used): no point spending a run on it."""
        return self.config == parent_config(self.parent)

    @property
    def name(self) -> str:
        """`<parent>+lr=0.01` (+`seed=1`): readable in a folder listing and in TensorBoard."""
        parts = [f"{k}={_short(v)}" for k, v in self.resolved_change.items()]
        if self.seed is not None and "seed" not in self.resolved_change:
            parts.append(f"seed={self.seed}")
        suffix = "+".join(parts) or "copy"
        return f"{self.parent.name[:80]}+{suffix}".replace("/", "_")

    def existing(self) -> Path | None:
        """A finished child of the same parent under `out` that trained exactly this config
        (the same change at the same seed, however it was asked): reused, not trained again."""
        from trainers.confine import read_bytes
        from trainers.lineage import read_lineage, resolve_parent

        prefix = f"{self.parent.name[:80]}+".replace("/", "_")
        try:
            folders = sorted(p for p in self.out.iterdir() if p.name.startswith(prefix))
        except OSError:
            return None
        for folder in folders:
            record = read_lineage(folder) if folder.is_dir() and not folder.is_symlink() else None
            if record is None or run_state(folder) not in USABLE:
                continue
            try:
                if resolve_parent(folder, record) != self.parent:
                    continue
                data = read_bytes(folder / "config.json")
                if data is not None and TrainConfig.from_json(data.decode("utf-8")) == self.config:
                    return folder.resolve()
            except (OSError, ValueError, ConfigError):
                continue
        return None

    def create_child(self) -> Path:
        """Reserve the child's folder and write its lineage.json (before any training)."""
        child = reserve_run_dir(self.out, self.name)
        write_lineage(child, parent=self.parent, change=self.change,
                      resolved_change=self.resolved_change, remedy_id=self.remedy_id,
                      rule_id=self.rule_id, seed=self.seed)
        return child


def plan_rerun(parent: str | os.PathLike[str], change: Mapping[str, Any] | None = None, *,
               remedy_id: str | None = None, seed: int | None = None,
               out: str | os.PathLike[str] | None = None) -> RerunPlan:
    """The child's config: the parent's plus `change` (or the remedy's own change).

    Raises RerunError for a parent we cannot re-run, ConfigError for a bad change.
    """
    parent = Path(parent).resolve()
    base = parent_config(parent)
    change, remedy_id = _one_change(dict(change or {}), remedy_id)
    child = apply_change(base, change)
    if seed is not None:
        child = replace(child, seed=seed)
    resolved = {k: getattr(child, k) for k in change}
    rule_id = remedy_id.partition(".")[0] if remedy_id else None
    return RerunPlan(parent=parent, config=child, change=change, resolved_change=resolved,
                     remedy_id=remedy_id, rule_id=rule_id, seed=seed,
                     out=Path(out).resolve() if out is not None else parent.parent)


def rerun(parent: str | os.PathLike[str], change: Mapping[str, Any] | None = None, *,
          remedy_id: str | None = None, seed: int | None = None,
          out: str | os.PathLike[str] | None = None, progress: bool = True) -> Any:
    """Train the child in this process; returns the trainer's TrainResult (`.run_dir`, ...)."""
    plan = plan_rerun(parent, change, remedy_id=remedy_id, seed=seed, out=out)
    return train_into(plan.config, plan.create_child(), progress=progress)


def submit_rerun(queue: JobQueue, parent: str | os.PathLike[str],
                 change: Mapping[str, Any] | None = None, *, remedy_id: str | None = None,
                 seed: int | None = None) -> Job:
    """Queue the child as a background job in `queue` (its root is the child's folder)."""
    plan = plan_rerun(parent, change, remedy_id=remedy_id, seed=seed, out=queue.root)
    label = f"re-run {plan.parent.name}: " + ", ".join(
        f"{k}={_short(v)}" for k, v in plan.resolved_change.items())
    return queue.submit_train(plan.config, run_dir=plan.create_child(), label=label,
                              kind="rerun")


def _one_change(change: dict[str, Any], remedy_id: str | None) -> tuple[dict[str, Any], str | None]:
    """One key per re-run; two only when a remedy of the catalogue couples exactly those keys."""
    from diagnostics.remedies import all_rule_ids, find_remedy, remedies_for

    if remedy_id is not None:
        try:
            remedy = find_remedy(remedy_id)
        except KeyError:
            raise ConfigError(Msg("rerun.unknown_remedy", id=repr(remedy_id))) from None
        if remedy.change is None:
            raise ConfigError(Msg("rerun.advice_only", id=remedy_id))
        if not change:
            return dict(remedy.change), remedy_id
        if set(change) != set(remedy.change):
            raise ConfigError(Msg("rerun.keys_mismatch", keys=str(sorted(change)), id=remedy_id,
                                  own=str(sorted(remedy.change))))
        return change, remedy_id
    if len(change) <= 1:
        return change, None
    for rule in all_rule_ids():
        for remedy in remedies_for(rule):
            if remedy.change is not None and set(remedy.change) == set(change):
                return change, remedy.id
    raise ConfigError(Msg("rerun.one_change", keys=", ".join(sorted(change))))


def _short(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---- command line ---------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m trainers rerun",
        description="Re-run a run made by Run Doctor's trainer with ONE change from a remedy.")
    p.add_argument("parent", help="the parent run folder (must hold our config.json)")
    p.add_argument("--change", action="append", default=[], metavar="KEY=VALUE",
                   help="the change, e.g. lr=×0.1, dropout=0.3 (once; twice only for a remedy "
                        "that couples two keys)")
    p.add_argument("--remedy", metavar="ID", help="a remedy id, e.g. lr_oscillation.lower_lr: "
                   "its change is used when no --change is given, and it is recorded")
    p.add_argument("--out", help="where the child folder is made (default: next to the parent)")
    p.add_argument("--seed", type=int, help="train the child with this seed")
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="train the child at N seeds (the seed, then the next ones) side by side "
                        "through the executor: a verdict with a measured spread")
    p.add_argument("--executor", choices=("local", "ray"),
                   help="where the trainings run (default: $RUN_DOCTOR_EXECUTOR, else local)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--wait", action="store_true",
                      help="queue as a background job under --out and wait for it")
    mode.add_argument("--background", action="store_true",
                      help="queue as a background job under --out and return at once")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage line
        return int(e.code or 0)
    try:
        change = parse_set(args.change)
        if not change and not args.remedy and args.seed is None:
            raise ConfigError(Msg("rerun.nothing"))
        plan = plan_rerun(args.parent, change, remedy_id=args.remedy, seed=args.seed,
                          out=args.out)
        if plan.is_noop:
            raise ConfigError(Msg("rerun.noop"))
    except (RerunError, ConfigError) as e:
        print(f"error: {e}" if isinstance(e, ConfigError) else str(e), file=sys.stderr)
        return 2
    what = ", ".join(f"{k}: {_short(getattr(parent_config(plan.parent), k))} -> {_short(v)}"
                     for k, v in plan.resolved_change.items())
    print(f"re-run of {plan.parent}" + (f" ({what})" if what else "")
          + (f", seed {plan.seed}" if plan.seed is not None else ""), file=sys.stderr)
    if args.seeds > 1:
        return _fan_out(plan, args.seeds, args.executor)
    if args.wait or args.background:
        queue = JobQueue(plan.out)
        job = queue.submit_train(plan.config, run_dir=plan.create_child(), kind="rerun",
                                 label=f"re-run {plan.parent.name}: {what}")
        if args.background:
            print(f"queued job {job.id} ({job.state}); log: {job.log_path}", file=sys.stderr)
            print(job.run_dir)
            return 0
        job = queue.wait(job.id)
        print(f"job {job.id}: {job.state}" + (f" ({job.error})" if job.error else ""),
              file=sys.stderr)
        print(job.run_dir)
        return 1 if job.state in (FAILED, CANCELLED) else 0
    result = train_into(plan.config, plan.create_child(), progress=True)
    print(f"finished: {result.state}", file=sys.stderr)
    print(result.run_dir)
    return 0


def _fan_out(plan: RerunPlan, n: int, executor_name: str | None) -> int:
    """The child at n seeds, side by side (`trainers.executor`); a seed already trained with
    this config is reused. The children's folders are printed, one a line."""
    from trainers.executor import TrainSpec, get_executor

    first = plan.seed if plan.seed is not None else parent_config(plan.parent).seed
    children, specs = [], []
    for seed in range(first, first + n):
        one = plan_rerun(plan.parent, plan.change, remedy_id=plan.remedy_id, out=plan.out,
                         seed=None if seed == parent_config(plan.parent).seed else seed)
        child = one.existing()
        if child is None:
            child = one.create_child()
            specs.append(TrainSpec(one.config, child))
        children.append(child)
    executor = get_executor(executor_name)
    print(f"{len(specs)} to train on {executor.name}, {n - len(specs)} reused", file=sys.stderr)
    outcomes = executor.run(specs)
    for o in outcomes:
        print(f"{o.run_dir.name}: {o.state}" + (f" ({o.error})" if o.error else ""),
              file=sys.stderr)
    print("\n".join(map(str, children)))
    return 1 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    from trainers.quick_exit import exit_quickly

    exit_quickly(main())
