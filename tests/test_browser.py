"""The app served by `streamlit run` and driven in a real headless Chromium."""
from __future__ import annotations

import pytest

from tests.ui_fixtures import (ARTIFACTS, UPLOAD_LOGS, browser, need_chromium,  # noqa: F401
                               served_app, zip_dir)

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
