"""Page-to-charts time in a real headless Chromium, with where the browser's main thread went.

    python scripts/page_to_charts.py MODE RUN N_CHARTS
      MODE: "now" (pick as soon as the page shows) or "wait" (after the plotly preload is done)
      RUN: a sample run name, or a folder under $RUNS (then the server's runs folder is used)
      N_CHARTS: how many charts the run draws (timing stops when all are drawn)
    REPO_DIR=/other/checkout python scripts/page_to_charts.py ...   # time another version

A 1 M-point run to try: write `train/loss` for 1,000,000 steps with torch's SummaryWriter
into $RUNS/big1m. Numbers on a shared 2-core box swing 2-3x with its load: repeat them.
"""
import collections
import os
import sys
import time

sys.path.insert(0, os.environ.get("REPO_DIR", str(__import__("pathlib").Path(__file__).resolve().parents[1])))
from playwright.sync_api import sync_playwright

from tests.ui_fixtures import CHROMIUM, CHROMIUM_ARGS, served_app

mode, name = sys.argv[1], sys.argv[2]
env = {"RUN_DOCTOR_RUNS": os.environ["RUNS"]} if os.environ.get("RUNS") else {}
with served_app(env=env) as url, sync_playwright() as pw:
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    page = b.new_page(viewport={"width": 1400, "height": 2600})
    cdp = page.context.new_cdp_session(page)
    page.goto(url)
    page.get_by_text("Pick a sample run on the left").wait_for(timeout=60_000)
    if env:
        page.get_by_text("Runs folder on the server").first.click()
        page.wait_for_timeout(3000)
    if mode == "wait":
        try:
            page.wait_for_function("window.__runDoctorPlotly === 'ready'", timeout=60_000)
        except Exception:
            page.wait_for_timeout(15000)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
    cdp.send("Profiler.start")
    t0 = time.monotonic()
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"] input').first
    box.click()
    box.fill(name)
    page.keyboard.press("Enter")
    page.get_by_text("Health summary").wait_for(timeout=180_000)
    t1 = time.monotonic()
    n = int(sys.argv[3])
    drawn = "[...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length"
    page.wait_for_function(f"{drawn} >= {n}", timeout=180_000)
    t2 = time.monotonic()
    prof = cdp.send("Profiler.stop")["profile"]
    nodes = {nd["id"]: nd for nd in prof["nodes"]}
    dt = collections.Counter()
    for sid, d in zip(prof["samples"], prof["timeDeltas"]):
        cf = nodes[sid]["callFrame"]
        u = cf["url"].rsplit("/", 1)[-1] or cf["functionName"] or "(native)"
        dt[u.split(".")[0]] += d / 1000
    total = sum(dt.values())
    print(f"{mode} {name}: pick->summary {t1-t0:.2f}s summary->all {n} charts {t2-t1:.2f}s; sampled {total/1000:.2f}s")
    print("  ", ", ".join(f"{k} {v/1000:.2f}s" for k, v in dt.most_common(8)))
    b.close()
