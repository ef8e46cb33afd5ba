"""The doctrine as the outputs show it.

- The legal commander holds in every bundled arrangement: the fire brigade owns fire attack and rescue (and
  hazmat reconnaissance and plugging), the police own crowd control; under the sectoral lead the
  emergency-management department leads the hazardous-chemical response — read from ``tasks.parquet`` owners
  and ``incidents.parquet`` leads.
- The ambiguous arrangement (职责不清) produces rejections, re-dispatches and arbitrations in
  ``workorders.parquet``; the same incidents under a clear list produce none; the attribution names bounce
  and arbitration as lost time.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from scenarios.loader import bundled_arrangements
from simulation.experiments.api import compare, run

ARRANGEMENTS = sorted(p.stem for p in bundled_arrangements())
LIB = "scenarios/library"
COMMANDED = {  # flagship → task → the agency that commands it by law (the district's agency ids)
    "high_rise_fire": {"fire_attack": "fire_brigade", "search_rescue": "fire_brigade"},
    "chemical_leak": {"hazmat_recon": "fire_brigade", "plugging": "fire_brigade"},
    "crowd_crush": {"crowd_control": "police"},
}


@pytest.mark.slow
@pytest.mark.parametrize("flagship", sorted(COMMANDED))
def test_the_legal_commander_holds_in_every_arrangement(tmp_path, flagship):
    for arrangement in ARRANGEMENTS:
        out = tmp_path / f"{flagship}-{arrangement}"
        run(f"{LIB}/{flagship}.yaml", 4, 11, arrangement=arrangement).write(out)
        tasks = pq.read_table(out / "tasks.parquet").to_pylist()
        for task, commander in COMMANDED[flagship].items():
            owners = {r["owner"] for r in tasks if r["task"] == task and r["owner"] is not None}
            assert owners == {commander}, (arrangement, task, owners)
        if flagship == "chemical_leak" and arrangement == "sectoral_lead":
            leads = set(pq.read_table(out / "incidents.parquet").column("lead").to_pylist())
            assert leads == {"emergency_bureau"}


def test_a_vague_list_bounces_work_orders_and_a_clear_one_does_not(tmp_path):
    res = compare(f"{LIB}/high_rise_fire.yaml", ["sectoral_lead", "ambiguous"], replications=12, seed=5)
    res.write(tmp_path / "cmp")
    orders = pq.read_table(tmp_path / "cmp" / "workorders.parquet").to_pylist()
    vague = [o for o in orders if o["arrangement"] == "ambiguous"]
    clear = [o for o in orders if o["arrangement"] == "sectoral_lead"]
    # a clear list: every order signed by its first addressee — or still being decided when the run ends (seed 5,
    # replication 5: the street office's decision on resettlement draws 7,770 s, its log-normal's 99.99th
    # percentile, and runs past the horizon); never rejected, never re-dispatched
    assert clear and all(o["outcome"] in ("signed", "open") and o["order_no"] == 1 for o in clear)
    assert all(o["t_rejected"] is None for o in clear) and sum(o["outcome"] == "signed" for o in clear) >= 20
    assert any(o["outcome"] == "rejected" for o in vague)  # 退单
    assert any(o["order_no"] > 1 for o in vague)  # 改派
    assert any(o["t_arbitrated"] is not None for o in vague)  # 审定
    assert {o["reject_reason"] for o in vague if o["outcome"] == "rejected"} <= {
        "not_our_function", "overlapping_duties", "ownership_unclear"}
    reps = {r["arrangement"]: r for r in res.table("replications").to_pylist()[::12]}
    assert reps["sectoral_lead"]["workorder_rejections"] == 0 and reps["sectoral_lead"]["arbitrations"] == 0
    stages = {r["stage"] for r in res.attribution.to_pylist() if r["arrangement"] == "ambiguous"}
    assert {"bounce", "arbitration"} <= stages
    assert not {"bounce", "arbitration"} & {r["stage"] for r in res.attribution.to_pylist()
                                            if r["arrangement"] == "sectoral_lead"}
