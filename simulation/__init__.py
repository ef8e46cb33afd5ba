"""Simulation layer: world building, the SimPy engine, experiments and the CLI.

Notebook API::

    from simulation import load_scenario, run, compare, sweep
    sc = load_scenario("scenarios/library/high_rise_fire.yaml")
    result = run(sc, replications=50, seed=7)
    result.replications  # pyarrow Table, one row per replication
"""

from __future__ import annotations

from typing import Any

from scenarios.loader import load_scenario
from simulation.experiment import RunResult, run

__all__ = ["RunResult", "compare", "load_scenario", "run", "sweep"]


def __getattr__(name: str) -> Any:
    # compare and sweep pull in scipy.stats / dask: imported on first use, not with every CLI start.
    if name == "compare":
        from simulation.compare import compare

        return compare
    if name == "sweep":
        from simulation.sweep import sweep

        return sweep
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
