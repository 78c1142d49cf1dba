"""`python -m diagnostics PATH --watch`: follow runs that are still training, in a terminal.

Every `every` seconds PATH is read again (the reader's cache makes an unchanged folder cost
only `stat` calls) and each run is diagnosed again. The first pass prints the full reports;
after that only what changed: a run that appeared, a finding that appeared, changed severity
or cleared, a file newly skipped. So a long training on a remote box can be watched over SSH
without a browser. A logdir with no event files yet is waited for. Ctrl-C stops (exit 0).
"""
from __future__ import annotations

import time

from diagnostics import render
from diagnostics.engine import diagnose
from diagnostics.messages import render as words
from diagnostics.model import Report
from diagnostics.reader import load
from diagnostics.remedies import display_title


def changes(before: Report, after: Report, lang: str) -> list[str]:
    """What differs between two diagnoses of one run, one line each, in the order of diagnosis."""
    old = {f.rule_id: f for f in before.findings}
    new = {f.rule_id: f for f in after.findings}
    lines = []
    for rule_id, f in new.items():
        severity = render.label(f.severity.name.lower(), lang)
        onset = f", {render.label('from_step', lang)} {f.onset_step}" if f.onset_step is not None else ""
        if rule_id not in old:
            lines.append(f"+ {render.label('found', lang)}: {words(f.title, lang)} [{severity}{onset}] — "
                         f"{words(f.message, lang)}")
        elif old[rule_id].severity != f.severity:
            lines.append(f"~ {words(f.title, lang)}: {render.label('now', lang)} {severity}{onset}")
    unjudged = {na.rule_id: words(na.reason, lang) for na in after.not_assessed}
    for rule_id in old:
        if rule_id not in new:
            why = unjudged.get(rule_id)
            now = f"{render.label('no_longer_assessed', lang)} ({why})" if why else render.label("cleared", lang)
            lines.append(f"- {display_title(rule_id, lang)}: {now}")
    return lines


def _out(text: str) -> None:
    print(text, flush=True)  # a pipe (| tee) must see each line as it happens


def follow(path: str, lang: str = "en", every: float = 5.0) -> None:
    """Watch PATH until interrupted. ReaderError propagates: a PATH that does not exist is a
    usage error, not something to wait for."""
    reports: dict[str, Report] = {}
    problems: set[tuple[str, str]] = set()
    waiting_said = False
    while True:
        result = load(path)
        stamp = time.strftime("%H:%M:%S")
        if not result.runs and not reports and not waiting_said:
            _out(f"[{stamp}] " + render.label("waiting", lang).format(path=path))
            waiting_said = True
        later = bool(reports)  # the first reports are the starting picture, not news
        for run in result.runs:
            report = diagnose(run)
            before = reports.get(run.run)
            if before is None:
                _out((f"\n[{stamp}] {render.label('new_run', lang)}\n" if later else "") + render.text(report, lang))
            else:
                for line in changes(before, report, lang):
                    _out(f"[{stamp}] {run.run}: {line}")
            reports[run.run] = report
        for p in result.errors:
            if (p.file, p.message) not in problems:
                problems.add((p.file, p.message))
                _out(f"[{stamp}] {render.label('skipped', lang)}: {p.file}: {words(p.message, lang)}")
        time.sleep(every)
