"""Agencies, stations, units, duty rosters and channels of a district from the planner's tables.

Desk times an agency's row leaves blank come from the agency of the same role in the bundled default
district (``agencies/library/default_district.yaml``), and so do unit turnout times a station leaves
blank (per unit kind): the district file says so in ``city.explicit.source.illustrative``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.errors import InputError
from scenarios.specs import AgencySpec, ChannelSpec, StationSpec, UnitSpec
from simulation.district.crs import Projector, SourceCRS, to_wgs84
from simulation.district.grids import GridLayer
from simulation.district.tables import Row, checked_row, number, parse_units, read_table, shift_of

YES = ("true", "yes", "y", "1", "是")
NO = ("false", "no", "n", "0", "否")
"""The words a yes/no cell may hold (``both_ways`` 双向)."""

DEFAULT_DISTRICT = Path(__file__).resolve().parents[2] / "agencies" / "library" / "default_district.yaml"


@cache
def _defaults() -> tuple[dict[str, dict], dict[str, Any]]:
    """Role → the default district's first agency of that role; unit kind → its first turnout."""
    from scenarios.yamlsrc import load_file, to_plain

    doc = to_plain(load_file(DEFAULT_DISTRICT))
    roles: dict[str, dict] = {}
    for a in doc["agencies"]:
        roles.setdefault(a["role"], a)
    turnout: dict[str, Any] = {}
    for u in doc["units"]:
        turnout.setdefault(u["kind"], u.get("turnout", 0))
    return roles, turnout


def _lognormal(path: Path, row: Row, key: str, table: str, fallback: Any) -> Any:
    """The ``KEY_median_s`` and ``KEY_p90_s`` cells as a log-normal (a p90 equal to the median, or none: fixed).
    A p90 below its median is refused: dropping it silently would leave a fixed time the table does not say."""
    median = number(path, row, f"{key}_median_s", table)
    p90 = number(path, row, f"{key}_p90_s", table)
    if median is None:
        return fallback
    if p90 is not None and p90 < median:
        raise InputError.one(str(path), row.line, f"{table}.{key}_p90_s",
                             f"p90 {p90:g} s is below the median {median:g} s · P90 小于中位数")
    if p90 is None or p90 == median:
        return median
    return {"dist": "lognormal", "median": median, "p90": p90}


def read_agencies(path: Path, streets: set[str]) -> list[dict]:
    from agencies.catalogue import role_catalogue

    roles = role_catalogue()
    defaults, _ = _defaults()
    out, seen = [], set()
    rows = read_table(path, "agencies")
    for r in rows:
        aid, role = r.get("id"), r.get("role")
        if aid in seen:
            raise InputError.one(str(path), r.line, "agencies.id", f"agency '{aid}' appears twice")
        seen.add(aid)
        if role not in roles:
            raise InputError.one(str(path), r.line, "agencies.role",
                                 f"unknown role '{role}' (known: {', '.join(sorted(roles))})")
        base = defaults.get(role, {})
        desk = dict(base.get("desk", {"staff": 2}))
        desk["handling"] = _lognormal(path, r, "handling", "agencies", desk.get("handling", 0))
        a: dict[str, Any] = {"id": aid, "role": role}
        if r.get("name_zh") or r.get("name_en"):
            a["name"] = {"zh": r.get("name_zh") or r.get("name_en"), "en": r.get("name_en") or r.get("name_zh")}
        if r.get("parent"):
            a["parent"] = r.get("parent")
        if r.get("streets"):
            juris = [s.strip() for s in r.get("streets").replace("；", ";").split(";") if s.strip()]
            for s in juris:
                if s not in streets:
                    raise InputError.one(str(path), r.line, "agencies.streets", f"unknown street '{s}' "
                                         f"(the grids' streets: {', '.join(sorted(streets)[:12])} …)")
            a["jurisdiction"] = juris
        a["desk"] = desk
        decision = number(path, r, "decision_s", "agencies")
        a["decision"] = decision if decision is not None else base.get("decision", 0)
        out.append(checked_row(path, r, "agencies", AgencySpec, a))
    for r, a in zip(rows, out):
        if "parent" in a and a["parent"] not in seen:
            raise InputError.one(str(path), r.line, "agencies.parent", f"unknown parent agency '{a['parent']}'")
    return out


def apply_rosters(path: Path, agencies: list[dict]) -> None:
    """值班表: day and night staff on each agency's duty desk."""
    by_id = {a["id"]: a for a in agencies}
    seen: dict[tuple[str, str], int] = {}
    for r in read_table(path, "rosters"):
        aid = r.get("agency")
        if aid not in by_id:
            raise InputError.one(str(path), r.line, "rosters.agency", f"unknown agency '{aid}' (not in the "
                                 "agencies table)")
        count = number(path, r, "staff", "rosters", 0, 500) or 0
        if count != int(count):  # int() would cut 2.5 people to 2
            raise InputError.one(str(path), r.line, "rosters.staff", f"'{r.get('staff')}' is not a whole number of "
                                 "people · 在岗人数应为整数")
        staff, shift = int(count), shift_of(path, r)
        if (aid, shift) in seen:  # the later row would replace the earlier one
            raise InputError.one(str(path), r.line, "rosters.shift", f"{aid}'s {shift} shift is also on row "
                                 f"{seen[aid, shift]} · 同一单位同一班次重复")
        seen[aid, shift] = r.line
        desk = by_id[aid]["desk"]
        if shift == "day":
            if staff < 1:
                raise InputError.one(str(path), r.line, "rosters.staff", "the day shift needs at least one person")
            desk["staff"] = staff
        else:
            desk["night_staff"] = staff


def read_stations(path: Path, agencies: set[str], layer: GridLayer, crs: SourceCRS) -> tuple[list[dict], list[dict]]:
    """Stations (their grid from the ``grid`` column, else from lon/lat) and the units they hold."""
    import shapely

    _, turnout = _defaults()
    proj = Projector(layer.projected)
    tree = shapely.STRtree(layer.utm)
    grid_ids = set(layer.ids)
    stations, units, seen = [], [], set()
    for r in read_table(path, "stations"):
        sid, agency = r.get("id"), r.get("agency")
        if sid in seen:
            raise InputError.one(str(path), r.line, "stations.id", f"station '{sid}' appears twice")
        seen.add(sid)
        if agency not in agencies:
            raise InputError.one(str(path), r.line, "stations.agency", f"unknown agency '{agency}'")
        grid = r.get("grid")
        if grid:
            if grid not in grid_ids:
                raise InputError.one(str(path), r.line, "stations.grid", f"unknown grid '{grid}'")
        else:
            grid = _grid_at(path, r, sid, layer, crs, proj, tree)
        s: dict[str, Any] = {"id": sid, "agency": agency, "grid": grid}
        if r.get("name_zh") or r.get("name_en"):
            s["name"] = {"zh": r.get("name_zh") or r.get("name_en"), "en": r.get("name_en") or r.get("name_zh")}
        stations.append(checked_row(path, r, "stations", StationSpec, s))
        for kind, count, t in parse_units(path, r):
            units.append(checked_row(path, r, "stations", UnitSpec, {
                "station": sid, "kind": kind, "count": count, "turnout": t if t is not None else turnout.get(kind, 60)},
                column="units"))
    return stations, units


def _grid_at(path, r, sid, layer, crs, proj, tree) -> str:
    import shapely

    lon = number(path, r, "lon", "stations", -180, 180)
    lat = number(path, r, "lat", "stations", -90, 90)
    if lon is None or lat is None:
        raise InputError.one(str(path), r.line, "stations.lon", f"station '{sid}' needs a grid or lon and lat")
    wl, wa = to_wgs84(np.array([lon]), np.array([lat]), crs)
    x, y = proj.xy(wl, wa)
    pt = shapely.Point(float(x[0]), float(y[0]))
    hit = tree.query(pt, predicate="intersects")
    if len(hit) == 0:
        near = int(tree.nearest(pt))
        d = shapely.distance(layer.utm[near], pt)
        raise InputError.one(str(path), r.line, "stations.lon", f"station '{sid}' at ({lon}, {lat}) lies outside "
                             f"the district ({d:.0f} m from the nearest grid, '{layer.ids[near]}')")
    return layer.ids[int(min(hit))]


def read_contacts(path: Path, agencies: set[str]) -> list[dict]:
    """通讯录: who reaches whom, how, how fast and how reliably — the coordination graph's channels."""
    out = []
    for r in read_table(path, "contacts"):
        for end in ("from", "to"):
            if r.get(end) not in agencies:
                raise InputError.one(str(path), r.line, f"contacts.{end}", f"unknown agency '{r.get(end)}'")
        c: dict[str, Any] = {"from": r.get("from"), "to": r.get("to")}
        for key in ("kind", "medium"):
            if r.get(key):
                c[key] = r.get(key)
        c["latency"] = _lognormal(path, r, "latency", "contacts", 0)
        rel = number(path, r, "reliability", "contacts", 0.0001, 1)
        if rel is not None:
            c["reliability"] = rel
        if r.get("both_ways"):
            word = r.get("both_ways").lower()
            if word not in (*YES, *NO):  # any other word was read as yes
                raise InputError.one(str(path), r.line, "contacts.both_ways",
                                     f"'{r.get('both_ways')}' is not yes/是 or no/否")
            c["both_ways"] = word in YES
        out.append(checked_row(path, r, "contacts", ChannelSpec, c))
    return out
