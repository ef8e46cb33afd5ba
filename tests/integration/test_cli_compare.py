"""``linkage compare`` and ``linkage arrangements list|show|diff`` through the real entry point, in-process.

Bad input must come out as exactly one line on stderr (an :class:`InputError`, printed by ``main()``),
exit 1, and write nothing.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from tests.helpers import FLAGSHIP as FIRE


def assert_one_problem(r, message: str) -> None:
    """Exit 1 with a single stderr line (one :class:`InputError` problem) that says ``message``."""
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr, r.stderr


def test_compare_prints_verdicts_attribution_structure_and_writes(cli, tmp_path):
    out = tmp_path / "cmp"
    r = cli("compare", FIRE, "-a", "sectoral_lead", "-a", "ambiguous", "-n", "4", "--seed", "2", "--out", out)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "baseline sectoral_lead" in text and "ownerless_time (min)" in text
    assert "worse · 更差" in text                     # ambiguous loses on ownerless time
    # the disputed assessment goes by work order: returned, re-dispatched and ruled on (退单 → 改派 → 审定)
    assert "Hand-off attribution" in text and "structural_assessment" in text
    assert "bounce" in text and "arbitration" in text
    assert "Structural indicators" in text and "fire_brigade(relay)" in text
    assert (out / "comparison.parquet").exists() and (out / "attribution.parquet").exists()
    assert pq.read_table(out / "replications.parquet").num_rows == 8


def test_compare_variant_labels_and_set_for(cli, tmp_path):
    r = cli("compare", FIRE, "-a", "sectoral_lead", "-a", "radio_down=sectoral_lead",
            "--set-for", "radio_down:channels.0.down=[[0,1800]]", "-n", "3", "-m", "t_notify_lead")
    assert r.returncode == 0, r.stderr
    assert "radio_down" in r.stdout and "t_notify_lead (min)" in r.stdout and "t_close" not in r.stdout


@pytest.mark.parametrize("args, message", [
    (["-a", "sectoral_lead"], "at least 2 arrangements"),
    (["-a", "sectoral_lead", "-a", "sectoral_lead"], "given twice"),
    (["-a", "sectoral_lead", "-a", "integrated_grid", "-n", "1"], "at least 2 replications"),
    (["-a", "sectoral_lead", "-a", "nope"], "unknown arrangement 'nope'"),
    (["-a", "sectoral_lead", "-a", "b=integrated_grid", "--set-for", "c:horizon=10"], "no arrangement labelled 'c'"),
    (["-a", "sectoral_lead", "-a", "integrated_grid", "--set", "agencies.nobody.desk.staff=1"], "no item 'nobody'"),
])
def test_compare_bad_input_is_one_input_error_and_writes_nothing(cli, tmp_path, args, message):
    out = tmp_path / "never"
    r = cli("compare", FIRE, *args, "--out", str(out))
    assert_one_problem(r, message)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_arrangements_list(cli):
    r = cli("arrangements", "list")
    assert r.returncode == 0, r.stderr
    for name in ("sectoral_lead", "territorial_lead", "unified_command", "parallel_grids", "integrated_grid",
                 "nearest_first", "ambiguous"):
        assert name in r.stdout
    assert "city_operations_centre" in r.stdout


def test_arrangements_show_matrix(cli):
    r = cli("arrangements", "show", "ambiguous", "--type", "high_rise_fire")
    assert r.returncode == 0, r.stderr
    assert "扯皮" in r.stdout and "buck-passing" in r.stdout          # doctrine in both languages
    line = next(ln for ln in r.stdout.splitlines() if "first_attack" in ln)
    assert line.count(" L ") == 2 and "2 leads" in line
    assert "no lead" in next(ln for ln in r.stdout.splitlines() if "structural_assessment" in ln)
    bad = cli("arrangements", "show", "ambiguous", "--type", "flood")
    assert_one_problem(bad, "no incident type 'flood'")
    bad = cli("arrangements", "show", "nope")
    assert_one_problem(bad, "unknown arrangement 'nope'")


def test_arrangements_diff(cli):
    r = cli("arrangements", "diff", "parallel_grids", "integrated_grid")
    assert r.returncode == 0, r.stderr
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("│")]
    assert {row.split("│")[3].strip() for row in rows} == {"relay", "fan_out", "grid_model", "platform",
                                                           "work_order_dispatcher"}
    same = cli("arrangements", "diff", "sectoral_lead", "sectoral_lead")
    assert "no differences" in same.stdout
