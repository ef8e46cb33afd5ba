"""A megacity year split across workers (特大城市全年的分布式运行): by replication, or by district.

* **By replication** — replication ``r`` of the whole city draws from streams keyed by (seed, r) wherever it
  runs: part = one replication.
* **By district** — each district (the streets one jurisdiction covers; the agencies owning stations define
  them) runs as its own model: its streams restricted to its grids (renamed ``<stream>_<district>`` so that
  districts draw independent numbers), only its own stations and units. Districts are independent except
  for mutual aid, and that is the one thing cut: a request the whole-city rule would send across the
  district line (:data:`~simulation.model.station_areas.DISTRICT`) is served by the district's own allowed
  units or waits (``when_all_busy``). The effect is bounded by the share of incidents the whole-city run
  serves across districts (its ``other_district`` column), measured and documented in
  ``docs/megacity.md``. City-wide intake desks (110/119/120/12345) are whole in every district part: with
  their staff, waits at them are a few seconds either way.

Either split gives the same tables whatever the executor and the number of workers: parts are pure
functions of (scenario, seed, part), and their tallies are summed in part order, never in arrival order.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from scenarios.schema import Scenario
from simulation.model.monthly import MonthlyTally
from simulation.model.routine import RoutineTally

BY = ("replication", "district")


@dataclass(frozen=True)
class Part:
    """One piece of the work: a district (``None``: the whole city) and a replication."""

    replication: int
    district: str | None = None


def districts(sc: Scenario) -> dict[str, tuple[str, ...]]:
    """District name → its streets: the distinct jurisdictions of the agencies that own stations, named
    after the first such agency (in scenario order). Streets no one covers form no district."""
    owners = {s.agency for s in sc.stations}
    out: dict[str, tuple[str, ...]] = {}
    seen: set[frozenset[str]] = set()
    for a in sc.agencies:
        if a.id in owners and a.jurisdiction is not None and frozenset(a.jurisdiction) not in seen:
            seen.add(frozenset(a.jurisdiction))
            out[a.id] = tuple(a.jurisdiction)
    return out


def district_scenario(sc: Scenario, name: str, streets: tuple[str, ...]) -> Scenario:
    """The scenario cut to one district: its grids' share of every stream, its own stations and units."""
    keep = set(streets)
    grids = [g for g in sc.city.grid_ids() if sc.city.street_of(g) in keep]
    agencies = {a.id for a in sc.agencies if a.jurisdiction is not None and set(a.jurisdiction) == keep}
    stations = [s for s in sc.stations if s.agency in agencies or
                next(a for a in sc.agencies if a.id == s.agency).jurisdiction is None]
    ids = {s.id for s in stations}
    inside = set(grids)
    streams = [s.model_copy(update={"id": f"{s.id}_{name}"[:64],
                                    "grids": [g for g in (s.grids or grids) if g in inside]})
               for s in sc.streams]
    return sc.model_copy(update={"stations": stations, "units": [u for u in sc.units if u.station in ids],
                                 "streams": streams, "name": f"{sc.name}_{name}"[:64]})


def parts(sc: Scenario, by: str, replications: int) -> list[tuple[Part, Scenario]]:
    """The parts of the work, in the order their tallies are summed."""
    if by not in BY:
        raise ValueError(f"by must be one of {BY} (got {by!r})")
    if by == "replication":
        return [(Part(r), sc) for r in range(replications)]
    ds = districts(sc)
    return [(Part(r, d), district_scenario(sc, d, streets)) for r in range(replications) for d, streets in ds.items()]


def run_part(sc: Scenario, part: Part, seed: int) -> RoutineTally:
    """One part in this process: build the (district's) world, run the replication, tally routine incidents."""
    from simulation.model.engine import Replication
    from simulation.model.world import build_world

    rep = Replication(build_world(sc), seed, part.replication, keep_routine=False).run()
    rep.close()  # the tally is all that is read
    return rep.routine


@dataclass
class YearResult:
    """``months``: per replication, incident type and month (:meth:`MonthlyTally.rows`); ``calls``: contacts
    and incidents per replication and stream (a call is not an incident)."""

    months: pa.Table
    calls: pa.Table
    type_names: dict[str, str] | None = None
    """Incident type id → "中文 / English" from the scenario (``None``: not known)."""

    def write(self, out: str | Path) -> None:
        """``months.parquet`` and ``calls.parquet`` (:data:`~simulation.experiments.outputs.YEAR_TABLES`) as one
        folder: an earlier output folder at ``out`` is replaced whole; on failure it is left as it was."""
        import pyarrow.parquet as pq

        from simulation.experiments.outputs import YEAR_TABLES, output_folder

        with output_folder(out, "year") as tmp:
            for name in YEAR_TABLES:
                pq.write_table(getattr(self, name), tmp / f"{name}.parquet")


def run_year(sc: Scenario, seed: int = 0, *, by: str = "replication", replications: int = 1,
             executor: cf.Executor | None = None, progress: Callable[[int, int], None] | None = None) -> YearResult:
    """``replications`` years of ``sc``, split ``by`` replication or district and run on ``executor`` (a local
    process pool, a Dask client's executor; ``None``: in this process). ``progress(done, total)`` is called as
    parts finish (in the order they finish; the tables are summed in part order all the same)."""
    work = parts(sc, by, replications)
    tick = progress or (lambda done, total: None)
    if executor is None:
        tallies = []
        for p, s in work:
            tallies.append(run_part(s, p, seed))
            tick(len(tallies), len(work))
    else:
        futures = [executor.submit(run_part, s, p, seed) for p, s in work]
        for k, _ in enumerate(cf.as_completed(futures), 1):
            tick(k, len(work))
        tallies = [f.result() for f in futures]  # in part order, whichever finished first
    return tables(sc, [p for p, _ in work], tallies)


def tables(sc: Scenario, work: list[Part], tallies: list[RoutineTally]) -> YearResult:
    """The parts' tallies summed per replication, in part order."""
    type_of = {s.id: s.type for s in sc.streams}
    months: list[dict] = []
    calls: list[dict] = []
    for r in sorted({p.replication for p in work}):
        merged = MonthlyTally()
        per_stream: dict[str, int] = {}
        for p, t in zip(work, tallies):
            if p.replication != r:
                continue
            merged.merge(t.months)
            for k, v in t.calls.items():
                base = k[: -len(p.district) - 1] if p.district and k.endswith(f"_{p.district}") else k
                per_stream[base] = per_stream.get(base, 0) + v
        rows = merged.rows()
        months.extend({"replication": r, **row} for row in rows)
        for stream in sorted(per_stream):
            n = sum(row["incidents"] for row in rows if row["type"] == type_of.get(stream))
            calls.append({"replication": r, "stream": stream, "type": type_of.get(stream), "calls": per_stream[stream],
                          "incidents": n})
    names = {k: f"{t.name.zh} / {t.name.en}" for k, t in sc.incident_types.items() if t.name is not None}
    return YearResult(pa.Table.from_pylist(months), pa.Table.from_pylist(calls), names)
