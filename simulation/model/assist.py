"""Assisting agencies act (协助出动): a task's unit requirement is shared between its owner and the agencies
the arrangement lists as assisting it, when they have units of the kind.

The owner's share goes as any dispatch; each assistant sends its share only once a notice of the incident has
reached it and it has decided (its own decision time), from its own stations. Work starts when the first unit
of anyone arrives — so an arrangement that brings a second agency's nearer or sooner-told units changes the
outcome; units still on the way when the work ends turn back, and every unit sent is listed on the task.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from scenarios.schema import TaskSpec
from simulation.model.context import Collaborator
from simulation.model.records import TaskRecord
from simulation.model.unit_pool import MUTUAL_AID
from simulation.model.world import Unit

if TYPE_CHECKING:
    from simulation.model.incident import IncidentState


def shares(count: int, parties: int) -> list[int]:
    """Split ``count`` units among ``parties`` as evenly as possible, the owner first."""
    base, extra = divmod(count, parties)
    return [base + (1 if i < extra else 0) for i in range(parties)]


class JointDispatch(Collaborator):
    """Dispatch of one task by its owner and its assisting agencies together."""

    def dispatch(self, st: IncidentState, task: TaskSpec, owner: str, helpers: tuple[str, ...], count: int,
                 rec: TaskRecord, agencies: frozenset[str] | None) -> Generator:
        """Send every party's share; return (``yield from``) once the first unit is on scene, with the list
        that collects every unit assigned (it keeps growing while late units are assigned)."""
        env = self.env
        on_scene = env.event()
        sent: list[Unit] = []
        rec.dispatch_request = env.now
        parts = shares(count, 1 + len(helpers))
        env.process(self._share(st, task, owner, parts[0], rec, agencies, on_scene, sent, told=True))
        for helper, n in zip(helpers, parts[1:]):
            if n > 0:
                env.process(self._share(st, task, helper, n, rec, frozenset((helper,)), on_scene, sent, told=False))
        first = yield on_scene
        rec.arrived = env.now
        return sent, first

    def _share(self, st: IncidentState, task: TaskSpec, agency: str, n: int, rec: TaskRecord,
               agencies: frozenset[str] | None, on_scene: simpy.Event, sent: list[Unit], told: bool) -> Generator:
        env, w = self.env, self.world
        if not told:
            ev = self.messaging.notified_event(st, agency)
            if not ev.triggered:
                yield ev  # an assistant acts only once the incident has reached it
            decision = w.graph.agency[agency].decision
            yield env.timeout(self.streams.draw("decision", f"{st.key}.{task.id}.assist.{agency}", decision))
            if st.done[task.id].triggered:
                return  # the work ended before this agency moved
        grid = w.citymap.index[st.spec.grid]
        req = self.pool.request(task.unit, agencies, grid, n, st.view, task.id)
        done = st.done[task.id]
        if not req.triggered:
            # Every unit this party may send is out: its share waits for one to come back — unless the work ends
            # first (another party's units got there and did it), when the share is stood down (a unit assigned
            # then would only turn back), as a second alarm is.
            yield self.pool.met_or_done(req, done)
            if not req.triggered:
                return  # stood down
        units = yield req
        if math.isnan(rec.unit_assigned) or env.now < rec.unit_assigned:
            rec.unit_assigned = env.now
            rec.queue_wait = env.now - rec.dispatch_request
        if units is MUTUAL_AID:
            if not told:
                return  # an assistant with nothing free sends nothing; the owner's call goes to a neighbour
            st.rec.mutual_aid = True
            rec.units.append("mutual_aid")
            yield env.timeout(self.pool.mutual_aid_delay())
            if not on_scene.triggered:
                on_scene.succeed("mutual_aid")
            return
        units = list(units)
        rec.units.extend(u.name for u in units)
        assigned = env.now
        for u in units:  # each share's own times (UnitUse), not the task's earliest
            st.unit_times[u.index] = (assigned, math.nan)
        if st.done[task.id].triggered:  # assigned after the work ended: they turn back at once
            self.pool.release(units, grid, self.ledger.unit_use_recorder(st, rec))
            return
        sent.extend(units)
        delay, first = self.pool.first_arrival(units, grid)
        yield env.timeout(delay)
        if st.done[task.id].triggered:
            return  # the work ended on their way: released and booked then (turned back); nothing to note now
        for u in units:
            st.unit_times[u.index] = (assigned, env.now)
        if not on_scene.triggered:
            on_scene.succeed(first)
