"""A Report as plain text (the terminal) or Markdown (a file to share), in English or Chinese.

Only presentation: the findings arrive ordered, their words as message keys; this module renders
them in the reader's language (`messages.render`, the remedies from the catalogue) and adds the
labels, numbering and layout; the reader's file problems (`file_problems`) are worded the same way.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable

from diagnostics.messages import render
from diagnostics.model import Evidence, Finding, NotAssessed, Remedy, Report
from diagnostics.remedies import display_title, remedies_of
from diagnostics.rules.base import fmt
from diagnostics.rundata import FileProblem, RunPart
from diagnostics.statistic_names import statistic_name

LABELS = {
    "run": {"en": "Run", "zh": "运行"},
    "part": {"en": "Run {index} of {of} found in folder {folder} (its step counter started over): "
                   "from file {file}, steps {first}–{last}",
             "zh": "文件夹 {folder} 中有 {of} 个运行（步数计数器重新开始过），这是第 {index} 个："
                   "始于文件 {file}，步 {first}–{last}"},
    "fix_first": {"en": "Fix first", "zh": "优先处理"},
    "no_findings": {"en": "No problem found by the rules that could assess this run.",
                    "zh": "能够评估的规则都没有发现问题。"},
    "confidence": {"en": "confidence", "zh": "置信度"},
    "from_step": {"en": "from step", "zh": "起始步"},
    "evidence": {"en": "Evidence", "zh": "证据"},
    "remedies": {"en": "Remedies, in the documents' order", "zh": "解决办法（按文档顺序）"},
    "source": {"en": "source", "zh": "出处"},
    "change": {"en": "trainer change", "zh": "训练器改动"},
    "not_assessed": {"en": "Not assessed", "zh": "未评估"},
    "to_log": {"en": "to assess it", "zh": "如何评估"},
    "passed": {"en": "Checked, nothing found", "zh": "已检查，未发现问题"},
    "threshold": {"en": "threshold", "zh": "阈值"},
    "steps": {"en": "steps", "zh": "步"},
    "errors": {"en": "Files skipped or partly read", "zh": "跳过或未完整读取的文件"},
    "critical": {"en": "CRITICAL", "zh": "严重"},
    "warning": {"en": "WARNING", "zh": "警告"},
    "info": {"en": "INFO", "zh": "提示"},
    # --watch (follow.py)
    "waiting": {"en": "waiting for event files in {path} …", "zh": "正在等待 {path} 中的事件文件……"},
    "new_run": {"en": "new run", "zh": "新运行"},
    "found": {"en": "found", "zh": "发现"},
    "now": {"en": "now", "zh": "现为"},
    "cleared": {"en": "cleared", "zh": "已消失"},
    "no_longer_assessed": {"en": "no longer assessed", "zh": "不再评估"},
    "skipped": {"en": "file skipped or partly read", "zh": "文件被跳过或未完整读取"},
}


def label(key: str, lang: str) -> str:
    return LABELS[key].get(lang, LABELS[key]["en"])


def part_line(part: RunPart, lang: str) -> str:
    """One line saying which of its folder's runs this is (`RunData.part`)."""
    return label("part", lang).format(index=part.index, of=part.of, folder=part.folder,
                                      file=part.first_file, first=part.steps[0], last=part.steps[1])


def evidence_line(e: Evidence, lang: str) -> str:
    return (f"{e.tag} ({label('steps', lang)} {e.steps[0]}–{e.steps[1]}): "
            f"{statistic_name(e.statistic, lang)} = "
            f"{fmt(float(e.value))} ({label('threshold', lang)} {fmt(float(e.threshold))})")


def _head(f: Finding, lang: str) -> str:
    facts = [label(f.severity.name.lower(), lang), f"{label('confidence', lang)} {f.confidence:.2f}"]
    if f.onset_step is not None:
        facts.append(f"{label('from_step', lang)} {f.onset_step}")
    return f"{render(f.title, lang)} [{', '.join(facts)}]"


def not_assessed_line(na: NotAssessed, lang: str, *, bold: bool = False) -> str:
    """"<check>: <reason> — to assess it: <what to log>"."""
    log = f" — {label('to_log', lang)}: {render(na.to_log, lang)}" if na.to_log else ""
    name = display_title(na.rule_id, lang, short=True)
    return f"{f'**{name}**' if bold else name}: {render(na.reason, lang)}{log}"


def text(report: Report, lang: str) -> str:
    """Human output for a terminal: findings in order, evidence, numbered remedies."""
    out = [f"== {label('run', lang)}: {report.run}"]
    if report.part:
        out.append(part_line(report.part, lang))
    if report.fix_first:
        out.append(f"{label('fix_first', lang)}: {render(report.fix_first.title, lang)}")
    else:
        out.append(label("no_findings", lang))
    for n, f in enumerate(report.findings, 1):
        out += ["", f"{n}. {_head(f, lang)}", f"   {render(f.message, lang)}",
                f"   {label('evidence', lang)}:"]
        out += [f"     - {evidence_line(e, lang)}" for e in f.evidence]
        out.append(f"   {label('remedies', lang)}:")
        for i, r in enumerate(remedies_of(f, lang), 1):
            out.append(f"     {i}) {r.action}" + ("" if r.applies else f" — {r.not_applicable}"))
            out.append(f"        {label('source', lang)}: {r.source}")
            if r.change:
                out.append(f"        {label('change', lang)}: "
                           f"{json.dumps(dict(r.change), ensure_ascii=False)}")
    if report.not_assessed:
        out += ["", f"{label('not_assessed', lang)}:"]
        out += [f"  - {not_assessed_line(na, lang)}" for na in report.not_assessed]
    if report.passed:
        out += ["", f"{label('passed', lang)}: "
                    + ", ".join(display_title(r, lang, short=True) for r in report.passed)]
    return "\n".join(out)


def file_problems(problems: Iterable[FileProblem], lang: str) -> str:
    """The files the reader skipped or only partly read, its messages in `lang`."""
    lines = [f"  - {p.file}: {render(p.message, lang)}" for p in problems]
    return "\n".join([f"{label('errors', lang)}:", *lines]) if lines else ""


def markdown(report: Report, lang: str) -> str:
    """The same content as a Markdown document."""
    out = [f"# {label('run', lang)}: {report.run}", ""]
    if report.part:
        out += [f"*{part_line(report.part, lang)}*", ""]
    out.append(f"**{label('fix_first', lang)}:** {render(report.fix_first.title, lang)}" if report.fix_first
               else label("no_findings", lang))
    for n, f in enumerate(report.findings, 1):
        out += ["", f"## {n}. {_head(f, lang)}", "", render(f.message, lang), "",
                f"**{label('evidence', lang)}**", ""]
        out += [f"- {evidence_line(e, lang)}" for e in f.evidence]
        out += ["", f"**{label('remedies', lang)}**", ""]
        for i, r in enumerate(remedies_of(f, lang), 1):
            out += _remedy_md(i, r, lang)
    if report.not_assessed:
        out += ["", f"## {label('not_assessed', lang)}", ""]
        out += [f"- {not_assessed_line(na, lang, bold=True)}" for na in report.not_assessed]
    if report.passed:
        out += ["", f"## {label('passed', lang)}", ""]
        out += [f"- {display_title(r, lang, short=True)}" for r in report.passed]
    return "\n".join(out) + "\n"


def _remedy_md(i: int, r: Remedy, lang: str) -> list[str]:
    """One numbered remedy as the page shows it: action, why, source, trainer change, code.

    Everything after the first line is indented to the item's text, so Markdown keeps it
    (code block included) inside the list item and the numbering continues."""
    pad = " " * len(f"{i}. ")
    lines = [f"{i}. **{r.action}**" + ("" if r.applies else f" — *{r.not_applicable}*")]
    if r.why:
        lines += ["", pad + r.why]
    lines += ["", f"{pad}{label('source', lang)}: {r.source}"]
    if r.change:
        lines[-1] += (f" — {label('change', lang)}: "
                      f"`{json.dumps(dict(r.change), ensure_ascii=False)}`")
    if r.snippet:
        fence = "`" * max(3, _longest_backticks(r.snippet) + 1)  # a fence the code cannot close
        lines += ["", f"{pad}{fence}python",
                  *[(pad + line) if line else "" for line in r.snippet.rstrip("\n").splitlines()],
                  f"{pad}{fence}"]
    return lines + [""]


def _longest_backticks(code: str) -> int:
    return max((len(m) for m in re.findall(r"`+", code)), default=0)

