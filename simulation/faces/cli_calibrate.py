"""``linkage calibrate LOG --scenario S --out DIR`` — fit a scenario to an incident log, and back-test it (标定).

Reads a 119/110/120/12345 log in the template's format (:mod:`simulation.district.incident_log`) and/or a 12345
work-order export (:mod:`simulation.district.workorder_log`), fits the scenario's call rates and hourly profiles,
intake desks, turnouts, road congestion level, on-scene times and work-order decision, rejection and re-dispatch
by maximum likelihood (:mod:`simulation.experiments.calibration`), writes them as an overlay that ``extends`` the
scenario, reruns the engine with it against the held-out days (:mod:`simulation.experiments.backtest`) and
writes the report. Everything is read and checked first; bad input is one line naming the file, row and
column, exit 1, nothing written.

Where the overlay goes: a scenario may extend only a file beside it or a bundled one (the loader's
confinement), so the overlay of a bundled scenario goes into ``--out``, and that of one's own scenario beside
it (``<stem>.calibrated.yaml``, or ``--overlay`` in the same folder).

On an imported district (``--district FILE``) the log is fitted to the scenario on that district. A district
with its own agencies brings their desks, stations and units (``--district`` takes those from the district), so
the fitted desks and turnouts go into a second overlay that ``extends`` the district — in ``--out`` for a
bundled district, beside one's own otherwise — and the calibrated scenario runs as
``linkage run SCENARIO.calibrated.yaml --district DISTRICT.calibrated.yaml``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from simulation.faces.cli_district import DistrictOpt, on_district
from simulation.faces.console import make_console

out_console = make_console()


def _bad(flag: str, message: str):
    from scenarios.errors import InputError

    return InputError.one(flag, None, flag.lstrip("-"), message)


def _bundled(path: Path) -> bool:
    from scenarios.loader import AGENCY_LIBRARY, SCENARIO_LIBRARY

    real = path.resolve()
    return any(real.is_relative_to(lib.resolve()) for lib in (SCENARIO_LIBRARY, AGENCY_LIBRARY))


def overlay_target(scenario: Path, overlay: Path | None, out: Path) -> tuple[Path, bool]:
    """(where the overlay goes, whether it goes inside ``--out``); refused where its ``extends`` would not load."""
    if overlay is None:
        if _bundled(scenario):
            return out / f"{scenario.stem}.calibrated.yaml", True
        return scenario.with_name(f"{scenario.stem}.calibrated.yaml"), False
    if overlay.suffix not in (".yaml", ".yml"):
        raise _bad("--overlay", f"'{overlay}' must be a .yaml file")
    if Path(os.path.abspath(overlay)).is_relative_to(Path(os.path.abspath(out))):
        raise _bad("--overlay", "must not lie inside --out (the folder is replaced whole)")
    if not _bundled(scenario) and overlay.parent.resolve() != scenario.parent.resolve():
        raise _bad("--overlay", f"an overlay extends its scenario, and a scenario may extend only a file beside it "
                   f"or a bundled one: write it into {scenario.parent}/")
    return overlay, False


def _calibrate(
    scenario: Annotated[Path, typer.Option("--scenario", "-s", help="Scenario the log is fitted to.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for fit.json, the report and the chart.")],
    log: Annotated[Path | None, typer.Argument(help="119/110/120 incident log, .csv or .xlsx (template: linkage "
                                                    "district templates).")] = None,
    orders: Annotated[Path | None, typer.Option("--orders", help="12345 work-order export, .csv or .xlsx "
                                                                 "(template: workorder_log).")] = None,
    overlay: Annotated[Path | None, typer.Option("--overlay", help="Overlay file (default: beside the scenario, "
                                                                   "or in --out for a bundled one).")] = None,
    holdout: Annotated[float, typer.Option("--holdout", help="Share of the log's last days kept for the "
                                                             "back-test.")] = 0.3,
    replications: Annotated[int, typer.Option("-n", "--replications", help="Back-test replications.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Back-test seed.")] = 0,
    confidence: Annotated[float, typer.Option("--confidence", help="Level at which all intervals hold "
                                                                   "together.")] = 0.95,
    district: DistrictOpt = None,
) -> None:
    """Fit a scenario's call rates, desks, turnouts, road level and on-scene times to an incident log, and its
    12345 work orders to a 12345 export; back-test them."""
    from scenarios.loader import load_scenario
    from simulation.district.incident_log import read_incident_log
    from simulation.district.workorder_log import read_workorder_log
    from simulation.district.yamlout import dump_yaml
    from simulation.experiments.api import at_least, non_negative_seed, prepare
    from simulation.experiments.api import on_district as api_on_district
    from simulation.experiments.backtest import backtest
    from simulation.experiments.calibration import calibrate, calibrate_orders
    from simulation.experiments.calibration_fit import set_intervals
    from simulation.experiments.calibration_report import write_report
    from simulation.experiments.outputs import check_file_out, check_out, output_folder
    from simulation.faces.flags import cli_flags
    from simulation.model.world import build_world

    if log is None and orders is None:
        raise _bad("LOG", "give an incident log, a 12345 export (--orders), or both")
    if not 0.0 <= holdout < 1.0:
        raise _bad("--holdout", f"must be at least 0 and below 1 (got {holdout})")
    if not 0.0 < confidence < 1.0:
        raise _bad("--confidence", f"must lie strictly between 0 and 1 (got {confidence})")
    with cli_flags():
        at_least("run", "replications", replications, 1)
        non_negative_seed("run", seed)
        check_out(out)
    target, inside = overlay_target(scenario, overlay, out)
    if not inside:
        check_file_out(target, "--overlay", "overlay")
    dtarget, dinside = overlay_target(district, None, out) if district is not None else (None, True)
    if dtarget is not None and not dinside:
        check_file_out(dtarget, "--district", "district overlay")
    records = read_incident_log(log) if log is not None else None
    order_records = read_workorder_log(orders) if orders is not None else None
    sc, world = prepare(on_district(scenario, district), source=str(scenario))
    fit = calibrate(records, sc, world, str(log), holdout) if records is not None else None
    if order_records is not None:
        fit = calibrate_orders(fit, order_records, sc, world, str(orders), holdout)
    level = set_intervals(fit.estimates, confidence)
    source = " + ".join(p.name for p in (log, orders) if p is not None)
    own = {k: v for k, v in fit.overlay.items() if dtarget is None or k not in district_keys(district)}
    doc = {
        "extends": scenario.name,
        "name": f"{sc.name}_calibrated"[:64],
        "description": {"zh": f"{sc.name} 按 {source} 标定（linkage calibrate）",
                        "en": f"{sc.name} calibrated to {source} (linkage calibrate)"},
        **own,
    }
    ddoc = {"extends": district.name, **{k: v for k, v in fit.overlay.items() if k not in own}} \
        if district is not None and len(own) < len(fit.overlay) else None
    header = (f"Calibrated by `linkage calibrate` from {source}: {len(fit.fitted)} incidents and "
              f"{len(fit.orders_fitted)} work orders over {fit.fit_days} days from {fit.start:%Y-%m-%d}.\n"
              f"Every value, its interval and n: fit.json, report.en.md and report.zh.md in {out}/.\n"
              "由 linkage calibrate 按事件日志与12345工单导出拟合；参数、置信区间与样本量见 fit.json 与报告。")
    files = [(doc, target, inside)] + ([(ddoc, dtarget, dinside)] if ddoc is not None else [])
    with output_folder(out, "calibrate") as tmp:
        staged = [tmp / t.name if ins else t.with_name(f".{t.stem}.{secrets.token_hex(4)}.yaml")
                  for _d, t, ins in files]
        try:
            for (d, _t, _i), s in zip(files, staged):
                dump_yaml(d, s, header)
            # exactly what `linkage validate` and `linkage run … --district` read
            calibrated = load_scenario(staged[0]) if district is None else \
                api_on_district(staged[0], staged[1] if ddoc is not None else district).scenario
            bt = backtest(fit, calibrated, build_world(calibrated, str(target)), replications, seed)
            meta = {"log": str(log) if log is not None else "—", "orders": str(orders), "scenario": str(scenario),
                    "overlay": " + ".join(str(t) for _d, t, _i in files), "level": level, "confidence": confidence}
            write_report(tmp, fit, bt, meta)
            for (_d, t, ins), s in zip(files, staged):
                if not ins:
                    os.replace(s, t)
        finally:
            for (_d, _t, ins), s in zip(files, staged):
                if not ins:
                    s.unlink(missing_ok=True)
    _summary(fit, bt, " and ".join(str(t) for _d, t, _i in files), out)


def district_keys(district: Path) -> tuple[str, ...]:
    """The overlay's keys ``--district`` takes from ``district`` (its agencies, stations, units, channels), or
    none when it has no agencies of its own (the scenario's are kept)."""
    from scenarios.loader import read_document
    from simulation.experiments.district import DISTRICT_KEYS

    return DISTRICT_KEYS if read_document(district).get("agencies") else ()


def _summary(fit, bt, target: str, out: Path) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=f"calibration · {len(fit.fitted)} incidents and {len(fit.orders_fitted)} work orders fitted, "
                    f"{len(fit.held_out)} and {len(fit.orders_held_out)} held out")
    for col in ("parameter", "estimate", "interval", "n"):
        t.add_column(col, justify="left" if col == "parameter" else "right")
    for e in fit.estimates:
        if "×profile" not in e.path:
            t.add_row(escape(e.path), f"{e.value:.4g}", f"{e.low:.4g} – {e.high:.4g}", str(e.n))
    out_console.print(t)
    for r in bt.rows:
        out_console.print(f"back-test {r.service} {r.interval}: KS {r.ks:.3f} (p {r.p_value:.3f}), "
                          f"n log {r.log.size}, n engine {r.sim.size}", markup=False, highlight=False)
    if "119" in bt.within_5min:
        a, b = bt.within_5min["119"]
        out_console.print(f"119 within 5 min of dispatch: log {a:.1%}, engine {b:.1%}" if a is not None and
                          b is not None else "119 within 5 min: —", markup=False)
    for k, ((a, n), (b, m)) in bt.rejections.items():
        out_console.print(f"back-test 12345 rejected ({k}): log {a}/{n}, engine {b}/{m}", markup=False)
    out_console.print(f"wrote {target} and {out}/ (fit.json, report.en.md, report.zh.md, backtest.png)",
                      markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``linkage calibrate`` to ``app``."""
    app.command("calibrate")(_calibrate)
