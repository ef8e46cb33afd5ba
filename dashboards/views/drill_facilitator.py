"""Drill facilitator console (导调控制台): clock, inject timeline with the gaps between injects, live state
of every agency, waiting decisions and their defaults, evaluators' notes, the after-action report.

Evaluators and observers join here too and see the same, read-only (evaluators may add notes). All
rights are checked by the drill service on the server side. Widget keys start with ``drill.``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.views import drill_words as dw
from dashboards.views.drill_player import W as PW
from dashboards.views.drill_player import act, client, joined_view, lang, language_toggle, leave
from simulation.faces.drill_service import format_time

W = dw.page_words("facilitator")
"""The page's fixed words by language (``drill_page.facilitator.*`` of the locales)."""


def _inject_timeline(view: dict) -> pd.DataFrame:
    rows = []
    for i in view["injects"]:
        t = i["delivered_at"] if i["delivered_at"] is not None else i["at"]
        rows.append(
            {
                "id": i["id"],
                "to": dw.name(view, "agency", i["to"], lang()),
                "time": t,
                "trigger": dw.trigger(view, i["trigger"], lang()),
                "delivered": dw.word(str(i["delivered_at"] is not None), lang()),
                "text": i[f"inject_{lang()}"],
            }
        )
    rows.sort(key=lambda r: (r["time"] is None, r["time"] or 0))
    prev = None
    for r in rows:
        r["gap_min"] = None if r["time"] is None or prev is None else round((r["time"] - prev) / 60, 1)
        prev = r["time"] if r["time"] is not None else prev
        r["time"] = format_time(r["time"]) if r["time"] is not None else "—"
    return pd.DataFrame([{dw.header(k, lang()): v for k, v in r.items()} for r in rows])


def render() -> None:
    import json

    language_toggle()
    w, pw = W[lang()], PW[lang()]
    st.title(w["title"])
    joined = joined_view("control", ("facilitator", "evaluator", "observer"))
    if joined is None:
        return
    token, view = joined
    c1, c2 = st.columns(2)
    if c1.button(pw["refresh"], key="drill.control.refresh"):
        st.rerun()
    if c2.button(pw["leave"], key="drill.control.leave"):
        leave("control")
    running = not view["read_only"] and not view["clock"]["ended"]
    if running:
        c1, c2, c3, c4 = st.columns(4)
        if c1.button(w["step"], key="drill.clock.step"):
            act(token, "clock", {"mode": "step"})
        minutes = c2.number_input(w["forward"], 1, 240, 10, key="drill.clock.minutes")
        if c2.button(w["go"], key="drill.clock.forward"):
            act(token, "clock", {"mode": "forward", "value": minutes * 60})
        until = c3.number_input(
            w["until"], 0, int(view["clock"]["horizon"]), int(view["clock"]["now"]), key="drill.clock.until"
        )
        if c3.button(w["run"], key="drill.clock.run"):
            act(token, "clock", {"mode": "until", "value": until})
        if c4.button(w["end"], key="drill.clock.end", type="primary"):
            act(token, "clock", {"mode": "end"})

    st.header(w["injects"])
    timeline = _inject_timeline(view)
    # a static table: few rows, read across the room
    st.table(timeline.set_index(timeline.columns[0]) if len(timeline) else timeline)
    waiting = [i["id"] for i in view["injects"] if i["delivered_at"] is None]
    if running and waiting:
        c1, c2 = st.columns([3, 1])
        pick = c1.selectbox(w["deliver"], waiting, key="drill.deliver.pick")
        if c2.button(w["deliver"], key="drill.deliver.go"):
            act(token, "deliver", {"inject": pick})

    st.header(w["agencies"])
    names = view["agency_names"]
    st.dataframe(dw.frame(view, [{"agency": a["agency"], "seat": a["seat"], "incident": a["notified"],
                                  "task": [dw.task_status(view, x, lang()) for x in a["tasks"]],
                                  "pending": a["pending"], "units_busy": a["units_busy"], "units": a["units"]}
                                 for a in view["agencies"]], lang()), hide_index=True, width="stretch",
                 key="drill.agencies")
    st.header(w["pending"])
    pending = [{"kind": p["kind"], "agency": p["agency"], "task": p["task"], "deadline": format_time(p["deadline_at"]),
                "plan": dw.describe(view, p["plan"], lang())} for p in view["pending"]]
    st.dataframe(dw.frame(view, pending, lang()), hide_index=True, width="stretch", key="drill.pending")
    if running:
        with st.form("drill.default.form"):
            target = st.text_input(w["target"], key="drill.default.target")
            value = st.text_input(w["default"], key="drill.default.value")
            if st.form_submit_button(w["set"]):
                try:
                    act(token, "set_default", {"target": target, "value": json.loads(value or "{}")})
                except json.JSONDecodeError as e:
                    st.error(str(e))
    if view["role"] == "facilitator":
        with st.form("drill.pin.form"):
            seat = st.selectbox(w["pin_seat"], [x["seat"] for x in view["seats"]], key="drill.pin.seat")
            if st.form_submit_button(w["pin_new"]):
                try:
                    answer = client().act(token, "reissue_pin", {"seat": seat})
                    st.success(f"{answer['seat']}: {w['pin_shown']} {answer['pin']}")
                except ValueError as e:
                    st.error(str(e))
    if view["hazards"]:
        st.header(w["hazard"])
        hazards = pd.DataFrame(view["hazards"]).T
        hazards.index = [dw.name(view, "incident", i, lang()) for i in hazards.index]
        hazards.columns = [dw.header(c, lang()) for c in hazards.columns]
        st.dataframe(hazards, width="stretch", key="drill.hazards")

    st.header(w["log"])
    st.dataframe(
        dw.frame(view,
            [
                {
                    "t": format_time(m["sim_time"]),
                    "kind": dw.word(f"kind_{m['kind']}", lang()),
                    "agency": dw.name(view, "agency", m["agency"], lang()),
                    "actor": dw.actor(m["actor"], lang()),
                    "fallback": dw.word(str(bool(m["fallback"])), lang()),
                    "detail": dw.describe(view, m["payload"], lang())[:200],
                }
                for m in reversed(view["messages"])
            ], lang(), raw=True
        ),
        hide_index=True,
        width="stretch",
        key="drill.log",
    )

    if view["role"] in ("facilitator", "evaluator"):
        with st.form("drill.note.form"):
            text = st.text_area(w["note"], key="drill.note.text")
            agency = st.selectbox(pw["owner"], [None, *names], key="drill.note.agency",
                                  format_func=lambda a: "—" if a is None else names[a][lang()])
            rating = st.selectbox(w["rating"], [None, "P", "S", "M", "U"], key="drill.note.rating",
                                  format_func=lambda r: "—" if r is None else r)
            capability = st.text_input(w["capability"], key="drill.note.capability")
            improve = st.checkbox(w["improve"], key="drill.note.improve")
            corrective = st.text_input(w["corrective"], key="drill.note.corrective")
            strength = st.checkbox(w["strength"], key="drill.note.strength")
            if st.form_submit_button(w["save"]):
                act(token, "note", {"text": text, "agency": agency, "improvement": improve, "strength": strength,
                                    "rating": rating, "capability": capability, "corrective": corrective})
        st.header(w["report"])
        c1, c2 = st.columns(2)
        fmt = c1.selectbox(dw.word("format", lang()), ["html", "docx"], key="drill.report.format")
        if c2.button(w["make"], key="drill.report.make"):
            try:
                st.session_state["drill.report.blob"] = (fmt, client().report(token, fmt, lang()))
            except ValueError as e:  # another report is being made, or the server refused: say so
                st.error(str(e))
        blob = st.session_state.get("drill.report.blob")
        if blob:
            st.download_button(
                w["download"], blob[1], file_name=f"aar-{view['clock']['code']}.{blob[0]}", key="drill.report.download"
            )


if __name__ == "__main__":  # also runnable as a Streamlit page script
    render()
