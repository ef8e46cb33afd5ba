"""Fit the hidden-hazard loop to Putuo (Jan–Oct 2020) and print the fitted constants, the fit per figure and
the held-out comparison (docs/defect_loop.md quotes its output).

    .venv/bin/python benchmarks/calibrate_defect_loop.py          # fit from the current defaults, then report
    .venv/bin/python benchmarks/calibrate_defect_loop.py --report # report the current defaults only
"""

from __future__ import annotations

import sys

from scenarios.defect_loop import DefectLoopSpec
from simulation.experiments.loop_calibration import fit_putuo, fit_report, held_out


def show(title: str, rows) -> None:
    print(f"\n{title}\n| figure | source | published | model | miss |\n|---|---|---:|---:|---:|")
    for f in rows:
        share = f.published < 1.5
        fmt = "{:.2%}" if share else "{:,.0f}"
        pub, mod = fmt.format(f.published), fmt.format(f.model)
        miss = f"{f.points:+.2f} points" if share else f"{100 * f.miss:+.2f} %"
        print(f"| {f.name} | {f.source} | {pub} | {mod} | {miss} |")


def main() -> None:
    spec = DefectLoopSpec()
    if "--report" not in sys.argv:
        spec = fit_putuo(spec)
        rates = {c: round(v.rate_per_grid_day, 6) for c, v in spec.categories.items()}
        print("FITTED_RATES =", rates)
        print("FITTED_RECTIFY_SCALE =", round(spec.rectify_scale, 4))
        print("FITTED_ON_THE_SPOT =", round(spec.enforcement.on_the_spot, 4))
    show("Fit (Putuo Jan–Oct 2020, integrated_grid, seeds 0–3)", fit_report(spec))
    show("Held out (not used in fitting)", held_out(spec))


if __name__ == "__main__":
    main()
