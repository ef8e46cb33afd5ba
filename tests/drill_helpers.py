"""Helpers shared by the drill tests: a wall clock the script moves, playing a session as the plan, and the
night-fire drill whose street office's night desk the test staffs (the set-up of ``test_night_desk_why``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from simulation.drill.msel import Msel
from simulation.drill.session import DrillSession
from simulation.drill.spec import DrillSpec
from tests.helpers import NIGHT_FIRE, street_night_staff


class WallClock:
    """The drill's wall clock, moved by the script (seconds)."""

    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def play_as_plan(s: DrillSession, clock: WallClock, think_s: float = 90.0,
                 deliver: dict[str, float] | None = None) -> None:
    """Every decision answered with the plan's value after ``think_s`` of wall time; each manual inject
    delivered by hand at the first stop of the facilitator's clock at or after its time."""
    due = dict(deliver or {})
    while s.now < s.horizon:
        s.clock("facilitator", "step")
        for p in list(s.policy.pending.values()):
            if not p.resolved:
                clock.t += think_s
                s.decide(p.seat, [p.agency], p.key, p.plan)
        for i in [i for i, t in due.items() if t <= s.now and s.now < s.horizon]:
            s.deliver("facilitator", i)
            del due[i]
    if not s.ended:
        s.clock("facilitator", "end")


NIGHT_SEED = 21
NIGHT_SEATS = ({"id": "facilitator", "role": "facilitator"},
               {"id": "police", "role": "player", "agencies": ["police"]},
               {"id": "health", "role": "player", "agencies": ["health"]})
"""The police and the health bureau played (the bureau's triage notice is the one a serial relay holds at an
empty street-office desk); everybody else — the fire brigade's relay, the street office — by the plan."""


def night_fire_drill(directory: str | Path, clock: WallClock, night_staff: int | None,
                     sets: Iterable[str] = (), arrangement: str = "sectoral_lead") -> DrillSession:
    """A drill (no injects) on the flagship fire at 23:00 (``NIGHT_FIRE``) under ``arrangement``, the fire's
    street office with ``night_staff`` people on its night desk (``None``: the scenario's own), plus ``sets``."""
    from scenarios.loader import load_scenario

    extra = [] if night_staff is None else [street_night_staff(NIGHT_FIRE, night_staff)]
    sc = load_scenario(NIGHT_FIRE, arrangement, [*extra, *sets])
    spec = DrillSpec.model_validate({"name": "night_fire_drill", "title": {"zh": "高层住宅夜间火灾桌面推演",
                                                                           "en": "Night high-rise fire drill"},
                                     "scenario": NIGHT_FIRE, "arrangement": arrangement, "seed": NIGHT_SEED,
                                     "seats": list(NIGHT_SEATS), "counterfactual_replications": 2})
    return DrillSession.create(spec, sc, Msel(injects=[]), directory, clock=clock)[0]
