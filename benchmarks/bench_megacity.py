"""Benchmark: the Chongqing-size year of the four-service routine load (issue 17, items 3–4).

Run from the repository root:

* ``python benchmarks/bench_megacity.py one [--days 365]`` — the whole city in this process, one replication:
  CPU and wall seconds (build and run apart), peak RSS, events, incidents; writes the month table
  (``--out``, default ``benchmarks/megacity_months.parquet``) and prints it as Markdown.
* ``python benchmarks/bench_megacity.py split --executor local|dask --workers 2 [--by district|replication]
  [--days 30]`` — the same year cut into parts (:mod:`simulation.experiments.megacity`) on a local process
  pool or a Dask LocalCluster (single-threaded worker processes): wall time, the parent's and the workers'
  peak RSS, and the month table's SHA-256 (equal tables ⇔ equal hashes).
* ``python benchmarks/bench_megacity.py chart [--out benchmarks/megacity_months.png]`` — the month table as a
  chart (mutual-aid share and mean first arrival per month and service).

No assertion on time: the figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCENARIO = ROOT / "scenarios" / "library" / "megacity_year.yaml"
MONTHS = ROOT / "benchmarks" / "megacity_months.parquet"


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def _load(days: float):
    from scenarios.loader import load_scenario

    return load_scenario(SCENARIO, sets=[f"horizon={days * 86400}"])


def one(days: float, seed: int, out: Path) -> dict:
    """The whole city, one replication, in this process."""
    import pyarrow.parquet as pq

    from simulation.experiments.megacity import Part, tables
    from simulation.model.engine import Replication
    from simulation.model.world import build_world

    c0, t0 = time.process_time(), time.perf_counter()
    sc = _load(days)
    world = build_world(sc)
    build_cpu, build_wall = time.process_time() - c0, time.perf_counter() - t0
    c0, t0 = time.process_time(), time.perf_counter()
    rep = Replication(world, seed, 0, keep_routine=False).run()
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    res = tables(sc, [Part(0)], [rep.routine])
    pq.write_table(res.months, out)
    pq.write_table(res.calls, out.with_name(out.stem + "_calls.parquet"))
    return {"days": days, "build_cpu_s": build_cpu, "build_wall_s": build_wall, "run_cpu_s": cpu, "run_wall_s": wall,
            "events": rep.env.events_processed, "incidents": rep.routine.incidents, "calls": rep.routine.calls,
            "peak_rss_mb": _rss_mb(), "months_sha256": _sha(res.months)}


def split(days: float, seed: int, by: str, executor: str, workers: int, out: Path | None = None) -> dict:
    """The year in parts on a local pool or a Dask LocalCluster (the month table written to ``out``)."""
    from simulation.experiments.megacity import run_year
    from simulation.experiments.sweep_pool import Pool

    sc = _load(days)
    t0 = time.perf_counter()
    if executor == "dask":
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
                Client(lc) as client:
            t1 = time.perf_counter()
            res = run_year(sc, seed, by=by, executor=client.get_executor(pure=False))
            wall = time.perf_counter() - t1
            mem = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
            workers_rss = max(mem.values())
    else:
        with Pool(workers, None, None) as pool:
            t1 = time.perf_counter()
            res = run_year(sc, seed, by=by, executor=pool.executor)
            wall = time.perf_counter() - t1
        workers_rss = _rss_mb(resource.RUSAGE_CHILDREN)
    if out is not None:
        import pyarrow.parquet as pq

        pq.write_table(res.months, out)
    return {"days": days, "by": by, "executor": executor, "workers": workers, "wall_s": wall,
            "wall_with_start_s": time.perf_counter() - t0, "parent_rss_mb": _rss_mb(),
            "worker_peak_rss_mb": workers_rss, "months_sha256": _sha(res.months),
            "rows": res.months.num_rows}


def _sha(table) -> str:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def markdown(path: Path) -> str:
    """The month table as Markdown: mutual-aid share and first arrival per service and month."""
    import pyarrow.parquet as pq

    rows = [r for r in pq.read_table(path).to_pylist() if r["type"] != "hotline_case"]
    types = sorted({r["type"] for r in rows})
    head = "| month | " + " | ".join(f"{t}: incidents · aid % · other district % · first arrival mean / p90 min"
                                     for t in types) + " |"
    lines = [head, "|---:|" + "---|" * len(types)]
    for m in sorted({r["month"] for r in rows}):
        cells = []
        for t in types:
            r = next(x for x in rows if x["type"] == t and x["month"] == m)
            disp = r["incidents"] - r["no_unit"]
            cells.append(f"{r['incidents']:,} · {100 * r['mutual_aid_share']:.1f} · "
                         f"{100 * r['other_district'] / max(disp, 1):.2f} · "
                         f"{r['first_arrival_mean_min']:.1f} / {r['first_arrival_p90_min']:.0f}")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def chart(path: Path, out: Path) -> None:
    """Mutual-aid share and mean first arrival per month and service, as a PNG (Altair + vl-convert)."""
    import altair as alt
    import pandas as pd
    import pyarrow.parquet as pq

    df = pd.DataFrame([r for r in pq.read_table(path).to_pylist() if r["type"] != "hotline_case"])
    df["mutual_aid_pct"] = 100 * df["mutual_aid_share"]
    base = alt.Chart(df).encode(x=alt.X("month:O", title="month 月"), color=alt.Color("type:N", title="service"))
    aid = base.mark_line(point=True).encode(
        y=alt.Y("mutual_aid_pct:Q", title="first unit not from own area, % 跨辖区增援占比")).properties(
        width=320, height=220, title="Mutual-aid share per month")
    arrival = base.mark_line(point=True).encode(
        y=alt.Y("first_arrival_mean_min:Q", title="mean first arrival, min 平均首车到场")).properties(
        width=320, height=220, title="Mean first arrival per month")
    (aid | arrival).save(str(out), scale_factor=1.5)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["one", "split", "chart"])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--by", default="district", choices=["district", "replication"])
    ap.add_argument("--executor", default="local", choices=["local", "dask"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    if a.mode == "one":
        out = a.out or MONTHS
        r = one(a.days, a.seed, out)
        print(json.dumps(r))
        print(markdown(out))
    elif a.mode == "split":
        print(json.dumps(split(a.days, a.seed, a.by, a.executor, a.workers, a.out)))
        if a.out is not None:
            print(markdown(a.out))
    else:
        chart(MONTHS, a.out or MONTHS.with_suffix(".png"))


if __name__ == "__main__":
    main()
