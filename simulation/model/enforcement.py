"""Street powers (街道执法权) and 吹哨报到 (the street whistles, departments report).

A task may need legal powers (执法权: ordering a shutdown, sealing premises, forcing an evacuation). When its
owner does not hold them — a street office never does — the work cannot start until an agency that holds
them is on scene:

* under an arrangement with ``whistle`` (吹哨报到), the owner calls the department straight to the scene; the
  department must come (``WhistleSpec.report``) and stays until the task is done;
* without it, the owner goes up to the lowest common superior of itself and the department, which orders the
  department after ``escalation_decision`` seconds; the department decides, then comes.

The holder is the agency with the powers that can also do the task (else any holder), local first.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from agencies.catalogue import role_catalogue
from scenarios.schema import TaskSpec
from simulation.model.context import Collaborator, Context
from simulation.model.policy import decided
from simulation.model.records import TaskRecord

if TYPE_CHECKING:
    from simulation.model.incident import IncidentState


class Enforcement(Collaborator):
    """Brings an agency with the needed powers to tasks whose owner lacks them."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._powers_of: dict[str, frozenset] | None = None  # built on the first task that needs powers

    @property
    def _powers(self) -> dict[str, frozenset]:
        if self._powers_of is None:
            roles = role_catalogue()
            self._powers_of = {a.id: roles[a.role].powers for a in self.sc.agencies}
        return self._powers_of

    def lacks(self, owner: str, task: TaskSpec) -> bool:
        return bool(task.powers) and not set(task.powers) <= self._powers[owner]

    def holder(self, task: TaskSpec, grid: str) -> str | None:
        """The agency that brings the powers: able to do the task if any is, local first (scenario order)."""
        need = set(task.powers)
        able = set(self.world.capable(task.needs, grid))
        street = self.world.citymap.street_of(grid)
        holders = [a for a in self.sc.agencies if need <= self._powers[a.id]]
        local = [a.id for a in holders if a.jurisdiction is None or street in a.jurisdiction]
        pool = local or [a.id for a in holders]
        return next((a for a in pool if a in able), pool[0] if pool else None)

    def call(self, st: IncidentState, task: TaskSpec, owner: str, rec: TaskRecord) -> Generator:
        """A process: returns once a holder of the powers is on scene (``rec.enforcer``, ``rec.powers_present``)."""
        env, msg = self.env, self.messaging
        rec.powers_requested = env.now
        holder = self.holder(task, st.spec.grid)
        if holder is None:  # the schema refuses a scenario where nobody holds a needed power
            yield env.event()
        allowed = self.sc.arrangement.whistle
        if (yield from decided(self.policy.whistle(st.view, task.id, owner, holder, allowed))) and allowed:
            rec.whistled = True
            yield from msg.send(owner, holder, st)  # the street whistles (吹哨) …
            msg.mark_known(st, holder)
        else:
            superior = self.world.graph.lowest_common_superior(sorted({owner, holder})) or owner
            yield from msg.send(owner, superior)  # … or goes up through its superior
            msg.mark_known(st, superior)
            yield env.timeout(self.sc.arrangement.escalation_decision)
            yield from msg.send(superior, holder, st)
            msg.mark_known(st, holder)
            decision = self.world.graph.agency[holder].decision
            yield env.timeout(self.streams.draw("decision", f"{st.key}.{task.id}.enforcer", decision))
        yield env.timeout(self.streams.draw("decision", f"{st.key}.{task.id}.report", self.sc.whistle.report))
        rec.enforcer, rec.powers_present = holder, env.now  # … and the department reports (报到)
