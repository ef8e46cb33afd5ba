"""What a drill session writes to its SQLite log (演练记录): the new session file, and the records the
engine produces as the clock runs. :class:`simulation.drill.session.DrillSession` drives both.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime
from pathlib import Path

from scenarios.loader import scenario_hash
from scenarios.schema import Scenario
from simulation.drill.msel import Msel
from simulation.drill.pins import new_pin
from simulation.drill.policy import DrillPolicy
from simulation.drill.spec import DrillSpec
from simulation.drill.store import DrillStore
from simulation.model.engine import Replication
from simulation.model.records import TASK_STAGES

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud in the room


def new_code(n: int = 6) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(n))


def write_session_file(spec: DrillSpec, scenario: Scenario, msel: Msel, directory: str | Path,
                       parent: str | None = None, branched_at: float | None = None) -> tuple[Path, dict[str, str]]:
    """A new session's SQLite file in ``directory`` (its spec, scenario, MSEL and seats; written under a
    temporary name, then renamed); returns its path and each seat's PIN (shown once)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    code = new_code()
    while (d / f"{code}.sqlite").exists():
        code = new_code()
    pins = {s.id: new_pin() for s in spec.seats}
    tmp = d / f".{code}.sqlite.tmp"
    store = DrillStore(tmp)
    store.write_meta({"code": code, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                      "spec": spec.model_dump(mode="json", by_alias=True),
                      "scenario": scenario.model_dump(mode="json", by_alias=True),
                      "scenario_hash": scenario_hash(scenario), "msel": msel.model_dump(mode="json", by_alias=True),
                      "parent": parent, "branched_at": branched_at})
    store.add_seats([(s.id, s.role, list(s.agencies), pins[s.id]) for s in spec.seats])
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    path = d / f"{code}.sqlite"
    tmp.replace(path)  # nothing half-made is ever listed
    return path, pins


def engine_records(rep: Replication, policy: DrillPolicy) -> list[dict]:
    """What the engine has produced so far, as log records keyed so that a record is logged once: the
    policy's outbox (emptied), each incident's report and notifications, each owned task's stages."""
    recs = list(policy.outbox)
    policy.outbox.clear()
    for st in rep.incident_states:
        inc, rec = st.spec.id, st.rec
        if not math.isnan(rec.t_report):
            recs.append(
                {
                    "key": f"report:{inc}",
                    "kind": "report",
                    "sim_time": rec.t_report,
                    "agency": rec.receiver,
                    "payload": {
                        "incident": inc,
                        "type": rec.type,
                        "grid": rec.grid,
                        "detected_by": rec.detected_by,
                        "t_detect": rec.t_detect,
                    },
                }
            )
        for agency, ev in st.notified.items():
            if ev.triggered:
                recs.append({"key": f"notified:{inc}:{agency}", "kind": "notified", "sim_time": float(ev.value),
                             "agency": agency, "payload": {"incident": inc, "type": rec.type, "grid": rec.grid}})
    for t in rep.tasks:
        if t.owner is None:
            continue
        for stage in TASK_STAGES:
            v = getattr(t, stage)
            if not math.isnan(v):
                recs.append({"key": f"task:{t.incident}:{t.task}:{stage}", "kind": "task", "sim_time": v,
                             "agency": t.owner, "payload": {"incident": t.incident, "task": t.task, "stage": stage,
                                                            "owner": t.owner, "units": list(t.units)}})
    return recs
