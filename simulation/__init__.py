"""Simulation layer: world building, the SimPy engine, experiments and the CLI.

Notebook API::

    from simulation import load_scenario, run, compare, sweep
    sc = load_scenario("scenarios/library/high_rise_fire.yaml")
    result = run(sc, replications=50, seed=7)  # or run("scenarios/library/high_rise_fire.yaml", 50, 7)
    result.replications  # pyarrow Table, one row per replication

The names are imported on first use (PEP 562), so ``import simulation`` — and with it the ``linkage``
command line — does not pay for scipy, pandas, dask and the other heavy libraries the experiments need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scenarios.loader import load_scenario
    from simulation.experiments.api import compare, prepare, run, sweep
    from simulation.experiments.compare import Variant
    from simulation.experiments.runner import RunResult

__all__ = ["RunResult", "Variant", "compare", "load_scenario", "prepare", "run", "sweep"]

# name → module that defines it; retargeting a name is one line here (and one in TYPE_CHECKING above).
_LAZY: dict[str, str] = {
    "load_scenario": "scenarios.loader",
    "run": "simulation.experiments.api",
    "compare": "simulation.experiments.api",
    "sweep": "simulation.experiments.api",
    "prepare": "simulation.experiments.api",
    "RunResult": "simulation.experiments.runner",
    "Variant": "simulation.experiments.compare",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first access and cache it on the package."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
