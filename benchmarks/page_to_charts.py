"""Page-to-charts time in a real headless Chromium: from picking a run to its summary, to all
its charts drawn, to all its remedies' code blocks highlighted; medians of several loads.

    python benchmarks/page_to_charts.py MODE RUN N_CHARTS [N_LOADS] [--profile | --cpu]
      MODE: "now" (pick as soon as the page shows) or "wait" (after the preloads are done)
      RUN: a sample run name, or with $RUNS set, the one folder there (timed from choosing the
           server's runs folder, which opens on its newest run)
      N_CHARTS: how many charts the run draws (timing stops when all are drawn)
      N_LOADS: fresh pages, one after another, on one served app (default 5)
      --profile: where the browser's main thread went, per load (by script)
      --cpu: the renderer main thread's CPU time (thread time, not wall) from the pick until
             the charts and code blocks are drawn: what a loaded box inflates least
    REPO_DIR=/other/checkout python benchmarks/page_to_charts.py ...   # time another version

A 1 M-point run to try: write `train/loss` for 1,000,000 steps with torch's SummaryWriter
into $RUNS/big1m (alone in $RUNS). The first load reads it (seconds); later ones hit the
app's reader cache, as a user's second look does. Numbers on a shared 2-core box swing 2-3x
with its load, which is printed beside each load: repeat them.
"""
import collections
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("REPO_DIR", str(Path(__file__).resolve().parents[1])))
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.ui_fixtures import CHROMIUM, CHROMIUM_ARGS, served_app  # noqa: E402

# Polled in the page every 10 ms from the pick on: when each thing is first there.
TIMELINE = """
window.__tl = {};
const mark = (k) => { if (!(k in window.__tl)) window.__tl[k] = performance.now(); };
setInterval(() => {
  if (!window.__t0) return;
  for (const h of document.querySelectorAll('[data-testid="stHeading"]')) {
    if (h.textContent.includes("Health summary")) mark("summary");
    if (h.textContent.includes("Findings, in the order")) mark("findings");
  }
  const drawn = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg'));
  if (drawn.length >= N_CHARTS) mark("charts");
  const code = [...document.querySelectorAll('[data-testid="stCode"]')];
  if (code.length && code.every(c => c.querySelector('.token'))) mark("code");
}, 10);
"""


def profile_line(prof: dict) -> str:
    nodes = {nd["id"]: nd for nd in prof["nodes"]}
    spent = collections.Counter()
    for sid, d in zip(prof["samples"], prof["timeDeltas"]):
        cf = nodes[sid]["callFrame"]
        u = cf["url"].rsplit("/", 1)[-1] or cf["functionName"] or "(native)"
        spent[u.split(".")[0]] += d / 1e6
    return ", ".join(f"{k} {v:.2f}s" for k, v in spent.most_common(8))


def main_thread_cpu(trace: bytes) -> float:
    """Seconds of CPU the renderer's main thread spent in its tasks, from a Chromium trace."""
    events = json.loads(trace)["traceEvents"]
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    return sum(e["tdur"] for e in events if e.get("name") == "RunTask" and e.get("ph") == "X"
               and "tdur" in e and (e.get("pid"), e.get("tid")) in main) / 1e6


def one_load(browser, url: str, mode: str, name: str, n: int, server: bool, profile: bool,
             cpu: bool = False) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    try:
        page.add_init_script(TIMELINE.replace("N_CHARTS", str(n)))
        page.goto(url)
        page.get_by_text("Pick a sample run on the left").wait_for(timeout=60_000)
        if mode == "wait":
            page.wait_for_function("window.__runDoctorPlotly === 'ready'", timeout=60_000)
            if page.evaluate("document.documentElement.innerHTML.includes('__runDoctorPreload =')"):
                page.wait_for_function("window.__runDoctorPreload === 'ready'", timeout=60_000)
        cdp = page.context.new_cdp_session(page)
        if profile:
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
            cdp.send("Profiler.start")
        load = os.getloadavg()[0]
        if not server:
            box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"] input').first
            box.click()
            box.fill(name)
        page.evaluate("window.__t0 = performance.now()")
        if cpu:
            browser.start_tracing(page=page, categories=["devtools.timeline", "disabled-by-default-devtools.timeline"])
        if server:  # the runs folder opens on its newest run: RUN should be the only one there
            page.get_by_text("Runs folder on the server").first.click()
        else:  # that option only: Enter would pick every match ("healthy" and "healthy_seed1")
            page.get_by_role("option", name=name, exact=True).click()
        page.wait_for_function("window.__tl.summary && window.__tl.charts", timeout=180_000)
        try:  # a run without findings has no code blocks; a run with some, once they are drawn
            page.wait_for_function("window.__tl.findings", timeout=30_000)
            page.wait_for_function("window.__tl.code || !document.querySelector('[data-testid=\"stCode\"]')",
                                   timeout=60_000)
            page.wait_for_timeout(300)
        except Exception:
            pass
        got = page.evaluate("(() => { const o = {}; for (const [k, v] of Object.entries(window.__tl))"
                            " o[k] = (v - window.__t0) / 1000; return o; })()")
        got["load"] = load
        if cpu:
            got["cpu"] = main_thread_cpu(browser.stop_tracing())
        if profile:
            got["profile"] = profile_line(cdp.send("Profiler.stop")["profile"])
        return got
    finally:
        page.close()


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    mode, name, n = args[0], args[1], int(args[2])
    loads = int(args[3]) if len(args) > 3 else 5
    profile, cpu = "--profile" in sys.argv, "--cpu" in sys.argv
    env = {"RUN_DOCTOR_RUNS": os.environ["RUNS"]} if os.environ.get("RUNS") else {}
    rows = []
    with served_app(env=env) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for i in range(loads):
            t = one_load(browser, url, mode, name, n, bool(env), profile, cpu)
            rows.append(t)
            after = {k: f"{t[k] - t['summary']:.2f}s" for k in ("charts", "findings", "code") if k in t}
            print(f"{mode} {name} #{i}: load avg {t['load']:.2f}; pick->summary {t['summary']:.2f}s; "
                  f"after the summary: {after}" + (f"; main-thread CPU {t['cpu']:.2f}s" if cpu else ""),
                  flush=True)
            if profile:
                print("   ", t["profile"], flush=True)
        browser.close()
    med = {k: statistics.median(r[k] - r["summary"] for r in rows) for k in ("charts", "findings", "code")
           if all(k in r for r in rows)}
    print(f"MEDIAN of {loads} ({mode} {name}): pick->summary {statistics.median(r['summary'] for r in rows):.2f}s; "
          + "; ".join(f"summary->{k} {v:.2f}s" for k, v in med.items())
          + (f"; main-thread CPU {statistics.median(r['cpu'] for r in rows):.2f}s" if cpu else "")
          + f"; load avg {min(r['load'] for r in rows):.1f}-{max(r['load'] for r in rows):.1f}"
          + f" (1-min, {os.cpu_count()} cores, shared box)")


if __name__ == "__main__":
    main()
