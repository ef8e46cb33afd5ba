"""What the drill pages call things (推演界面用语): every id a seat's view carries, named in zh and en.

The drill service sends these with each view, so that a page never shows an agency, unit, station, task,
incident, action or decision kind by its id (``fire_brigade``, ``demo.fire_brigade.fs1.engine1``,
``crowd1``) — the words come from the same catalogues as the dashboards and the after-action report.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from simulation.faces.vocab import DECISION_KIND, word

LANGS = ("zh", "en")


def both(section: str, ident: Any) -> dict[str, str]:
    return {lang: word(section, ident, lang) for lang in LANGS}


def unit_label(unit: Any, stations: dict[str, dict[str, str]]) -> dict[str, str]:
    """``一中队消防站 水罐消防车 1`` / ``Fire station 1 · engine 1``: station, kind, number at the station."""
    n = re.search(r"(\d+)$", unit.name)
    k = n.group(1) if n else ""
    return {"zh": f"{stations[unit.station]['zh']}{word('unit_kind', unit.kind, 'zh')}{k}",
            "en": f"{stations[unit.station]['en']} · {word('unit_kind', unit.kind, 'en')} {k}".rstrip()}


@cache
def _static() -> dict[str, dict[str, dict[str, str]]]:
    from simulation.faces.vocab import ACTIONS

    return {"decision": {k: {lang: DECISION_KIND[lang][k] for lang in LANGS} for k in DECISION_KIND["en"]},
            "action": {k: {lang: ACTIONS[lang][k] for lang in LANGS} for k in ACTIONS["en"]}}


def labels(scenario: Any, world: Any) -> dict[str, dict[str, dict[str, str]]]:
    """Section → id → {zh, en} for one drill's scenario (a session's labels never change: cache per session)."""
    stations = {s.id: ({"zh": s.name.zh, "en": s.name.en} if s.name else {"zh": s.id, "en": s.id})
                for s in scenario.stations}
    tasks = {tk.id for it in scenario.incident_types.values() for tk in it.tasks}
    return {**_static(), "task": {tk: both("task", tk) for tk in sorted(tasks)},
            "incident": {i.id: both("incident_type", i.type) for i in scenario.incidents},
            "unit": {u.name: unit_label(u, stations) for u in world.units},
            "unit_kind": {u.kind: both("unit_kind", u.kind) for u in world.units}}
