"""How well does the doctor read other people's real logs? Score it against an engineer's labels.

    python -m benchmarks.real_logs                       # ../shared/reallabelled, a table
    python -m benchmarks.real_logs DIR --json            # any folder laid out the same way

DIR holds one folder per labelled log and a `LABELS.json`: for each folder, `must` (the
diagnosis has to report it), `allowed` (it may), `must_not` (reporting it is wrong). A folder is
read as a user would point the app at it (`reader.load`), every run in it is diagnosed, and the
folder's findings are the union over its runs (the labels judge the folder, however many runs
it turns out to hold). Printed per folder: runs found, expected vs found, then the totals:
recall of `must`, `must_not` hits, and other extra findings (neither must nor allowed).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from diagnostics.engine import diagnose
from diagnostics.reader import ReaderError, load

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "reallabelled"


@dataclass
class FolderScore:
    folder: str
    runs: int
    must: tuple[str, ...]
    allowed: tuple[str, ...]
    must_not: tuple[str, ...]
    found: tuple[str, ...]
    error: str = ""
    missed: tuple[str, ...] = field(init=False)
    wrong: tuple[str, ...] = field(init=False)
    extra: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.missed = tuple(r for r in self.must if r not in self.found)
        self.wrong = tuple(r for r in self.found if r in self.must_not)
        self.extra = tuple(r for r in self.found
                           if r not in self.must + self.allowed + self.must_not)


def labels(root: Path) -> dict[str, dict]:
    data = json.loads((root / "LABELS.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def findings_of(folder: Path) -> tuple[int, tuple[str, ...], str]:
    """(runs read, rule ids found in any of them, error) for one labelled folder."""
    try:
        result = load(folder)
    except (ReaderError, OSError) as err:
        return 0, (), str(err)
    found: list[str] = []
    for run in result.runs:
        for f in diagnose(run).findings:
            if f.rule_id not in found:
                found.append(f.rule_id)
    return len(result.runs), tuple(found), ""


def score(root: Path = DEFAULT_DIR) -> list[FolderScore]:
    out = []
    for name, label in sorted(labels(root).items()):
        runs, found, error = findings_of(root / name)
        out.append(FolderScore(name, runs, tuple(label.get("must", ())),
                               tuple(label.get("allowed", ())), tuple(label.get("must_not", ())),
                               found, error))
    return out


def totals(scores: list[FolderScore]) -> dict[str, float | int]:
    must = sum(len(s.must) for s in scores)
    hit = must - sum(len(s.missed) for s in scores)
    return {"folders": len(scores), "must": must, "must_found": hit,
            "recall": round(hit / must, 3) if must else 1.0,
            "must_not_hits": sum(len(s.wrong) for s in scores),
            "other_extra": sum(len(s.extra) for s in scores)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.real_logs", description=__doc__.split("\n")[0])
    p.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not (args.dir / "LABELS.json").is_file():
        print(f"error: {args.dir}: no LABELS.json", file=sys.stderr)
        return 2
    scores = score(args.dir)
    if args.json:
        print(json.dumps({"folders": [s.__dict__ for s in scores], "totals": totals(scores)},
                         indent=1))
        return 0
    print("| folder | runs | must | found | missed | must_not hit | extra |")
    print("|---|---|---|---|---|---|---|")
    for s in scores:
        show = lambda xs: ", ".join(xs) or "–"  # noqa: E731
        print(f"| {s.folder[:40]} | {s.runs} | {show(s.must)} | {show(s.found)} | "
              f"{show(s.missed)} | {show(s.wrong)} | {show(s.extra)} |")
    t = totals(scores)
    print(f"\nrecall of must {t['must_found']}/{t['must']} = {t['recall']:.2f}; "
          f"must_not hits {t['must_not_hits']}; other extra findings {t['other_extra']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
