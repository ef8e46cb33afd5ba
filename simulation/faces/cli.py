"""The ``linkage`` command line (typer + rich).

Every command validates its whole input before writing anything; bad input prints one line per
problem as ``FILE:LINE: field.path: message`` on stderr and exits 1 — never a traceback.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from scenarios.errors import InputError
from scenarios.loader import load_arrangement, load_scenario, read_document
from scenarios.schema import Scenario
from simulation.faces.cli_district import DistrictOpt, on_district
from simulation.faces.console import make_console
from simulation.faces.flags import AllowLargeOpt, cli_flags, os_error_line

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Linkage (联动): multi-department linkage simulation for urban public safety.")
out_console = make_console()
err_console = make_console(stderr=True)

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
ArrangementOpt = Annotated[
    str | None, typer.Option("-a", "--arrangement", help="Arrangement name or YAML file (overrides the scenario's).")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: PATH=VALUE (dotted path; list items by index or id)."),
]


def _fail(where: str, path: str, message: str) -> InputError:
    return InputError.one(where, None, path, message)


def _progress(total: int, label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err_console, transient=True, disable=not err_console.is_terminal)


def _minutes(v: float | None) -> str:
    return "—" if v is None else f"{v / 60:.1f}"


def print_summary(summary: dict, console: Console = out_console) -> None:
    """The run's summary as a table: times in minutes, counts and outcomes as numbers."""
    from simulation.experiments.outputs import is_duration  # pyarrow: not for `linkage --help`

    t = Table(
        title=f"{summary['scenario']} · {summary['arrangement']} · n={summary['replications']} · seed={summary['seed']}"
    )
    for col in ("metric", "n", "mean", "p50", "p90", "95% CI of mean"):
        t.add_column(col, justify="right" if col != "metric" else "left")
    for name, s in summary["metrics"].items():
        is_time = is_duration(name)
        fmt = _minutes if is_time else (lambda v: "—" if v is None else f"{v:.2f}")
        label = f"{name} (min)" if is_time else name
        ci = "—" if s["ci95"] is None else f"{fmt(s['ci95'][0])} – {fmt(s['ci95'][1])}"
        t.add_row(label, str(s["n"]), fmt(s["mean"]), fmt(s["p50"]), fmt(s["p90"]), ci)
    console.print(t)
    console.print(
        "n: replications where the metric applies (e.g. t_control only where the incident was brought under control)"
    )
    console.print(f"events processed: {summary['events_processed']:,} in {summary['wall_seconds']:.2f} s "
                  f"({summary['events_processed'] / max(summary['wall_seconds'], 1e-9):,.0f} events/s)")


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario or arrangement files.")],
             allow_large: AllowLargeOpt = False) -> None:
    """Check scenario (or arrangement) files; one line per problem, exit 1 if any."""
    problems = []
    for f in files:
        try:
            doc = read_document(f) if _looks_like_scenario(f) else None
            if doc is None:
                load_arrangement(str(f))
            elif "incident_types" not in doc and isinstance(doc.get("city"), dict) and "explicit" in doc["city"]:
                from simulation.district.summary import load_district

                load_district(f)  # a district file (linkage district import): the base of scenarios
                out_console.print(f"ok {f} (district: use it with --district or extends)")
                continue
            else:
                load_scenario(f, allow_large=allow_large)
            out_console.print(f"ok {f}")
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)


def _looks_like_scenario(f: Path) -> bool:
    from scenarios.yamlsrc import load_file

    data = load_file(f)
    return not (isinstance(data, dict) and "city" not in data and "extends" not in data and "horizon" not in data
                and ("fan_out" in data or "relay" in data or "incident_types" in data))


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    s = Scenario.model_json_schema(by_alias=True)
    props = s.setdefault("properties", {})
    props["extends"] = {"type": "string", "description": "Base scenario file this one overrides."}
    props["arrangement"] = {
        "anyOf": [{"type": "string", "description": "Bundled arrangement name or file."}, props["arrangement"]]
    }
    out_console.print_json(json.dumps(s))


@app.command("run")
def run_cmd(
    scenario: ScenarioArg,
    arrangement: ArrangementOpt = None,
    n: Annotated[int, typer.Option("-n", "--replications", help="Number of replications.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Run seed (same seed, same results).")] = 0,
    set_: SetOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (replications/incidents/handoffs/tasks.parquet, summary.json)."),
    ] = None,
    routine_records: Annotated[
        str,
        typer.Option(
            "--routine-records",
            help="full: keep every routine incident's records; "
            "summary: fold them into tallies (bounded memory for long runs).",
        ),
    ] = "full",
    district: DistrictOpt = None,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run replications of a scenario and print its summary (times in minutes)."""
    from simulation.experiments import api
    from simulation.experiments.outputs import check_out

    with cli_flags():
        api.at_least("run", "replications", n, 1)
        api.non_negative_seed("run", seed)
        if routine_records not in ("full", "summary"):
            raise _fail("--routine-records", "", f"must be 'full' or 'summary' (got '{routine_records}')")
        if out is not None:
            check_out(out, "run")  # before any work: a file, or a folder Linkage did not write, is refused
        sc, world = api.prepare(on_district(scenario, district), arrangement, set_ or (), source=str(scenario),
                                allow_large=allow_large)
        api.check_run_size(sc, n, routine_records == "full", allow_large)
        with _progress(n, "replications") as prog:
            task = prog.add_task("run", total=n)
            result = api.run(sc, n, seed, world=world, progress=lambda k: prog.advance(task, k),
                             keep_routine=routine_records == "full", allow_large=allow_large)
        if out is not None:
            result.write(out, "run")
    print_summary(result.summary)
    if out is not None:
        from simulation.experiments.outputs import RUN_TABLES

        out_console.print(f"wrote {out}/" + ", ".join([*(f"{t}.parquet" for t in RUN_TABLES), "summary.json"]))


@app.command()
def graph(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", help="GraphML file to write.")],
    arrangement: ArrangementOpt = None,
    grids: Annotated[
        bool, typer.Option("--grids/--no-grids", help="Include grid nodes and their report edges.")
    ] = True,
) -> None:
    """Export the coordination graph as GraphML."""
    from simulation.experiments.api import prepare
    from simulation.experiments.outputs import check_file_out, write_file

    if out.suffix.lower() != ".graphml":
        raise _fail("--out", "", f"expected a .graphml file name (got '{out}')")
    with cli_flags():
        check_file_out(out)  # before any work: a folder of that name, or a read-only place, is refused
    _, world = prepare(scenario, arrangement)
    buf = io.BytesIO()
    world.graph.to_graphml(buf, world.citymap if grids else None)
    write_file(out, buf.getvalue())
    g = world.graph.graph
    out_console.print(f"wrote {out}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges"
                      + (f" (+{world.citymap.n} grids)" if grids else ""))


def _mount_subcommands() -> None:
    """Sub-apps and command groups that live in their own modules."""
    from simulation.faces import (
        cli_calibrate,
        cli_compare,
        cli_dashboard,
        cli_defect_loop,
        cli_district,
        cli_drill,
        cli_hazard,
        cli_sweep,
        cli_year,
    )

    app.add_typer(cli_hazard.app, name="hazard", help="Hazard calculator: fire, plume, crowd and evacuation numbers.")
    for module in (cli_compare, cli_sweep, cli_defect_loop, cli_drill, cli_dashboard, cli_district, cli_calibrate,
                   cli_year):
        module.register(app)


_mount_subcommands()


OUT_OF_MEMORY_HINT = "fewer replications, a smaller city or --routine-records summary"


def main(argv: list[str] | None = None) -> None:
    """Console entry point: bad input → one line per problem on stderr, exit 1, no traceback."""
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="linkage")
    except InputError as e:
        for p in e.problems:
            err_console.print(str(p), markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except MemoryError:
        err_console.print(f"linkage: out of memory (see the size limits; {OUT_OF_MEMORY_HINT})", markup=False,
                          highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        err_console.print("linkage: aborted")
        sys.exit(130)
    except OSError as e:  # the file system said no (disk full, read-only, permissions): one line, exit 1
        err_console.print(os_error_line(e), markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.TyperException as e:  # usage errors: unknown option, missing argument, wrong type
        ctx = getattr(e, "ctx", None)
        cmd = ctx.command_path if ctx is not None else "linkage"
        err_console.print(f"{cmd}: {e.format_message()}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    if isinstance(rv, int) and rv != 0:  # a command that ended with typer.Exit(code)
        sys.exit(rv)


if __name__ == "__main__":
    main()
