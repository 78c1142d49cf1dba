"""The built-in trainer: small, instrumented training runs that write the canonical tags.

- `config`    TrainConfig, validation, JSON round-trip, `apply_change` for one-change re-runs
- `data`      offline datasets (digits, moons, circles, blobs) with a fixed split
- `models`    MLP / small CNN with stable layer names (`fc1`, `act1`, `out`, `conv1`)
- `hooks`     `instrument(model, writer)`: the instruments, usable on any nn.Module
- `loop`      `train(config, out_dir)`: one run into a new folder
- `scenarios` named configs that provoke one training problem each
- `cli`       `python -m trainers ...`
- `rerun`, `lineage`, `family`  one-change re-runs, where they came from, the runs under a root
              as typed `RunNode`s with their seed groups
- `repair`    auto-repair until a remedy FIXES the problem (`repair_record`: its attempts and
              repair.json; `repair_table`: what each remedy did to the outcome);
              `rerun_verdict`: one re-run judged against its parent (`diagnostics.compare.judge`)
- `executor`  where trainings run: local (default) or Ray (`RUN_DOCTOR_EXECUTOR=ray`)
- `run_state` the typed states of runs and jobs (`RunState`)
- `jobs`      the background queue of a runs root (`JobQueue`); its parts: `job_record` (an
              entry), `job_entry` (its checks), `job_registry` (files, lock, slots, quarantine),
              `job_process`, `job_runner` (a job's process), `job_watch`, `train_job`; `run_files`
              (new run folders, JSON) and `run_status` (a run's state for display)
- `confine`   reads and writes kept inside a runs root that someone else may have written to

Nothing is imported here, so `import trainers.config` stays cheap (no torch).
"""
