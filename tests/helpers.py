"""Helpers shared by the test modules (fixtures wrapping them live in ``tests/conftest.py``).

Two ways to run the ``linkage`` command line, both returning a :class:`subprocess.CompletedProcess`
(``returncode``, ``stdout``, ``stderr``):

- :func:`cli` — in this process, through the real entry point ``simulation.faces.cli.main`` (its error
  handling included: bad input is one line on stderr and exit 1). The default for CLI tests.
- :func:`linkage` — the installed console script in a subprocess, found beside the running interpreter;
  for tests that need a real process (the console script itself, a process to kill, a server).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_LIBRARY = ROOT / "scenarios" / "library"
BUNDLED_SCENARIOS = tuple(sorted(SCENARIO_LIBRARY.glob("*.yaml")))
FLAGSHIP = SCENARIO_LIBRARY / "high_rise_fire.yaml"
CLI_ENV = {"COLUMNS": "200"}


NIGHT_FIRE = str(FLAGSHIP)  # the flagship fire at 23:00: street offices and the bureau run their night desks
FIRE_STREET = "street_S3"  # the street office of the fire's grid (S3-C2-G2)


def street_night_staff(path: str | Path, staff: int) -> str:
    """The ``--set`` giving the fire's street office ``staff`` people at its night desk (22:00–06:00)."""
    from scenarios.loader import load_scenario

    sc = load_scenario(path)
    k = next(i for i, a in enumerate(sc.agencies) if a.id == FIRE_STREET)
    return f"agencies.{k}.desk.night_staff={staff}"


def linkage_exe() -> Path:
    """The ``linkage`` console script of the interpreter running the tests (its venv's ``bin/``)."""
    here = Path(sys.executable).parent / "linkage"
    if here.is_file():
        return here
    found = shutil.which("linkage", path=str(Path(sys.executable).parent))
    if found is None:
        raise FileNotFoundError(f"no 'linkage' console script beside {sys.executable}: pip install -e .")
    return Path(found)


def cli(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
        input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``linkage ARGS`` in this process through ``main()``; stdout and stderr captured apart."""
    from simulation.faces.cli import main

    argv = [str(a) for a in args]
    runner = CliRunner()
    with runner.isolation(input=input, env={**CLI_ENV, **(env or {})}) as (out, err, _mixed):
        with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
            try:
                main(argv)
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return subprocess.CompletedProcess(["linkage", *argv], code, stdout, stderr)


def linkage(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed ``linkage`` console script in a subprocess (text output, both streams captured)."""
    full_env = {**os.environ, **CLI_ENV, **(env or {})}
    return subprocess.run([str(linkage_exe()), *(str(a) for a in args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def two_grid_head(name: str, zh: str, en: str) -> dict:
    """The head of a hand-built scenario document: name, description, a two-hour horizon and a generated
    city of one street with one community of two grids (``S1-C1-G1``, ``S1-C1-G2``)."""
    return {
        "name": name,
        "description": {"zh": zh, "en": en},
        "horizon": 7200,
        "city": {"generated": {"streets": 1, "communities_per_street": 1, "grids_per_community": 2}},
    }


def streamlit_command(app: str | Path, port: int) -> list[str]:
    """The argument list that serves the Streamlit script ``app`` headless on ``127.0.0.1:port``.

    Usage statistics and the file watcher are off, so a test server neither phones home nor reloads.
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]


def python_snippet(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter from the repository root (what a new process imports, it imports)."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def new_drill(directory: Path) -> tuple[object, object, dict[str, str], dict[str, str]]:
    """A fresh session of the bundled crowd-crush drill in ``directory``, served in-process:
    (DrillService, DrillSession, PINs by seat, tokens by seat — each seat joined once from this machine)."""
    from simulation.drill.session import DrillSession
    from simulation.drill.spec import load_drill
    from simulation.faces.drill_service import DrillService

    spec, sc, msel = load_drill("crowd_crush_drill")
    session, pins = DrillSession.create(spec, sc, msel, directory)
    svc = DrillService(directory)
    svc.adopt(session)
    tokens = {s: svc.join(session.code, s, pins[s])["token"] for s in pins}
    return svc, session, pins, tokens


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a server started in a subprocess)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
