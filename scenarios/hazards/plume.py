"""Toxic gas release (危化品泄漏扩散): Gaussian plume with ground reflection, threat zones, protective actions.

Physics and sources
-------------------
- **Gaussian plume**, continuous point source at height H, ground reflection (references.md):
  C = Q/(2π u σy σz) · exp(−y²/2σy²) · [exp(−(z−H)²/2σz²) + exp(−(z+H)²/2σz²)];
  ppm = C[mg/m³] · 24.465/MW (25 °C, 1 atm).
- **Dispersion coefficients**, three options (``dispersion``):
  ``briggs_rural`` / ``briggs_urban`` — Briggs (1973) as tabulated in references.md (urban merges
  A–B and E–F); ``pasquill_gifford`` — the Pasquill–Gifford curves as digitised in the EPA ISC3
  User's Guide vol. II (EPA-454/B-95-003b), Tables 1-1/1-2: σy = 465.11628·x·tan(0.017453293(c − d ln x)),
  σz = a x^b piecewise in x (km), σz ≤ 5000 m. This reproduces the worked example of *Fundamentals
  of Air Pollution* 3rd ed. §19.III.D within 0.5 % (see tests/validation/test_hazard_plume.py).
- **Levels of concern**: 60-min AEGL-1/2/3 (chlorine: NRC AEGL vol. 4; ammonia: uncertain).
  Centreline threat-zone distances use the 60-min AEGL as a concentration (ALOHA's convention).
  *People exposed* use a toxic load instead, so that a short passage counts less than a full hour:
  a person is above AEGL-k when ∫C^n dt ≥ AEGL_k^n · 3600 s (ten Berge; n = 2 for chlorine, derived
  from its 10/60-min AEGL-3 pair 50/20 ppm; assumed for ammonia).
- **Time** (quasi-steady): the plume front reaches downwind distance x at x/u; after the release
  stops (plug at t_plug, or inventory exhausted) the tail clears x at t_stop + x/u. While present,
  concentration at a grid is the steady value.
- **Protective actions** (scenarios/hazards/exposure.py): shelter-in-place (就地避险) indoors under a
  first-order air-exchange box model; door-to-door evacuation (疏散): grid workers notify households at
  ``rate_per_hour`` each, nearest grids first, people leave ``evacuation_departure_s`` later, evenly through
  each grid's notification window; a public warning (``warn``: cell broadcast / emergency broadcast) reaches
  ``warning_reach`` of everyone at once, who shelter (or leave) ``warning_response_s`` later.
- **Casualties** (screening): ``casualty_fraction_aegl3`` × people above AEGL-3 (default 1: everyone
  above the life-threatening level needs care — an upper bound).

A vapour denser than air (chlorine) gets the dense-gas field of :mod:`scenarios.hazards.dense_gas`
(``gas_model: auto``): :meth:`PlumeModel.from_params` builds the model registered as ``dense_gas``.

Extension points: more chemicals in :data:`scenarios.hazards.params.CHEMICALS`; other σ fits in
:func:`sigmas`; another field by overriding :meth:`PlumeModel.concentration_ppm_plume`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scenarios.hazards.base import HAZARD_MODELS, InterventionLog, Site, check_nonneg, register
from scenarios.hazards.exposure import Cohort, people_above
from scenarios.hazards.params import CHEMICALS, PlumeParams

MOLAR_VOLUME_L = 24.465
_CLASS = {c: i for i, c in enumerate("ABCDEF")}
# Briggs (1973): sigma = c * x * (1 + d x)^e
_BRIGGS_RURAL_Y = [(a, 1e-4, -0.5) for a in (0.22, 0.16, 0.11, 0.08, 0.06, 0.04)]
_BRIGGS_RURAL_Z = [(0.20, 0.0, 0.0), (0.12, 0.0, 0.0), (0.08, 2e-4, -0.5), (0.06, 1.5e-3, -0.5),
                   (0.03, 3e-4, -1.0), (0.016, 3e-4, -1.0)]
_URBAN_INDEX = (0, 0, 1, 2, 3, 3)
_BRIGGS_URBAN_Y = [(a, 4e-4, -0.5) for a in (0.32, 0.22, 0.16, 0.11)]
_BRIGGS_URBAN_Z = [(0.24, 1e-3, 0.5), (0.20, 0.0, 0.0), (0.14, 3e-4, -0.5), (0.08, 1.5e-3, -0.5)]
# Pasquill-Gifford as in EPA ISC3 vol. II Tables 1-1 (sigma-y: c, d) and 1-2 (sigma-z: upper x km, a, b)
_PG_Y = [(24.1670, 2.5334), (18.3330, 1.8096), (12.5000, 1.0857), (8.3330, 0.72382), (6.2500, 0.54287),
         (4.1667, 0.36191)]
_PG_Z = [
    ([0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50], [122.800, 158.080, 170.220, 179.520, 217.410, 258.890, 346.750,
     453.850], [0.94470, 1.05420, 1.09320, 1.12620, 1.26440, 1.40940, 1.72830, 2.11660]),
    ([0.20, 0.40], [90.673, 98.483, 109.300], [0.93198, 0.98332, 1.09710]),
    ([], [61.141], [0.91465]),
    ([0.30, 1.0, 3.0, 10.0, 30.0], [34.459, 32.093, 32.093, 33.504, 36.650, 44.053],
     [0.86974, 0.81066, 0.64403, 0.60486, 0.56589, 0.51179]),
    ([0.10, 0.30, 1.0, 2.0, 4.0, 10.0, 20.0, 40.0], [24.260, 23.331, 21.628, 21.628, 22.534, 24.703, 26.970, 35.420,
     47.618], [0.83660, 0.81956, 0.75660, 0.63077, 0.57154, 0.50527, 0.46713, 0.37615, 0.29592]),
    ([0.20, 0.70, 1.0, 2.0, 3.0, 7.0, 15.0, 30.0, 60.0], [15.209, 14.457, 13.953, 13.953, 14.823, 16.187, 17.836,
     22.651, 27.074, 34.219], [0.81558, 0.78407, 0.68465, 0.63227, 0.54503, 0.46490, 0.41507, 0.32681, 0.27436,
     0.21716]),
]


def _power(x: np.ndarray, c: float, d: float, e: float) -> np.ndarray:
    """c·x·(1 + d·x)^e with the exponents of the Briggs table done without ``pow`` (speed)."""
    if d == 0.0 or e == 0.0:
        return c * x
    base = 1.0 + d * x
    if e == -0.5:
        return (c * x) / np.sqrt(base)
    if e == 0.5:
        return (c * x) * np.sqrt(base)
    if e == -1.0:
        return (c * x) / base
    return c * x * base**e


def sigmas(x: np.ndarray, stability: str, dispersion: str = "briggs_rural") -> tuple[np.ndarray, np.ndarray]:
    """σy, σz (m) at downwind distance ``x`` (m, > 0) for a stability class and σ scheme."""
    x = np.asarray(x, dtype=float)
    i = _CLASS[stability]
    if dispersion == "briggs_rural":
        return _power(x, *_BRIGGS_RURAL_Y[i]), _power(x, *_BRIGGS_RURAL_Z[i])
    if dispersion == "briggs_urban":
        j = _URBAN_INDEX[i]
        return _power(x, *_BRIGGS_URBAN_Y[j]), _power(x, *_BRIGGS_URBAN_Z[j])
    if dispersion != "pasquill_gifford":
        raise ValueError(f"unknown dispersion scheme {dispersion!r}")
    xk = x / 1000.0
    c, d = _PG_Y[i]
    sy = 465.11628 * xk * np.tan(0.017453293 * (c - d * np.log(xk)))
    bounds, a, b = _PG_Z[i]
    if bounds:
        k = np.searchsorted(np.asarray(bounds), xk, side="left")
        sz = np.asarray(a)[k] * xk ** np.asarray(b)[k]
    else:
        sz = a[0] * xk ** b[0]
    return sy, np.minimum(sz, 5000.0)


def _core(k: float, h: float, x: np.ndarray, y: np.ndarray, z: Any, stability: str, dispersion: str) -> np.ndarray:
    """Plume formula on downwind points (x > 0, already clamped), k = Q/(2πu).

    Uses exp(−(z+H)²/2σz²) = exp(−(z−H)²/2σz²)·exp(−2zH/σz²) so the reflection costs one exp, not two.
    """
    sy, sz = sigmas(x, stability, dispersion)
    isz2 = 1.0 / (sz * sz)
    arg = y / sy
    arg *= arg
    arg += (z - h) ** 2 * isz2
    arg *= -0.5
    c = np.exp(arg)
    refl = np.exp((-2.0 * h) * z * isz2) + 1.0
    c *= refl
    c *= k / (sy * sz)
    return c


def gaussian_plume(q_mg_s: float, u: float, h: float, x: Any, y: Any, z: Any, stability: str,
                   dispersion: str = "briggs_rural", min_distance: float = 20.0) -> np.ndarray:
    """Concentration (mg/m³ when Q is mg/s) at plume coordinates (x downwind, y crosswind, z up); 0 upwind."""
    x, y, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, y, z)))
    out = np.zeros(x.shape)
    down = x > 0
    if down.any():
        out[down] = _core(q_mg_s / (2.0 * math.pi * u), h, np.maximum(x[down], min_distance), y[down].copy(),
                          z[down], stability, dispersion)
    return out


def _to_plume_frame(p: PlumeParams, dx: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    th = math.radians(p.wind_from_deg)
    ux, uy = -math.sin(th), -math.cos(th)  # unit vector the wind blows towards
    return dx * ux + dy * uy, dy * ux - dx * uy


def plume_field(params: PlumeParams, xs: Any, ys: Any, source: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Receptor-height concentration field in mg/m³ on the grid ``ys × xs`` (shape (ny, nx)).

    ``xs``/``ys`` are 1-D east/north coordinates (m). Vectorised float64 numpy, worked in blocks of
    rows of ~32k cells (cache-sized; a loop over blocks, not cells); only downwind cells are computed.
    """
    p = params
    xs = np.asarray(xs, dtype=float) - source[0]
    ys = np.asarray(ys, dtype=float) - source[1]
    th = math.radians(p.wind_from_deg)
    ux, uy = -math.sin(th), -math.cos(th)
    xu, xv = xs * ux, xs * uy
    k = p.release_rate_kg_s * 1e6 / (2.0 * math.pi * p.wind_speed_m_s)
    out = np.zeros((ys.size, xs.size))
    rows = max(1, 32_768 // max(1, xs.size))
    for r0 in range(0, ys.size, rows):
        yy = ys[r0:r0 + rows, None]
        xd = yy * uy + xu
        down = xd > 0
        if not down.any():
            continue
        x = xd[down]
        np.maximum(x, p.min_distance_m, out=x)
        yc = (yy * ux - xv)[down]
        out[r0:r0 + rows][down] = _core(k, p.source_height_m, x, yc, p.receptor_height_m, p.stability, p.dispersion)
    return out


def mg_m3_to_ppm(c: Any, mw: float) -> Any:
    return np.asarray(c) * MOLAR_VOLUME_L / mw


def ppm_to_mg_m3(ppm: Any, mw: float) -> Any:
    return np.asarray(ppm) * mw / MOLAR_VOLUME_L


def centreline_distance(p: PlumeParams, level_ppm: float, x_max: float = 100_000.0) -> float | None:
    """Farthest downwind distance (m) where the Gaussian centreline concentration ≥ ``level_ppm`` (None if nowhere)."""
    xs = np.geomspace(p.min_distance_m, x_max, 4000)
    c = mg_m3_to_ppm(gaussian_plume(p.release_rate_kg_s * 1e6, p.wind_speed_m_s, p.source_height_m, xs, 0.0,
                                    p.receptor_height_m, p.stability, p.dispersion, p.min_distance_m),
                     CHEMICALS[p.chemical].mw)
    return _last_crossing(xs, c, level_ppm)


def _last_crossing(xs: np.ndarray, c: np.ndarray, level_ppm: float) -> float | None:
    """Farthest x where c ≥ level (log–log interpolated); ``None`` if nowhere, ``xs[-1]`` if still above there."""
    above = np.nonzero(c >= level_ppm)[0]
    if above.size == 0:
        return None
    k = int(above[-1])
    if k == xs.size - 1:
        return float(xs[-1])
    lx, lc = np.log(xs[k:k + 2]), np.log(np.maximum(c[k:k + 2], 1e-300))
    f = (math.log(level_ppm) - lc[0]) / (lc[1] - lc[0])
    return float(math.exp(lx[0] + f * (lx[1] - lx[0])))


@register("plume")
class PlumeModel(InterventionLog):
    """Continuous release over the city's grids, behind the HazardModel protocol."""

    kind = "plume"
    measures = frozenset({"release_rate_kg_s", "released_kg", "front_m", "tail_m", "grids_reached", "people_exposed",
                          "people_exposed_aegl1", "people_exposed_aegl3"})
    actions = ("plug", "shelter", "evacuate", "warn")
    detectors = frozenset({"sensor", "gas_detector", "smart_sensor", "enterprise_self_report", "citizen_call"})
    arguments = {"plug": {}, "shelter": {"grids": "grids"},
                 "evacuate": {"grids": "grids", "rate_per_hour": "nonneg", "workers": "nonneg"},
                 "warn": {"message": "choice:shelter,evacuate"}}

    @classmethod
    def from_params(cls, params: PlumeParams, site: Site | None = None) -> PlumeModel:
        """The Gaussian plume, or the dense-gas model for a vapour heavier than air (``gas_model``)."""
        if params.gas_model == "gaussian":
            return PlumeModel(params, site)
        dense = HAZARD_MODELS["dense_gas"]
        if params.gas_model == "dense_gas" or dense.heavier_than_air(params):  # type: ignore[attr-defined]
            return dense(params, site)  # type: ignore[return-value]
        return PlumeModel(params, site)

    def __init__(self, params: PlumeParams, site: Site | None = None) -> None:
        super().__init__()
        self.p = params
        self.site = site or Site.point()
        self.chem = CHEMICALS[params.chemical]
        self.levels = (self.chem.aegl1, self.chem.aegl2, self.chem.aegl3)
        dxg, dyg = _to_plume_frame(params, self.site.grid_x - self.site.x, self.site.grid_y - self.site.y)
        self.grid_down = dxg
        self.grid_ppm = self.concentration_ppm_plume(dxg, dyg, params.receptor_height_m)
        self.arrival = np.where(dxg > 0, dxg / params.wind_speed_m_s, np.inf)
        n = self.grid_down.size
        self.t_plug = math.inf
        # those a public warning reaches, and the rest (told door to door only)
        self.cohorts = [Cohort.idle(params.warning_reach, n), Cohort.idle(1.0 - params.warning_reach, n)]
        self._index = {g: i for i, g in enumerate(self.site.grid_ids)}

    # ---- fields -----------------------------------------------------------------------------
    def concentration_ppm_plume(self, xd: Any, yc: Any, z: Any) -> np.ndarray:
        c = gaussian_plume(self.p.release_rate_kg_s * 1e6, self.p.wind_speed_m_s, self.p.source_height_m, xd, yc, z,
                           self.p.stability, self.p.dispersion, self.p.min_distance_m)
        return mg_m3_to_ppm(c, self.chem.mw)

    def concentration(self, x: Any, y: Any, z: Any = 1.5) -> np.ndarray:
        """Steady concentration (mg/m³) at site coordinates (m, east/north); vectorised over arrays."""
        xd, yc = _to_plume_frame(self.p, np.asarray(x, dtype=float) - self.site.x,
                                 np.asarray(y, dtype=float) - self.site.y)
        return ppm_to_mg_m3(self.concentration_ppm_plume(xd, yc, z), self.chem.mw)

    def threat_distances(self) -> dict[str, float | None]:
        """Centreline distances (m) to the 60-min AEGL-1/2/3 concentrations."""
        return {f"aegl{k + 1}_m": self.centreline_distance(lv) for k, lv in enumerate(self.levels)}

    def centreline_distance(self, level_ppm: float, x_max: float = 100_000.0) -> float | None:
        """Farthest downwind distance (m) where this model's centreline concentration ≥ ``level_ppm``."""
        xs = np.geomspace(self.p.min_distance_m, x_max, 4000)
        c = self.concentration_ppm_plume(xs, 0.0, self.p.receptor_height_m)
        return _last_crossing(xs, c, level_ppm)

    @property
    def t_stop(self) -> float:
        inv = self.p.inventory_kg / self.p.release_rate_kg_s if self.p.inventory_kg else math.inf
        return min(self.t_plug, inv)

    # ---- protocol ---------------------------------------------------------------------------
    def detection_time(self, detector: str) -> float | None:
        """sensor/gas_detector/smart_sensor (fence line), enterprise_self_report (0), citizen_call."""
        p = self.p
        if detector in ("sensor", "gas_detector", "smart_sensor"):
            c = float(self.concentration_ppm_plume(p.sensor_distance_m, 0.0, p.receptor_height_m))
            return p.sensor_distance_m / p.wind_speed_m_s if c >= self.chem.aegl1 else None
        if detector == "enterprise_self_report":
            return 0.0
        if detector == "citizen_call":
            hit = (self.grid_ppm >= self.chem.aegl1) & (self.site.grid_population > 0)
            return float(self.arrival[hit].min()) if hit.any() else None
        return None

    def _grids(self, grids: list[str] | None, default: np.ndarray) -> np.ndarray:
        if grids is None:
            return default
        try:
            idx = [self._index[g] for g in grids]
        except KeyError as e:
            raise ValueError(f"unknown grid {e.args[0]!r}") from None
        mask = np.zeros(self.grid_down.size, dtype=bool)
        mask[idx] = True
        return mask

    def intervene(self, action: str, t: float, **kw: Any) -> float | None:
        """plug; shelter (``grids``); evacuate (``grids``, ``rate_per_hour`` per worker, ``workers``)."""
        self._record(action, t, kw)
        if action == "plug":
            self.t_plug = min(self.t_plug, t)
            d1 = self.centreline_distance(self.chem.aegl1)
            return (d1 or 0.0) / self.p.wind_speed_m_s
        if action == "shelter":
            mask = self._grids(kw.get("grids"), np.ones(self.grid_down.size, dtype=bool))
            for co in self.cohorts:
                co.t_shelter = np.where(mask, np.minimum(co.t_shelter, t), co.t_shelter)
            return 0.0
        if action == "warn":
            return self._warn(t, kw)
        mask = self._grids(kw.get("grids"), self.grid_ppm >= self.chem.aegl1)
        rate = check_nonneg("rate_per_hour", kw.get("rate_per_hour", self.p.households_per_hour_per_worker))
        workers = check_nonneg("workers", kw.get("workers", 1))
        if rate * workers <= 0:
            return None
        persons_s = rate * workers * self.p.persons_per_household / 3600.0
        idx = np.nonzero(mask)[0]
        idx = idx[np.argsort(self.grid_down[idx], kind="stable")]
        cum = np.cumsum(self.site.grid_population[idx])
        start = t + self.p.evacuation_departure_s
        s1 = start + cum / persons_s
        s0 = start + (cum - self.site.grid_population[idx]) / persons_s
        for co in self.cohorts:
            better = s1 < co.dep1[idx]
            co.dep0[idx[better]], co.dep1[idx[better]] = s0[better], s1[better]
        return float(s1[-1] - t) if idx.size else 0.0

    def _warn(self, t: float, kw: dict[str, Any]) -> float:
        """Public warning (预警信息发布) to every grid: the reached cohort shelters — or, with
        ``message: evacuate``, sets off over ``evacuation_departure_s`` — ``warning_response_s`` later."""
        message = kw.get("message", "shelter")
        if message not in ("shelter", "evacuate"):
            raise ValueError(f"warning message must be 'shelter' or 'evacuate', got {message!r}")
        co, start = self.cohorts[0], t + self.p.warning_response_s
        if message == "shelter":
            co.t_shelter = np.minimum(co.t_shelter, start)
        else:
            end = start + self.p.evacuation_departure_s
            better = end < co.dep1
            co.dep0, co.dep1 = np.where(better, start, co.dep0), np.where(better, end, co.dep1)
        return self.p.warning_response_s

    def exposed_by_level(self, t_end: float, levels: tuple[float, ...] | None = None) -> np.ndarray:
        """People per grid above the toxic loads of ``levels`` (default AEGL-1/2/3) by ``t_end``:
        array shape (len(levels), n_grids)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a = self.arrival
            e = np.minimum(self.t_stop + a, t_end)
            return people_above(levels or self.levels, self.chem.ten_berge_n, self.site.grid_population,
                                self.grid_ppm, a, e, self.p.air_changes_per_hour / 3600.0, self.cohorts, t_end)

    _LEVEL_OF = {"people_exposed_aegl1": 0, "people_exposed": 1, "people_exposed_aegl3": 2}

    def measure(self, name: str, t: float, until: float | None = None) -> float | None:
        """A level trigger watches one exposure measure every minute: compute that level only."""
        k = self._LEVEL_OF.get(name)
        if k is None:
            return super().measure(name, t, until)
        return float(self.exposed_by_level(t, (self.levels[k],)).sum())

    def state(self, t: float) -> dict[str, float]:
        ts = self.t_stop
        ex = self.exposed_by_level(t).sum(axis=1)
        reached = self.arrival < t
        return {
            "release_rate_kg_s": self.p.release_rate_kg_s if t < ts else 0.0,
            "released_kg": self.p.release_rate_kg_s * min(t, ts),
            "front_m": self.p.wind_speed_m_s * t,
            "tail_m": self.p.wind_speed_m_s * max(0.0, t - ts),
            "grids_reached": float(reached.sum()),
            "people_exposed_aegl1": float(ex[0]),
            "people_exposed": float(ex[1]),
            "people_exposed_aegl3": float(ex[2]),
        }

    def outcomes(self, t_end: float) -> dict[str, float | None]:
        ex = self.exposed_by_level(t_end).sum(axis=1)
        reached = self.arrival < t_end
        return {
            "people_exposed": float(ex[1]),
            "people_exposed_aegl1": float(ex[0]),
            "people_exposed_aegl3": float(ex[2]),
            "casualties": float(ex[2]) * self.p.casualty_fraction_aegl3,
            "max_concentration_ppm": float(self.grid_ppm[reached].max()) if reached.any() else 0.0,
        }
