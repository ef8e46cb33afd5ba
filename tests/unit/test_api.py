"""The library API (simulation.experiments): a path and a loaded Scenario alike; library errors name the
parameter, the command line names its flag; importing the API pulls in no heavy library."""

from __future__ import annotations

import concurrent.futures as cf
import re
from pathlib import Path

import pytest

from scenarios.errors import InputError
from scenarios.loader import load_scenario
from simulation.experiments import Variant
from simulation.experiments.api import compare, prepare, run, sweep
from tests.helpers import FLAGSHIP, cli, python_snippet

SETS = ("agencies.police.desk.staff=2",)


def test_run_takes_a_path_or_a_scenario_alike() -> None:
    a = run(FLAGSHIP, 3, seed=5)
    b = run(load_scenario(FLAGSHIP), 3, seed=5)
    for name in ("replications", "incidents", "handoffs", "tasks"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert a.summary["scenario_hash"] == b.summary["scenario_hash"]


def test_arrangement_and_sets_apply_to_a_path_or_a_scenario_alike() -> None:
    a = run(FLAGSHIP, 2, seed=6, arrangement="integrated_grid", sets=SETS)
    b = run(load_scenario(FLAGSHIP), 2, seed=6, arrangement="integrated_grid", sets=SETS)
    assert a.replications.equals(b.replications) and a.handoffs.equals(b.handoffs)
    assert set(a.replications.column("arrangement").to_pylist()) == {"integrated_grid"}
    sa, _ = prepare(FLAGSHIP, "integrated_grid", SETS)
    sb, _ = prepare(load_scenario(FLAGSHIP), "integrated_grid", SETS)
    assert sa == sb and sa != load_scenario(FLAGSHIP, "integrated_grid")


def test_compare_takes_a_path_or_a_scenario_alike() -> None:
    arms = ["sectoral_lead", Variant("grid", "integrated_grid", SETS)]
    a = compare(FLAGSHIP, arms, 2, seed=3)
    b = compare(load_scenario(FLAGSHIP), arms, 2, seed=3)
    assert a.comparison.equals(b.comparison) and a.attribution.equals(b.attribution)
    assert a.table("replications").equals(b.table("replications"))


def test_sweep_takes_a_path_or_a_scenario_alike(tmp_path: Path) -> None:
    factors = ["units.0.count=1,2", "arrangement=sectoral_lead,integrated_grid"]
    with cf.ThreadPoolExecutor(2) as ex:
        a = sweep(FLAGSHIP, factors, replications=2, seed=1, out=tmp_path / "a", executor=ex, progress=False)
        b = sweep(load_scenario(FLAGSHIP), factors, replications=2, seed=1, out=tmp_path / "b", executor=ex,
                  progress=False)
    assert a.sweep_id == b.sweep_id and not a.failed and not b.failed
    da, db = a.load(), b.load()
    assert len(da) == 8 and da.equals(db)


BAD = [
    (lambda: run(FLAGSHIP, 0), "replications"),
    (lambda: run(load_scenario(FLAGSHIP), 2, seed=-1), "seed"),
    (lambda: compare(FLAGSHIP, ["sectoral_lead", "integrated_grid"], 1), "replications"),
    (lambda: compare(FLAGSHIP, ["sectoral_lead", "integrated_grid"], 2, seed=-3), "seed"),
    (lambda: compare(FLAGSHIP, ["sectoral_lead"], 2), "arrangements"),
    (lambda: sweep(FLAGSHIP, ["units.0.count=1,2"], replications=0, out="never"), "replications"),
    (lambda: sweep(FLAGSHIP, ["units.0.count=1,2"], seed=-1, out="never"), "seed"),
    (lambda: sweep(FLAGSHIP, ["units.0.count=1,2"], workers=0, out="never"), "workers"),
    (lambda: sweep(FLAGSHIP, ["units.0.count=1,2"], batch=0, out="never"), "batch"),
]


@pytest.mark.parametrize("call, param", BAD, ids=[f"{i}-{p}" for i, (_, p) in enumerate(BAD)])
def test_bad_parameters_raise_input_error_naming_the_parameter(call, param: str, tmp_path: Path,  # noqa: ANN001
                                                               monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as e:
        call()
    (p,) = e.value.problems
    assert p.path == param and p.line is None, p
    text = str(e.value)
    assert p.file in ("run", "compare", "sweep"), p
    assert not re.search(r"(^|[\s:'(])(-n|-a|--[a-z])", text), text  # no command-line flag
    assert list(tmp_path.iterdir()) == []  # refused before anything is written


CLI_BAD = [
    (("run", FLAGSHIP, "-n", "0"), "-n: replications: must be at least 1"),
    (("run", FLAGSHIP, "-n", "2", "--seed", "-1"), "--seed: seed: must be non-negative"),
    (("compare", FLAGSHIP, "-a", "sectoral_lead", "-a", "integrated_grid", "-n", "1"), "-n: replications: "),
    (("compare", FLAGSHIP, "-a", "sectoral_lead", "-a", "integrated_grid", "--seed", "-1"), "--seed: seed: "),
    (("compare", FLAGSHIP, "-a", "sectoral_lead"), "-a: arrangements: "),
    (("sweep", FLAGSHIP, "--vary", "units.0.count=1,2", "--workers", "0", "--out", "s"), "--workers: workers: "),
    (("sweep", FLAGSHIP, "--vary", "units.0.count=1,2", "--batch", "0", "--out", "s"), "--batch: batch: "),
    (("sweep", FLAGSHIP, "--vary", "units.0.count=1,2", "-n", "0", "--out", "s"), "-n: replications: "),
]


@pytest.mark.parametrize("args, line", CLI_BAD, ids=[f"{a[0]}-{i}" for i, (a, _) in enumerate(CLI_BAD)])
def test_the_cli_prints_its_flag_for_the_same_mistake(args: tuple, line: str, tmp_path: Path) -> None:
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), r.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_api_imports_no_heavy_library() -> None:
    code = ("import sys\n"
            "import simulation.experiments as e\n"
            "from simulation.experiments import api, outputs, compare, sweep, analysis, results, metrics, runner\n"
            "from simulation.faces import cli, cli_sweep, cli_compare, cli_defect_loop\n"
            "e.run, e.compare, e.sweep, e.prepare, e.summarize, e.load_sweep, e.analyze\n"
            "heavy = ('pandas', 'duckdb', 'dask', 'sklearn', 'SALib', 'plotly', 'altair', 'docx')\n"
            "print(','.join(m for m in heavy if m in sys.modules))\n")
    r = python_snippet(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"imported at module level: {r.stdout.strip()}"
