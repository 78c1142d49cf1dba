"""Files of a runs root that the trainer and auto-repair write: new run folders and JSON."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from trainers.confine import atomic_write
from trainers.confine import read_json as _read_confined_json


def reserve_run_dir(root: str | os.PathLike[str], name: str) -> Path:
    """A new, empty run folder `<root>/<name>` (or `<name>-2`, ...): mkdir is atomic, so two
    sessions asking for the same name at once still get different folders."""
    Path(root).mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        path = Path(root) / (name if n == 1 else f"{name}-{n}")
        try:
            path.mkdir()
            return path.resolve()
        except FileExistsError:
            continue
    raise RuntimeError(f"no free run folder name for {name!r} under {root}")


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, json.dumps(data, indent=1))


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a regular file (no symlink followed), None for anything else."""
    return _read_confined_json(path)
