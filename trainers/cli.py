"""`python -m trainers`: train one run (a scenario or a config file) into a new folder.

    python -m trainers --list-scenarios
    python -m trainers --scenario NAME --out DIR [--seed N] [--set key=value ...]
    python -m trainers --config FILE.json --out DIR [--seed N] [--set key=value ...]
    python -m trainers rerun PARENT_RUN_DIR --change key=value [--out DIR]
    python -m trainers repair PARENT_RUN_DIR [--rule ID] [--budget N] [--seeds N]

The run folder is printed as the LAST line of stdout; the progress bar goes to stderr.
Bad arguments give a one-line error on stderr and exit code 2: paths are checked before any
training starts (--config must be a regular file of at most 1 MiB, --out a folder or a path one
can be made at), and every number in the config is bounded (`config.MAX`).
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import NoReturn

from diagnostics.messages import Msg

from .config import ConfigError, TrainConfig, apply_change, parse_set
from .scenarios import DESCRIPTIONS, SCENARIOS, scenario_config

MAX_CONFIG_BYTES = 1024 * 1024


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> _Parser:
    p = _Parser(prog="python -m trainers", description="Train one run of the built-in trainer.")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--list-scenarios", action="store_true", help="list scenarios and exit")
    what.add_argument("--scenario", metavar="NAME", help="train a named scenario")
    what.add_argument("--config", metavar="FILE.json", help="train from a config file")
    p.add_argument("--out", metavar="DIR", help="parent folder; the run gets a NEW folder in it")
    p.add_argument("--seed", type=int, help="override the seed")
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="override config fields (x0.1 multiplies, +1 adds)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Sub-commands dispatch on argv[0]; everything else is the flag-style training command.
    if argv[:1] == ["rerun"]:
        from .rerun import main as rerun_main

        return rerun_main(argv[1:])
    if argv[:1] == ["repair"]:
        from .repair import main as repair_main

        return repair_main(argv[1:])
    return _train_command(argv)


def _train_command(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list_scenarios:
        for name in SCENARIOS:
            print(f"{name}\t{DESCRIPTIONS[name]}")
        return 0
    if not args.out:
        parser.error("--out DIR is required to train")
    try:
        config, name = _config(args)
        _check_out(args.out)
    except ConfigError as e:
        parser.error(str(e))
    from .loop import train  # imported late: listing and bad arguments answer without torch

    try:
        result = train(config, args.out, progress=not args.no_progress, run_name=name)
    except ConfigError as e:  # settings only checkable against the data or the machine
        parser.error(str(e))
    print(f"{result.state}: {result.run_dir}", file=sys.stderr)
    print(result.run_dir)
    return 0


def _config(args: argparse.Namespace) -> tuple[TrainConfig, str]:
    if args.scenario:
        config, name = scenario_config(args.scenario), args.scenario
    else:
        path = Path(args.config)
        config, name = TrainConfig.from_json(_read_config(path)), path.stem
    if args.seed is not None:
        config = apply_change(config, {"seed": args.seed})
    return apply_change(config, parse_set(args.set)), name


def _read_config(path: Path) -> str:
    """The text of a --config file: a regular file (not a FIFO or /dev/zero), at most 1 MiB, UTF-8."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat on the open file decides.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise ConfigError(Msg("trainer.config_unreadable", path=str(path), why=str(e.strerror or e))) from None
    try:  # a folder opens too, but os.fdopen refuses it: fstat first
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(Msg("trainer.config_not_regular", path=str(path)))
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(Msg("trainer.config_too_large", path=str(path), n=MAX_CONFIG_BYTES))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(Msg("trainer.config_not_utf8", path=str(path))) from None


def _check_out(out: str) -> None:
    """--out must be a folder one can write into, or a path where one can be made (nothing is
    made here: a config that fails later leaves no trace)."""
    path = Path(out).absolute()
    existing = next((p for p in (path, *path.parents) if p.exists() or p.is_symlink()), None)
    if existing is None or existing.is_symlink() and not existing.exists():
        raise ConfigError(Msg("trainer.out_broken_link", out=out, link=str(existing)))
    if not existing.is_dir():
        raise ConfigError(Msg("trainer.out_not_folder", out=out) if existing == path
                          else Msg("trainer.out_under_file", out=out, existing=str(existing)))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(Msg("trainer.out_not_writable", existing=str(existing)))
