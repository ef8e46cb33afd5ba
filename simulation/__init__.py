"""Simulation layer: world building, the SimPy engine, experiments and the CLI.

Notebook API::

    from simulation import load_scenario, run
    sc = load_scenario("scenarios/library/high_rise_fire.yaml")
    result = run(sc, replications=50, seed=7)
    result.replications  # pyarrow Table, one row per replication
"""

from scenarios.loader import load_scenario
from simulation.experiment import RunResult, run

__all__ = ["RunResult", "load_scenario", "run"]
