"""Exact queueing oracles for dispatch of units (派车排队): Erlang B/C and Larson's hypercube model.

* Erlang B (M/M/c/c, calls lost when all c units are busy) and Erlang C (M/M/c with an infinite FCFS
  queue): P(wait), mean wait Wq, and the distribution of the number of busy units.
* The hypercube queueing model (Larson 1974, *Computers & OR* 1(1):67–95; Larson & Odoni, *Urban
  Operations Research* 1981, §5.4–5.5) for N distinguishable units: the state is the busy/free bit
  vector of the N units (2ᴺ states; bit n set = unit n busy). A call from atom j goes to the first free
  unit on j's fixed preference list. With ``queue=False`` (zero line capacity) a call that finds every
  unit of its list busy is lost — handed to mutual aid (跨区支援). With ``queue=True`` it joins one
  infinite FCFS queue, served by whichever unit frees first; the states beyond "all busy" are the
  queue lengths k = 1..K, truncated at a K where the geometric tail is below 1e-14.

The balance equations πQ = 0, Σπ = 1 are solved exactly (scipy sparse LU). Service times are
exponential with unit-specific rates μₙ. All rates in one time unit of the caller's choice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

__all__ = ["erlang_b", "erlang_c", "erlang_c_wq", "erlang_busy_distribution", "HypercubeSolution", "hypercube"]


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability B(c, a), offered load a = λ/μ (stable recursion)."""
    if c < 0 or a < 0:
        raise ValueError("need c >= 0 and a >= 0")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability an arrival waits in M/M/c, offered load a = λ/μ < c."""
    if not 0 <= a < c:
        raise ValueError(f"Erlang C needs 0 <= a < c (got a={a}, c={c})")
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def erlang_c_wq(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/c: Wq = C(c, a) / (cμ − λ)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def erlang_busy_distribution(c: int, a: float, queue: bool) -> np.ndarray:
    """P(k units busy), k = 0..c. Loss: truncated Poisson. Queue: M/M/c, with k = c including waiting."""
    w = np.array([a**k / math.factorial(k) for k in range(c + 1)])
    if not queue:
        return w / w.sum()
    if a >= c:
        raise ValueError("M/M/c with a queue needs a < c")
    w[c] *= c / (c - a)  # Σ_{q≥0} (a/c)^q folds the queue into "all busy"
    return w / w.sum()


@dataclass(frozen=True)
class HypercubeSolution:
    """Steady state of the hypercube model.

    ``p_state[s]``: probability of busy bit vector s (bit n = unit n busy; in the queue model the
    all-busy state here has an empty queue). ``p_queue[k-1]``: all busy with k calls waiting.
    ``dispatch[j, n]``: fraction of atom j's calls served by unit n; ``dispatch[j, N]``: lost to
    mutual aid. Workloads ρₙ: fraction of time unit n is busy.
    """

    n_units: int
    p_state: np.ndarray
    p_queue: np.ndarray
    workloads: np.ndarray
    dispatch: np.ndarray
    loss_fraction: float
    p_wait: float
    mean_queue: float
    mean_wait: float
    busy_distribution: np.ndarray


def _first_free(state: int, prefs: Sequence[int]) -> int:
    for n in prefs:
        if not state >> n & 1:
            return n
    return -1


def _check(n_units: int, atom_rates: Sequence[float], preferences: Sequence[Sequence[int]],
           service_rates: Sequence[float] | float, queue: bool) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    lam = np.asarray(atom_rates, dtype=float)
    mu = (
        np.full(n_units, float(service_rates)) if np.isscalar(service_rates) else np.asarray(service_rates, dtype=float)
    )
    if not 1 <= n_units <= 16:
        raise ValueError(f"the exact hypercube solver is for 1..16 units (got {n_units})")
    if mu.shape != (n_units,) or np.any(mu <= 0):
        raise ValueError("need one positive service rate per unit")
    if lam.ndim != 1 or np.any(lam < 0) or lam.sum() <= 0 or len(preferences) != len(lam):
        raise ValueError("need one non-negative arrival rate and one preference list per atom, total rate > 0")
    prefs = [list(p) for p in preferences]
    for j, p in enumerate(prefs):
        if not p or len(set(p)) != len(p) or any(not 0 <= n < n_units for n in p):
            raise ValueError(f"atom {j}: preference list must name distinct units 0..{n_units - 1}")
        if queue and len(p) != n_units:
            raise ValueError(f"atom {j}: the queue model needs a complete preference list")
    if queue and lam.sum() >= mu.sum():
        raise ValueError(f"unstable: total arrival rate {lam.sum()} >= total service rate {mu.sum()}")
    return lam, mu, prefs


def hypercube(n_units: int, atom_rates: Sequence[float], preferences: Sequence[Sequence[int]],
              service_rates: Sequence[float] | float = 1.0, queue: bool = False,
              max_queue: int | None = None) -> HypercubeSolution:
    """Solve Larson's hypercube model exactly (units 0..N-1, atoms 0..J-1, preference lists of unit indices).

    ``queue=False``: zero line capacity; lists may be partial (a call whose listed units are all busy is
    lost to mutual aid). ``queue=True``: infinite FCFS queue (truncated at ``max_queue``, chosen from the
    geometric tail when not given); lists must be complete.
    """
    lam, mu, prefs = _check(n_units, atom_rates, preferences, service_rates, queue)
    n_b = 1 << n_units
    full = n_b - 1
    big_lam, big_mu = float(lam.sum()), float(mu.sum())
    if queue:
        r = big_lam / big_mu
        k_max = (
            max_queue if max_queue is not None else min(20_000, max(50, int(math.ceil(math.log(1e-14) / math.log(r)))))
        )
    else:
        k_max = 0
    size = n_b + k_max
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []

    def add(i: int, j: int, rate: float) -> None:
        if rate > 0:
            rows.append(i)
            cols.append(j)
            vals.append(rate)

    # first free unit of each atom in each busy/free state (-1: every listed unit busy)
    first = np.array([[_first_free(s, p) for p in prefs] for s in range(n_b)], dtype=np.int64)
    for s in range(n_b):
        up = np.zeros(n_units)
        for j, n in enumerate(first[s]):
            if n >= 0:
                up[n] += lam[j]
        for n in range(n_units):
            if up[n] > 0:
                add(s, s | (1 << n), up[n])
            if s >> n & 1:
                add(s, s & ~(1 << n), mu[n])
    if queue:
        add(full, n_b, big_lam)  # an arrival finding all busy waits (k = 1)
        for k in range(1, k_max + 1):
            i = n_b + k - 1
            if k < k_max:
                add(i, i + 1, big_lam)
            add(i, i - 1 if k > 1 else full, big_mu)  # a freed unit takes the head of the queue
    q = sp.csr_matrix((vals, (rows, cols)), shape=(size, size))
    q = q - sp.diags(np.asarray(q.sum(axis=1)).ravel())
    a = q.T.tolil()
    a[0, :] = 1.0  # replace one balance equation by the normalisation Σπ = 1
    rhs = np.zeros(size)
    rhs[0] = 1.0
    pi = spsolve(a.tocsc(), rhs)
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()
    p_state, p_queue = pi[:n_b], pi[n_b:]

    bits = (np.arange(n_b)[:, None] >> np.arange(n_units)[None, :]) & 1
    p_all_busy = p_state[full] + p_queue.sum()
    workloads = (p_state[:, None] * bits).sum(axis=0) + p_queue.sum()
    n_atoms = len(lam)
    dispatch = np.zeros((n_atoms, n_units + 1))
    for j in range(n_atoms):
        np.add.at(dispatch[j], np.where(first[:, j] >= 0, first[:, j], n_units), p_state)
    if queue:
        # a call that finds all busy waits and is served by the unit that frees first: unit n with
        # probability μₙ/Σμ. Only arrivals at the truncation level K are lost (probability ~1e-14).
        lost_at_cap = float(p_queue[-1]) if k_max else 0.0
        dispatch[:, n_units] = lost_at_cap
        dispatch[:, :n_units] += (p_all_busy - lost_at_cap) * mu / big_mu
    loss = float((lam * dispatch[:, n_units]).sum() / big_lam)
    k = np.arange(1, k_max + 1)
    mean_queue = float((k * p_queue).sum())
    busy = np.bincount(bits.sum(axis=1), weights=p_state, minlength=n_units + 1)
    busy[n_units] += p_queue.sum()
    return HypercubeSolution(
        n_units=n_units, p_state=p_state, p_queue=p_queue, workloads=workloads, dispatch=dispatch,
        loss_fraction=loss,
        p_wait=float(p_all_busy) if queue else 0.0, mean_queue=mean_queue,
        mean_wait=mean_queue / big_lam if queue else 0.0, busy_distribution=busy)
