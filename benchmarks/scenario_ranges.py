"""Print the expected ranges of a bundled scenario's metrics (p50 … p90 over replications, minutes for times),
as `scenarios/README.md` quotes them: ``python benchmarks/scenario_ranges.py NAME [-n 200] [--seed 7]``."""

from __future__ import annotations

import argparse
import math

import numpy as np

from simulation.experiments import api
from simulation.experiments.outputs import is_duration


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-a", "--arrangement", default=None)
    args = ap.parse_args()
    res = api.run(f"scenarios/library/{args.name}.yaml", args.n, args.seed, arrangement=args.arrangement)
    rows = res.replications.to_pylist()
    for metric in [k for k in rows[0] if k not in ("replication", "seed", "arrangement", "events_processed")]:
        vals = [r[metric] for r in rows if r[metric] is not None and not (isinstance(r[metric], float)
                                                                            and math.isnan(r[metric]))]
        if not vals:
            print(f"{metric:28s} —")
            continue
        v = np.asarray(vals, dtype=float) / (60.0 if is_duration(metric) else 1.0)
        share = f" in {len(vals)} of {len(rows)} ({100 * len(vals) / len(rows):.0f} %)" if len(vals) < len(rows) else ""
        print(f"{metric:28s} {np.percentile(v, 50):8.1f} … {np.percentile(v, 90):8.1f}{share}")


if __name__ == "__main__":
    main()
