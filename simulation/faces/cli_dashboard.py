"""``linkage dashboard`` — start the planner dashboard (Streamlit) on this machine.

Registered on the main app by ``simulation.faces.cli`` (``register(app)``). The app file is found relative to
the installed packages (``dashboards/app.py`` beside ``simulation/``); the server binds to 127.0.0.1
unless told otherwise, and Streamlit's usage statistics are off.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from scenarios.errors import InputError


def serve(cmd: list[str], env: dict[str, str]) -> None:
    """Become the Streamlit server (exec, not a child): a signal sent to ``linkage dashboard`` or
    ``linkage drill room`` reaches the server itself, so stopping the command never leaves a server behind."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, env)


def app_file() -> Path:
    """``dashboards/app.py`` of this installation (a sibling package of ``simulation``)."""
    spec = importlib.util.find_spec("dashboards")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    roots.append(str(Path(__file__).resolve().parent.parent / "dashboards"))
    for root in roots:
        cand = Path(root) / "app.py"
        if cand.is_file():
            return cand
    raise InputError.one("linkage dashboard", None, "", "cannot find dashboards/app.py next to the simulation package")


def command(port: int, address: str, headless: bool) -> list[str]:
    """The ``streamlit run`` command line (without starting it)."""
    return [sys.executable, "-m", "streamlit", "run", str(app_file()),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", "true" if headless else "false",
            "--browser.gatherUsageStats", "false"]


DISTRICTS_ENV = "LINKAGE_DASHBOARD_DISTRICTS"
"""How the district files reach the app (``dashboards.state.DISTRICTS_ENV``): absolute paths, ``os.pathsep``-joined."""


def district_paths(files: list[Path]) -> str:
    """The ``--district`` files, each checked as a district the scenarios can run on, before Streamlit starts."""
    from scenarios.loader import SCENARIO_LIBRARY
    from simulation.experiments.api import on_district

    probe = SCENARIO_LIBRARY / "high_rise_fire.yaml"
    for f in files:
        if not f.is_file():
            raise InputError.one(str(f), None, "--district", "file not found")
        on_district(probe, f)  # a broken or non-district file: one line naming it, exit 1
    return os.pathsep.join(str(f.resolve()) for f in files)


def register(app: typer.Typer) -> None:
    """Add ``linkage dashboard`` to ``app``."""

    @app.command()
    def dashboard(
        port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8501,
        address: Annotated[
            str, typer.Option("--address", help="Address to bind (127.0.0.1: this machine only).")
        ] = "127.0.0.1",
        headless: Annotated[
            bool, typer.Option("--headless/--open-browser", help="Do not open a browser window.")
        ] = False,
        district: Annotated[list[Path] | None, typer.Option(
            "--district", help="District file (linkage district import) offered by the district picker and chosen "
                               "at start; repeatable (the first is chosen).")] = None,
    ) -> None:
        """Start the planner dashboard (scenarios, arrangements, comparison) in Streamlit."""
        if not 1 <= port <= 65535:
            raise InputError.one("--port", None, "port", f"must be between 1 and 65535 (got {port})")
        serve(command(port, address, headless), {**os.environ, DISTRICTS_ENV: district_paths(district or [])})
