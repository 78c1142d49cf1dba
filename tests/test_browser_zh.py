"""The Chinese overfitting page in a real headless Chromium: titles, evidence and sources in
Chinese, with a screenshot to look at."""
from __future__ import annotations

import pytest

from tests.ui_fixtures import ARTIFACTS, browser, need_chromium, served_app  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url():
    need_chromium()
    with served_app() as url:
        yield url


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
