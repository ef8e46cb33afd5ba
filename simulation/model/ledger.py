"""The ledger of one replication (台账): incident, task and unit-use records, and routine tallies.

Primary (scenario) incidents keep every record. With ``keep_routine=False`` a routine (stream) incident
is folded into a fixed-size :class:`~simulation.model.routine.RoutineTally` when it closes — or at the
horizon — and its records are dropped, so memory stays bounded for a year of routine load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simulation.model.records import IncidentRecord, TaskRecord, UnitUse, WorkOrderRecord
from simulation.model.routine import RoutineTally
from simulation.model.world import Unit

if TYPE_CHECKING:
    from simulation.model.incident import IncidentState


class Ledger:
    """Records kept (or tallied) as incidents open and close."""

    def __init__(self, horizon: float, keep_routine: bool = True) -> None:
        self.horizon = horizon
        self.incidents: list[IncidentRecord] = []
        self.tasks: list[TaskRecord] = []
        self.unit_uses: list[UnitUse] = []
        self.states: list[IncidentState] = []
        self.work_orders: list[WorkOrderRecord] = []
        self.routine: RoutineTally | None = None if keep_routine else RoutineTally()
        self._open_routine: dict[str, IncidentState] = {}
        # contacts per stream, counted as they are drawn (the tally's own dict when tallying)
        self.calls: dict[str, int] = self.routine.calls if self.routine is not None else {}

    def _tallied(self, st: IncidentState) -> bool:
        return self.routine is not None and st.spec.stream is not None

    def open(self, st: IncidentState) -> None:
        """An incident enters play (its records exist from the start, so one never reached is not missing)."""
        if self._tallied(st):
            self._open_routine[st.spec.id] = st
            return
        self.incidents.append(st.rec)
        self.states.append(st)
        self.tasks.extend(st.tasks.values())

    def closed(self, st: IncidentState) -> None:
        """Every task of ``st`` is done: a routine incident is folded into the tally now."""
        if st.spec.id in self._open_routine:
            del self._open_routine[st.spec.id]
            self.routine.add(st.rec, list(st.tasks.values()), self.horizon)  # type: ignore[union-attr]

    def add_work_order(self, st: IncidentState, order: WorkOrderRecord) -> None:
        st.work_orders.setdefault(order.task, []).append(order)
        if not self._tallied(st):
            self.work_orders.append(order)

    @staticmethod
    def work_orders_of(st: IncidentState, task: str) -> list[WorkOrderRecord]:
        """The orders issued so far for ``task`` of ``st``, in order."""
        return st.work_orders.get(task, [])

    def unit_use_recorder(self, st: IncidentState, rec: TaskRecord) -> Callable[[Unit, float], None] | None:
        """A callback that records each unit's use for task ``rec`` (``None`` for a tallied incident)."""
        if self._tallied(st):
            return None
        incident, times, uses = st.spec.id, st.unit_times, self.unit_uses

        def record(u: Unit, free: float) -> None:
            got = times.pop(u.index, None)  # a unit of a later share (assist, a second alarm) has times of its own
            if got is None:
                uses.append(UnitUse(u.name, incident, rec.task, rec.unit_assigned, rec.arrived, free))
            else:
                uses.append(UnitUse(u.name, incident, rec.task, got[0], got[1], free))

        return record

    def finish(self) -> None:
        """Close the books: unfinished tasks are abandoned; open routine incidents are tallied."""
        for t in self.tasks:
            if t.status != "done":
                t.status = "abandoned"
        for st in self._open_routine.values():
            for t in st.tasks.values():
                if t.status != "done":
                    t.status = "abandoned"
            self.routine.add(st.rec, list(st.tasks.values()), self.horizon)  # type: ignore[union-attr]
        self._open_routine.clear()

    @property
    def open_routine(self) -> int:
        """Routine incidents still open (tallied when they close)."""
        return len(self._open_routine)
