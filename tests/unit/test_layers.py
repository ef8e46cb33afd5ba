"""The dependency rules of docs/architecture.md, checked on the source.

Between packages: dashboards → simulation → scenarios → agencies, never upwards. Inside simulation:
faces → {experiments, drill} → model, never back, and experiments and drill do not import each other.
Dashboards use the experiments API and the drill service only — never the model directly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["agencies", "scenarios", "simulation", "dashboards"]
ROOMS = {"model": set(), "experiments": {"model"}, "drill": {"model"}, "district": {"model"},
         "faces": {"model", "experiments", "drill", "district"}}
"""Room of simulation/ → the rooms it may import from (besides itself)."""
DASHBOARD_ALLOWED = ("simulation.experiments", "simulation.faces.drill_service", "simulation.faces.drill_client")
"""The drill service is the in-process :class:`DrillService` or its HTTP client — the same interface."""


def imported_modules(path: Path) -> set[str]:
    """Absolute module names a file imports (``from X import y`` gives ``X`` and ``X.y``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "simulation" and parts[1] in ROOMS else None


def layer_offences(root: Path) -> dict[str, list[str]]:
    """Every file under ``root`` that imports a package above its own, with what it imports."""
    out = {}
    for layer in ORDER:
        above = set(ORDER[ORDER.index(layer) + 1 :])
        for p in (root / layer).rglob("*.py"):
            bad = sorted({m for m in imported_modules(p) if m.split(".")[0] in above})
            if bad:
                out[str(p.relative_to(root))] = bad
    return out


def room_offences(root: Path) -> dict[str, list[str]]:
    """Every file of a simulation room that imports a room it may not."""
    out = {}
    for room, allowed in ROOMS.items():
        for p in (root / "simulation" / room).rglob("*.py"):
            bad = sorted({m for m in imported_modules(p) if room_of(m) not in (None, room, *allowed)})
            if bad:
                out[str(p.relative_to(root))] = bad
    return out


def dashboard_offences(root: Path) -> dict[str, list[str]]:
    """Dashboard files that import simulation modules other than the experiments API and the drill service."""
    out = {}
    for p in (root / "dashboards").rglob("*.py"):
        bad = sorted(
            m
            for m in imported_modules(p)
            if m.split(".")[0] == "simulation"
            and m != "simulation"
            and not any(m == a or m.startswith(a + ".") for a in DASHBOARD_ALLOWED)
            and m not in ("simulation.faces",)  # ``from simulation.faces import drill_service``
        )
        if bad:
            out[str(p.relative_to(root))] = bad
    return out


@pytest.mark.parametrize("check", [layer_offences, room_offences, dashboard_offences])
def test_the_arrows_point_down(check):
    offenders = check(ROOT)
    assert not offenders, f"{check.__doc__.strip()}: {offenders}"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    for layer in ORDER:
        (tmp_path / layer).mkdir(exist_ok=True)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "check"),
    [
        ({"simulation/model/engine.py": "from simulation.experiments.runner import run\n"}, room_offences),
        ({"simulation/model/engine.py": "import simulation.faces.cli\n"}, room_offences),
        ({"simulation/drill/session.py": "from simulation.experiments import compare\n"}, room_offences),
        ({"simulation/experiments/runner.py": "from simulation.faces.console import make_console\n"}, room_offences),
        ({"dashboards/state.py": "from simulation.model.world import build_world\n"}, dashboard_offences),
        ({"dashboards/state.py": "from simulation.drill.session import DrillSession\n"}, dashboard_offences),
        ({"scenarios/loader.py": "from simulation.model import engine\n"}, layer_offences),
    ],
)
def test_the_checks_catch_an_arrow_pointing_up(tmp_path, files, check):
    """Each check fails on a tree with one forbidden import (so the test above can fail)."""
    assert check(_tree(tmp_path, files))


def test_allowed_arrows_pass(tmp_path):
    root = _tree(
        tmp_path,
        {
            "simulation/faces/cli.py": "from simulation.experiments import api\nfrom simulation.model import world\n",
            "simulation/experiments/runner.py": "from simulation.model.engine import Replication\n",
            "dashboards/state.py": (
                "from simulation.experiments import run\nfrom simulation.faces import drill_service\n"
            ),
        },
    )
    assert not room_offences(root) and not dashboard_offences(root) and not layer_offences(root)
