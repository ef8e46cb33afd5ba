"""Experiments (phase *run* and *collect*): replications of one scenario, written as the contract's files.

Kept apart from the model (the engine) and from experiment designs (compare, sweep): an evaluator that
takes a built world, a seed and a count, and returns columnar results.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scenarios.loader import scenario_hash
from scenarios.schema import Scenario
from simulation.experiments.api import at_least, non_negative_seed
from simulation.experiments.metrics import censored_gap, metric_names, replication_metrics, summarize
from simulation.experiments.outputs import (
    BLOCK_COLUMNS,
    COLUMNS,
    EXTRA_TIMES,
    INCIDENT_COLUMNS,
    RUN_TABLES,
    nan_to_none,
    output_folder,
    package_version,
    replications_schema,
    table,
)
from simulation.model.engine import Replication, settled_world
from simulation.model.policy import Policy
from simulation.model.records import GAP_PARTS, TASK_STAGES, WORK_ORDER_TIMES
from simulation.model.rng import replication_seed
from simulation.model.world import World, build_world

__all__ = ["INCIDENT_COLUMNS", "Collector", "RunResult", "package_version", "run"]


@dataclass
class RunResult:
    """Columnar results of one run: the tables of the output contract plus its summary."""

    replications: pa.Table
    incidents: pa.Table
    handoffs: pa.Table
    tasks: pa.Table
    workorders: pa.Table
    summary: dict
    last: Replication | None = field(default=None, repr=False)

    def write(self, out: str | Path, command: str = "run") -> None:
        """The run's files as one folder (see :func:`~simulation.experiments.outputs.output_folder`):
        an earlier output folder at ``out`` is replaced whole; on failure it is left as it was."""
        with output_folder(out, command) as tmp:
            for name in RUN_TABLES:
                pq.write_table(getattr(self, name), tmp / f"{name}.parquet")
            (tmp / "summary.json").write_text(json.dumps(self.summary, indent=2, ensure_ascii=False), encoding="utf-8")


_STAGES = (*TASK_STAGES, *EXTRA_TIMES)
_stage_values = attrgetter(*_STAGES)
_TASK_HEAD = ("replication", "arrangement", "incident", "task", "owner", "status")
_TASK_TAIL = ("units", "enforcer", "whistled")
_HAND_HEAD = ("replication", "arrangement", "incident", "task", "from_agency", "to_agency")
_HAND_TAIL = ("gap", "escalated", "censored", *BLOCK_COLUMNS)
_blocks = attrgetter(*BLOCK_COLUMNS)
for _name, _cols in (("tasks", (*_TASK_HEAD, *_STAGES, *_TASK_TAIL)),
                     ("handoffs", (*_HAND_HEAD, *_STAGES, *GAP_PARTS, *_HAND_TAIL))):
    if sorted(_cols) != sorted(COLUMNS[_name]):  # a column of the contract the collector does not fill
        raise RuntimeError(f"Collector: {_name} columns {sorted(set(COLUMNS[_name]) ^ set(_cols))} out of step")


class Collector:
    """Accumulates rows of many replications into columns."""

    def __init__(self, arrangement: str) -> None:
        self.arrangement = arrangement
        self.rep_rows: list[dict] = []
        self.inc: dict[str, list] = {k: [] for k in COLUMNS["incidents"]}
        self.hand: dict[str, list] = {k: [] for k in COLUMNS["handoffs"]}
        self.task: dict[str, list] = {k: [] for k in COLUMNS["tasks"]}
        self.orders: dict[str, list] = {k: [] for k in COLUMNS["workorders"]}
        self.events = 0
        # Task and hand-off rows are the bulk of a run's output: their values go straight into the columns
        # (no row dict per task), through these column lists, in the order of the names beside them.
        self._task_cols = [self.task[k] for k in (*_TASK_HEAD, *_STAGES, *_TASK_TAIL)]
        self._hand_cols = [self.hand[k] for k in (*_HAND_HEAD, *_STAGES, *GAP_PARTS, *_HAND_TAIL)]

    def add(self, r: int, seed: int, rep: Replication) -> None:
        m = replication_metrics(rep)
        self.rep_rows.append({"replication": r, "seed": replication_seed(seed, r), "arrangement": self.arrangement,
                              **m, "events_processed": rep.env.events_processed})
        self.events += rep.env.events_processed
        self.add_work_orders(r, rep)
        for inc in rep.incidents:
            row = {"replication": r, "arrangement": self.arrangement, "incident": inc.incident, "type": inc.type,
                   "grid": inc.grid, "level": inc.level, "detected_by": inc.detected_by, "receiver": inc.receiver,
                   "lead": inc.lead, "first_unit": inc.first_unit, "mutual_aid": inc.mutual_aid,
                   "level_max": inc.level_max, "command_post": inc.command_post, "command_tier": inc.command_tier,
                   "access_blocked": inc.access_blocked,
                   "reinforcements": inc.reinforcements if inc.level is not None else None}
            row.update({c: nan_to_none(getattr(inc, c)) for c in INCIDENT_COLUMNS})
            for k, v in row.items():
                self.inc[k].append(v)
        horizon = rep.sc.horizon
        arrangement, task_cols, hand_cols = self.arrangement, self._task_cols, self._hand_cols
        for t in rep.tasks:
            stages = [nan_to_none(v) for v in _stage_values(t)]
            row = [r, arrangement, t.incident, t.task, t.owner, t.status, *stages, ",".join(t.units), t.enforcer,
                   t.whistled]
            for col, v in zip(task_cols, row):
                col.append(v)
            if not t.counts_as_handoff or math.isnan(t.available):
                continue
            gap, censored = censored_gap(t, horizon)
            row = [r, arrangement, t.incident, t.task, t.from_agency, t.owner, *stages,
                   *[nan_to_none(v) for v in t.gap_parts()], gap, t.escalated, censored,
                   *[nan_to_none(v) for v in _blocks(t)]]
            for col, v in zip(hand_cols, row):
                col.append(v)

    def add_work_orders(self, r: int, rep: Replication) -> None:
        for o in rep.work_order_records:
            row = {"replication": r, "arrangement": self.arrangement, "incident": o.incident, "task": o.task,
                   "order_no": o.order_no, "dispatcher": o.dispatcher, "to_agency": o.to_agency,
                   **{c: nan_to_none(getattr(o, c)) for c in WORK_ORDER_TIMES},
                   "reject_reason": o.reject_reason, "outcome": o.outcome, "t_received": nan_to_none(o.t_received)}
            for k, v in row.items():
                self.orders[k].append(v)

    def tables(self) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table, pa.Table]:
        names = metric_names(self.rep_rows)
        cols: dict[str, list] = {"replication": [], "seed": [], "arrangement": []}
        for n in names:
            cols[n] = []
        cols["events_processed"] = []
        for row in self.rep_rows:
            for k in cols:
                cols[k].append(row.get(k))
        reps = pa.table(cols, schema=replications_schema(names))
        return reps, table(self.inc), table(self.hand), table(self.task), table(self.orders)


def run(scenario: Scenario, replications: int = 30, seed: int = 0, *, world: World | None = None,
        policy_factory: Callable[[World], Policy] | None = None, progress: Callable[[int], None] | None = None,
        keep_last: bool = False, first_replication: int = 0, keep_routine: bool = True) -> RunResult:
    """Run ``replications`` independent replications; replication ``r`` draws from streams keyed by (seed, r).

    ``keep_routine=False`` folds routine (stream) incidents into tallies instead of keeping their records:
    memory stays bounded for a year of routine load, and incidents/handoffs/tasks list primary incidents only.
    """
    at_least("run", "replications", replications, 1)
    non_negative_seed("run", seed)
    world = world or build_world(scenario)
    col = Collector(scenario.arrangement.name)
    t0 = time.perf_counter()
    last = None
    final = first_replication + replications - 1
    with settled_world():
        for r in range(first_replication, final + 1):
            policy = policy_factory(world) if policy_factory else None
            rep = Replication(world, seed, r, policy, trace=keep_last, keep_routine=keep_routine).run()
            col.add(r, seed, rep)
            if keep_last and r == final:
                last = rep  # kept whole for the caller (traces)
            else:
                rep.close()  # read: its objects freed now, not by the cyclic collector
            if progress is not None:
                progress(1)
    wall = time.perf_counter() - t0
    reps, incs, hands, tasks, orders = col.tables()
    summary = {
        "scenario": scenario.name, "scenario_hash": scenario_hash(scenario), "arrangement": scenario.arrangement.name,
        "seed": seed, "replications": replications, "version": package_version(),
        "events_processed": col.events, "wall_seconds": wall,
        "metrics": {n: summarize(reps.column(n).to_pylist()) for n in reps.column_names
                    if n not in ("replication", "seed", "arrangement", "events_processed")},
    }
    return RunResult(reps, incs, hands, tasks, orders, summary, last)
