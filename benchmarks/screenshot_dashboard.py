"""Screenshot of the compare page for the README (docs/img/compare.png), taken in headless Chromium.

Starts ``python -m streamlit run dashboards/app.py`` on a free loopback port, runs a comparison of the
two default arrangements of the flagship (N = 50, seed 7), opens the hand-off gap tab and saves the
page. Needs Debian's /usr/bin/chromium (``apt-get install -y chromium fonts-noto-cjk``); no browser is
downloaded.

Run: ``.venv/bin/python benchmarks/screenshot_dashboard.py [--out docs/img/compare.png] [--lang zh-CN|en]``.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


TABS = {"dist": ("分布", "Distributions"), "heat": ("交接间隙", "Hand-off gaps"), "gantt": ("时间线", "Timeline"),
        "graph": ("协同关系图", "Coordination graph"), "map": ("地图", "Map")}
"""The compare page's chart tabs: (zh, en) names."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "compare.png"))
    ap.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en"])
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--tab", default="heat", choices=list(TABS),
                    help="the chart tab to open (default: the hand-off gaps, as in the README)")
    args = ap.parse_args()
    from playwright.sync_api import expect, sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "app.py"),
                             "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        else:
            sys.exit("streamlit did not start")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
            page.set_default_timeout(180_000)
            page.goto(url + "/")
            page.locator(".st-key-lang").wait_for()
            expect(page.get_by_role("heading", name="情景")).to_be_visible()
            if args.lang == "en":
                page.locator(".st-key-lang").get_by_text("English").click()
                expect(page.get_by_role("heading", name="Scenario")).to_be_visible()
            page.get_by_role("link", name="对比" if args.lang == "zh-CN" else "Compare").click()
            n = page.locator(".st-key-compare-n input")
            n.wait_for()
            n.fill(str(args.n))
            n.press("Enter")
            expect(n).to_have_value(str(args.n))
            page.wait_for_timeout(500)
            page.locator(".st-key-compare-run button").click()
            page.locator("[data-testid='stMetric']").first.wait_for()
            page.get_by_role("tab", name=TABS[args.tab][0 if args.lang == "zh-CN" else 1]).click()
            page.set_viewport_size({"width": 1400, "height": 2700})  # cards, explanation, table, heat-map
            page.wait_for_timeout(2500)
            page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
            page.wait_for_timeout(500)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=args.out)
            browser.close()
        print(f"wrote {args.out}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


if __name__ == "__main__":
    main()
