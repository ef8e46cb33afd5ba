"""Start-up cost: ``linkage --help`` and ``linkage validate`` import none of the heavy libraries.

Each command runs the console entry point (``simulation.faces.cli:main``) in a fresh interpreter, which
then lists the heavy modules it has in ``sys.modules``; scipy, pandas, dask, Streamlit and the rest
belong to the commands that need them (run, compare, sweep, dashboard, drill export), imported there.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import FLAGSHIP, ROOT, python_snippet

HEAVY = ("scipy", "pandas", "dask", "distributed", "streamlit", "duckdb", "sklearn", "SALib", "plotly", "altair",
         "docx")

# Runs the entry point with the arguments given, then prints the heavy modules it loaded as a JSON line.
PROBE = f"""
import json, sys
from simulation.faces.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
else:
    code = 0
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {set(HEAVY)!r})
print()
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


def _imported_heavy(*args: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), (report, proc.stderr)
    return report["heavy"]


@pytest.mark.parametrize("args", [("--help",), ("validate", str(FLAGSHIP))], ids=["help", "validate"])
def test_light_commands_import_no_heavy_library(args: tuple[str, ...]) -> None:
    heavy = _imported_heavy(*args)
    assert not heavy, f"linkage {' '.join(args)} imported {sorted({m.split('.')[0] for m in heavy})}: {heavy[:10]}"


def test_package_imports_lazily() -> None:
    """``import simulation`` is cheap; its notebook API resolves on first use."""
    code = ("import sys, simulation\n"
            "assert 'simulation.experiments.runner' not in sys.modules\n"
            "from simulation import run, RunResult, compare, sweep, load_scenario\n"
            "from simulation.experiments.api import run as r\n"
            "assert run is r and callable(compare) and callable(sweep) and callable(load_scenario)\n"
            "assert RunResult.__name__ == 'RunResult' and set(simulation.__all__) <= set(dir(simulation))\n")
    proc = python_snippet(code)
    assert proc.returncode == 0, proc.stderr
