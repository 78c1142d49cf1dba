"""The command line:

    python -m diagnostics PATH [--json] [--lang en|zh]    diagnose every run under PATH
    python -m diagnostics PATH --inventory                what the reader finds (JSON)
    python -m diagnostics PATH --watch [--every S]        follow runs still training (Ctrl-C stops)
    python -m diagnostics PATH --html OUT                 also write a self-contained HTML report

PATH is anything the reader accepts: a logdir, one event file, or an archive. Exit 0 when at
least one run was diagnosed; 2 with a one-line error (no traceback) on bad input.
`--fail-on warning|error` (a CI gate): exit 1 when any run has a finding at or above that
severity (error = critical; warning = warning or critical), after printing the report.
An empty PATH is refused (it would mean the current folder); --every takes 0.1 to 86,400
seconds; names that are not UTF-8 print escaped (\\xNN) whatever the terminal's encoding.
"""
from __future__ import annotations

import argparse
import sys

# Only argparse at import: `--help` and usage errors must not pay for pandas, the decoders and
# the rules (0.4 s, 110 MB); `main` imports them once there is something to diagnose.
LANGS = ("en", "zh")  # remedies.LANGS (a test keeps them equal)

USAGE = ("python -m diagnostics PATH [--json] [--lang en|zh] [--fail-on warning|error] [--html OUT] "
         "[--watch [--every S]] | PATH --inventory")
EVERY_RANGE = (0.1, 86_400.0)  # seconds between two reads of --watch


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        print(f"error: {message} (usage: {USAGE})", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m diagnostics", description="Diagnose training runs from "
                "TensorBoard event files.")
    p.add_argument("path", metavar="PATH", help="logdir, event file or archive")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--lang", choices=LANGS, default="en", help="language of the report")
    p.add_argument("--inventory", action="store_true", help="list runs and tags, then exit")
    p.add_argument("--watch", action="store_true",
                   help="keep reading PATH and print what changes (Ctrl-C stops)")
    p.add_argument("--every", type=float, default=5.0, metavar="S", help="seconds between reads (--watch)")
    p.add_argument("--fail-on", choices=tuple(FAIL_ON), metavar="warning|error",
                   help="exit 1 when a finding of this severity or worse is present (CI gate)")
    p.add_argument("--html", metavar="OUT", help="also write a self-contained HTML report with the "
                   "charts (one run: the file OUT; several: one file each in the folder OUT)")
    return p


# --fail-on: the least severe finding that fails (Severity: lower is worse; error = critical)
FAIL_ON = {"error": "CRITICAL", "critical": "CRITICAL", "warning": "WARNING", "info": "INFO"}


def _fails(reports, fail_on: str | None) -> bool:
    from diagnostics.model import Severity
    return fail_on is not None and any(f.severity <= Severity[FAIL_ON[fail_on]]
                                       for r in reports for f in r.findings)


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a name that is not UTF-8 must not end the report
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    if not args.path:
        print(f"error: PATH is empty (give a folder, an event file or an archive; usage: {USAGE})",
              file=sys.stderr)
        return 2
    if args.inventory:
        from diagnostics import inventory
        return inventory.main(args.path)
    if args.watch:
        return _watch(args)
    from diagnostics.messages import Msg, render
    from diagnostics.reader import ReaderError, load
    try:
        result = load(args.path)
    except (ReaderError, OSError) as e:
        print(f"error: {render(e, args.lang)}", file=sys.stderr)
        return 2
    if not result.runs:
        first = result.errors[0] if result.errors else None
        why = Msg("reader.refused", file=first.file, problem=first.message) if first else Msg("cli.no_event_files")
        print(f"error: {render(Msg('cli.nothing_readable', path=args.path, why=why), args.lang)}", file=sys.stderr)
        return 2
    return _report(result, args)


def _report(result, args: argparse.Namespace) -> int:
    import json

    from diagnostics import render
    from diagnostics.engine import diagnose
    reports = [diagnose(run) for run in result.runs]
    if args.html and not _write_html(result.runs, reports, args):
        return 2
    if args.json:
        print(json.dumps({"runs": [r.to_dict(args.lang) for r in reports],
                          "errors": [e.to_dict() for e in result.errors]},
                         ensure_ascii=False, indent=2))
        return 1 if _fails(reports, args.fail_on) else 0
    print("\n\n".join(render.text(r, args.lang) for r in reports))
    if result.errors:
        print(f"\n{render.file_problems(result.errors, args.lang)}")
    return 1 if _fails(reports, args.fail_on) else 0


def _write_html(runs, reports, args: argparse.Namespace) -> bool:
    """Write the HTML report(s); False (after a one-line error) when that cannot be done."""
    from pathlib import Path
    try:
        # The report draws the app's own charts: the one place the command line reaches into
        # ui/ (plotly, the chart code), and only when asked to.
        from ui import export, report_html
    except ImportError as err:
        print(f"error: --html needs the app's packages (pip install -r requirements.txt): {err}",
              file=sys.stderr)
        return False
    out = Path(args.html)
    try:
        if len(runs) == 1:
            targets = [out]
        else:
            out.mkdir(parents=True, exist_ok=True)
            stems = [export.file_stem(r.run) for r in reports]
            # two names that differ only in characters a file name cannot hold stay two files
            targets = [out / f"{stem}{f'-{i}' if stems.count(stem) > 1 else ''}.html"
                       for i, stem in enumerate(stems, start=1)]
        for run, report, target in zip(runs, reports, targets):
            target.write_text(report_html.build(run, report, args.lang), encoding="utf-8")
    except OSError as err:
        print(f"error: cannot write the HTML report to {args.html}: {err.strerror or err}", file=sys.stderr)
        return False
    print(f"HTML report: {', '.join(map(str, targets))}", file=sys.stderr)
    return True


def _watch(args: argparse.Namespace) -> int:
    if args.json or args.fail_on:
        print(f"error: --watch prints text; --json and --fail-on are for one diagnosis (usage: {USAGE})",
              file=sys.stderr)
        return 2
    low, high = EVERY_RANGE
    if not low <= args.every <= high:
        print(f"error: --every must be {low:g} to {high:g} seconds, got {args.every:g}", file=sys.stderr)
        return 2
    from diagnostics.follow import follow
    from diagnostics.messages import render
    from diagnostics.reader import ReaderError
    try:
        follow(args.path, args.lang, args.every)
    except (ReaderError, OSError) as e:
        print(f"error: {render(e, args.lang)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C is how a watch ends
        pass
    return 0
