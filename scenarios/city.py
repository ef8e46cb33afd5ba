"""City description: generated on a lattice (区 → 街道 → 社区 → 网格) or listed explicitly."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from pydantic import Field, ValidationInfo, model_validator

from agencies.base import Frozen, Ident, RefError
from scenarios import limits
from scenarios.distributions import Distribution, Uniform

Pos = Annotated[float, Field(gt=0)]
Speed = Annotated[float, Field(ge=1, le=130)]
"""A road speed in km/h: at least 1 (below walking pace no vehicle moves; a subnormal speed such as 5e-324 became
0 m/s when divided by 3.6, and every travel time a division by zero), at most 130 as before."""


class GeneratedCity(Frozen):
    """A district laid out on a lattice of square grids, street by street.

    Grid ids are ``S{street}-C{community}-G{grid}`` (1-based); streets are ``S1`` … ``Sn``. Households per
    grid default to 300–500 (the urban community grid of domain.md: 300–500 households or ~1,000 people).
    """

    district: Ident = "district"
    streets: Annotated[int, Field(ge=1, le=2000)] = 4
    communities_per_street: Annotated[int, Field(ge=1, le=200)] = 3
    grids_per_community: Annotated[int, Field(ge=1, le=200)] = 4
    grid_size_m: Annotated[float, Field(gt=10, le=5000)] = 400.0
    households: Distribution = Uniform(dist="uniform", low=300, high=500)
    persons_per_household: Annotated[float, Field(gt=0, le=20)] = 2.6
    grid_workers_per_grid: Annotated[float, Field(ge=0, le=50)] = 1.0
    road_speed_kmh: Speed = 25.0
    arterial_speed_kmh: Speed = 40.0
    arterial_every: Annotated[int, Field(ge=0, le=1000)] = 4
    """Every k-th lattice row and column is an arterial road (0: none)."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Seed of the city's own layout draws (households), separate from the run seed."""

    @property
    def n_grids(self) -> int:
        return self.streets * self.communities_per_street * self.grids_per_community

    @model_validator(mode="after")
    def verify_size(self, info: ValidationInfo) -> GeneratedCity:
        """Each count is bounded, their product is checked before a single grid is made."""
        if self.n_grids > limits.MAX_GRIDS and not limits.allowed(info):
            raise RefError(f"{self.streets} × {self.communities_per_street} × {self.grids_per_community} = "
                             f"{self.n_grids:,} grids (more than {limits.MAX_GRIDS:,}; "
                             f"≈{self.n_grids * 320 / 2**30:,.1f} GiB to build): {limits.OVERRIDE}", "streets")
        return self


class GridSpec(Frozen):
    id: Ident
    street: Ident
    community: Ident | None = None
    x: float
    y: float
    households: Annotated[int, Field(ge=0)] = 400
    population: Annotated[int, Field(ge=0)] | None = None
    grid_workers: Annotated[float, Field(ge=0)] = 1.0
    name: str | None = None
    """The grid's own name or code as the source data gives it (网格名称), shown on maps."""
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    """WGS-84 centroid of an imported grid (for maps); ``x``/``y`` are metres in the district's projection."""
    road_node: Annotated[int, Field(ge=0)] | None = None
    """Row of the road network's node nearest the grid's centroid (with ``city.explicit.road_network``)."""
    access_s: Annotated[float, Field(ge=0)] = 0.0
    """Seconds from that road node to the grid's centroid (straight line at the access speed)."""
    station_area: Ident | None = None
    """The station whose area (辖区) the grid is in, from an imported station-area layer (``linkage district
    import --station-areas``): that station's units come first for the kinds it has, when the scenario's
    dispatch uses station areas (``dispatch.areas``). ``null``: the nearest station by road."""


class RoadSpec(Frozen):
    from_: Ident = Field(alias="from")
    to: Ident
    length_m: Pos
    speed_kmh: Speed = 30.0

    @model_validator(mode="after")
    def verify_travel_time(self) -> RoadSpec:
        """A travel time that rounds to zero would drop the road from the travel table (a zero is no edge)."""
        if self.length_m / (self.speed_kmh / 3.6) <= 0.0:
            raise RefError(f"road {self.from_}->{self.to} is so short ({self.length_m!r} m) that its travel time is "
                           "zero", "length_m")
        return self


class RoadNetwork(Frozen):
    """A real road network (路网) kept beside the district file in a Parquet table of edges.

    Written by ``linkage district import`` from OpenStreetMap; the engine runs sparse shortest paths on
    it (``scipy.sparse.csgraph``) from the stations' grids to every grid's ``road_node``. Congestion by hour
    of day is the scenario's ``dispatch.travel_factor_by_hour``, applied to these times as to any others.
    """

    file: str
    """Parquet file of edges (``u``, ``v``, ``length_m``, ``speed_kmh``); a relative path is read beside
    the file that names it."""
    nodes: Annotated[int, Field(ge=2)]
    edges: Annotated[int, Field(ge=1)]
    source: str = ""
    """Where the roads came from (file name and library), for the record."""


class StraightLine(Frozen):
    """Travel without a road file: route length = straight line × a circuity factor (绕行系数).

    1.2 is Newell's (1980, *Traffic Flow on Transportation Networks*) figure for random point pairs in
    an urban area; O'Sullivan and Morrall (1996) measured 1.21–1.23 around transit stations.
    """

    circuity: Annotated[float, Field(ge=1, le=3)] = 1.2
    speed_kmh: Speed = 30.0
    """Average speed along the route: 30 km/h is the limit on an urban road without a centre line
    (道路交通安全法实施条例 第四十五条)."""


class DistrictSource(Frozen):
    """Where an imported district came from (导入来源): kept so a planner can tell what a run rests on."""

    crs: str
    """The source coordinate reference system as given (``EPSG:4326``, ``EPSG:4490``, ``GCJ-02`` …)."""
    projected_crs: str
    """The metric projection ``x``/``y`` are in (a UTM zone on WGS-84 chosen from the district's centroid)."""
    files: list[str] = Field(default_factory=list)
    tessellated: bool = False
    """True when the grids were cut from a district boundary (not the district's own grid polygons)."""
    illustrative: list[str] = Field(default_factory=list)
    """Parts of the district that are not real data (said plainly, in the file)."""


class ExplicitCity(Frozen):
    district: Ident = "district"
    grids: Annotated[list[GridSpec], Field(min_length=1)]
    roads: list[RoadSpec] = Field(default_factory=list)
    grids_file: str | None = None
    """A Parquet (GeoParquet) table of the grids, one row per grid with the fields above, kept beside the
    district file by ``linkage district import``: the loader reads it into ``grids`` (a city of 68,000
    grids loads in a second from Parquet, minutes from YAML). A relative path is read beside the file
    that names it."""
    road_network: RoadNetwork | None = None
    straight_line: StraightLine | None = None
    source: DistrictSource | None = None

    @model_validator(mode="after")
    def verify_roads(self) -> ExplicitCity:
        ids = [g.id for g in self.grids]
        dup = {i for i, k in Counter(ids).items() if k > 1}  # linear: a city holds tens of thousands of grids
        if dup:
            raise ValueError(f"duplicate grid id(s): {', '.join(sorted(dup))}")
        known = set(ids)
        if self.straight_line is not None and self.roads:
            raise ValueError("give one of 'roads' (grid to grid), 'road_network' or 'straight_line'")
        if self.road_network is not None:
            if self.roads or self.straight_line is not None:
                raise ValueError("give one of 'roads' (grid to grid), 'road_network' or 'straight_line'")
            for g in self.grids:
                if g.road_node is None or g.road_node >= self.road_network.nodes:
                    raise ValueError(f"grid '{g.id}' needs a road_node below {self.road_network.nodes}")
        for r in self.roads:
            for end in (r.from_, r.to):
                if end not in known:
                    raise ValueError(f"road {r.from_}->{r.to} names unknown grid '{end}'")
        return self


class City(Frozen):
    generated: GeneratedCity | None = None
    explicit: ExplicitCity | None = None

    @model_validator(mode="after")
    def verify_one_layout(self) -> City:
        if (self.generated is None) == (self.explicit is None):
            raise ValueError("give exactly one of 'generated' or 'explicit'")
        return self

    @property
    def district(self) -> str:
        return (self.generated or self.explicit).district  # type: ignore[union-attr]

    def grid_ids(self) -> list[str]:
        if self.explicit is not None:
            return [g.id for g in self.explicit.grids]
        g = self.generated
        assert g is not None
        return [
            f"S{s}-C{c}-G{k}"
            for s in range(1, g.streets + 1)
            for c in range(1, g.communities_per_street + 1)
            for k in range(1, g.grids_per_community + 1)
        ]

    def street_ids(self) -> list[str]:
        if self.explicit is not None:
            return sorted({g.street for g in self.explicit.grids})
        assert self.generated is not None
        return [f"S{s}" for s in range(1, self.generated.streets + 1)]

    def street_of(self, grid_id: str) -> str:
        if self.explicit is not None:
            return next(g.street for g in self.explicit.grids if g.id == grid_id)
        return grid_id.split("-", 1)[0]
