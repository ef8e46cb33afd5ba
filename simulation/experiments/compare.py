"""Paired comparison of responsibility arrangements with common random numbers (对比实验).

``compare(scenario, ["sectoral_lead", "integrated_grid"], replications=30, seed=7)`` runs every
arrangement on the same scenario with the same seed. The engine's named streams give common random
numbers: replication *r* of every arrangement sees the same incidents and the same draws wherever
behaviour is the same, so per-replication differences cancel shared noise. Per metric and per
arrangement against the **baseline** (the first one) it reports the mean paired difference with a 95 %
t-interval and a paired t-test p-value, Holm-corrected across the arrangements compared; Welch's
unpaired interval on the same runs is kept beside it to show what pairing buys.

Beyond arrangements: a :class:`Variant` is (label, arrangement, extra ``--set`` overrides), so the same
machinery compares *scenario options* too — a channel latency, a channel down for a period, a desk
empty at night — which live in the scenario, not in the arrangement. A plain string is the variant
whose label and arrangement are that name.

Hazards that are held in only part of the replications make ``t_control`` null elsewhere; its paired
difference then rests on the replications held in both arms (``n``, ``missing_*`` say how many). Each
run therefore gets the derived metric ``controlled`` (1 = held by the horizon, else 0; higher is better),
whose mean is the share of replications held — compare that, and the harms, not the held-subset mean.

The hand-off attribution splits every gap into :data:`STAGES` (``records.GAP_PARTS``: ownership,
notification, decision, unit_wait, travel, setup …) per agency pair and task; the time a hand-off waited at a
duty desk (``handoffs.blocked_time``) is charged to that desk — caller → desk, under the desk's reason
(``holds.DESK_HOLDS``) — so an empty night desk holding up a serial relay's calls shows where it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.schema import Scenario
from simulation.experiments.api import (
    ScenarioLike,
    at_least,
    bad_parameter,
    check_compare_size,
    load,
    non_negative_seed,
    prepare,
    source_name,
)
from simulation.experiments.metrics import summarize
from simulation.experiments.outputs import (
    ATTRIBUTION_SCHEMA,
    ATTRIBUTION_STAGES,
    BLOCK_COLUMNS,
    COMPARISON_SCHEMA,
    CONDITIONS,
    NOT_METRICS,
    RUN_TABLES,
    nan_to_none,
    output_folder,
    package_version,
)
from simulation.experiments.runner import RunResult, run
from simulation.experiments.structure import indicators
from simulation.model.records import GAP_PARTS, GAP_TIMES, split_gap

STAGES = ATTRIBUTION_STAGES
"""Hand-off stages of the attribution table: the mechanism that held each part of a gap (``records.GAP_PARTS``:
ownership, bounce, arbitration, signing, notification, decision, unit_wait, travel, enforcement, setup), and the
duty desk that held it (``holds.DESK_HOLDS``: desk_night_empty, desk_night_short, desk_busy)."""

NOT_COMPARABLE = "not comparable"
"""Verdict when fewer than 2 replications have the metric in both arms."""

HIGHER_IS_BETTER: frozenset[str] = frozenset({"controlled", "closed"})
"""Every contract metric is a time, a count of hand-offs or a harm (lower is better) — except the derived
share ``controlled``."""

CONDITIONAL_METRICS = tuple(CONDITIONS)
"""Times that are null when the hazard is never brought under control: their paired difference is taken
over the replications held in *both* arms only, so read them beside ``controlled`` (the share held)."""

@dataclass(frozen=True)
class Variant:
    """One arm of a comparison: a label, an arrangement (bundled name or file; ``None`` = the scenario's
    own) and extra ``--set`` overrides applied after the common ones."""

    label: str
    arrangement: str | None
    sets: tuple[str, ...] = ()


@dataclass
class ComparisonResult:
    scenario: str
    baseline: str
    seed: int
    replications: int
    runs: dict[str, RunResult]
    comparison: pa.Table
    attribution: pa.Table
    structure: dict[str, dict]
    variants: dict[str, Variant] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "scenario": self.scenario,
            "baseline": self.baseline,
            "seed": self.seed,
            "replications": self.replications,
            "version": package_version(),
            "arrangements": {
                k: {**r.summary, "label": k, "sets": list(self.variants[k].sets) if k in self.variants else []}
                for k, r in self.runs.items()
            },
            "events_processed": sum(r.summary["events_processed"] for r in self.runs.values()),
            "wall_seconds": sum(r.summary["wall_seconds"] for r in self.runs.values()),
            "structure": {k: v["summary"] for k, v in self.structure.items()},
        }

    def table(self, name: str) -> pa.Table:
        """``replications``/``incidents``/``handoffs``/``tasks`` of all arms, ``arrangement`` = the arm's label."""
        parts = []
        for label, r in self.runs.items():
            t = getattr(r, name)
            i = t.schema.get_field_index("arrangement")
            parts.append(t.set_column(i, "arrangement", pa.array([label] * t.num_rows, pa.string())))
        return pa.concat_tables(parts, promote_options="permissive")

    def write(self, out: str | Path) -> None:
        """The files of DESIGN.md for all arms plus comparison/attribution as one folder, all or nothing;
        an earlier output folder at ``out`` is replaced whole."""
        with output_folder(out, "compare") as tmp:
            for name in RUN_TABLES:
                pq.write_table(self.table(name), tmp / f"{name}.parquet")
            pq.write_table(self.comparison, tmp / "comparison.parquet")
            pq.write_table(self.attribution, tmp / "attribution.parquet")
            (tmp / "summary.json").write_text(json.dumps(self.summary(), indent=2, ensure_ascii=False, default=_json),
                                              encoding="utf-8")


def _json(x: object) -> object:
    if isinstance(x, (set, tuple)):
        return list(x)
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


# -- statistics ---------------------------------------------------------------------------------------


def paired_stats(base: Sequence[float], other: Sequence[float]) -> tuple[float, float, float, float]:
    """Mean of ``other - base``, its 95 % t-interval and the paired t-test p-value.

    Zero spread (common random numbers made every difference identical) gives a point interval and
    p = 0 for a non-zero difference, 1 for none — the test statistic is infinite or undefined there.
    """
    from scipy import stats

    d = np.asarray(other, float) - np.asarray(base, float)
    n = d.size
    if n == 0:
        return (math.nan,) * 4
    mean = float(d.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(d.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(mean)):
        return mean, mean, mean, (0.0 if abs(mean) > 1e-12 else 1.0)
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    p = float(stats.ttest_rel(np.asarray(other, float), np.asarray(base, float)).pvalue)
    return mean, mean - half, mean + half, p


def welch_interval(base: Sequence[float], other: Sequence[float]) -> tuple[float, float]:
    """Welch's 95 % interval for ``mean(other) - mean(base)``, ignoring the pairing."""
    from scipy import stats

    a, b = np.asarray(base, float), np.asarray(other, float)
    if a.size < 2 or b.size < 2:
        return math.nan, math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = float(b.mean() - a.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stats.t.ppf(0.975, df)) * se
    return diff - half, diff + half


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (NaN stays NaN and does not count as a test)."""
    idx = [i for i, p in enumerate(pvalues) if not math.isnan(p)]
    m = len(idx)
    out = [math.nan] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: pvalues[i])):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def verdict(metric: str, diff: float, lo: float, hi: float, p_adj: float, alpha: float = 0.05) -> str:
    """``better`` / ``worse`` when the interval excludes 0 and the adjusted p is below ``alpha``."""
    if any(math.isnan(x) for x in (diff, lo, hi, p_adj)) or p_adj >= alpha or lo <= 0 <= hi:
        return "no clear difference"
    lower_better = metric not in HIGHER_IS_BETTER
    return "better" if (diff < 0) == lower_better else "worse"


def comparison_table(runs: dict[str, RunResult], baseline: str) -> pa.Table:
    """Rows (metric × arrangement ≠ baseline) of paired differences, Holm-adjusted per metric."""
    tables = {k: r.replications for k, r in runs.items()}
    metrics: list[str] = []
    for t in tables.values():
        metrics += [c for c in t.column_names if c not in NOT_METRICS and c not in metrics]
    base = tables[baseline]
    rows: list[dict] = []
    for m in metrics:
        block = []
        for label, t in tables.items():
            if label == baseline:
                continue
            bv = (
                dict(zip(base.column("replication").to_pylist(), base.column(m).to_pylist()))
                if m in base.column_names
                else {}
            )
            ov = dict(zip(t.column("replication").to_pylist(), t.column(m).to_pylist())) if m in t.column_names else {}
            b_all = [v for v in bv.values() if v is not None]
            o_all = [v for v in ov.values() if v is not None]
            if not b_all and not o_all:
                continue  # the metric applies to neither arm
            keys = sorted(r for r in bv if r in ov and bv[r] is not None and ov[r] is not None)
            b = [bv[r] for r in keys]
            o = [ov[r] for r in keys]
            mean, lo, hi, p = paired_stats(b, o)
            ulo, uhi = welch_interval(b_all, o_all)
            # Means over the pairs when there are any, else over whatever one arm has (n = 0 says so).
            block.append({"metric": m, "baseline": baseline, "arrangement": label, "n": len(keys),
                          "mean_baseline": float(np.mean(b if keys else b_all)) if (keys or b_all) else math.nan,
                          "mean_arrangement": float(np.mean(o if keys else o_all)) if (keys or o_all) else math.nan,
                          "diff_mean": mean, "ci_low": lo, "ci_high": hi, "p_value": p,
                          "ci_low_unpaired": ulo, "ci_high_unpaired": uhi,
                          "missing_baseline": len(bv) - len(b_all), "missing_arrangement": len(ov) - len(o_all)})
        for row, pa_ in zip(block, holm([r["p_value"] for r in block])):
            row["p_adjusted"] = pa_
            row["verdict"] = (NOT_COMPARABLE if row["n"] < 2 else
                              verdict(m, row["diff_mean"], row["ci_low"], row["ci_high"], pa_))
        rows += block
    cols = {f.name: [nan_to_none(r.get(f.name)) for r in rows] for f in COMPARISON_SCHEMA}
    return pa.table(cols, schema=COMPARISON_SCHEMA)


# -- derived metrics ------------------------------------------------------------------------------------


def add_controlled(result: RunResult, scenario: Scenario) -> None:
    """Add ``controlled`` to a run: 1 in a replication where the primary incident was brought under control
    by the horizon (``t_control`` not null and within it), else 0 — its mean is the share held (控制率).

    ``t_control`` alone hides what matters when a hazard is held in only part of the replications (the
    flagship fire with weak upper-floor water): its mean is over the held ones only. Only added where
    control applies — the primary incident's type has a task that ``controls`` it; a stream-only scenario
    or one without such a task gets no column (a metric that does not apply is absent or null, never 0).
    """
    inc = scenario.primary_incident()
    reps = result.replications
    if inc is None or "controlled" in reps.column_names or "t_control" not in reps.column_names:
        return
    if not any(t.controls for t in scenario.incident_types[inc.type].tasks):
        return
    limit = scenario.horizon - inc.onset
    vals = [0.0 if v is None or v > limit else 1.0 for v in reps.column("t_control").to_pylist()]
    at = reps.schema.get_field_index("t_control") + 1
    result.replications = reps.add_column(at, pa.field("controlled", pa.float64()), pa.array(vals, pa.float64()))
    metrics = {}
    for k, v in result.summary["metrics"].items():
        metrics[k] = v
        if k == "t_control":
            metrics["controlled"] = summarize(vals)
    result.summary["metrics"] = metrics


# -- hand-off attribution ------------------------------------------------------------------------------


def attribution_rows(label: str, result: RunResult, scenario: Scenario) -> list[dict]:
    """Where one arrangement's hand-off gaps go: per (from, to, task, stage), seconds per replication.

    Stages are :data:`STAGES` (``records.GAP_PARTS``, split by :func:`records.split_gap`): the mechanism
    that held each part — ``bounce`` and ``arbitration`` for work orders returned and ruled on,
    ``enforcement`` for an owner waiting for someone with the powers it lacks, ``decision`` the owner's own
    deliberation (notified → decided), kept apart from ``unit_wait`` (decided → unit assigned). Only the
    primary incident counts (as for ``handoff_gap_total``). A hand-off that never started by the horizon is
    charged up to the horizon to the stage it was stuck in, like the censored gap. The seconds a hand-off
    waited at a duty desk (``blocked_time``, taken out of ``block_stage``) go to ``blocked_caller → blocked_by``
    under the desk's ``block_reason``: the desk that held it, not the pair whose message came late.
    """
    inc = scenario.primary_incident()
    primary = None if inc is None else inc.id  # a stream-only scenario: every incident counts
    n_reps = result.replications.num_rows
    h = result.handoffs
    acc: dict[tuple[str, str, str, str], float] = {}
    if h.num_rows:
        cols = {c: h.column(c).to_pylist()
                for c in ("incident", "task", "from_agency", "to_agency", *GAP_TIMES, *BLOCK_COLUMNS)}
        for i in range(h.num_rows):
            if primary is not None and cols["incident"][i] != primary:
                continue
            # censored: the stuck stage runs to the horizon, later stages take nothing
            parts = split_gap({k: math.nan if cols[k][i] is None else cols[k][i] for k in GAP_TIMES}, scenario.horizon)
            src = cols["from_agency"][i] or "(start)"
            dst = cols["to_agency"][i] or "(no owner)"
            held = cols["blocked_time"][i]
            if held:  # the wait at a duty desk: out of its part, onto the desk that held it
                parts = list(parts)
                k = GAP_PARTS.index(cols["block_stage"][i])
                parts[k] = max(0.0, parts[k] - held)
                key = (cols["blocked_caller"][i] or "(start)", cols["blocked_by"][i], cols["task"][i],
                       cols["block_reason"][i])
                acc[key] = acc.get(key, 0.0) + held
            for stage, seconds in zip(GAP_PARTS, parts):
                key = (src, dst, cols["task"][i], stage)
                acc[key] = acc.get(key, 0.0) + seconds
    total = sum(acc.values())
    rows = [{"arrangement": label, "from_agency": k[0], "to_agency": k[1], "stage": k[3], "task": k[2],
             "seconds_mean": v / n_reps, "share": (v / total) if total > 0 else 0.0}
            for k, v in acc.items() if v > 0]
    rows.sort(key=lambda r: -r["seconds_mean"])
    return rows


def attribution_table(rows: Iterable[dict]) -> pa.Table:
    rows = list(rows)
    return pa.table({f.name: [r[f.name] for r in rows] for f in ATTRIBUTION_SCHEMA}, schema=ATTRIBUTION_SCHEMA)


# -- the experiment ------------------------------------------------------------------------------------


def _variants(arrangements: Sequence[str | Variant]) -> list[Variant]:
    out = [a if isinstance(a, Variant) else Variant(a, a) for a in arrangements]
    if len(out) < 2:
        raise bad_parameter("compare", "arrangements", f"compare needs at least 2 arrangements (got {len(out)})")
    seen: set[str] = set()
    for v in out:
        if v.label in seen:
            raise bad_parameter("compare", "arrangements", f"arrangement '{v.label}' is given twice")
        seen.add(v.label)
    return out


def load_arms(scenario: ScenarioLike, arrangements: Sequence[str | Variant], replications: int,
              sets: Iterable[str] = (), allow_large: bool = False) -> tuple[list[Variant], dict[str, Scenario]]:
    """The comparison's arms, each scenario loaded (not built), and the size of the whole comparison checked:
    every arm's records are kept together, so ``arms × replications`` must fit (:mod:`scenarios.limits`) —
    refused here, before any world is built or any replication runs."""
    variants = _variants(arrangements)
    at_least("compare", "replications", replications, 2, "a paired comparison needs", "replications")
    common = tuple(sets)
    loaded = {v.label: load(scenario, v.arrangement, (*common, *v.sets), allow_large) for v in variants}
    check_compare_size(list(loaded.values()), replications, allow_large)
    return variants, loaded


def compare(scenario: ScenarioLike, arrangements: Sequence[str | Variant], replications: int = 30, seed: int = 0,
            sets: Iterable[str] = (), progress: Callable[[int], None] | None = None,
            allow_large: bool = False) -> ComparisonResult:
    """Run every arrangement (or variant) on ``scenario`` (a file path or a loaded scenario) with the same
    seed; the first is the baseline.

    Validates everything first (unknown arrangement, duplicates, fewer than 2 arms, fewer than 2
    replications, a comparison too large to fit unless ``allow_large`` → :class:`InputError` naming the
    parameter), then runs; nothing is written here (see ``write``).
    """
    non_negative_seed("compare", seed)
    variants, loaded = load_arms(scenario, arrangements, replications, sets, allow_large)
    worlds = {k: prepare(sc, source=source_name(scenario))[1] for k, sc in loaded.items()}
    runs: dict[str, RunResult] = {}
    for v in variants:
        runs[v.label] = run(loaded[v.label], replications, seed, world=worlds[v.label], progress=progress)
        add_controlled(runs[v.label], loaded[v.label])
    baseline = variants[0].label
    comparison = comparison_table(runs, baseline)
    attribution = attribution_table(
        r for v in variants for r in attribution_rows(v.label, runs[v.label], loaded[v.label])
    )
    structure = {k: indicators(w) for k, w in worlds.items()}
    return ComparisonResult(loaded[baseline].name, baseline, seed, replications, runs, comparison, attribution,
                            structure, {v.label: v for v in variants})
