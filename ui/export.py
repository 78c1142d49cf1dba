"""The downloadable report: JSON (the report plus the tag mapping it was made with) and Markdown
(`diagnostics.render`, the same document the command line writes)."""
from __future__ import annotations

import json
import re

from diagnostics import render
from diagnostics.model import Report
from diagnostics.rundata import RunData


def file_stem(run_name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", run_name).strip("._")
    return f"run-doctor-{stem or 'run'}"


def to_json(report: Report, run: RunData, lang: str) -> str:
    """The report in `lang` (each text beside its message key and parameters)."""
    # The mapping belongs in the export: the same logs under another mapping diagnose differently.
    data = {**report.to_dict(lang), "lang": lang, "tag_map": dict(run.tag_map)}
    return json.dumps(data, ensure_ascii=False, indent=2)


def to_markdown(report: Report, lang: str) -> str:
    return render.markdown(report, lang)
