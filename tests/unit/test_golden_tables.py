"""Same seed → bit-identical tables across speed refactors (issue 17, 同种子同结果).

The three flagships and a routine city are run with fixed seeds; every output table is reduced to a
SHA-256 of its exact contents (column names, then every value's ``repr`` — floats round-trip exactly)
and compared with ``tests/golden/tables.json``. A refactor that changes a single draw, an event's order, a
count of processed events or a record fails here. The digests were made before the speed work and
regenerated on 2026-12-01 for three deliberate changes of results: the counter-based named streams (commit
70573c1); their two fixes (52-bit uniforms, coin streams keyed apart from value streams); and the second alarm,
no longer sent to finished tasks and stood down when its task ends (the fire flagship only). Every speed change
since has kept them. The ``tasks`` digests of ``high_rise_fire`` and ``routine_queue`` were regenerated on 2026-12-01
for one deliberate change of records (its ``units`` column only, no draw or event): a task lists its units when they
are sent, not when they are on scene — the fire flagship's second-alarm engines were written over by the first
alarm's list on its arrival (4 rows), and a routine engine on its way at the horizon was on no task (1 row).

Columns added later without changing any draw or event (:data:`ADDED`) are kept out of their table's digest —
so the golden digest still proves every older column bit-identical — and get a digest of their own
(``<table>+``), made when they were added.

Regenerate only on a deliberate change of results (and say so in the commit)::

    PYTHONPATH=. .venv/bin/python -m tests.unit.test_golden_tables --write
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from simulation.experiments.api import run
from simulation.experiments.outputs import BLOCK_COLUMNS, RECEIVED_COLUMNS, RUN_TABLES
from tests.helpers import SCENARIO_LIBRARY

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
TABLES = GOLDEN / "tables.json"
ROUTINE = GOLDEN / "routine_city.yaml"

CASES: dict[str, dict] = {
    "high_rise_fire": {"scenario": SCENARIO_LIBRARY / "high_rise_fire.yaml", "replications": 12, "seed": 11},
    "chemical_leak": {"scenario": SCENARIO_LIBRARY / "chemical_leak.yaml", "replications": 12, "seed": 12},
    "crowd_crush": {"scenario": SCENARIO_LIBRARY / "crowd_crush.yaml", "replications": 12, "seed": 13},
    # a day of routine fires: nearest dispatch, requests queue for returning engines, a night-staffed 119 desk
    "routine_queue": {"scenario": ROUTINE, "replications": 2, "seed": 5},
    # the same city under own-jurisdiction order with mutual aid when all are busy, tallied (long-run mode)
    "routine_mutual_aid_tallied": {
        "scenario": ROUTINE, "replications": 2, "seed": 6, "keep_routine": False,
        "sets": ("dispatch.order=own_jurisdiction", "dispatch.when_all_busy=mutual_aid"),
    },
}


ADDED = {"handoffs": BLOCK_COLUMNS, "workorders": RECEIVED_COLUMNS}
"""Columns added after the golden digests were made, records only — no draw, no event: issue 18's desk holds
(which duty desk held a hand-off), and when a work order reached the agency's desk and was taken up
(``t_received``, what ``linkage calibrate`` nets out of the decision time; its digest ``workorders+`` made on
2026-12-01 with every older digest unchanged)."""


def table_digest(table) -> str:
    """SHA-256 of a table's column names and values (``repr``: exact for floats, None for nulls)."""
    h = hashlib.sha256()
    for name, values in table.to_pydict().items():
        h.update(repr(name).encode())
        h.update(repr(values).encode())
    return h.hexdigest()


def digests(case: str) -> dict[str, str]:
    c = CASES[case]
    res = run(c["scenario"], c["replications"], c["seed"], sets=c.get("sets", ()),
              keep_routine=c.get("keep_routine", True))
    out = {}
    for name in RUN_TABLES:
        table, added = getattr(res, name), list(ADDED.get(name, ()))
        out[name] = table_digest(table.drop_columns(added))
        if added:
            out[f"{name}+"] = table_digest(table.select(added))
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_seed_gives_identical_tables(case: str) -> None:
    """Every table equals the golden run's, bit for bit (see the module docstring for what changed them)."""
    golden = json.loads(TABLES.read_text(encoding="utf-8"))
    assert digests(case) == golden[case]


def test_digest_sees_a_single_changed_value() -> None:
    """The digest is not blind: one float changed in the last bit changes it."""
    import math

    import pyarrow as pa

    a = pa.table({"t": [1.0, 2.0]})
    b = pa.table({"t": [1.0, math.nextafter(2.0, 3.0)]})
    assert table_digest(a) != table_digest(b)


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: python -m tests.unit.test_golden_tables --write  (regenerates tests/golden/tables.json)")
    TABLES.write_text(json.dumps({c: digests(c) for c in sorted(CASES)}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {TABLES}")
