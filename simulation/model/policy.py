"""The Policy interface (决策接口): every decision the engine asks for goes through it.

The engine calls a policy method at each decision point and accepts either a plain value or a SimPy
event that later yields the value — so the automatic policy answers at once, while a drill policy can
wait for a human player (with the facilitator's default on time-out). One engine serves both.

Extension point: subclass :class:`AutomaticPolicy` (or implement :class:`Policy`) and pass it to
:func:`simulation.model.engine.run_replication`.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import simpy

from simulation.model.world import Unit, World


@dataclass(frozen=True, slots=True)
class IncidentView:
    """What a decision-maker knows of an incident when asked."""

    incident: str
    type: str
    grid: str
    severity: int
    time: float


def decided(value: Any) -> Generator:
    """A policy's answer as a value: ``yield from`` it; an event (a drill waiting for a human) is awaited."""
    if isinstance(value, simpy.Event):
        value = yield value
    return value


class Policy(Protocol):
    def bind(self, replication: Any) -> None:
        """Called once before the replication starts (a drill policy schedules its injects there)."""

    def response_level(self, view: IncidentView) -> Any:
        """Response level I–IV (1–4) once the report is verified (响应级别)."""

    def notify_order(self, view: IncidentView, relay: str, targets: Sequence[str]) -> Any:
        """Order (and selection) of agencies the relay notifies."""

    def settle_owner(self, view: IncidentView, task: str, superior: str, candidates: Sequence[str]) -> Any:
        """The superior's ruling on a disputed or ownerless task: which agency owns it."""

    def choose_units(self, view: IncidentView, task: str, count: int, candidates: Sequence[Unit]) -> Any:
        """Units to send, from free candidates sorted nearest first (ties by unit order)."""

    def task_order(self, view: IncidentView, task: str, owner: str, unit_kind: str | None, count: int) -> Any:
        """The owner's order for a notified task (签收/派单): how many units to request (``count`` in the plan)."""

    def work_order_reply(self, view: IncidentView, task: str, agency: str, order_no: int, reason: str | None) -> Any:
        """An agency's answer to a work order: ``"sign"`` (签收), ``"reject"`` (退单), or ``None`` to let the
        scenario's rejection probability decide; ``reason`` is why the list lets it refuse (``None``: the task
        is listed for it alone)."""

    def whistle(self, view: IncidentView, task: str, owner: str, holder: str, allowed: bool) -> Any:
        """Whether an owner without the powers a task needs calls ``holder`` straight to the scene (吹哨报到,
        only where the arrangement has it: ``allowed``) — ``True`` — or goes up through its superior."""

    def raise_level(self, view: IncidentView, level: int, reason: str) -> Any:
        """The commander's answer when the hazard or the clock calls for a higher level (``reason``): the new
        level (1–4, lower is more severe); ``level`` itself keeps it."""

    def intervention(self, view: IncidentView, task: str, owner: str, action: str, args: dict) -> Any:
        """The measure taken on scene as ``(action, args)`` — e.g. evacuate vs shelter; ``(None, {})`` for none."""


class AutomaticPolicy:
    """Follows the arrangement as written: the plan's own play (预案自动执行)."""

    def __init__(self, world: World) -> None:
        self.world = world

    def bind(self, replication: Any) -> None:
        """Nothing to schedule: the plan answers every question at once."""

    def response_level(self, view: IncidentView) -> int:
        return view.severity

    def notify_order(self, view: IncidentView, relay: str, targets: Sequence[str]) -> list[str]:
        return list(targets)

    def settle_owner(self, view: IncidentView, task: str, superior: str, candidates: Sequence[str]) -> str:
        return candidates[0]

    def choose_units(self, view: IncidentView, task: str, count: int, candidates: Sequence[Unit]) -> list[Unit]:
        return list(candidates[:count])

    choose_units.takes_first = True  # type: ignore[attr-defined]  # the pool may offer only the first `count`

    def task_order(self, view: IncidentView, task: str, owner: str, unit_kind: str | None, count: int) -> int:
        return count

    def work_order_reply(self, view: IncidentView, task: str, agency: str, order_no: int,
                         reason: str | None) -> str | None:
        return None  # the responsibility list and the scenario's probabilities decide

    def whistle(self, view: IncidentView, task: str, owner: str, holder: str, allowed: bool) -> bool:
        return allowed

    def raise_level(self, view: IncidentView, level: int, reason: str) -> int:
        return max(1, level - 1)

    def intervention(self, view: IncidentView, task: str, owner: str, action: str, args: dict) -> tuple[str, dict]:
        return action, args
