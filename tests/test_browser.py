"""The app served by `streamlit run` and driven in a real headless Chromium."""
from __future__ import annotations

import shutil

import pytest

from tests.ui_fixtures import (  # noqa: F401
    ARTIFACTS,
    REPO,
    UPLOAD_LOGS,
    browser,
    need_chromium,
    served_app,
    zip_dir,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url():
    need_chromium()
    with served_app() as url:
        yield url


def test_upload_zipped_logdir_shows_findings_and_charts(app_url, browser, tmp_path):
    archive = tmp_path / "bird-logs.zip"
    archive.write_bytes(zip_dir(UPLOAD_LOGS))
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    try:
        page.goto(app_url)
        page.get_by_text("Pick a sample run on the left").wait_for(timeout=30_000)
        page.get_by_text("Upload", exact=True).click()
        uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
        uploader.wait_for(state="attached", timeout=15_000)
        uploader.set_input_files(str(archive))
        page.get_by_text("Health summary").wait_for(timeout=30_000)
        page.get_by_text("Findings, in the order to fix them").wait_for(timeout=15_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=15_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.wait_for_timeout(1500)  # code blocks and tables render lazily after the charts
        page.screenshot(path=str(ARTIFACTS / "browser-upload.png"))
        # Switching language keeps the source choice (Streamlit stores translated labels; only a
        # real frontend shows the loss) and the diagnosis, now in Chinese.
        page.get_by_text("中文", exact=True).click()
        page.get_by_text("健康概览").wait_for(timeout=15_000)
        assert page.get_by_role("radio", name="上传").is_checked()
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


def _pick_sample(page, name: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"] input').first
    box.click()
    box.fill(name)
    page.keyboard.press("Enter")
    page.get_by_text("Health summary").wait_for(timeout=30_000)


def _chart(page, title: str):
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title).first
    chart.locator(".main-svg").first.wait_for(timeout=30_000)
    return chart


def _smooth_to_0_9(page) -> None:
    """Smoothing 0.9: End (0.99), then nine steps of 0.01 back; again if a rerun took the
    slider's focus half way (a loaded box)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    value = page.locator('[data-testid="stSliderThumbValue"]').get_by_text("0.90", exact=True)
    for attempt in range(4):
        page.locator('[data-testid="stSlider"] input[type="range"]').first.focus()
        page.keyboard.press("End")
        for _ in range(9):
            page.keyboard.press("ArrowLeft")
        try:
            value.wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 3:
                raise


def _y_labels(chart) -> list[dict]:
    """The y tick labels plotly drew: text and bounding box."""
    return chart.locator(".ytick text").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {text: e.textContent, top: r.top, bottom: r.bottom}; })")


@pytest.mark.parametrize("sample", ["exploding_gradient", "vanishing_gradient"])
def test_gradient_axes_are_readable_and_controls_redraw_the_charts(app_url, browser, sample):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    try:
        page.goto(app_url)
        page.get_by_text("Pick a sample run on the left").wait_for(timeout=30_000)
        _pick_sample(page, sample)
        grad = _chart(page, "Gradient norm per layer")
        labels = _y_labels(grad)
        assert 2 <= len(labels) <= 8, labels
        spans = sorted((lab["top"], lab["bottom"]) for lab in labels)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), labels  # none overlap
        ARTIFACTS.mkdir(exist_ok=True)
        grad.screenshot(path=str(ARTIFACTS / f"charts-{sample}-grad.png"))
        # The chart's own linear | log buttons flip it in the browser: no rerun, which would
        # draw it again on the server's scale (log).
        plot = grad.locator(".js-plotly-plot").element_handle()
        for scale in ("linear", "log"):
            grad.locator(".updatemenu-button").filter(has_text=scale).click()
            page.wait_for_function(f"g => g._fullLayout.yaxis.type === '{scale}'", arg=plot, timeout=10_000)
            page.wait_for_timeout(1000)
            assert plot.evaluate("g => g.isConnected && g._fullLayout.yaxis.type") == scale
            assert 2 <= len(_y_labels(grad)) <= 8
        _smooth_to_0_9(page)  # and log y on every chart from the control bar
        loss = _chart(page, "Loss")
        page.locator('[data-testid="stRadio"]').filter(has=page.get_by_text("auto")).first \
            .get_by_text("log", exact=True).click()
        page.wait_for_function(  # the raw curve drawn faint behind the smoothed one
            "() => [...document.querySelectorAll('.js-plotly-plot .trace.scatter')]"
            ".some(t => t.style.opacity === '0.25')", timeout=30_000)
        loss = _chart(page, "Loss")
        page.wait_for_timeout(1500)
        assert page.locator('[data-testid="stException"]').count() == 0
        loss.screenshot(path=str(ARTIFACTS / f"charts-{sample}-loss-smoothed-log.png"))
        # Every chart drawn in the margins it was given: plotly widened none (each widening
        # is one more redraw of the chart).
        widened = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')].filter(g =>"
                                " Math.round(g._fullLayout._size.b) !== g._fullLayout.margin.b"
                                " || Math.round(g._fullLayout._size.l) !== g._fullLayout.margin.l)"
                                ".map(g => g._fullLayout._size)")
        assert widened == [], widened
        page.screenshot(path=str(ARTIFACTS / f"charts-{sample}-page.png"), full_page=True)
        assert len(_y_labels(_chart(page, "Gradient norm per layer"))) <= 8
    finally:
        page.close()


def test_the_chinese_overfitting_page(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 3000})
    try:
        page.goto(app_url)
        page.get_by_text("中文", exact=True).click()
        page.get_by_text("看一个例子（过拟合）").click()
        page.get_by_text("健康概览").wait_for(timeout=30_000)
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=30_000)
        # the findings' tables draw after the charts: wait for the evidence's statistic itself
        page.get_by_text("回吐的改进比例").first.wait_for(timeout=30_000)  # in Chinese
        body = page.locator("body").inner_text()
        # a title in one language (the documents' own headings, quoted in sources, stay verbatim)
        assert "过拟合：模型泛化差" in body and "过拟合：test accuracy" not in body
        assert "《深度学习实践经验总结》" in body and ".txt" not in body  # sources by title
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.wait_for_timeout(1000)  # tables and code blocks render after the charts
        page.screenshot(path=str(ARTIFACTS / "browser-zh-overfitting.png"), full_page=True)
    finally:
        page.close()


def test_the_findings_pieces_load_before_a_run_is_picked(app_url, browser):
    """The remedies' code blocks came 1-4 s after their findings: Streamlit imports its 1.5 MB
    syntax highlighter (and the evidence table's code, and the code font) only when a page
    first shows one. They are loaded on the landing page now, with plotly."""
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    try:
        page.goto(app_url)
        page.get_by_text("Pick a sample run on the left").wait_for(timeout=30_000)
        page.wait_for_function("window.__runDoctorPreload === 'ready'", timeout=90_000)
        assert page.evaluate("document.fonts.check('italic 1em \"Source Code Pro\"')")
        picked_at = page.evaluate("performance.now()")
        _pick_sample(page, "overfitting")
        page.get_by_text("Findings, in the order to fix them").wait_for(timeout=30_000)
        code = page.locator('[data-testid="stCode"]')
        code.first.locator(".token").first.wait_for(timeout=30_000)  # highlighted
        fetched = page.evaluate("performance.getEntriesByType('resource').map(e => [e.name, e.startTime])")
        for chunk in ("PlotlyChart.", "StreamlitSyntaxHighlighter.", "Table.", "SourceCodeVF-Italic"):
            starts = [start for name, start in fetched if chunk in name]
            assert starts and max(starts) < picked_at, (chunk, starts, picked_at)  # none after the pick
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


# The longest loss curve of the labelled real logs: 15,000 points over 3.75 M steps, written by
# Lightning's TensorBoardLogger (`epoch` at every logging step); NaN from step 67,249 on.
LONG_REAL = REPO.parent / "shared" / "reallabelled" / "33_dparra2399+LearnedCoWSiP"


def test_a_long_real_log_smoothed_on_a_log_axis(browser, tmp_path):
    if not LONG_REAL.is_dir():
        pytest.skip(f"{LONG_REAL} is not here (the shared real-log corpus)")
    shutil.copytree(LONG_REAL, tmp_path / "cowsip")
    with served_app(env={"RUN_DOCTOR_RUNS": str(tmp_path)}) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        try:
            page.goto(url)
            page.get_by_text("Pick a sample run on the left").wait_for(timeout=30_000)
            page.get_by_text("Runs folder on the server").first.click()
            _pick_sample(page, "cowsip")
            loss = _chart(page, "Loss")
            _smooth_to_0_9(page)
            page.locator('[data-testid="stRadio"]').filter(has=page.get_by_text("auto")).first \
                .get_by_text("log", exact=True).click()
            page.wait_for_function(  # the raw curve drawn faint behind the smoothed one
                "() => [...document.querySelectorAll('.js-plotly-plot .trace.scatter')]"
                ".some(t => t.style.opacity === '0.25')", timeout=30_000)
            page.wait_for_timeout(1500)
            loss = _chart(page, "Loss")
            assert "→ NaN at step 67249" in loss.inner_text()  # where the loss broke, named by step
            assert 2 <= len(_y_labels(loss)) <= 8
            assert page.locator('[data-testid="stException"]').count() == 0
            ARTIFACTS.mkdir(exist_ok=True)
            loss.screenshot(path=str(ARTIFACTS / "charts-real-long-loss-smoothed-log.png"))
            # By epoch: Lightning's whole epoch at each step spread across it, the label still a step.
            page.locator('[data-testid="stRadio"]').filter(has=page.get_by_text("X axis")).first \
                .get_by_text("epoch", exact=True).click()
            page.wait_for_function(
                "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
                ".some(c => c.textContent.includes('Loss') && c.querySelector('.xtitle')"
                " && c.querySelector('.xtitle').textContent === 'epoch')", timeout=30_000)
            page.wait_for_timeout(1500)
            loss = _chart(page, "Loss")
            assert "→ NaN at step 67249" in loss.inner_text()
            loss.screenshot(path=str(ARTIFACTS / "charts-real-long-loss-smoothed-log-epoch.png"))
        finally:
            page.close()
