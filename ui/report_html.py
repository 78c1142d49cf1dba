"""A self-contained HTML report of one run: summary, findings with their evidence, remedies
and the charts with the evidence drawn on them, the way the app shows them. No Streamlit here.

One file that opens anywhere without a network: plotly's JavaScript is inlined once, each chart
follows as a div. Every text that came from a log (tag names, run names, file names) or from a
rule is escaped: a tag named `<script>` shows as text.

    html = report_html.build(run, report, lang)          # str
    python -m diagnostics PATH --html OUT                 # (diagnostics/cli.py)
"""
from __future__ import annotations

from html import escape

import plotly.graph_objects as go
import plotly.offline

from diagnostics import render
from diagnostics.messages import render as words
from diagnostics.model import Finding, Remedy, Report, Severity
from diagnostics.remedies import display_title, remedies_of
from diagnostics.rundata import RunData
from diagnostics.statistic_names import statistic_name
from ui import charts
from ui.i18n import t

_SEVERITY = {Severity.CRITICAL: "critical", Severity.WARNING: "warning", Severity.INFO: "info"}
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{margin-bottom:0}.sub{color:#666;margin-top:.2em}
.cols{display:grid;grid-template-columns:repeat(3,1fr);gap:1em}
.box{border:1px solid #ddd;border-radius:8px;padding:.8em 1em;margin:1em 0}
.critical{border-left:6px solid #c0392b}.warning{border-left:6px solid #e67e22}.info{border-left:6px solid #2980b9}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto}.muted{color:#777}.na{opacity:.7}
"""


def build(run: RunData, report: Report, lang: str) -> str:
    """The whole report as one HTML document."""
    figures = charts.figures(run, report, lang)
    parts = [
        f"<h1>{escape(t('app_title', lang))}: {escape(report.run)}</h1>",
        f"<p class='sub'>{escape(_where(run, report, lang))}</p>",
        _summary(report, lang),
        f"<h2>{escape(t('curves', lang))}</h2>" if figures else "",
        *(_figure(fig) for _, fig in figures),
        f"<h2>{escape(t('findings', lang))}</h2>",
        *(_finding(i, f, lang) for i, f in enumerate(report.findings, start=1)),
        "" if report.findings else f"<p>{escape(t('no_findings', lang))}</p>",
    ]
    body = "\n".join(p for p in parts if p)
    return (f"<!DOCTYPE html><html lang='{escape(lang)}'><head><meta charset='utf-8'>"
            f"<title>{escape(report.run)}</title><style>{_STYLE}</style>"
            f"<script>{plotly.offline.get_plotlyjs()}</script></head><body>{body}</body></html>")


def _where(run: RunData, report: Report, lang: str) -> str:
    facts = [t("report_writer", lang, writer=run.writer)] if run.writer else []
    if report.part is not None:
        facts.append(render.part_line(report.part, lang))
    return " · ".join(facts)


def _summary(report: Report, lang: str) -> str:
    found = "".join(f"<li>{escape(words(f.title, lang))}</li>" for f in report.findings) \
        or f"<li>{escape(t('none', lang))}</li>"
    fine = "".join(f"<li>{escape(display_title(r, lang, short=True))}</li>" for r in report.passed) \
        or f"<li>{escape(t('none', lang))}</li>"
    unknown = "".join(
        f"<li><b>{escape(display_title(n.rule_id, lang, short=True))}</b>: {escape(words(n.reason, lang))}"
        + (f"<br><span class='muted'>{escape(t('to_log', lang, what=words(n.to_log, lang)))}</span>"
           if n.to_log else "")
        + "</li>" for n in report.not_assessed) or f"<li>{escape(t('none', lang))}</li>"
    return (f"<h2>{escape(t('health', lang))}</h2><div class='cols'>"
            f"<div><b>{escape(t('found', lang))}</b><ul>{found}</ul></div>"
            f"<div><b>{escape(t('fine', lang))}</b><ul>{fine}</ul></div>"
            f"<div><b>{escape(t('not_assessed', lang))}</b><ul>{unknown}</ul></div></div>")


def _figure(fig: go.Figure) -> str:
    # full_html=False and no plotly.js: the one inlined copy in <head> serves every chart
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def _finding(number: int, f: Finding, lang: str) -> str:
    facts = [t(f"sev_{_SEVERITY[f.severity]}", lang), t("confidence", lang, c=f.confidence)]
    if f.onset_step is not None:
        facts.append(t("onset_at", lang, step=f.onset_step))
    rows = "".join(
        f"<tr><td>{escape(e.tag)}</td><td>{e.steps[0]}–{e.steps[1]}</td>"
        f"<td>{escape(statistic_name(e.statistic, lang))}</td><td>{e.value:.4g}</td><td>{e.threshold:.4g}</td></tr>"
        for e in f.evidence)
    head = "".join(f"<th>{escape(t(k, lang))}</th>"
                   for k in ("ev_tag", "ev_steps", "ev_statistic", "ev_value", "ev_threshold"))
    remedies = "".join(_remedy(i, r, lang) for i, r in enumerate(remedies_of(f, lang), start=1))
    return (f"<div class='box {_SEVERITY[f.severity]}'><h3>{number}. {escape(words(f.title, lang))}</h3>"
            f"<p class='muted'>{escape(' · '.join(facts))}</p><p>{escape(words(f.message, lang))}</p>"
            + (f"<b>{escape(t('evidence', lang))}</b><table><tr>{head}</tr>{rows}</table>" if rows else "")
            + (f"<b>{escape(t('remedies', lang))}</b><ol>{remedies}</ol>" if remedies else "") + "</div>")


def _remedy(i: int, r: Remedy, lang: str) -> str:
    note = "" if r.applies else f" <span class='muted'>({escape(r.not_applicable)})</span>"
    code = f"<pre><code>{escape(r.snippet)}</code></pre>" if r.snippet else ""
    return (f"<li class='{'' if r.applies else 'na'}'><b>{escape(r.action)}</b>{note}<br>{escape(r.why)}"
            f"<br><span class='muted'>{escape(t('source_cite', lang, src=r.source))}</span>{code}</li>")
