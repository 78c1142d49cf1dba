"""Score the quality grid's outcomes per rule (precision, recall, F1, healthy false alarms) and
format them as Markdown tables and failure lists."""
from __future__ import annotations

from benchmarks.quality_grid import RULE_IDS
from benchmarks.quality_views import Outcome


def score(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for rule in RULE_IDS:
        tp = fn = fp = na = 0
        for o in outcomes:
            fired = rule in o.fired
            if rule in o.cell.must:
                if fired:
                    tp += 1
                elif rule in o.not_assessed:
                    na += 1
                    fn += 1
                else:
                    fn += 1
            elif rule in o.cell.must_not and fired:
                fp += 1
        p = tp / (tp + fp) if tp + fp else float("nan")
        r = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * p * r / (p + r) if tp else 0.0
        table[rule] = dict(tp=tp, fp=fp, fn=fn, na=na, precision=p, recall=r, f1=f1)
    healthy = [o for o in outcomes if o.cell.problem == "healthy"]
    alarms = sum(1 for o in healthy if o.fired)
    table["_healthy"] = dict(runs=len(healthy), alarms=alarms,
                             rate=alarms / len(healthy) if healthy else float("nan"))
    return table


def unassessable(t: dict[str, float]) -> bool:
    """The rule could assess none of its must runs in this view (e.g. no per-layer data)."""
    return bool(t["na"]) and t["na"] == t["fn"] and not t["tp"]


def grouped_failures(outcomes: list[Outcome]) -> list[str]:
    """Misses and false alarms grouped per cell and rule, with the seeds and, per seed, the
    finding's message (false alarms) or what the run did (misses). Misses where the rule
    could not assess the run (the view lacks its data) are left out."""
    groups: dict[tuple[str, str, str], list[Outcome]] = {}
    for o in outcomes:
        for r in o.cell.must:
            if r not in o.fired and r not in o.not_assessed:
                groups.setdefault((o.cell.name, "missed", r), []).append(o)
        for r in o.fired:
            if r in o.cell.must_not:
                groups.setdefault((o.cell.name, "false", r), []).append(o)
    lines = []
    for (name, kind, rule), items in groups.items():
        seeds = ",".join(str(o.seed) for o in items)
        head = f"{name} seeds {seeds}: {'missed' if kind == 'missed' else 'false'} {rule}"
        lines.append(head)
        for o in items:
            detail = o.fired[rule] if kind == "false" else o.stats
            if kind == "false":
                detail += f" [{o.stats}]"
            lines.append(f"    s{o.seed}: {detail}")
    return lines


def format_table(table: dict[str, dict[str, float]], title: str) -> str:
    rows = [f"### {title}", "", "| rule | TP | FP | FN | not assessed | precision | recall | F1 |",
            "|---|---|---|---|---|---|---|---|"]
    for rule in RULE_IDS:
        t = table[rule]
        if unassessable(t):  # nothing it could assess
            rows.append(f"| {rule} | – | – | – | {t['na']} | n/a | n/a | n/a |")
            continue
        rows.append(f"| {rule} | {t['tp']} | {t['fp']} | {t['fn']} | {t['na']} | "
                    f"{t['precision']:.2f} | {t['recall']:.2f} | {t['f1']:.2f} |")
    h = table["_healthy"]
    rows += ["", f"Healthy runs with any finding: {h['alarms']}/{h['runs']} "
                 f"({100 * h['rate']:.1f} %)"]
    return "\n".join(rows)


def format_summary(tables: dict[str, dict[str, dict[str, float]]]) -> str:
    """F1 per rule (rows) and view (columns), then the healthy false-alarm rate."""
    views = list(tables)
    short = {"all": "ours: all", "histograms": "ours: hist.", "curves": "ours: curves"}
    rows = ["| rule | " + " | ".join(short.get(v, v) for v in views) + " |",
            "|---|" + "---|" * len(views)]
    for rule in RULE_IDS:
        cells = []
        for v in views:
            t = tables[v][rule]
            empty = not (t["tp"] or t["fn"] or t["fp"])  # nothing to score in this subset
            cells.append("n/a" if unassessable(t) else "–" if empty else f"{t['f1']:.2f}")
        rows.append(f"| {rule} | " + " | ".join(cells) + " |")
    alarms = []
    for v in views:
        h = tables[v]["_healthy"]
        alarms.append(f"{h['alarms']}/{h['runs']} ({100 * h['rate']:.1f} %)")
    rows.append("| healthy runs with a finding | " + " | ".join(alarms) + " |")
    return "\n".join(rows)
