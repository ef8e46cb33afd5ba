"""Experiments on the model: runs, comparisons, sweeps, their analysis and the output contract.

The public API (what notebooks, the dashboards and the CLI use) is :mod:`simulation.experiments.api`
(``prepare``, ``run``, ``compare``, ``sweep``) plus the names below, importable from here; names are
loaded lazily (PEP 562), so ``import simulation.experiments`` pulls in neither the engine nor scipy,
pandas, duckdb or SALib until a name that needs them is used. ``compare`` and ``sweep`` are not
attributes of this package: they would be replaced by the submodules of the same names.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # the library API (``compare`` and ``sweep`` are submodules here: call ``api.compare`` / ``api.sweep``,
    # or ``simulation.compare`` / ``simulation.sweep`` — a package attribute cannot be both)
    "prepare": "api", "run": "api", "load": "api", "document": "api", "ScenarioLike": "api", "ORIGINS": "api",
    # results
    "RunResult": "runner", "ComparisonResult": "compare", "Variant": "compare", "SweepResult": "sweep_archive",
    "SweepStatus": "sweep_archive", "read_manifest": "sweep_archive", "Analysis": "analysis",
    "HIGHER_IS_BETTER": "compare", "CONDITIONAL_METRICS": "compare", "attribution_difference": "why",
    "start_difference": "why", "outcome_rows": "why", "OUTCOMES": "why",
    # the output contract
    "METRICS": "outputs", "TIME_METRICS": "outputs", "HANDOFF_METRICS": "outputs", "HAZARD_METRICS": "outputs",
    "NOT_METRICS": "outputs", "RUN_TABLES": "outputs", "COMPARISON_SCHEMA": "outputs",
    "ATTRIBUTION_SCHEMA": "outputs", "MARKER": "outputs", "package_version": "outputs", "nan_to_none": "outputs",
    "is_duration": "outputs", "CONDITIONS": "outputs", "SHARES": "outputs", "BLOCK_COLUMNS": "outputs",
    "BLOCK_VALUES": "outputs", "ATTRIBUTION_STAGES": "outputs", "desk_holds": "why",
    "output_folder": "outputs", "check_out": "outputs",
    # statistics, queries and analysis
    "summarize": "metrics", "load_sweep": "results", "query": "results", "analyze": "analysis",
    "sobol_indices": "sensitivity", "tornado": "sensitivity", "prim": "discovery", "misses": "discovery",
    "parse_target": "discovery", "parse_factors": "designs", "indicators": "structure",
    # the hidden-hazard loop (隐患闭环)
    "compare_loop": "loop", "loop_tables": "loop", "LoopComparison": "loop", "LEAK_STAGES": "loop",
    "LOOP_METRICS": "outputs", "LOOP_TABLES": "outputs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

