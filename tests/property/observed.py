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
from simulation.model.world import build_world


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


def observe(sc: Scenario, seed: int, replication: int = 0) -> Observed:
    """Run one traced replication of ``sc`` with the pool and the policy watched."""
    world = build_world(sc)
    policy = LoggingPolicy(world)
    rep = Replication(world, seed, replication, trace=True, policy=policy)
    obs = Observed(rep, policy)
    pool, env = rep.units, rep.env
    request, try_assign, withdraw = pool.request, pool._try_assign, pool.withdraw
    release, unit_back = pool.release, pool._unit_back
    out: dict[int, Move] = {}  # unit index → its move in progress

    def _try_assign(req):
        ok = try_assign(req)
        if ok:
            for u in req.event.value:
                assert u.index not in out, f"{u.name} handed out while out on {out[u.index]}"
                out[u.index] = m = Move(u.name, req.view.incident, req.task, env.now)
                obs.moves[u.name].append(m)
        return ok

    def _request(kind, agencies, grid, count, view, task):
        ev = request(kind, agencies, grid, count, view, task)
        obs.requests.append(Request(view.incident, task, env.now, count, ev))
        return ev

    def _withdraw(event):
        done = withdraw(event)
        if done:
            next(r for r in obs.requests if r.event is event).withdrawn_at = env.now
        return done

    def _release(units, grid, on_back=None):
        for u in units:
            m = out.get(u.index)
            assert m is not None and m.released is None, f"{u.name} released twice, or while not out: {m}"
            m.released = env.now
        return release(units, grid, on_back)

    def _unit_back(unit):
        out.pop(unit.index).back = env.now
        return unit_back(unit)

    pool._try_assign, pool.request, pool.withdraw = _try_assign, _request, _withdraw
    pool.release, pool._unit_back = _release, _unit_back
    rep.run()
    return obs
