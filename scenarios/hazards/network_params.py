"""Parameters of the crowd network (人群网络): zones joined by links, streams of people walking paths.

A zone is a plaza, stair, landing, platform or street segment (an area); a link joins two zones with a
width and a direction rule; a stream is a group of people walking a fixed path of zones (an arrival
profile over hours, metro passengers, or people who move on after dwelling). Defaults marked
*assumption* are screening values to set for the site at hand. See :mod:`scenarios.hazards.crowd_network`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from agencies.base import Frozen, Ident
from scenarios.hazards.params import RHO_MAX, Density, InflowStep, Seconds

ZoneKind = Literal["plaza", "stair", "landing", "platform", "street"]
CRUSH_KINDS = ("stair", "landing")
"""Zones where crush risk is assessed (a fall on steps or a small landing piles people up)."""
Direction = Literal["both", "a_to_b", "b_to_a", "closed"]
Width = Annotated[float, Field(gt=0, le=1000)]


class CrowdZone(Frozen):
    """A walkable area (区域): plaza 广场, stair 阶梯, landing 平台/缓台, platform 观景平台, street 街道."""

    id: Ident
    kind: ZoneKind
    area_m2: Annotated[float, Field(gt=0, le=1e6)]
    exit_width_m: Annotated[float, Field(ge=0, le=1000)] = 0.0
    """Width through which people can leave the network from here (side streets, other accesses)."""
    initial_persons: Annotated[float, Field(ge=0)] = 0.0


class CrowdLink(Frozen):
    """A passage between zones ``a`` and ``b`` (通道): its clear width and its direction rule."""

    id: Ident
    a: Ident
    b: Ident
    width_m: Width
    direction: Direction = "both"
    """``a_to_b`` / ``b_to_a``: a one-way rule (单向通行); ``closed``: barriers (铁马), nobody passes."""
    cordon_police: Annotated[int, Field(ge=0, le=1000)] = 0
    """Officers holding a one-way rule; the crowd facing it starts pushing through once its density reaches
    ``cordon_breach_density`` + ``cordon_police_density`` × officers, more as it grows denser."""


class CrowdStream(Frozen):
    """People walking a fixed path of zones (人流): ``arrivals`` enter at ``path[0]`` (persons/s, a
    step profile over hours); at the end of the path they either join stream ``then`` after a mean dwell
    of ``dwell_s`` (its path must start where this one ends) or leave through the last zone's exit."""

    id: Ident
    path: Annotated[list[Ident], Field(min_length=1, max_length=50)]
    arrivals: tuple[InflowStep, ...] = ()
    then: Ident | None = None
    dwell_s: Annotated[float, Field(gt=0, le=86400)] = 1800.0


class MetroDischarge(Frozen):
    """Trains discharging passengers into a stream (地铁到站放客) until a skip-stop order."""

    stream: Ident
    headway_s: Annotated[float, Field(gt=0)]
    passengers: Annotated[int, Field(ge=0, le=5000)]
    first_s: Seconds = 0.0
    last_s: Seconds | None = None
    discharge_s: Annotated[float, Field(gt=0, le=3600)] = 120.0


class CrowdNetworkParams(Frozen):
    """A crowd on a network of zones and links (人群网络模型), with counterflow and crush risk."""

    model: Literal["crowd_network"] = "crowd_network"
    zones: Annotated[list[CrowdZone], Field(min_length=1)]
    links: list[CrowdLink] = Field(default_factory=list)
    streams: Annotated[list[CrowdStream], Field(min_length=1)]
    metro: MetroDischarge | None = None
    counterflow_loss: Annotated[float, Field(ge=0, lt=1)] = 0.3
    """κ: share of a link's capacity lost when the two directions are balanced (4r(1−r) = 1); the loss
    is κ·4r(1−r) for a minor-flow share r (assumption; see crowd_network.py for the published basis)."""
    marshal_order_gain: Annotated[float, Field(ge=0, le=1)] = 0.05
    """Share of the counterflow loss each marshal on a link removes by keeping lanes apart (assumption)."""
    cordon_breach_density: Density = 2.0
    """Density facing an unmanned one-way rule at which people push through it (assumption)."""
    cordon_police_density: Annotated[float, Field(ge=0, le=RHO_MAX)] = 0.3
    """Density each officer holding a one-way rule adds to the breach density (assumption)."""
    cordon_yield_density: Annotated[float, Field(gt=0, le=RHO_MAX)] = 1.0
    """Past the breach density a one-way rule yields progressively: the blocked direction passes the share
    (ρ − breach density) / this of its demand, all of it this much above (assumption)."""
    front_depth_m: Annotated[float, Field(gt=0, le=100)] = 5.0
    """People heading for a link gather in front of it: a stream sends at the zone's full rate through a link
    of width W once it has enough people to fill a strip W × this depth at the zone's density (in a small
    zone, in proportion to its share). Without it a big plaza would spread every stream over its whole area
    (assumption)."""
    stalled_exit_fraction: Annotated[float, Field(ge=0, le=1)] = 0.3
    """A stalled zone still sends this share of J_max (as :class:`~scenarios.hazards.params.CrowdParams`)."""
    critical_density: Annotated[float, Field(gt=0, le=RHO_MAX)] = 4.0
    """G. K. Still: ~4 P/m² critical for a moving crowd."""
    crush_pressure: Annotated[float, Field(ge=0, le=10)] = 0.3
    """Blocked push into a stair or landing (persons per metre of width per second trying to enter and held
    back, from either side) above which a dense crowd there surges (浪涌): screening proxy, assumption."""
    crush_onset_s: Seconds = 120.0
    casualty_rate: Annotated[float, Field(ge=0, le=10)] = 0.5
    """Casualties per excess person-minute over critical under crush conditions (as the single-zone model)."""
    watch: list[Ident] = Field(default_factory=list)
    """Zones the CCTV watches (default: every plaza)."""
    cctv_alert_density: Annotated[float, Field(gt=0, le=RHO_MAX)] = 2.15
    """CCTV density alert (Fruin LOS E/F boundary)."""
    trend_window_s: Annotated[float, Field(gt=0, le=14400)] = 900.0
    """CCTV density analysis fits the density's rise over this window …"""
    trend_lead_s: Annotated[float, Field(ge=0, le=14400)] = 1800.0
    """… and warns when the density projected this far ahead reaches the alert density (研判预警)."""
    trend_floor_density: Annotated[float, Field(ge=0, le=RHO_MAX)] = 1.0
    """No trend warning below this density (noise of a thin crowd)."""
    observe_speed_m_s: Annotated[float, Field(gt=0, le=1.34)] = 0.2
    """Police on site notice the crowd on a stair or landing stalling when its speed falls below this."""
    step_s: Annotated[float, Field(gt=0, le=10)] = 1.0
    """Time step of the flux balance (people conserved exactly at every step)."""
    detection_horizon_s: Annotated[float, Field(gt=0, le=7 * 86400)] = 28800.0

    @model_validator(mode="after")
    def _references(self) -> CrowdNetworkParams:
        zones = [z.id for z in self.zones]
        for name, ids in (("zones", zones), ("links", [li.id for li in self.links]),
                          ("streams", [s.id for s in self.streams])):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"{name}: duplicate id {dup[0]!r}")
        known = set(zones)
        pairs = set()
        for li in self.links:
            for end in (li.a, li.b):
                if end not in known:
                    raise ValueError(f"links.{li.id}: unknown zone {end!r}")
            if li.a == li.b:
                raise ValueError(f"links.{li.id}: a link joins two different zones")
            if frozenset((li.a, li.b)) in pairs:
                raise ValueError(f"links.{li.id}: a second link between {li.a!r} and {li.b!r}")
            pairs.add(frozenset((li.a, li.b)))
        streams = {s.id: s for s in self.streams}
        for s in self.streams:
            for z in s.path:
                if z not in known:
                    raise ValueError(f"streams.{s.id}.path: unknown zone {z!r}")
            for u, v in zip(s.path, s.path[1:]):
                if frozenset((u, v)) not in pairs:
                    raise ValueError(f"streams.{s.id}.path: no link joins {u!r} and {v!r}")
            ts = [a.t for a in s.arrivals]
            if ts != sorted(ts):
                raise ValueError(f"streams.{s.id}.arrivals: steps must be in increasing time order")
            if s.then is not None:
                nxt = streams.get(s.then)
                if nxt is None:
                    raise ValueError(f"streams.{s.id}.then: unknown stream {s.then!r}")
                if nxt.path[0] != s.path[-1]:
                    raise ValueError(f"streams.{s.id}.then: stream {s.then!r} must start at {s.path[-1]!r}")
        if self.metro is not None and self.metro.stream not in streams:
            raise ValueError(f"metro.stream: unknown stream {self.metro.stream!r}")
        for z in self.watch:
            if z not in known:
                raise ValueError(f"watch: unknown zone {z!r}")
        return self
