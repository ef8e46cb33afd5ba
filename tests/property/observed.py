"""A replication watched from outside the ledger: the unit pool's own moves and the policy's decisions.

The engine's records (``unit_uses``, tasks, levels) are what the properties check; :class:`Observed` keeps an
independent account to check them against — every unit the pool hands out (when, to which incident and task),
when it was released and when it was free again, every request made and every request withdrawn (a second
alarm stood down), and every level the policy decided or raised. Nothing here changes what the engine does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import simpy

from scenarios.schema import Scenario
from simulation.model.engine import Replication
from simulation.model.policy import AutomaticPolicy, IncidentView
from simulation.model.unit_pool import UnitRequest
from simulation.model.world import Unit, build_world


@dataclass
class Move:
    """One unit handed out by the pool: assigned → released (left the scene) → back (free again)."""

    unit: str
    incident: str
    task: str
    assigned: float
    released: float | None = None
    back: float | None = None


@dataclass
class Request:
    incident: str
    task: str
    at: float
    count: int
    event: simpy.Event
    withdrawn_at: float | None = None


@dataclass
class Decision:
    """A level the policy gave: ``reason`` None for the first decision, else why a rise was asked for."""

    incident: str
    time: float
    level: int
    answer: int
    reason: str | None = None


class LoggingPolicy(AutomaticPolicy):
    """The automatic policy, remembering each level it decided."""

    def __init__(self, world) -> None:
        super().__init__(world)
        self.levels: list[Decision] = []

    def response_level(self, view: IncidentView) -> int:
        level = super().response_level(view)
        self.levels.append(Decision(view.incident, view.time, level, level))
        return level

    def raise_level(self, view: IncidentView, level: int, reason: str) -> int:
        answer = super().raise_level(view, level, reason)
        self.levels.append(Decision(view.incident, view.time, level, answer, reason))
        return answer


@dataclass
class Observed:
    rep: Replication
    policy: LoggingPolicy
    moves: dict[str, list[Move]] = field(default_factory=lambda: defaultdict(list))
    requests: list[Request] = field(default_factory=list)


class PoolLog:
    """The pool's moves as :class:`Move` and :class:`Request` records (the pool's
    :class:`~simulation.model.unit_pool.PoolWatcher`), asserting on the way that a unit is never handed out while
    out, nor released twice."""

    def __init__(self, obs: Observed, env: simpy.Environment) -> None:
        self.obs, self.env = obs, env
        self.out: dict[int, Move] = {}  # unit index → its move in progress

    def requested(self, req: UnitRequest) -> None:
        self.obs.requests.append(Request(req.view.incident, req.task, self.env.now, req.count, req.event))

    def handed_out(self, req: UnitRequest, units: list[Unit]) -> None:
        for u in units:
            assert u.index not in self.out, f"{u.name} handed out while out on {self.out[u.index]}"
            self.out[u.index] = m = Move(u.name, req.view.incident, req.task, self.env.now)
            self.obs.moves[u.name].append(m)

    def withdrawn(self, req: UnitRequest) -> None:
        next(r for r in self.obs.requests if r.event is req.event).withdrawn_at = self.env.now

    def released(self, unit: Unit) -> None:
        m = self.out.get(unit.index)
        assert m is not None and m.released is None, f"{unit.name} released twice, or while not out: {m}"
        m.released = self.env.now

    def back(self, unit: Unit) -> None:
        self.out.pop(unit.index).back = self.env.now


def observe(sc: Scenario, seed: int, replication: int = 0) -> Observed:
    """Run one traced replication of ``sc`` with the pool and the policy watched."""
    world = build_world(sc)
    policy = LoggingPolicy(world)
    rep = Replication(world, seed, replication, trace=True, policy=policy)
    obs = Observed(rep, policy)
    rep.units.watcher = PoolLog(obs, rep.env)
    rep.run()
    return obs
