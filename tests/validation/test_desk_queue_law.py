"""Validation of the duty desk (值班台, simulation/model/desk.py) against exact queueing results.

Set-up: citizens' reports of a routine stream (Poisson: the stream draws Poisson counts per hour and places
them uniformly in the hour) reach one agency's duty desk with ``delay: 0``; the desk has c people on duty all
day (no ``night_staff``) and handling times exponential or fixed; nothing else ever reaches that desk (the
tests assert it: one desk use per report). A report's own record gives its arrival at the desk
(``t_detect``) and the end of its handling (``t_report``); the desk's trace (``Desk.uses``, one ``DeskUse``
per message) gives the moment a person took it up, so each report's wait in queue is
``DeskUse.start − t_detect`` — the engine's own records, matched by the end of handling (= ``t_report``).

Desks serve messages first come, first served: every message requests a slot at priority 0
(:meth:`Desk.handle`); the only other priority is the night shift's off-duty holds (−1), absent from the
queueing laws (no ``night_staff``) and checked on their own, as non-preemptive priority requests, by an exact
timeline (the last test). So there is no two-class priority law (Cobham 1954) for messages to check; instead
the *discipline* is checked by the second moment of the wait, which FCFS fixes and a LIFO or random order
(same mean) does not.

Laws, with offered load a = λ/μ, ρ = a/c:

* M/M/c (Erlang C; Larson & Odoni, *Urban Operations Research* 1981 §5.4.4; Gross, Shortle, Thompson &
  Harris, *Fundamentals of Queueing Theory* 4th ed. 2008, ch. 2): P(wait) = C(c, a), Wq = C/(cμ − λ). Under
  FCFS a waiting arrival's wait is exponential with rate cμ − λ, so E[Wq²] = 2C/(cμ − λ)².
  M/M/1 (c = 1): C = ρ. M/M/2: C = 2ρ²/(1 + ρ); at ρ = 0.8, C = 32/45. M/M/4 at a = 3: C = 27/53.
* M/D/1 (Pollaczek–Khinchine; Kleinrock, *Queueing Systems* vol. 1 1975 ch. 5; Gross & Harris ch. 5):
  Wq = λE[S²]/(2(1 − ρ)) = ρ/(2μ(1 − ρ)) for fixed S = 1/μ; Takács's second moment
  E[Wq²] = 2Wq² + λE[S³]/(3(1 − ρ)) with E[S³] = S³.
* M/G/1 with log-normal handling: Pollaczek–Khinchine's Wq = λE[S²]/(2(1 − ρ)) with the log-normal's moments.
* Little's law (Little 1961, *Operations Research* 9(3):383–387): the time-average number at the desk
  L = λW, in queue Lq = λWq, in service a (busy people). On each replication's records the time averages
  are computed from the intervals [t_detect, start), [start, end) over [0, T], independently of the
  per-message means; both must match the exact λW, λWq, a.

Each check runs R independent replications and asserts the exact value lies inside the 99 % t-interval of
the replication means, and that the interval is narrow enough for the check to bite (as
tests/validation/test_queueing_engine.py does). The few reports still waiting at the horizon are censored
(left out of the per-message means; counted to the horizon in the time averages).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from scenarios.loader import load_scenario
from simulation.model.engine import Replication
from simulation.model.world import build_world
from tests.oracles.intervals import assert_in_ci
from tests.oracles.queueing import erlang_c, erlang_c_wq

S = 600.0  # mean handling time (s), μ = 1/S


def desk_scenario(tmp_path: Path, c: int, a: float, handling: str, days: int, night: str = "",
                  clock_start: float = 36000.0, mean: float = S):
    """One police desk with ``c`` staff and ``handling`` (YAML) of mean ``mean``; reports at λ = a/mean reach
    it directly. ``night``: e.g. ``", night_staff: 0"``."""
    text = f"""
name: desk_law
description: {{zh: 值班台排队检验, en: duty desk queueing check}}
horizon: {days * 86400}
clock_start: {clock_start}
city:
  explicit:
    district: q
    grids:
      - {{id: g1, street: s1, x: 0, y: 0}}
      - {{id: g2, street: s1, x: 0, y: 0}}
    roads:
      - {{from: g1, to: g2, length_m: 0.001, speed_kmh: 130}}
agencies:
  - {{id: police, role: police, desk: {{staff: {c}, handling: {handling}{night}}}, decision: 0}}
arrangement:
  name: direct
  incident_types:
    call:
      lead: police
      tasks: {{log: {{lead: [police]}}}}
incident_types:
  call:
    detection: [{{kind: citizen_call, delay: 0, report_to: police}}]
    verify: 0
    tasks: [{{id: log, capability: cordon, duration: 0}}]
streams:
  - {{id: calls, type: call, rate_per_hour: {a / mean * 3600!r}, grids: [g1]}}
"""
    path = tmp_path / f"desk_{c}_{a}.yaml"
    path.write_text(text, encoding="utf-8")
    return build_world(load_scenario(path))


@dataclass
class DeskRun:
    """Per-replication estimates from one replication's records."""

    lam: float  # arrivals per second
    wq: float  # mean wait in queue per served report
    wq2: float  # mean squared wait
    p_wait: float  # share of reports that waited
    w: float  # mean time at the desk (wait + handling)
    lq: float  # time-average number waiting
    busy: float  # time-average number in service
    l_sys: float  # time-average number at the desk


def desk_runs(world, seed: int, n: int) -> list[DeskRun]:
    horizon = world.scenario.horizon
    out = []
    for r in range(n):
        rep = Replication(world, seed=seed, replication=r, trace=True).run()
        assert set(rep.desks) == {"police"}  # the only desk any message reaches
        uses = rep.desks["police"].uses
        start_of = {u.end: u.start for u in uses}
        arrive = np.array([i.t_detect for i in rep.incidents])
        report = np.array([i.t_report for i in rep.incidents])
        done = ~np.isnan(report)
        assert len(uses) == done.sum() and np.all(np.isin(report[done], list(start_of)))  # one use per report
        start = np.array([start_of.get(x, np.nan) for x in report])
        wq = start[done] - arrive[done]
        assert np.all(wq >= 0)
        # time averages over [0, T] from the records' intervals (a message unfinished at T counts to T)
        taken = np.where(np.isnan(start), horizon, np.minimum(start, horizon))
        left = np.where(done, np.minimum(report, horizon), horizon)
        out.append(DeskRun(
            lam=arrive.size / horizon, wq=float(wq.mean()), wq2=float((wq**2).mean()),
            p_wait=float((wq > 1e-9).mean()), w=float((report[done] - arrive[done]).mean()),
            lq=float((taken - arrive).sum() / horizon),
            busy=float(sum(min(u.end, horizon) - u.start for u in uses) / horizon),
            l_sys=float((left - arrive).sum() / horizon)))
    return out


def check_mmc(runs: list[DeskRun], c: int, a: float) -> None:
    lam, mu = a / S, 1 / S
    p_wait = erlang_c(c, a)
    wq = erlang_c_wq(c, lam, mu)
    assert wq == pytest.approx(p_wait / (c * mu - lam), rel=1e-12)
    assert_in_ci([r.p_wait for r in runs], p_wait, f"M/M/{c} P(wait)", 0.08)
    assert_in_ci([r.wq for r in runs], wq, f"M/M/{c} Wq (s)", 0.15)
    assert_in_ci([r.wq2 for r in runs], 2 * p_wait / (c * mu - lam) ** 2, f"M/M/{c} E[Wq²] (s²)", 0.3)
    check_little(runs, lam, wq, S)


def check_little(runs: list[DeskRun], lam: float, wq: float, s: float) -> None:
    """Little's law on the records: the time averages against λW, λWq, a (exact) and against the
    replication's own λ̂·W̄ (a sample-path identity, up to the horizon's edge)."""
    assert_in_ci([r.lq for r in runs], lam * wq, "Lq = λWq", 0.2)
    assert_in_ci([r.busy for r in runs], lam * s, "busy = λ/μ", 0.05)
    assert_in_ci([r.l_sys for r in runs], lam * (wq + s), "L = λW", 0.15)
    for r in runs:
        assert r.l_sys == pytest.approx(r.lam * r.w, rel=0.02)


@pytest.mark.slow
def test_one_person_desk_is_mm1(tmp_path: Path) -> None:
    """M/M/1 at ρ = 0.7: P(wait) = 0.7, Wq = ρ/(μ − λ) = 1400 s, E[Wq²] = 2ρ/(μ − λ)² = 5.6e6 s²,
    L = λW = ρ/(1 − ρ) = 2.333."""
    world = desk_scenario(tmp_path, 1, 0.7, f"{{dist: exponential, mean: {S}}}", 60)
    runs = desk_runs(world, 20261201, 16)
    assert erlang_c_wq(1, 0.7 / S, 1 / S) == pytest.approx(1400.0)
    check_mmc(runs, 1, 0.7)


@pytest.mark.slow
def test_two_person_desk_at_high_load_is_mm2(tmp_path: Path) -> None:
    """M/M/2 at ρ = 0.8 (a = 1.6): C = 2ρ²/(1 + ρ) = 32/45, Wq = C/(2μ − λ) = 1066.7 s."""
    world = desk_scenario(tmp_path, 2, 1.6, f"{{dist: exponential, mean: {S}}}", 60)
    assert erlang_c(2, 1.6) == pytest.approx(32 / 45, rel=1e-12)
    check_mmc(desk_runs(world, 20261202, 16), 2, 1.6)


@pytest.mark.slow
def test_four_person_desk_is_mm4(tmp_path: Path) -> None:
    """M/M/4 at a = 3 (ρ = 0.75): C = 27/53, Wq = C/(4μ − λ) = 305.7 s."""
    world = desk_scenario(tmp_path, 4, 3.0, f"{{dist: exponential, mean: {S}}}", 30)
    assert erlang_c(4, 3.0) == pytest.approx(27 / 53, rel=1e-12)
    check_mmc(desk_runs(world, 20261203, 16), 4, 3.0)


@pytest.mark.slow
def test_fixed_handling_is_md1_pollaczek_khinchine(tmp_path: Path) -> None:
    """M/D/1 at ρ = 0.75, S = 600 s fixed: Wq = ρS/(2(1 − ρ)) = 900 s (half M/M/1's 1800 s);
    E[Wq²] = 2Wq² + λS³/(3(1 − ρ)) = 1.62e6 + 0.36e6 = 1.98e6 s²; P(wait) = ρ (the desk is busy a share ρ of
    the time and Poisson arrivals see time averages)."""
    rho = 0.75
    world = desk_scenario(tmp_path, 1, rho, f"{S}", 60)
    runs = desk_runs(world, 20261204, 16)
    lam = rho / S
    wq = rho * S / (2 * (1 - rho))
    assert wq == pytest.approx(900.0)
    assert_in_ci([r.p_wait for r in runs], rho, "M/D/1 P(wait)", 0.08)
    assert_in_ci([r.wq for r in runs], wq, "M/D/1 Wq (s)", 0.15)
    assert_in_ci([r.wq2 for r in runs], 2 * wq**2 + lam * S**3 / (3 * (1 - rho)), "M/D/1 E[Wq²] (s²)", 0.3)
    check_little(runs, lam, wq, S)


@pytest.mark.slow
def test_lognormal_handling_is_mg1_pollaczek_khinchine(tmp_path: Path) -> None:
    """M/G/1 with log-normal handling given by median m = 400 s and p90 = 1000 s (distributions.LogNormal:
    σ = ln(p90/m)/z₀.₉, z₀.₉ = 1.28155): E[S] = m·e^{σ²/2} = 516.5 s, E[S²] = m²·e^{2σ²}; at ρ = λE[S] = 0.6,
    Pollaczek–Khinchine gives Wq = λE[S²]/(2(1 − ρ)) = 645.9 s, and P(wait) = ρ. This checks the desk with
    the log-normal's own moments (a wrong σ moves E[S²] and so Wq)."""
    median, p90, rho = 400.0, 1000.0, 0.6
    sigma = math.log(p90 / median) / 1.2815515655446004
    es, es2 = median * math.exp(sigma**2 / 2), median**2 * math.exp(2 * sigma**2)
    world = desk_scenario(tmp_path, 1, rho, f"{{dist: lognormal, median: {median}, p90: {p90}}}", 60, mean=es)
    runs = desk_runs(world, 20261206, 16)
    lam = rho / es
    wq = lam * es2 / (2 * (1 - rho))
    assert wq == pytest.approx(645.9, abs=0.1)
    assert_in_ci([r.p_wait for r in runs], rho, "M/G/1 P(wait)", 0.08)
    assert_in_ci([r.wq for r in runs], wq, "M/G/1 Wq (s)", 0.15)
    check_little(runs, lam, wq, es)


def night_oracle(arrive: np.ndarray, c: int, night_staff: int, clock_start: float, s: float) -> tuple[np.ndarray, int]:
    """End of handling of each message at a desk of ``c`` (``night_staff`` from 22:00 to 06:00), fixed handling
    ``s``, FCFS, with the night's off-duty holds as non-preemptive requests ahead of every message; and how many
    holds had to wait for a message in hand."""
    day, night_start, night_len = 86400.0, 22 * 3600.0, 8 * 3600.0
    first = (night_start - clock_start) % day  # the first 22:00 at or after t = 0
    tod0 = clock_start % day
    nights = [first - day] if tod0 >= night_start or tod0 < 6 * 3600.0 else []  # t = 0 at night: it began before
    nights += [first + k * day for k in range(int(arrive.max() // day) + 2)]
    free, ends, k, waited = [0.0] * c, [], 0, 0
    for a in arrive:
        while True:
            j = min(range(c), key=free.__getitem__)
            start = max(a, free[j])
            if k < len(nights) and nights[k] <= start:  # a night began first: its holds take slots before this one
                begin, reopen = max(nights[k], 0.0), nights[k] + night_len
                for _ in range(c - night_staff):  # each takes the slot that frees first, once free
                    i = min(range(c), key=lambda i: max(begin, free[i]))
                    got = max(begin, free[i])
                    waited += got > begin
                    if got < reopen:
                        free[i] = reopen
                k += 1
                continue
            break
        free[j] = start + s
        ends.append(free[j])
    return np.array(ends), waited


@pytest.mark.parametrize(("c", "night_staff", "clock_start"),
                         [(1, 0, 36000.0), (1, 0, 79000.0), (2, 1, 36000.0), (3, 1, 3600.0), (2, 0, 79000.0)])
def test_night_shift_desks_follow_the_non_preemptive_off_duty_holds(tmp_path: Path, c, night_staff, clock_start):
    """Night shift (desk.py): from 22:00 to 06:00 ``c − night_staff`` slots are held by off-duty requests of
    priority −1 — non-preemptive: each takes the first slot that frees at or after 22:00 (the day officer
    finishes the message in hand) ahead of every waiting message, and gives it back at 06:00. With fixed
    handling S and FCFS among messages the end of every message's handling follows from the arrivals alone:
    a multi-server Lindley recursion in which, before the first message that would start at or after a night's
    22:00, that night's holds take their slots (:func:`night_oracle`). The engine's ``t_report`` must equal it for
    every report (to float rounding) — from a day start (10:00), a start just before 22:00 (21:56:40) and a
    night start (01:00, the night already begun) — and a report not done by the horizon must be one the
    recursion ends at or after it. Day load ρ = 0.4 per person; at night the fewer people queue."""
    world = desk_scenario(tmp_path, c, 0.4 * c, f"{S}", 10, f", night_staff: {night_staff}", clock_start)
    horizon, waited = world.scenario.horizon, 0
    for r in range(3):
        rep = Replication(world, seed=20261205, replication=r, trace=True).run()
        arrive = np.array([i.t_detect for i in rep.incidents])
        report = np.array([i.t_report for i in rep.incidents])
        ends, w = night_oracle(arrive, c, night_staff, clock_start, S)
        waited += w
        done = ~np.isnan(report)
        assert np.allclose(report[done], ends[done], rtol=0, atol=1e-6)
        assert np.all(ends[~done] >= horizon - 1e-6)
        assert done.sum() > 400 * c
    assert waited > 0  # some night's hold waited for a message in hand: the non-preemptive case was met
