"""A megacity's year of routine load (特大城市全年日常警情): the generator of ``scenarios/library/megacity_year.yaml``.

Four services, each a routine stream of *contacts* (calls) of which only a share becomes an incident someone
goes to (``StreamSpec.unit_share``): 110 (police, patrol cars), 119 (fire and rescue, engines), 120
(ambulances) and 12345 (the citizen hotline; a grid worker's site visit, no vehicle). Stations stand on a
lattice; every grid belongs to its nearest station's area (辖区) per unit kind, and each district (区县) has its
own police sub-bureau, fire brigade and ambulance network (an agency whose jurisdiction is the district's
streets). Dispatch: the own area first, a neighbouring area of the same district within ``aid_within``,
another district only within ``district_aid_within`` (``dispatch.areas``).

The figures, their sources and years are in :data:`SOURCES` (written into the scenario's description) and on
``docs/megacity.md``; every figure without a source is called an assumption there.

Run ``python -m scenarios.megacity [OUT]`` to write the bundled file again (the test suite checks the bundled
file is what the generator writes).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

from pydantic import Field

from agencies.base import Frozen

HOURS_PER_YEAR = 8760.0


class Service(Frozen):
    """One emergency or hotline service: its contacts a year, the share that needs someone to go, profiles."""

    calls_per_year: Annotated[float, Field(ge=0)]
    unit_share: Annotated[float, Field(ge=0, le=1)]
    hourly: Annotated[list[float], Field(min_length=24, max_length=24)]
    weekly: Annotated[list[float], Field(min_length=7, max_length=7)] = [1.0] * 7
    monthly: Annotated[list[float], Field(min_length=12, max_length=12)] = [1.0] * 12
    spacing_km: Annotated[float, Field(gt=0)] = 10.0
    """Stations on a square lattice this far apart (ignored for the hotline: no vehicles)."""
    units_per_station: Annotated[int, Field(ge=1)] = 2


class MegacityConfig(Frozen):
    """The city and its four services; the defaults are the Chongqing-size year (see :data:`SOURCES`)."""

    name: str = "megacity_year"
    streets: int = 782
    communities_per_street: int = 29
    grids_per_community: int = 3
    """782 streets of 87 grids = 68,034 grids on a 261-column lattice: three streets to a row, none wrapping
    from the east edge to the west (the generated city lays grids out row by row)."""
    districts: int = 38
    grid_size_m: float = 400.0
    days: float = 365.0
    aid_within_s: float = 1200.0
    district_aid_within_s: float = 900.0
    police: Service = Service(
        calls_per_year=8.8e6, unit_share=0.37, spacing_km=6.0, units_per_station=4,
        hourly=[0.7, 0.55, 0.45, 0.4, 0.4, 0.45, 0.6, 0.85, 1.05, 1.15, 1.2, 1.2,
                1.15, 1.1, 1.15, 1.2, 1.25, 1.3, 1.35, 1.4, 1.4, 1.35, 1.15, 0.9],
        weekly=[0.97, 0.96, 0.96, 0.97, 1.02, 1.07, 1.05])
    fire: Service = Service(
        calls_per_year=48_700, unit_share=1.0, spacing_km=10.0, units_per_station=2,
        hourly=[0.6, 0.55, 0.5, 0.5, 0.5, 0.55, 0.65, 0.8, 1.1, 1.25, 1.3, 1.3,
                1.3, 1.3, 1.3, 1.3, 1.3, 1.3, 1.25, 1.15, 1.05, 0.9, 0.8, 0.7],
        monthly=[0.96, 0.96, 0.96, 0.96, 0.96, 1.12, 1.12, 1.12, 0.96, 0.96, 0.96, 0.96])
    ambulance: Service = Service(
        calls_per_year=1.5e6, unit_share=0.286, spacing_km=7.0, units_per_station=2,
        hourly=[0.7, 0.6, 0.55, 0.5, 0.5, 0.55, 0.7, 0.95, 1.2, 1.3, 1.3, 1.25,
                1.15, 1.1, 1.1, 1.1, 1.1, 1.1, 1.15, 1.2, 1.2, 1.1, 0.95, 0.8])
    hotline: Service = Service(
        calls_per_year=6.1e6, unit_share=0.05,
        hourly=[0.2, 0.15, 0.1, 0.1, 0.1, 0.15, 0.4, 1.0, 1.8, 2.0, 2.0, 1.8,
                1.4, 1.6, 1.9, 1.9, 1.8, 1.6, 1.2, 0.9, 0.7, 0.5, 0.4, 0.3],
        weekly=[1.1, 1.05, 1.05, 1.05, 1.05, 0.85, 0.85])

    @property
    def n_grids(self) -> int:
        return self.streets * self.communities_per_street * self.grids_per_community


def scaled(cfg: MegacityConfig, spacing_km: dict[str, float] | None = None, units_per_station: int | None = None,
           **city: float) -> MegacityConfig:
    """``cfg`` on another city (``streets=…``, ``districts=…``, ``days=…`` …) with the same calls per grid;
    station spacing per service (``{"police": 2.4, …}``) and units per station as given (a small city for tests)."""
    new = cfg.model_copy(update=city)
    ratio = new.n_grids / cfg.n_grids
    services = {}
    for k in ("police", "fire", "ambulance", "hotline"):
        svc = getattr(cfg, k)
        upd: dict = {"calls_per_year": svc.calls_per_year * ratio}
        if spacing_km and k in spacing_km:
            upd["spacing_km"] = spacing_km[k]
        if units_per_station is not None:
            upd["units_per_station"] = units_per_station
        services[k] = svc.model_copy(update=upd)
    return new.model_copy(update=services)


SMALL_SPACING = {"police": 2.4, "ambulance": 3.2, "fire": 4.0}
"""Station spacing of the small test city (841 grids, 11.6 km across): 25 police, 16 ambulance, 9 fire stations."""


def small_city(days: float = 14.0, **more: float) -> MegacityConfig:
    """The megacity's calls per grid on 841 grids (29 streets, one lattice row each) in 3 districts, one unit
    per station (tests, examples)."""
    return scaled(MegacityConfig(), SMALL_SPACING, 1, streets=29, communities_per_street=29, grids_per_community=1,
                  districts=3, days=days, **more)


SOURCES = {
    "110": {
        "zh": "重庆110报警服务台2018年受理报警880余万起、有效警情500余万起（大公网 2019-01-10）；"
              "2016年受理824万余起、有效472万余起，其中挡道挪车72万余起、咨询95万余起（中新网 2017-01-10）"
              "→ 需出警约(472−95−72)/824≈37%；时段与星期分布为假设",
        "en": "Chongqing 110: 8.8 million calls and 5.0 million valid incidents in 2018 (Ta Kung Pao, 2019-01-10); "
              "2016: 8.24 million calls, 4.72 million valid, of which 0.72 million car-moving requests and 0.95 "
              "million enquiries (China News, 2017-01-10) → ≈37 % need a patrol car; hourly and weekly profiles "
              "are assumptions"},
    "119": {
        "zh": "全国消防救援队伍2023年接报处置警情213.8万起（国家消防救援局 2024-01-04）×重庆人口约占全国2.28%"
              "（按人口分摊为假设）≈4.87万起；2025年6–8月占全年28%、8–20时警情集中（国家消防救援局 2026-03-17）；"
              "每起出一辆消防车与时段形状为假设",
        "en": "China's fire and rescue teams handled 2.138 million incidents in 2023 (National Fire and Rescue "
              "Administration, 2024-01-04) × Chongqing's ≈2.28 % of the population (sharing by population is an "
              "assumption) ≈ 48,700; June–August 28 % of the year and 08–20 h busiest (NFRA, 2026-03-17); one "
              "engine per incident and the hourly shape are assumptions"},
    "120": {
        "zh": "重庆市急救医疗中心：2022年春节期间32个调度中心接警28,740次、出车8,221次（2022-02-06）→出车占28.6%；"
              "按7天推算全年≈150万次（假设春节周为平常周）；城市急救服务半径不超过5公里（2020年院前急救指导意见）"
              "→ 急救站间距7公里；时段分布为假设",
        "en": "Chongqing Emergency Medical Centre: 28,740 calls and 8,221 ambulance runs at 32 dispatch centres over "
              "the 2022 Spring Festival (2022-02-06) → 28.6 % of calls get an ambulance; ≈1.5 million calls a year "
              "if that week is typical (assumption); urban service radius ≤ 5 km (2020 national guideline on "
              "pre-hospital care) → stations 7 km apart; hourly profile an assumption"},
    "12345": {
        "zh": "未找到重庆12345年受理量（假设）：北京12345在2019年改革前约每年400万件、约2,150万人口→人均0.19件×"
              "重庆约3,200万人≈610万件；常德2021年1月19,197件中咨询9,707件；需网格员到现场核实的占5%为假设",
        "en": "No Chongqing 12345 volume found (assumption): Beijing's ≈4 million requests a year before its 2019 "
              "reform (≈21.5 million people) per head × Chongqing's ≈32 million ≈ 6.1 million; about half are "
              "enquiries (Changde, January 2021: 9,707 of 19,197); 5 % needing a grid worker on site is an "
              "assumption"},
    "city": {
        "zh": "6.8万个网格（重庆，domain.md）；38个区县、782个街道、400米网格、站点间距、车辆数、"
              "出动与现场时间均为假设",
        "en": "68,000 grids (Chongqing, domain.md); 38 districts, 782 streets, 400 m grids, station spacing, fleet "
              "sizes, turnout and on-scene times are assumptions"},
}
"""Every figure of the bundled year, its source and year (zh and en); "assumption" where none was found."""


def _normalised(xs: list[float]) -> list[float]:
    """Multipliers scaled to mean 1 (so the annual volume is the rate), rounded for a readable file."""
    m = sum(xs) / len(xs)
    return [round(x / m, 4) for x in xs]


def _grid_id(cfg: MegacityConfig, idx: int) -> str:
    per_street = cfg.communities_per_street * cfg.grids_per_community
    s, r = divmod(idx, per_street)
    c, g = divmod(r, cfg.grids_per_community)
    return f"S{s + 1}-C{c + 1}-G{g + 1}"


def _district_of_street(cfg: MegacityConfig, street: int) -> int:
    """0-based district of 0-based street: the city cut into a × b tiles by the street's first grid — a the
    streets to a lattice row when they fit it exactly (each street then lies in one tile), else ⌈√D⌉ —, tiles
    numbered row by row and shared out in order among the D districts."""
    n = cfg.n_grids
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    per_street = cfg.communities_per_street * cfg.grids_per_community
    a = cols // per_street if cols % per_street == 0 else math.ceil(math.sqrt(cfg.districts))
    a = min(a, cfg.districts)
    b = math.ceil(cfg.districts / a)
    first = street * cfg.communities_per_street * cfg.grids_per_community
    r, c = divmod(first, cols)
    tile = (r * b // rows) * a + (c * a // cols)
    return tile * cfg.districts // (a * b)


def _lattice(cfg: MegacityConfig, spacing_km: float) -> list[int]:
    """Grid indices of stations on a square lattice ``spacing_km`` apart over the generated city's layout."""
    n = cfg.n_grids
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    step = max(1, round(spacing_km * 1000 / cfg.grid_size_m))
    out = []
    for r in range(step // 2, rows, step):
        for c in range(step // 2, cols, step):
            idx = r * cols + c
            if idx < n:
                out.append(idx)
    return out


def _district_streets(cfg: MegacityConfig, d: int) -> list[str]:
    return [f"S{s + 1}" for s in range(cfg.streets) if _district_of_street(cfg, s) == d]


VEHICLE = {"police": ("police", "patrol_car", "centre_110", "p"), "fire": ("fire", "engine", "centre_119", "f"),
           "ambulance": ("health", "ambulance", "centre_120", "a")}


def _agencies(cfg: MegacityConfig) -> list[dict]:
    out: list[dict] = [
        {"id": "centre_110", "role": "centre_110", "desk": {"staff": 40, "handling": _ln(60, 150)}},
        {"id": "centre_119", "role": "centre_119", "desk": {"staff": 10, "handling": _ln(45, 90)}},
        {"id": "centre_120", "role": "centre_120", "desk": {"staff": 20, "handling": _ln(60, 120)}},
        {"id": "hotline_12345", "role": "hotline_12345", "desk": {"staff": 60, "handling": _ln(180, 420)}},
        {"id": "grid_workers", "role": "residents_committee", "decision": _ln(600, 1800),
         "desk": {"staff": 200, "handling": _ln(60, 180)}},
    ]
    for d in range(cfg.districts):
        streets = _district_streets(cfg, d)
        for service, (role, _, _, p) in VEHICLE.items():
            out.append({"id": f"{p}{d + 1}", "role": role, "jurisdiction": streets,
                        "name": {"zh": f"第{d + 1}区{_ZH[service]}", "en": f"District {d + 1} {service}"},
                        "desk": {"staff": 4, "handling": _ln(30, 60)}})
    return out


_ZH = {"police": "公安分局", "fire": "消防救援大队", "ambulance": "急救分站网"}


def _ln(median: float, p90: float) -> dict:
    return {"dist": "lognormal", "median": median, "p90": p90}


def _stations_and_units(cfg: MegacityConfig) -> tuple[list[dict], list[dict]]:
    stations, units = [], []
    per_street = cfg.communities_per_street * cfg.grids_per_community
    turnout = {"police": _ln(60, 180), "fire": _ln(60, 90), "ambulance": _ln(90, 180)}
    for service, (_, kind, _, p) in VEHICLE.items():
        svc: Service = getattr(cfg, service)
        sites = _lattice(cfg, svc.spacing_km)
        have = {_district_of_street(cfg, idx // per_street) for idx in sites}
        for d in range(cfg.districts):  # a district the lattice missed gets one station, in its middle street
            if d not in have:
                streets = [s for s in range(cfg.streets) if _district_of_street(cfg, s) == d]
                sites.append(streets[len(streets) // 2] * per_street + per_street // 2)
        for k, idx in enumerate(sites):
            d = _district_of_street(cfg, idx // per_street)
            sid = f"{p}s{k + 1}"
            stations.append({"id": sid, "agency": f"{p}{d + 1}", "grid": _grid_id(cfg, idx)})
            units.append({"station": sid, "kind": kind, "count": svc.units_per_station, "turnout": turnout[service]})
    return stations, units


def _channels(cfg: MegacityConfig) -> list[dict]:
    out = [{"from": "hotline_12345", "to": "grid_workers", "kind": "notify", "medium": "phone",
            "latency": _ln(300, 1800)}]
    for d in range(cfg.districts):
        for _, (_, _, centre, p) in VEHICLE.items():
            out.append({"from": centre, "to": f"{p}{d + 1}", "kind": "command", "medium": "radio",
                        "latency": _ln(20, 60)})
    return out


TYPES = {
    # type: (service, intake, lead role, task id, capability, unit kind or None, on-scene median/p90 s)
    "police_call": ("police", "centre_110", "police", "attend", "call_response", "patrol_car", (1800, 3600)),
    "fire_call": ("fire", "centre_119", "fire", "respond", "rescue", "engine", (2400, 5400)),
    "medical_call": ("ambulance", "centre_120", "health", "treat", "triage_transport", "ambulance", (3000, 5400)),
    "hotline_case": ("hotline", "hotline_12345", "residents_committee", "visit", "patrol", None, (1800, 3600)),
}
NAMES = {"police_call": ("110警情", "110 police call"), "fire_call": ("119警情", "119 fire and rescue call"),
         "medical_call": ("120急救", "120 ambulance call"), "hotline_case": ("12345现场核实", "12345 site visit")}
STREAM_IDS = {"police": "s110", "fire": "s119", "ambulance": "s120", "hotline": "s12345"}


def _incident_types() -> dict:
    out = {}
    for t, (_, intake, _, task, cap, unit, (med, p90)) in TYPES.items():
        spec = {"id": task, "capability": cap, "duration": _ln(med, p90), "controls": True}
        if unit is not None:
            spec.update({"unit": unit, "setup": 60})
        out[t] = {"name": {"zh": NAMES[t][0], "en": NAMES[t][1]},
                  "detection": [{"kind": "citizen_call", "delay": _ln(60, 300), "report_to": intake}],
                  "verify": _ln(30, 90), "tasks": [spec]}
    return out


def _arrangement() -> dict:
    types = {}
    for t, (_, _, lead, task, _, unit, _) in TYPES.items():
        ta: dict = {"lead": [lead]}
        if unit is not None:
            ta.update({"dispatch": "nearest", "on_alarm": True})  # 一键调度: the centre sends the unit on the alarm
        types[t] = {"lead": lead, "tasks": {task: ta}}
    return {"name": "station_areas", "title": {"zh": "辖区优先、就近增援", "en": "Own station area first, nearest aid"},
            "dispatch": "nearest", "incident_types": types}


def _streams(cfg: MegacityConfig) -> list[dict]:
    out = []
    hours = cfg.n_grids * HOURS_PER_YEAR
    for service, t in zip(("police", "fire", "ambulance", "hotline"), TYPES):
        svc: Service = getattr(cfg, service)
        s = {"id": STREAM_IDS[service], "type": t, "rate_per_hour": svc.calls_per_year / hours,
             "unit_share": svc.unit_share, "profile": _normalised(svc.hourly)}
        if len(set(svc.weekly)) > 1:
            s["weekly"] = _normalised(svc.weekly)
        if len(set(svc.monthly)) > 1:
            s["monthly"] = _normalised(svc.monthly)
        out.append(s)
    return out


def megacity_document(cfg: MegacityConfig | None = None) -> dict:
    """The scenario as a plain document (what the YAML file holds)."""
    cfg = cfg or MegacityConfig()
    stations, units = _stations_and_units(cfg)
    src = {lang: "；".join(f"{k}: {v[lang]}" for k, v in SOURCES.items()) for lang in ("zh", "en")}
    return {
        "name": cfg.name,
        "description": {
            "zh": f"特大城市（{cfg.n_grids:,}个网格、{cfg.districts}个区县）一年的110、119、120、12345日常来电："
                  "来电不等于警情，只有需要出警、出车或上门的部分成为事件；辖区优先，邻近辖区在调派距离内增援，"
                  f"跨区仅在边界附近。数据来源与年份：{src['zh']}",
            "en": f"A megacity year ({cfg.n_grids:,} grids, {cfg.districts} districts) of 110, 119, 120 and 12345 "
                  "contacts: a call is not an incident — only the share someone must go to becomes one; own station "
                  "area first, a neighbouring area within the dispatch distance, another district only near the "
                  f"boundary. Figures, sources and years (see docs/megacity.md): {src['en'].replace('；', '; ')}"},
        "horizon": cfg.days * 86400.0,
        "clock_start": 0.0,
        "city": {"generated": {"district": "megacity", "streets": cfg.streets,
                               "communities_per_street": cfg.communities_per_street,
                               "grids_per_community": cfg.grids_per_community, "grid_size_m": cfg.grid_size_m}},
        "agencies": _agencies(cfg),
        "stations": stations,
        "units": units,
        "channels": _channels(cfg),
        "arrangement": _arrangement(),
        "incident_types": _incident_types(),
        "streams": _streams(cfg),
        "dispatch": {"order": "nearest", "when_all_busy": "queue",
                     "areas": {"aid_within": cfg.aid_within_s, "cross_district": True,
                               "district_aid_within": cfg.district_aid_within_s}},
    }


def megacity_yaml(cfg: MegacityConfig | None = None) -> str:
    """The scenario as YAML text (block style, short mappings on one line)."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 4096
    yaml.default_flow_style = None
    yaml.representer.ignore_aliases = lambda *_: True  # Linkage files refuse aliases
    buf = io.StringIO()
    buf.write("# Generated by `python -m scenarios.megacity` (scenarios/megacity.py): edit the generator, not this "
              "file.\n")
    yaml.dump(megacity_document(cfg), buf)
    return buf.getvalue()


BUNDLED = Path(__file__).parent / "library" / "megacity_year.yaml"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else BUNDLED
    out.write_text(megacity_yaml(), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
