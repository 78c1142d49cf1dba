"""`python -m diagnostics --inventory PATH`: what the reader finds, as JSON.

    {"runs": [{"run", "writer", "files", ["part",] "tags": [{"tag", "canonical", "points"}]}],
     "errors": [{"file", "message", "key", "params"}]}

"message" is the English text; "key" and "params" the same message as data (`diagnostics.messages`).

Exit 0 when at least one run was read; 2 (with a one-line reason on stderr) when nothing
readable was found.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from diagnostics.files import shown
from diagnostics.messages import Msg
from diagnostics.reader import ReaderError, load
from diagnostics.rundata import FileProblem


def inventory(path: str) -> dict[str, Any]:
    """Runs, their tags (original, canonical, points) and the problems, for PATH."""
    try:
        result = load(path)
    except ReaderError as err:
        return {"runs": [], "errors": [FileProblem(err.file, err.problem).to_dict()]}
    except OSError as err:  # the reader reports what it meets; this is a last line of defence
        problem = Msg("file.cannot_read", why=err.strerror or str(err))
        return {"runs": [], "errors": [FileProblem(shown(path), problem).to_dict()]}
    runs = []
    for run in result.runs:
        points = run.point_counts()
        runs.append({
            "run": run.run,
            "writer": run.writer,
            "files": list(run.files),
            **({"part": run.part.to_dict()} if run.part else {}),  # its folder held several runs
            "tags": [{"tag": t, "canonical": run.tag_map.get(t), "points": points.get(t, 0)}
                     for t in sorted(run.tag_map)],
        })
    return {"runs": runs, "errors": [e.to_dict() for e in result.errors]}


def main(path: str) -> int:
    report = inventory(path)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if report["runs"]:
        return 0
    errors = report["errors"]
    why = f"{errors[0]['file']}: {errors[0]['message']}" if errors else "no event files found"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    print(f"error: nothing readable in {path}: {why}{more}", file=sys.stderr)
    return 2
