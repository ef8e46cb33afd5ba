"""Sensitivity of a sweep's metric to its factors (敏感性分析): Sobol' indices and the one-at-a-time tornado.

- ``sobol`` designs: first-order and total Sobol' indices with SALib (Saltelli 2010 / Jansen
  estimators, bootstrap 95 % intervals). On a stochastic model the replication noise adds variance no
  factor explains, so more replications per point sharpen the indices.
- ``grid`` designs: a one-at-a-time tornado. Baseline = every factor at its middle level (the lower
  middle for an even count; the first value for a two-value list); each factor in turn is set to its
  first and last level with the others at baseline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from simulation.experiments.designs import Factor

# -- Sobol ------------------------------------------------------------------------------------------------


def sobol_indices(y: Sequence[float], names: Sequence[str], *, calc_second_order: bool = False, seed: int = 0,
                  num_resamples: int = 200) -> pd.DataFrame:
    """S1 and ST (with 95 % bootstrap half-widths) from outputs in SALib's Saltelli order."""
    import pandas as pd
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    si = sobol.analyze(problem, y, calc_second_order=calc_second_order, num_resamples=num_resamples,
                       conf_level=0.95, seed=seed)
    return pd.DataFrame({"factor": list(names), "S1": si["S1"], "S1_conf": si["S1_conf"],
                         "ST": si["ST"], "ST_conf": si["ST_conf"]})


# -- tornado ----------------------------------------------------------------------------------------------


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True)


def tornado(points: Sequence[dict[str, Any]], y: Sequence[float], factors: Sequence[Factor]) -> pd.DataFrame:
    """One-at-a-time effects on a grid: the metric at each factor's first and last level, others at baseline."""
    import pandas as pd

    y = np.asarray(y, dtype=float)
    levels = {f.path: f.levels() for f in factors}
    base = {p: lv[(len(lv) - 1) // 2] for p, lv in levels.items()}
    index = {tuple(_key(pt[f.path]) for f in factors): i for i, pt in enumerate(points)}

    def at(**over: Any) -> float:
        i = index.get(tuple(_key(over.get(f.path, base[f.path])) for f in factors))
        return float("nan") if i is None else float(y[i])

    rows = []
    baseline = at()
    for f in factors:
        lo, hi = levels[f.path][0], levels[f.path][-1]
        y_lo, y_hi = at(**{f.path: lo}), at(**{f.path: hi})
        rows.append({"factor": f.path, "low": _show(lo), "high": _show(hi), "baseline_level": _show(base[f.path]),
                     "at_low": y_lo, "at_high": y_hi, "baseline": baseline, "swing": y_hi - y_lo})
    df = pd.DataFrame(rows)
    return df.iloc[np.argsort(-np.nan_to_num(np.abs(df["swing"].to_numpy()), nan=-1), kind="stable")].reset_index(
        drop=True
    )


def _show(v: Any) -> Any:
    return v if isinstance(v, (int, float, str)) else json.dumps(v, ensure_ascii=False)
