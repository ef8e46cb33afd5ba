"""The drill pages (facilitator and player) name every agency, unit, station, task and incident in the
page's language — never by its id (``street_S1``, ``demo.fire_brigade.fs1.engine1``, ``crowd1``).

AppTest of the two pages on a live session of the bundled crowd-crush drill, joined with real PINs through
the join form, the clock forwarded from the facilitator's console so that reports, tasks, decisions and
units are on the pages; every text a person reads is checked for the drill's ids as whole words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from simulation.drill.session import DrillSession
from simulation.drill.spec import load_drill
from simulation.model.world import build_world
from tests.dashboard_helpers import visible_texts

ENTRY = """
import streamlit as st
from dashboards.views import drill_facilitator, drill_player
(drill_facilitator if st.session_state.get("page") == "facilitator" else drill_player).render()
"""


def ids(sc, world) -> set[str]:
    """The drill's internal ids with a digit, '_' or '.' (a plain word such as 'police' is also a name)."""
    out = {a.id for a in sc.agencies} | {s.id for s in sc.stations} | {i.id for i in sc.incidents}
    out |= {u.name for u in world.units} | {tk.id for it in sc.incident_types.values() for tk in it.tasks}
    return {x for x in out if "_" in x or "." in x or re.search(r"\d", x)}


def page(which: str, lang: str, code: str, seat: str, pin: str) -> AppTest:
    at = AppTest.from_string(ENTRY, default_timeout=180)
    at.session_state["page"] = which
    at.session_state["drill.lang"] = lang
    at.run()
    prefix = "control" if which == "facilitator" else "player"
    at.text_input(key=f"drill.{prefix}.code").input(code)
    at.text_input(key=f"drill.{prefix}.seat").input(seat)
    at.text_input(key=f"drill.{prefix}.pin").input(pin)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow
def test_drill_pages_show_names_not_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drills = tmp_path / "drills"
    spec, sc, msel = load_drill("crowd_crush_drill")
    session, pins = DrillSession.create(spec, sc, msel, drills)
    code = session.code
    session.store.close()
    monkeypatch.setenv("LINKAGE_DRILL_DIR", str(drills))
    monkeypatch.delenv("LINKAGE_DRILL_SERVER", raising=False)
    hidden = sorted(ids(sc, build_world(sc)), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, hidden)) + r")(?![\w.])")
    player_seat = next(s.id for s in spec.seats if s.role == "player")
    data = {s.id for s in spec.seats} | {code} | {i.from_ for i in msel.injects} | {
        "HSEEP", "JSON", "html", "docx", "Language"}  # an evaluation method, file formats, the toggle's own name
    data |= set(re.findall(r"[A-Za-z_]{4,}", code))  # the code's letter runs, as the word finder cuts them (T6XSZS)
    for lang in ("zh", "en"):
        fac = page("facilitator", lang, code, "facilitator", pins["facilitator"])
        if lang == "zh":
            fac.number_input(key="drill.clock.minutes").set_value(40)
            fac.button(key="drill.clock.forward").click().run()
            assert not fac.exception
        player = page("player", lang, code, player_seat, pins[player_seat])
        for at in (fac, player):
            texts = visible_texts(at) + [str(v) for t in at.table for v in t.value.astype(str).to_numpy().ravel()]
            texts += [str(i) for t in at.table for i in t.value.index]
            found = sorted({m for s in texts for m in pattern.findall(s)})
            assert not found, (lang, found)
            if lang == "zh":  # and no English word but the data's own (seat names, the code, the MSEL's senders)
                words = {w for s in texts for w in re.findall(r"[A-Za-z_]{4,}", s)}
                assert not words - data, sorted(words - data)
        assert any(len(d.value) for d in player.dataframe) and any(len(d.value) for d in fac.dataframe)
