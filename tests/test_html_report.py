"""The self-contained HTML report: written by `python -m diagnostics PATH --html OUT`, opened in
a real headless Chromium with the network cut off."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui_fixtures import ARTIFACTS, REPO, browser, need_chromium  # noqa: F401

SAMPLE = REPO / "sample_runs" / "exploding_gradient"
needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample runs not generated")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "diagnostics", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    if not SAMPLE.is_dir():
        pytest.skip("sample runs not generated")
    out = tmp_path_factory.mktemp("html") / "report.html"
    done = _cli(str(SAMPLE), "--html", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_the_report_holds_summary_findings_remedies_and_inlined_charts(report_file):
    page = report_file.read_text(encoding="utf-8")
    assert "Health summary" in page and "Exploding gradients" in page and "Remedies" in page
    assert "《" in page  # remedies cite their documents by title
    assert "<script src=" not in page  # plotly.js is inlined: nothing to fetch
    assert page.count("Plotly.newPlot") >= 2  # the charts, each drawn from the inlined library


def test_names_from_a_log_are_escaped_and_several_runs_get_a_file_each(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    for name in ("a", "b"):
        with SummaryWriter(str(tmp_path / "logs" / name)) as writer:
            for step in range(30):
                writer.add_scalar("<script>alert(1)</script>", 1.0 / (step + 1), step)
                writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    done = _cli(str(tmp_path / "logs"), "--html", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["run-doctor-a.html", "run-doctor-b.html"]
    body = (tmp_path / "out" / "run-doctor-a.html").read_text(encoding="utf-8").split("</head>", 1)[1]
    assert "<script>alert(1)</script>" not in body.replace("\\u003c", "<")  # only ever as text
    bad = _cli(str(tmp_path / "logs" / "a"), "--html", str(tmp_path / "missing" / "dir" / "x.html"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "cannot write" in bad.stderr


@needs_sample
def test_the_report_opens_offline_in_a_real_browser_with_its_charts(report_file, browser):
    need_chromium()
    context = browser.new_context(viewport={"width": 1200, "height": 2400}, offline=True)
    fetched = []
    context.route("**/*", lambda route: (fetched.append(route.request.url), route.abort())
                  if not route.request.url.startswith("file://") else route.continue_())
    page = context.new_page()
    try:
        page.goto(report_file.as_uri())
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=20_000)
        charts = page.locator(".js-plotly-plot").count()
        assert charts >= 2 and page.locator(".js-plotly-plot .main-svg").count() >= charts
        assert not fetched, fetched  # nothing asked of the network
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "html-report-offline.png"), full_page=True)
    finally:
        context.close()
