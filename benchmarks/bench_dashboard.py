"""Dashboard responsiveness (issue 7): how long until 200 replications × 2 arrangements of the flagship appear.

Measures, in one process on this machine:

* ``compare()`` alone — the simulation the compare page calls (no dashboard);
* the compare page cold — ``streamlit.testing`` AppTest, caches cleared, press "run" with N = 200:
  the wall time of that script run, i.e. until the cards, table, charts and exports are all rendered;
* the compare page cached — a new session asks for the same comparison (the ``st.cache_data`` hit);
* a rerun after a widget change that does not need new runs (the focus arrangement).

Run: ``.venv/bin/python benchmarks/bench_dashboard.py [--n 200] [--repeat 3]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboards" / "app.py")
FLAGSHIP = str(ROOT / "scenarios" / "library" / "high_rise_fire.yaml")
ARMS = ["sectoral_lead", "unified_command"]


def _page() -> AppTest:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("views/compare.py").run()
    return at


def _press(at: AppTest, n: int, seed: int) -> float:
    at.number_input(key="compare.n").set_value(n)
    at.number_input(key="compare.seed").set_value(seed)
    t0 = time.perf_counter()
    at.button(key="compare.run").click().run()
    wall = time.perf_counter() - t0
    assert not at.exception and at.metric, "the comparison did not appear"
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.chdir(ROOT)
    import streamlit as st

    from simulation.experiments.compare import compare

    raw, cold, cached, rerun = [], [], [], []
    for k in range(args.repeat):
        seed = 100 + k  # a new seed per repeat: a genuinely cold computation each time
        t0 = time.perf_counter()
        compare(FLAGSHIP, ARMS, args.n, seed)
        raw.append(time.perf_counter() - t0)
        st.cache_data.clear()
        cold.append(_press(_page(), args.n, seed))
        at = _page()
        cached.append(_press(at, args.n, seed))
        t0 = time.perf_counter()
        at.selectbox(key="compare.focus").set_value(ARMS[0]).run()
        rerun.append(time.perf_counter() - t0)

    def row(name: str, xs: list[float]) -> str:
        return f"| {name} | {statistics.median(xs):.2f} | {min(xs):.2f} | {max(xs):.2f} |"

    print(f"{args.n} replications × {len(ARMS)} arrangements ({' vs '.join(ARMS)}), flagship high_rise_fire, "
          f"{args.repeat} repeats, {os.cpu_count()} CPUs")
    print("| what | median s | min s | max s |\n|---|---|---|---|")
    print(row("compare() alone (simulation only)", raw))
    print(row("compare page, cold (cache cleared): press run → everything rendered", cold))
    print(row("compare page, cached (new session, same comparison)", cached))
    print(row("rerun after changing the explained arrangement", rerun))


if __name__ == "__main__":
    main()
