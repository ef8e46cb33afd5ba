"""The dependency rule of DESIGN.md: dashboards → simulation → scenarios → agencies, never upwards."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["agencies", "scenarios", "simulation", "dashboards"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ORDER)


@pytest.mark.parametrize("layer", ORDER)
def test_no_layer_imports_upwards(layer):
    above = set(ORDER[ORDER.index(layer) + 1:])
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & above)
                 for p in (ROOT / layer).rglob("*.py") if imported_packages(p) & above}
    assert not offenders, f"{layer} imports from a layer above it: {offenders}"
