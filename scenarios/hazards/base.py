"""The hazard-model protocol (灾害物理模型接口) shared by fire, plume and crowd.

A hazard model is a small analytic (or piecewise-analytic) numpy model evaluated *event by event*:
the engine asks for the state at an event time, for the time a detector would fire, applies
interventions as tasks start, and reads final outcomes. There is no per-second ticking.

Time is in seconds since the hazard's onset; lengths in metres; SI everywhere.

Extension points: a new hazard implements :class:`HazardModel` (duck-typed ``Protocol``), adds a
parameter model with a ``model: Literal[...]`` discriminator to :mod:`scenarios.hazards.params`, and
registers itself under that discriminator with :func:`register` (``@register("fire")``);
:func:`scenarios.hazards.build_hazard` looks it up. :class:`InterventionLog` gives the common
bookkeeping (non-decreasing times, unknown action -> ``ValueError``) and :meth:`InterventionLog.override`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np


@runtime_checkable
class HazardModel(Protocol):
    """What the engine needs from any hazard (fire 火灾, plume 毒气扩散, crowd 拥挤踩踏)."""

    kind: str

    def state(self, t: float) -> dict[str, float]:
        """Summary numbers at ``t`` seconds since onset, given interventions recorded so far."""
        ...

    def detection_time(self, detector: str) -> float | None:
        """Seconds since onset when a detector of this kind would fire; ``None`` if never / n.a."""
        ...

    def intervene(self, action: str, t: float, **kw: Any) -> float | None:
        """Record an intervention at ``t``; seconds until full effect, ``None`` if it never takes hold."""
        ...

    def outcomes(self, t_end: float) -> dict[str, float | None]:
        """Final outcomes at ``t_end`` given all interventions recorded so far."""
        ...


M = TypeVar("M", bound="InterventionLog")


@dataclass(frozen=True)
class Site:
    """Incident location and the city's grids (网格) as centroids with populations (metres).

    The plume uses it for per-grid exposure; fire and crowd ignore it.
    """

    x: float
    y: float
    grid_x: np.ndarray
    grid_y: np.ndarray
    grid_population: np.ndarray
    grid_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.grid_ids)
        for name in ("grid_x", "grid_y", "grid_population"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.ndim != 1 or (n and arr.shape[0] != n):
                raise ValueError(f"Site.{name} must be 1-D with one entry per grid id")
            object.__setattr__(self, name, arr)

    @classmethod
    def point(cls, x: float = 0.0, y: float = 0.0) -> Site:
        """A site with no grids (fire, crowd, or a plume asked only about points)."""
        empty = np.zeros(0)
        return cls(x, y, empty, empty, empty, [])


@dataclass(frozen=True)
class Intervention:
    """One recorded intervention: action name, time (s since onset) and keyword arguments."""

    action: str
    t: float
    kw: dict[str, Any]


HAZARD_MODELS: dict[str, type[InterventionLog]] = {}
"""Hazard model classes by their parameters' ``model`` discriminator (filled by :func:`register`)."""


def register(kind: str) -> Callable[[type[M]], type[M]]:
    """Class decorator: the model built for parameters whose ``model`` is ``kind``."""

    def deco(cls: type[M]) -> type[M]:
        HAZARD_MODELS[kind] = cls
        return cls

    return deco


class InterventionLog:
    """Bookkeeping shared by the models: validates action names and non-decreasing times."""

    actions: tuple[str, ...] = ()
    measures: frozenset[str] = frozenset()
    """The keys of :meth:`state` — what a level trigger may watch (checked when a scenario is loaded)."""
    per_unit_args: tuple[tuple[str, str], ...] = ()
    """(action, argument) pairs whose value is the whole task's at its planned unit count and grows with the
    units on scene (a hose line per engine: a heavier first alarm or a second alarm applies more water)."""
    detectors: frozenset[str] = frozenset()
    """The detector names :meth:`detection_time` knows (a scenario's ``hazard_detector``, checked at load:
    a typo would never detect)."""
    arguments: dict[str, dict[str, str]] = {}
    """Action → its keyword arguments and each one's kind (:data:`ARG_KINDS`), checked at load so that a
    task's ``intervention_args`` that validate also run."""
    p: Any  # the model's validated parameters (a pydantic model)

    @classmethod
    def argument_names(cls, params: Any) -> dict[str, set[str]]:
        """The ids an intervention argument may name in this incident (the crowd network's links and streams)."""
        return {}

    @classmethod
    def from_params(cls, params: Any, site: Site | None = None) -> InterventionLog:
        """A fresh model for ``params`` (models that do not need a site ignore it)."""
        return cls(params)  # type: ignore[call-arg]

    def measure(self, name: str, t: float, until: float | None = None) -> float | None:
        """One measure of the state at ``t`` (a key of :meth:`state`), for triggers watched many times a run
        (``until``: the end of the period watched, where a model solves a whole trajectory at once); models
        override it where one measure is much cheaper than the whole state."""
        return self.state(t).get(name)  # type: ignore[attr-defined]

    def override(self, **fields: Any) -> None:
        """Change parameters mid-run (a drill's effect): the model is rebuilt with the new parameters and the
        interventions so far are replayed, so nothing derived from the old ones (growth rate, plume field,
        a cached crowd trajectory) goes stale. Raises ``pydantic.ValidationError`` on a bad value."""
        params = type(self.p).model_validate({**self.p.model_dump(), **fields})
        fresh = type(self).from_params(params, getattr(self, "site", None))
        for item in self.log:
            fresh.intervene(item.action, item.t, **item.kw)  # type: ignore[attr-defined]
        vars(self).clear()
        vars(self).update(vars(fresh))
        self.__class__ = type(fresh)  # a changed release may call for the other model (dense gas ↔ Gaussian)

    def __init__(self) -> None:
        self.log: list[Intervention] = []

    def _record(self, action: str, t: float, kw: dict[str, Any]) -> Intervention:
        if action not in self.actions:
            raise ValueError(f"unknown action {action!r} for {type(self).__name__} (known: {', '.join(self.actions)})")
        if not math.isfinite(t) or t < 0:  # math: a float's check without a numpy call (per intervention)
            raise ValueError(f"intervention time must be finite and >= 0, got {t!r}")
        if self.log and t < self.log[-1].t:
            raise ValueError(f"interventions must come in non-decreasing time ({t} < {self.log[-1].t})")
        item = Intervention(action, float(t), dict(kw))
        self.log.append(item)
        return item

    def first(self, action: str) -> Intervention | None:
        """The earliest recorded intervention of this kind, if any."""
        return next((i for i in self.log if i.action == action), None)

    def all(self, action: str) -> list[Intervention]:
        return [i for i in self.log if i.action == action]


ARG_KINDS = {
    "nonneg": "a finite number >= 0",
    "positive": "a finite number > 0",
    "fraction": "a number within [0, 1]",
    "grids": "a list of grid ids of the city",
    "links": "a link id of the crowd network, or a list of them",
    "stream": "a stream id of the crowd network",
}
"""Kinds of an intervention's keyword argument, with the phrase a refusal uses; ``choice:a,b`` is one of the
words listed; a kind ending in ``!`` is required (the model refuses the measure without it)."""


def argument_problem(kind: str, value: Any, grids: frozenset[str] | set[str],
                     names: dict[str, set[str]] | None = None) -> str | None:
    """Why ``value`` is not a valid argument of ``kind`` (``None`` when it is): the load-time twin of the
    checks the models make when the intervention runs. ``names``: the incident's own ids by kind (the crowd
    network's ``links`` and ``streams``, :meth:`InterventionLog.argument_names`)."""
    kind = kind.rstrip("!")
    names = names or {}
    if kind.startswith("choice:"):
        words = kind.removeprefix("choice:").split(",")
        ok = isinstance(value, str) and value in words
        return None if ok else f"must be one of {', '.join(words)} (got {value!r})"
    if kind in ("links", "stream"):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items) or (
                kind == "stream" and not isinstance(value, str)):
            return f"must be {ARG_KINDS[kind]} (got {value!r})"
        known = names.get("links" if kind == "links" else "streams")
        unknown = [x for x in items if known is not None and x not in known]
        return f"names unknown {kind.rstrip('s')} '{unknown[0]}' (known: {', '.join(sorted(known or ()))})" \
            if unknown else None
    if kind == "grids":
        if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
            return f"must be {ARG_KINDS[kind]} (got {value!r})"
        unknown = [g for g in value if g not in grids]
        return f"names unknown grid '{unknown[0]}'" if unknown else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be {ARG_KINDS[kind]} (got {value!r})"
    v = float(value)
    bad = (not np.isfinite(v) or v < 0 or (kind == "positive" and v <= 0) or (kind == "fraction" and v > 1))
    return f"must be {ARG_KINDS[kind]} (got {value!r})" if bad else None


def check_nonneg(name: str, value: float) -> float:
    """Keyword arguments of ``intervene`` are not pydantic-validated: reject negatives / non-finite."""
    v = float(value)
    if not math.isfinite(v) or v < 0:  # math: no numpy call per intervention
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v
