"""``linkage compare`` and ``linkage arrangements list|show|diff`` through typer's CliRunner.

The commands are registered on a local app (``register(app)``) — exactly what ``simulation.faces.cli`` does.
Bad input must surface as :class:`InputError` (which ``main()`` prints as one line, exit 1) and write
nothing.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from scenarios.errors import InputError
from simulation.faces.cli_compare import register

FIRE = "scenarios/library/high_rise_fire.yaml"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @a.callback()
    def _root() -> None:  # a group, like the real `linkage` app
        pass

    register(a)
    return a


def invoke(app, *args):
    return CliRunner().invoke(app, list(args), catch_exceptions=True, env={"COLUMNS": "200"})


def test_compare_prints_verdicts_attribution_structure_and_writes(app, tmp_path):
    out = tmp_path / "cmp"
    r = invoke(
        app, "compare", FIRE, "-a", "sectoral_lead", "-a", "ambiguous", "-n", "4", "--seed", "2", "--out", str(out)
    )
    assert r.exit_code == 0, r.output
    text = r.output
    assert "baseline sectoral_lead" in text and "ownerless_time (min)" in text
    assert "worse · 更差" in text                     # ambiguous loses on ownerless time
    assert "Hand-off attribution" in text and "ownership" in text and "structural_assessment" in text
    assert "Structural indicators" in text and "fire_brigade(relay)" in text
    assert (out / "comparison.parquet").exists() and (out / "attribution.parquet").exists()
    assert pq.read_table(out / "replications.parquet").num_rows == 8


def test_compare_variant_labels_and_set_for(app, tmp_path):
    r = invoke(app, "compare", FIRE, "-a", "sectoral_lead", "-a", "radio_down=sectoral_lead",
               "--set-for", "radio_down:channels.0.down=[[0,1800]]", "-n", "3", "-m", "t_notify_lead")
    assert r.exit_code == 0, r.output
    assert "radio_down" in r.output and "t_notify_lead (min)" in r.output and "t_close" not in r.output


@pytest.mark.parametrize("args, message", [
    (["-a", "sectoral_lead"], "at least 2 arrangements"),
    (["-a", "sectoral_lead", "-a", "sectoral_lead"], "given twice"),
    (["-a", "sectoral_lead", "-a", "integrated_grid", "-n", "1"], "at least 2 replications"),
    (["-a", "sectoral_lead", "-a", "nope"], "unknown arrangement 'nope'"),
    (["-a", "sectoral_lead", "-a", "b=integrated_grid", "--set-for", "c:horizon=10"], "no arrangement labelled 'c'"),
    (["-a", "sectoral_lead", "-a", "integrated_grid", "--set", "agencies.nobody.desk.staff=1"], "no item 'nobody'"),
])
def test_compare_bad_input_is_one_input_error_and_writes_nothing(app, tmp_path, args, message):
    out = tmp_path / "never"
    r = invoke(app, "compare", FIRE, *args, "--out", str(out))
    assert isinstance(r.exception, InputError), r.output
    assert len(r.exception.problems) == 1 and message in str(r.exception)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_arrangements_list(app):
    r = invoke(app, "arrangements", "list")
    assert r.exit_code == 0, r.output
    for name in ("sectoral_lead", "territorial_lead", "unified_command", "parallel_grids", "integrated_grid",
                 "nearest_first", "ambiguous"):
        assert name in r.output
    assert "city_operations_centre" in r.output


def test_arrangements_show_matrix(app):
    r = invoke(app, "arrangements", "show", "ambiguous", "--type", "high_rise_fire")
    assert r.exit_code == 0, r.output
    assert "扯皮" in r.output and "buck-passing" in r.output          # doctrine in both languages
    line = next(l for l in r.output.splitlines() if "first_attack" in l)
    assert line.count(" L ") == 2 and "2 leads" in line
    assert "no lead" in next(l for l in r.output.splitlines() if "structural_assessment" in l)
    bad = invoke(app, "arrangements", "show", "ambiguous", "--type", "flood")
    assert isinstance(bad.exception, InputError) and "no incident type 'flood'" in str(bad.exception)
    bad = invoke(app, "arrangements", "show", "nope")
    assert isinstance(bad.exception, InputError) and "unknown arrangement 'nope'" in str(bad.exception)


def test_arrangements_diff(app):
    r = invoke(app, "arrangements", "diff", "parallel_grids", "integrated_grid")
    assert r.exit_code == 0, r.output
    rows = [l for l in r.output.splitlines() if l.startswith("│")]
    assert {l.split("│")[3].strip() for l in rows} == {"relay", "fan_out", "grid_model", "platform"}
    same = invoke(app, "arrangements", "diff", "sectoral_lead", "sectoral_lead")
    assert "no differences" in same.output
