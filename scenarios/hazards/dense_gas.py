"""Dense-gas dispersion (重气扩散): the Britter–McQuaid workbook correlations, behind the plume model.

A vapour heavier than air (chlorine flashing from a liquefied line at −34 °C is ~3 × as dense as air)
slumps and spreads sideways under gravity, entrains air slowly and stays concentrated near the ground far
longer than a passive Gaussian plume predicts. The Britter–McQuaid *Workbook on the Dispersion of Dense
Gases* (HSE Contract Research Report 17/1988) correlates the field trials (Thorney Island, Burro, Maplin
Sands …) as curves of the ground-level centreline concentration ratio C_m/C_0 against a scaled distance, for
continuous (plume) and instantaneous (puff) releases. We use the curves as digitised in CCPS *Guidelines for
Consequence Analysis of Chemical Releases* (AIChE 1999, §2.3.2; also Crowl & Louvar, *Chemical Process
Safety*, Tables 5-6 and 5-7), interpolated linearly in (log x, log C) as one reads the workbook's log–log
charts.

Continuous release (q_0 m³/s of source gas, reduced gravity g_0' = g(ρ_0 − ρ_a)/ρ_a, wind u at 10 m):
- length scale D_c = (q_0/u)^½; dense effects matter when (g_0' q_0 / (u³ D_c))^⅓ ≥ 0.15;
- α = 0.2 log₁₀(g_0'² q_0 / u⁵); each curve C_m/C_0 ∈ {0.1, 0.05, 0.02, 0.01, 0.005, 0.002} gives
  β = log₁₀(x/D_c) as a piecewise-linear function of α;
- a non-isothermal release enters through the correction C* = C/(C + (1 − C)·T_a/T_0) (C the actual
  volume fraction, C* the correlation's).
Instantaneous release (V_0 m³): α = 0.5 log₁₀(g_0' V_0^⅓ / u²), β = log₁₀(x/V_0^⅓), dense when
(g_0' V_0)^½ / (u V_0^⅓) ≥ 0.20; curves for C_m/C_0 down to 0.001.

Beyond the last curve (C*/C_0 = 0.002 — 2000 ppm for pure chlorine, far above any level of concern) the
cloud has diluted to where density no longer drives it and it disperses passively: the model goes on with
a ground-level Gaussian plume from a virtual source placed so that the two agree at the hand-over distance
(the usual hybrid of dense-gas box models, e.g. DEGADIS and ALOHA's heavy-gas model). Crosswind, inside the
dense region the cloud is a top hat of half-width b = L_h0 + 2.5·l_b^⅓·x^⅔ (L_h0 = D_c + 8 l_b,
l_b = g_0' q_0 / u³; workbook's gravity-spreading estimate as given by CCPS); beyond it, Gaussian.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scenarios.hazards.base import Site, register
from scenarios.hazards.params import CHEMICALS, PlumeParams
from scenarios.hazards.plume import PlumeModel, _last_crossing, gaussian_plume, mg_m3_to_ppm

G = 9.81
R_GAS = 8.314462618
P_ATM = 101_325.0
MW_AIR = 28.964

# Continuous-release curves as the published piecewise-linear fits: C_m/C_0 → segments (upper α, slope,
# intercept) of β(α) = slope·α + intercept, taken in order (the first whose upper bound is ≥ α).
Curves = dict[float, tuple[tuple[float, float, float], ...]]
PLUME_CURVES: Curves = {
    0.10: ((-0.55, 0.0, 1.75), (-0.14, 0.24, 1.88), (1.0, -0.50, 1.78)),
    0.05: ((-0.68, 0.0, 1.92), (-0.29, 0.36, 2.16), (-0.18, 0.0, 2.06), (1.0, -0.56, 1.96)),
    0.02: ((-0.69, 0.0, 2.08), (-0.31, 0.45, 2.39), (-0.16, 0.0, 2.25), (1.0, -0.54, 2.16)),
    0.01: ((-0.70, 0.0, 2.25), (-0.29, 0.49, 2.59), (-0.20, 0.0, 2.45), (1.0, -0.52, 2.35)),
    0.005: ((-0.67, 0.0, 2.40), (-0.28, 0.59, 2.80), (-0.15, 0.0, 2.63), (1.0, -0.48, 2.56)),
    0.002: ((-0.69, 0.0, 2.60), (-0.25, 0.39, 2.87), (-0.13, 0.0, 2.77), (1.0, -0.50, 2.71)),
}
# Instantaneous-release curves, the same way.
PUFF_CURVES: Curves = {
    0.10: ((-0.44, 0.0, 0.70), (0.43, 0.26, 0.81), (1.0, 0.0, 0.93)),
    0.05: ((-0.56, 0.0, 0.85), (0.31, 0.26, 1.00), (1.0, -0.12, 1.12)),
    0.02: ((-0.66, 0.0, 0.95), (0.32, 0.36, 1.19), (1.0, -0.26, 1.38)),
    0.01: ((-0.71, 0.0, 1.15), (0.37, 0.34, 1.39), (1.0, -0.38, 1.66)),
    0.005: ((-0.52, 0.0, 1.48), (0.24, 0.26, 1.62), (1.0, -0.30, 1.75)),
    0.002: ((0.27, 0.0, 1.83), (1.0, -0.32, 1.92)),
    0.001: ((-0.10, 0.0, 2.075), (1.0, -0.27, 2.05)),
}


def _beta(segments: tuple[tuple[float, float, float], ...], alpha: float) -> float:
    for upper, slope, intercept in segments:
        if alpha <= upper:
            return slope * alpha + intercept
    _, slope, intercept = segments[-1]
    return slope * alpha + intercept


def gas_density(mw: float, temperature_k: float) -> float:
    """Ideal-gas density (kg/m³) at 1 atm."""
    return P_ATM * mw / 1000.0 / (R_GAS * temperature_k)


def beta_at(curves: Curves, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(C_m/C_0 ratios descending, β = log₁₀ scaled distance) of every curve at ``alpha``.

    The fits are given for α ≤ 1; a denser or calmer release is clamped to α = 1 (its nearest curve)."""
    a = min(alpha, 1.0)
    ratios = np.array(sorted(curves, reverse=True))
    betas = np.array([_beta(curves[c], a) for c in ratios])
    return ratios, betas


def ratio_at(scaled_x: Any, ratios: np.ndarray, betas: np.ndarray) -> np.ndarray:
    """C*/C_0 at scaled distances, log–log interpolation between curves; nearer than the first curve its
    slope is extended (capped at 1), farther than the last ``nan`` (the caller hands over to passive)."""
    lx = np.log10(np.maximum(np.asarray(scaled_x, dtype=float), 1e-12))
    lc = np.log10(ratios)
    inside = np.interp(lx, betas, lc)
    slope = (lc[1] - lc[0]) / (betas[1] - betas[0])
    near = np.minimum(0.0, lc[0] + slope * (lx - betas[0]))
    out = np.where(lx < betas[0], near, inside)
    return np.where(lx > betas[-1], np.nan, 10.0 ** out)


def distance_to_ratio(ratio: float, ratios: np.ndarray, betas: np.ndarray) -> float:
    """Scaled distance where C*/C_0 falls to ``ratio`` (inside the curves' range)."""
    lc = np.log10(ratios)
    return float(10.0 ** np.interp(math.log10(ratio), lc[::-1], betas[::-1]))


def correlation_ratio(actual: float, t_ambient: float, t_release: float) -> float:
    """C* of the workbook's non-isothermal correction for an actual volume fraction C."""
    return actual / (actual + (1.0 - actual) * t_ambient / t_release)


def actual_ratio(c_star: Any, t_ambient: float, t_release: float) -> Any:
    """Inverse of :func:`correlation_ratio`: the actual volume fraction for a correlation value C*."""
    r = t_ambient / t_release
    c_star = np.asarray(c_star, dtype=float)
    return c_star * r / (1.0 - c_star + c_star * r)


class BritterMcQuaidPlume:
    """Continuous ground-level dense release: centreline volume fraction and crosswind half-width vs distance."""

    def __init__(self, mass_rate_kg_s: float, rho_release: float, rho_air: float, wind_m_s: float,
                 t_release: float, t_ambient: float, g: float = G) -> None:
        self.q0 = mass_rate_kg_s / rho_release
        self.g0 = g * (rho_release - rho_air) / rho_air
        self.u = wind_m_s
        self.t_release, self.t_ambient = t_release, t_ambient
        self.dc = math.sqrt(self.q0 / self.u)
        self.lb = max(self.g0, 0.0) * self.q0 / self.u**3
        self.alpha = 0.2 * math.log10(max(self.g0, 1e-12) ** 2 * self.q0 / self.u**5)
        self.ratios, self.betas = beta_at(PLUME_CURVES, self.alpha)

    @property
    def criterion(self) -> float:
        """(g_0' q_0 / (u³ D_c))^⅓ — dense-gas effects matter at ≥ 0.15 (workbook)."""
        return (max(self.g0, 0.0) * self.q0 / (self.u**3 * self.dc)) ** (1.0 / 3.0)

    @property
    def is_dense(self) -> bool:
        return self.criterion >= 0.15

    @property
    def handover_m(self) -> float:
        """Distance of the last curve (C*/C_0 = 0.002): passive dispersion from there on."""
        return self.dc * 10.0 ** self.betas[-1]

    def centreline(self, x: Any) -> np.ndarray:
        """Actual ground-level volume fraction at downwind distance x ≤ :attr:`handover_m` (``nan`` beyond)."""
        c_star = ratio_at(np.asarray(x, dtype=float) / self.dc, self.ratios, self.betas)
        return actual_ratio(c_star, self.t_ambient, self.t_release)

    def distance_to(self, volume_fraction: float) -> float:
        """Downwind distance (m) to an actual volume fraction inside the correlations' range."""
        c_star = correlation_ratio(volume_fraction, self.t_ambient, self.t_release)
        return self.dc * distance_to_ratio(c_star, self.ratios, self.betas)

    def half_width(self, x: Any) -> np.ndarray:
        lh0 = self.dc + 8.0 * self.lb
        return lh0 + 2.5 * self.lb ** (1.0 / 3.0) * np.asarray(x, dtype=float) ** (2.0 / 3.0)


class BritterMcQuaidPuff:
    """Instantaneous ground-level dense release of V_0 m³ of source gas: centreline ratio vs distance."""

    def __init__(self, volume_m3: float, rho_release: float, rho_air: float, wind_m_s: float,
                 t_release: float, t_ambient: float) -> None:
        self.v0 = volume_m3
        self.g0 = G * (rho_release - rho_air) / rho_air
        self.u = wind_m_s
        self.t_release, self.t_ambient = t_release, t_ambient
        self.scale = volume_m3 ** (1.0 / 3.0)
        self.alpha = 0.5 * math.log10(max(self.g0, 1e-12) * self.scale / self.u**2)
        self.ratios, self.betas = beta_at(PUFF_CURVES, self.alpha)

    @property
    def criterion(self) -> float:
        """(g_0' V_0)^½ / (u V_0^⅓) — dense-gas effects matter at ≥ 0.20 (workbook)."""
        return math.sqrt(max(self.g0, 0.0) * self.v0) / (self.u * self.scale)

    def centreline(self, x: Any) -> np.ndarray:
        c_star = ratio_at(np.asarray(x, dtype=float) / self.scale, self.ratios, self.betas)
        return actual_ratio(c_star, self.t_ambient, self.t_release)

    def distance_to(self, volume_fraction: float) -> float:
        c_star = correlation_ratio(volume_fraction, self.t_ambient, self.t_release)
        return self.scale * distance_to_ratio(c_star, self.ratios, self.betas)


def release_densities(p: PlumeParams, mw: float, boiling_k: float) -> tuple[float, float, float]:
    """(ρ release, ρ air, T release) for the parameters: vapour at its release temperature, air at ambient."""
    t_rel = p.release_temperature_k if p.release_temperature_k is not None else boiling_k
    return gas_density(mw, t_rel), gas_density(MW_AIR, p.ambient_temperature_k), t_rel




@register("dense_gas")
class DenseGasModel(PlumeModel):
    """The toxic-release model for a vapour heavier than air: Britter–McQuaid near field, passive far field.

    Everything but the concentration field (protective actions, toxic loads, detectors, measures) is the
    plume model's. Built by :meth:`PlumeModel.from_params` when ``gas_model`` is ``auto`` and the release is
    denser than air, or ``dense_gas``."""

    @classmethod
    def heavier_than_air(cls, p: PlumeParams) -> bool:
        chem = CHEMICALS[p.chemical]
        rho, rho_air, _ = release_densities(p, chem.mw, chem.boiling_k)
        return rho > rho_air

    def __init__(self, params: PlumeParams, site: Site | None = None) -> None:
        chem = CHEMICALS[params.chemical]
        rho, rho_air, t_rel = release_densities(params, chem.mw, chem.boiling_k)
        self.bm = BritterMcQuaidPlume(params.release_rate_kg_s, rho, rho_air, params.wind_speed_m_s, t_rel,
                                      params.ambient_temperature_k)
        self.handover_m, self.virtual_m = self._handover(params, chem.mw)
        super().__init__(params, site)

    def _handover(self, p: PlumeParams, mw: float) -> tuple[float, float]:
        """(hand-over distance, virtual-source distance): a weakly dense release (criterion < 0.15) is passive
        from the source (0, 0)."""
        if not self.bm.is_dense:
            return 0.0, 0.0
        x_t = self.bm.handover_m
        c_t = float(self.bm.centreline(x_t)) * 1e6
        xs = np.geomspace(1e-2, 1e5, 4000)
        c = mg_m3_to_ppm(gaussian_plume(p.release_rate_kg_s * 1e6, p.wind_speed_m_s, 0.0, xs, 0.0, 0.0, p.stability,
                                        p.dispersion, 1e-3), mw)
        return x_t, (_last_crossing(xs, c, c_t) or float(xs[0]))

    def concentration_ppm_plume(self, xd: Any, yc: Any, z: Any) -> np.ndarray:
        """Dense near field (ground-level top hat, z ignored: the worst breathing height), passive beyond."""
        p = self.p
        if not self.bm.is_dense:
            return super().concentration_ppm_plume(xd, yc, z)
        xd, yc, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (xd, yc, z)))
        out = np.zeros(xd.shape)
        near = (xd > 0) & (xd <= self.handover_m)
        if near.any():
            inside = np.abs(yc[near]) <= self.bm.half_width(xd[near])
            out[near] = np.where(inside, self.bm.centreline(xd[near]) * 1e6, 0.0)
        far = xd > self.handover_m
        if far.any():
            xe = xd[far] - self.handover_m + self.virtual_m
            c = gaussian_plume(p.release_rate_kg_s * 1e6, p.wind_speed_m_s, 0.0, xe, yc[far], z[far], p.stability,
                               p.dispersion, 1e-3)
            out[far] = mg_m3_to_ppm(c, self.chem.mw)
        return out
