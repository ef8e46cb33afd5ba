"""Simulation layer: world building, the SimPy engine, experiments and the CLI.

Notebook API::

    from simulation import load_scenario, run, compare, sweep
    sc = load_scenario("scenarios/library/high_rise_fire.yaml")
    result = run(sc, replications=50, seed=7)
    result.replications  # pyarrow Table, one row per replication
"""

from __future__ import annotations

from scenarios.loader import load_scenario
from simulation.experiments.compare import compare  # the function, not the module of the same name
from simulation.experiments.runner import RunResult, run
from simulation.experiments.sweep import sweep

__all__ = ["RunResult", "compare", "load_scenario", "run", "sweep"]
