"""Apply a remedy and re-run, in the served app and a real headless Chromium: the child trains
in the background and its comparison with the parent (the verdict) appears by itself, driven by
the page's timed fragments rather than by the test; and a run still being written redraws by itself."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui_fixtures import ARTIFACTS, browser, need_chromium, served_app  # noqa: F401
from trainers.jobs import JobQueue
from ui import sources

pytestmark = pytest.mark.browser

PARENT = "lr_oscillation"


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    yield root
    if (root / ".jobs").is_dir():  # leave no training process behind a failed test
        q = JobQueue(root)
        for job in q.poll():
            q.cancel(job.id)


def settled(page) -> None:
    """Wait until the page is still, for a screenshot: no script run in progress, no job left in
    the sidebar's count (its fragment ticks every 2 s) and every chart drawn by plotly."""
    page.locator('[data-testid="stSidebar"]').get_by_text("Jobs:").wait_for(state="hidden", timeout=15_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=15_000)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".every(el => el._fullLayout && el.querySelector('.main-svg'))", timeout=15_000)


@pytest.fixture(scope="module")
def app_url(runs_root):
    need_chromium()
    with served_app(env={sources.RUNS_ENV: str(runs_root)}) as url:
        yield url


@pytest.mark.skipif(not (sources.SAMPLES_ROOT / PARENT).is_dir(), reason="no sample_runs/")
def test_apply_and_rerun_shows_the_childs_verdict(app_url, browser, runs_root):
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    try:
        page.goto(app_url)
        page.get_by_text("Pick a sample run on the left").wait_for(timeout=30_000)
        picker = page.locator('[data-testid="stMultiSelect"] input').first
        picker.click()
        picker.fill(PARENT)
        page.keyboard.press("Enter")
        page.get_by_text("Fix first").wait_for(timeout=30_000)
        # The fix-first finding's remedies are open; its first remedy is "lower the lr".
        page.locator("button", has_text="Apply and re-run").first.click()
        page.get_by_text(f"Re-run of {'sample_runs/' + PARENT}").wait_for(timeout=30_000)
        verdict = page.locator('[data-testid="stAlert"]', has_text="fixed:")
        verdict.wait_for(timeout=60_000)
        page.get_by_text("Config diff").wait_for(timeout=15_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=15_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert (runs_root / f"{PARENT}+lr=0.1" / "lineage.json").is_file()
        ARTIFACTS.mkdir(exist_ok=True)
        settled(page)
        page.screenshot(path=str(ARTIFACTS / "browser-rerun.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.skipif(not (sources.SAMPLES_ROOT / PARENT).is_dir(), reason="no sample_runs/")
def test_a_rerun_with_another_batch_size_is_overlaid_by_epoch(app_url, browser, runs_root):
    # batch 16 instead of 64: 90 steps an epoch instead of 23, so step 460 is the parent's
    # last epoch but the child's fifth; by epoch both end at 20. Trained as a user's re-run is:
    # a background job of the app's own queue.
    from trainers.rerun import submit_rerun

    q = JobQueue(runs_root)
    job = submit_rerun(q, sources.SAMPLES_ROOT / PARENT, {"batch_size": 16})
    assert q.wait(job.id, timeout=180).state == "done"
    name = Path(job.run_dir).name
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    try:
        page.goto(f"{app_url}/compare?run={name}")
        page.get_by_text("By epoch: these runs take different numbers of steps per epoch").wait_for(
            timeout=60_000)
        charts = page.locator(".js-plotly-plot")
        charts.first.wait_for(timeout=60_000)
        page.locator(".xtitle", has_text="epoch").first.wait_for(timeout=30_000)
        ends = charts.first.evaluate(
            "el => el._fullData.map(d => [d.name, Math.max(...Array.from(d.x).filter(Number.isFinite))])")
        assert {n for n, _ in ends} >= {"parent · seed 0", "re-run · seed 0"}
        assert all(abs(end - 20) < 0.01 for _, end in ends), ends  # aligned: both end at epoch 20
        assert page.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.get_by_text("Curves: parent vs re-run").scroll_into_view_if_needed()
        settled(page)
        page.screenshot(path=str(ARTIFACTS / "browser-compare-by-epoch.png"), full_page=True)
    finally:
        page.close()


def test_the_page_follows_a_run_that_is_still_training(app_url, browser, runs_root):
    # A user's own training writes into the runs folder while the page is open; nobody clicks.
    from torch.utils.tensorboard import SummaryWriter

    run = runs_root / "growing"
    writer = SummaryWriter(str(run))
    for step in range(10):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.flush()
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    try:
        page.goto(app_url)
        page.get_by_text("Runs folder on the server").click()
        picker = page.locator('[data-testid="stMultiSelect"] input').first
        picker.wait_for(timeout=15_000)
        picker.click()
        picker.fill("growing")
        page.keyboard.press("Enter")
        page.get_by_text("· 10 points").wait_for(timeout=30_000)
        for step in range(10, 40):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        writer.flush()
        page.get_by_text("· 40 points").wait_for(timeout=20_000)  # redrawn by the watcher alone
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        writer.close()
        page.close()
