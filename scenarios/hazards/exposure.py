"""Toxic load per grid with protective actions (毒性负荷与防护行动): outdoors, sheltered, or gone.

Each grid's people are split into cohorts that act at different times: those a public warning (预警信息:
cell broadcast, emergency broadcast) reaches, and the rest, who act only when told door to door. A cohort
has a shelter time and an evacuation departure window.

- **Outdoors** (not yet told): the outdoor concentration C_o while the plume is over the grid
  (quasi-steady: from the front's arrival ``a`` to the tail's passage ``e``).
- **Sheltered** (就地避险): indoors in a closed building whose air follows the first-order box model
  dC_in/dt = λ (C_o − C_in), λ the air changes per hour of the closed building (Chan, Nazaroff, Price, Sohn
  & Gadgil 2007, "Effectiveness of urban shelter-in-place — I: Idealized conditions", *Atmospheric
  Environment* 41:4962–4976). The building is taken as closed from the plume's arrival, so a late shelter
  finds air that has already been filling: C_in = C_o(1 − e^{−λ(t−a)}) while the plume is present, then
  C_in(e)·e^{−λ(t−e)} after it has passed (people stay in until the horizon — conservative: no all-clear).
- **Gone** (疏散): people leave uniformly over their departure window; those gone before their load
  crossed a level are not counted above it.

A person is above AEGL-k when ∫C^n dt ≥ AEGL_k^n · 3600 s (ten Berge toxic load, as in plume.py).
The indoor part is integrated on a time grid (trapezoid, 10 s steps, at most 600 of them; C_in is
continuous), the outdoor part exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Cohort:
    """People of every grid who act at the same times: a share of each grid's population."""

    share: float
    t_shelter: np.ndarray
    dep0: np.ndarray
    dep1: np.ndarray

    @classmethod
    def idle(cls, share: float, n: int) -> Cohort:
        inf = np.full(n, np.inf)
        return cls(share, inf.copy(), inf.copy(), inf.copy())


def indoor_ppm(c_out: np.ndarray, a: np.ndarray, e: np.ndarray, lam: float, t: np.ndarray) -> np.ndarray:
    """Indoor concentration (grids × times) of closed buildings under the box model (see module doc)."""
    tt = t[None, :]
    aa, ee, cc = a[:, None], e[:, None], c_out[:, None]
    fill = cc * -np.expm1(-lam * np.clip(np.minimum(tt, ee) - aa, 0.0, None))
    after = np.exp(-lam * np.clip(tt - ee, 0.0, None))
    return np.where(tt >= aa, fill * after, 0.0)


def _time_grid(t_end: float) -> np.ndarray:
    """Steps of 10 s, coarser past 100 min (at most 600 steps: 24 s over a 4-h horizon) — C_in changes on the
    building's time scale 1/λ (≥ ~1 h for a closed dwelling), so the trapezoid error stays small."""
    steps = int(min(600, max(1, np.ceil(t_end / 10.0))))
    return np.linspace(0.0, t_end, steps + 1)


def _interp_rows(t: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation of y (rows × len(t)) at one x per row (t uniform; clamped)."""
    if t.size == 1:
        return y[:, 0].copy()
    dt = t[1] - t[0]
    pos = np.clip(np.nan_to_num(x / dt, posinf=t.size - 1), 0.0, t.size - 1)
    i = np.minimum(pos.astype(int), t.size - 2)
    f = pos - i
    rows = np.arange(y.shape[0])
    return y[rows, i] * (1 - f) + y[rows, i + 1] * f


def crossing_times(load: np.ndarray, t: np.ndarray, need: float) -> np.ndarray:
    """First time each row's (non-decreasing) load reaches ``need``; ``inf`` if it never does."""
    hit = load >= need
    ok = hit.any(axis=1)
    j = np.argmax(hit, axis=1)
    rows = np.arange(load.shape[0])
    jm = np.maximum(j - 1, 0)
    lo, hi = load[rows, jm], load[rows, j]
    frac = np.where(hi > lo, (need - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)
    d = np.where(j > 0, t[jm] + frac * (t[j] - t[jm]), t[0])
    return np.where(ok, d, np.inf)


def people_above(levels: tuple[float, ...], n_exp: float, pop: np.ndarray, c_out: np.ndarray, a: np.ndarray,
                 e: np.ndarray, lam: float, cohorts: list[Cohort], t_end: float) -> np.ndarray:
    """People per grid above each level's toxic load by ``t_end``: shape (len(levels), n_grids).

    ``c_out`` outdoor ppm per grid, present on [a, e) (``a = inf`` for grids never reached)."""
    out = np.zeros((len(levels), pop.size))
    live = (a < e) & (c_out > 0) & (a < t_end)
    if not live.any() or t_end <= 0:
        return out
    idx = np.nonzero(live)[0]
    c, aa, ee, pp = c_out[idx], a[idx], np.minimum(e[idx], t_end), pop[idx]
    t = _time_grid(t_end)
    ci = indoor_ppm(c, aa, ee, lam, t) ** n_exp
    cum_in = np.concatenate([np.zeros((idx.size, 1)), np.cumsum(0.5 * (ci[:, 1:] + ci[:, :-1]) * np.diff(t), axis=1)],
                            axis=1)
    c_n = (c ** n_exp)[:, None]
    for co in cohorts:
        if co.share <= 0:
            continue
        s = co.t_shelter[idx]
        outdoors = c_n * np.clip(np.minimum(np.minimum(t[None, :], s[:, None]), ee[:, None]) - aa[:, None], 0.0, None)
        indoors = np.where(t[None, :] > s[:, None], cum_in - _interp_rows(t, cum_in, s)[:, None], 0.0)
        load = outdoors + indoors
        d0, d1 = co.dep0[idx], co.dep1[idx]
        width = d1 - d0
        gone = np.isfinite(d0)
        for k, level in enumerate(levels):
            d_star = crossing_times(load, t, level ** n_exp * 3600.0)
            # share still present at d*: departures are uniform on [dep0, dep1]
            present = np.where(width > 0, np.clip((d1 - d_star) / np.where(width > 0, width, 1.0), 0.0, 1.0),
                               (d0 > d_star).astype(float))
            present = np.where(gone, present, 1.0)
            out[k, idx] += co.share * pp * np.where(np.isfinite(d_star), present, 0.0)
    return out
