"""Fixtures shared by every test package: the CLI runners, an output folder, the bundled scenarios.

The plain functions and constants behind them live in :mod:`tests.helpers` (importable where a fixture
does not fit, e.g. in ``pytest.mark.parametrize`` or at module level).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests import helpers


@pytest.fixture
def cli() -> Callable[..., object]:
    """``cli(*args, cwd=None, env=None)``: run ``linkage ARGS`` in-process through ``main()``."""
    return helpers.cli


@pytest.fixture
def linkage() -> Callable[..., object]:
    """``linkage(*args, cwd=ROOT, env=None)``: run the installed console script in a subprocess."""
    return helpers.linkage


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A fresh output folder that does not exist yet (commands create it)."""
    return tmp_path / "out"


@pytest.fixture
def flagship() -> Path:
    """The flagship scenario, ``scenarios/library/high_rise_fire.yaml``."""
    return helpers.FLAGSHIP


@pytest.fixture
def bundled_scenario_paths() -> tuple[Path, ...]:
    """Every bundled scenario, ``scenarios/library/*.yaml``."""
    return helpers.BUNDLED_SCENARIOS
