"""The scenario parameters a planner reasons about, as widget specs whose ranges come from the schema.

Each :class:`Knob` names its widget key, the ``--set`` path it overrides and its current value; ranges
are read from the pydantic models' field constraints (``DutyDesk.staff`` ge/le …), so the dashboard
can never offer a value the loader would reject. An edit becomes a ``--set PATH=VALUE`` override passed
to :func:`scenarios.loader.load_scenario` — the same path as the CLI's ``--set``.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scenarios.city import GeneratedCity, GridSpec
from scenarios.distributions import Fixed, LogNormal
from scenarios.schema import ChannelSpec, DetectorSpec, DutyDesk, IncidentSpec, Scenario, UnitSpec

Group = Literal["desk", "units", "channels", "sensors", "grid_workers", "micro_stations", "incidents"]
MICRO_KINDS = ("micro_engine",)
"""Unit kinds of micro fire stations (微型消防站), whose placement the planner moves."""


@dataclass(frozen=True)
class Bounds:
    low: float | None
    high: float | None
    integer: bool

def _constraints(info: FieldInfo) -> list[Any]:
    """Constraint objects of a field, looking inside ``Annotated[…] | None`` too."""
    found = list(info.metadata)
    stack = [info.annotation]
    while stack:
        ann = stack.pop()
        if typing.get_origin(ann) is typing.Annotated:
            for meta in ann.__metadata__:
                found += list(meta.metadata) if isinstance(meta, FieldInfo) else [meta]
            stack.append(typing.get_args(ann)[0])
        else:
            stack += [a for a in typing.get_args(ann) if a is not type(None)]
    return found


def _base_type(info: FieldInfo) -> type:
    stack = [info.annotation]
    while stack:
        ann = stack.pop()
        if ann in (int, float):
            return ann  # type: ignore[return-value]
        stack += [a for a in typing.get_args(ann) if a is not type(None)]
    return float


def bounds(model: type[BaseModel], name: str) -> Bounds:
    """The closed range a field accepts (``gt`` turns into the smallest step above it)."""
    info = model.model_fields[name]
    integer = _base_type(info) is int
    low = high = None
    for c in _constraints(info):
        if isinstance(c, Ge):
            low = float(c.ge)
        elif isinstance(c, Gt):
            low = float(c.gt) + (1 if integer else 0.01)
        elif isinstance(c, Le):
            high = float(c.le)
        elif isinstance(c, Lt):
            high = float(c.lt) - (1 if integer else 0.01)
    return Bounds(low, high, integer)


@dataclass(frozen=True)
class Knob:
    """One editable parameter: widget key, ``--set`` path, value in the base scenario, allowed values."""

    key: str
    path: str
    group: Group
    value: Any
    label: dict[str, str] = field(default_factory=dict)
    """Parts the page turns into a label (agency id, station id, task …)."""
    bounds: Bounds | None = None
    options: tuple[Any, ...] = ()
    step: float | None = None

    def override(self, value: Any) -> str | None:
        """The ``--set`` expression for ``value``, or ``None`` when it equals the base value."""
        if _same(value, self.value):
            return None
        return f"{self.path}={_yaml(value)}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return a == b


def _yaml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    return str(v)


def latency_parts(d: Any) -> tuple[str, float | None, float | None]:
    """(dist tag, typical seconds, p90) of a channel latency: editable for fixed and lognormal only."""
    if isinstance(d, Fixed):
        return "fixed", d.value, None
    if isinstance(d, LogNormal):
        return "lognormal", d.median, d.p90
    return d.dist, float(d.mean()), None


def latency_override(index: int, dist: str, typical: float, p90: float | None) -> str:
    """``--set channels.i.latency=…`` keeping the distribution's family."""
    if dist == "lognormal" and p90 is not None:
        return (
            f"channels.{index}.latency={{dist: lognormal, median: {_yaml(float(typical))}, p90: {_yaml(float(p90))}}}"
        )
    return f"channels.{index}.latency={_yaml(float(typical))}"


def knobs(sc: Scenario) -> list[Knob]:
    """Every planner-facing parameter of ``sc`` (channels are edited as a table, see :func:`latency_parts`)."""
    out: list[Knob] = []
    staff = bounds(DutyDesk, "staff")
    for a in sc.agencies:
        out.append(Knob(f"scenario.desk_staff.{a.id}", f"agencies.{a.id}.desk.staff", "desk", a.desk.staff,
                        {"agency": a.id}, staff))
    count = bounds(UnitSpec, "count")
    for i, u in enumerate(sc.units):
        out.append(Knob(f"scenario.units.{u.station}.{u.kind}", f"units.{i}.count", "units", u.count,
                        {"station": u.station, "kind": u.kind}, count))
    prob = bounds(DetectorSpec, "probability")
    for tname, it in sc.incident_types.items():
        for k, d in enumerate(it.detection):
            out.append(Knob(f"scenario.detector.{tname}.{k}", f"incident_types.{tname}.detection.{k}.probability",
                            "sensors", d.probability, {"type": tname, "kind": d.kind, "report_to": d.report_to},
                            prob, step=0.05))
    grids = tuple(sc.city.grid_ids())
    if sc.city.generated is not None:
        out.append(Knob("scenario.grid_workers", "city.generated.grid_workers_per_grid", "grid_workers",
                        sc.city.generated.grid_workers_per_grid, {}, bounds(GeneratedCity, "grid_workers_per_grid"),
                        step=0.5))
    else:
        gw = bounds(GridSpec, "grid_workers")
        for g in sc.city.explicit.grids:  # type: ignore[union-attr]
            out.append(Knob(f"scenario.grid_workers.{g.id}", f"city.explicit.grids.{g.id}.grid_workers", "grid_workers",
                            g.grid_workers, {"grid": g.id}, gw, step=0.5))
    micro = {u.station for u in sc.units if u.kind in MICRO_KINDS}
    for s in sc.stations:
        if s.id in micro:
            out.append(Knob(f"scenario.station_grid.{s.id}", f"stations.{s.id}.grid", "micro_stations", s.grid,
                            {"station": s.id, "agency": s.agency}, options=grids))
    sev = bounds(IncidentSpec, "severity")
    for inc in sc.incidents:
        out.append(Knob(f"scenario.incident.{inc.id}.grid", f"incidents.{inc.id}.grid", "incidents", inc.grid,
                        {"incident": inc.id, "what": "grid"}, options=grids))
        out.append(Knob(f"scenario.incident.{inc.id}.severity", f"incidents.{inc.id}.severity", "incidents",
                        inc.severity, {"incident": inc.id, "what": "severity"}, sev,
                        options=tuple(range(int(sev.low or 1), int(sev.high or 4) + 1))))
    return out


CHANNEL_RELIABILITY = bounds(ChannelSpec, "reliability")
