"""What the collaborators of one replication share: its environment, world, streams, Policy and services.

:class:`Replication` fills one :class:`Context` as it wires itself (messaging, the unit pool and the ledger
are added once built); every collaborator derives from :class:`Collaborator` and reads what it needs from
it once, into plain attributes (the event loop is a hot path: no lookups through the context per event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from simulation.model.doctrine import Doctrine
from simulation.model.policy import Policy
from simulation.model.rng import Streams
from simulation.model.world import World

if TYPE_CHECKING:
    from simulation.model.ledger import Ledger
    from simulation.model.messaging import Messaging
    from simulation.model.unit_pool import UnitPool


@dataclass
class Context:
    env: simpy.Environment
    world: World
    streams: Streams
    policy: Policy
    doctrine: Doctrine
    desks: dict[str, Any]
    messaging: Messaging | None = None
    pool: UnitPool | None = None
    ledger: Ledger | None = None


class Collaborator:
    """Base of the engine's collaborators: the shared services as attributes."""

    def __init__(self, ctx: Context) -> None:
        self.env, self.world, self.sc = ctx.env, ctx.world, ctx.world.scenario
        self.streams, self.policy, self.doctrine = ctx.streams, ctx.policy, ctx.doctrine
        self.messaging, self.pool, self.ledger = ctx.messaging, ctx.pool, ctx.ledger
