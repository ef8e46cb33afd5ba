"""Drill player view (参演席位): one agency's (or group's) messages, tasks, units and decisions.

Everything shown comes from the server-side view of the seat's token; every button is a request that the
server checks again (a player can neither see nor act for another agency, whatever this page sends).
The drill service is the HTTP server named by ``LINKAGE_DRILL_SERVER`` or, without it, an in-process
service over the folder ``LINKAGE_DRILL_DIR`` (default ``drills``). Widget keys start with ``drill.``.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from dashboards.i18n import LANG_KEY as APP_LANG_KEY
from dashboards.views import drill_words as dw
from simulation.faces.drill_service import format_time

W = dw.page_words("player")
"""The page's fixed words by language (``drill_page.player.*`` of the locales)."""


@st.cache_resource
def _local_service(directory: str) -> Any:
    from simulation.faces.drill_service import DrillService

    return DrillService(directory)


def client() -> Any:
    """The drill API: HTTP client of the drill server, or the in-process service (same three calls)."""
    url = os.environ.get("LINKAGE_DRILL_SERVER")
    if url:
        from simulation.faces.drill_client import HttpDrillClient

        return HttpDrillClient(url)
    try:
        return _local_service(os.environ.get("LINKAGE_DRILL_DIR", "drills"))
    except ValueError as e:  # FolderBusy: a drill server serves this folder already (one writer per folder)
        st.error(f"{e} — {W[lang()]['folder_busy']}")
        st.stop()


def lang() -> str:
    """The dashboard's language when these pages run inside it (``dashboards.i18n.LANG_KEY``), else our own toggle."""
    v = st.session_state.get(APP_LANG_KEY) or st.session_state.get("drill.lang", "zh")
    return "zh" if str(v).startswith("zh") else "en"


def language_toggle() -> None:
    if st.session_state.get(APP_LANG_KEY) is None:  # standalone: the app's sidebar toggle is absent
        st.session_state.setdefault("drill.lang", "zh")
        st.radio(W["zh"]["lang"] + " / " + W["en"]["lang"], ["zh", "en"], horizontal=True, key="drill.lang")


def _browser_address() -> str | None:
    """The browser's address: the drill service counts failed joins per address, not per page server."""
    try:
        return st.context.ip_address
    except AttributeError:  # Streamlit before 1.45
        return None


def leave(prefix: str) -> None:
    """Revoke this page's token on the server (a copied token stops working too) and forget it."""
    auth = st.session_state.pop(f"drill.{prefix}.auth", None)
    if auth:
        try:
            client().leave(auth["token"])
        except ValueError:  # expired or revoked already: nothing left to revoke
            pass
    st.rerun()


def join_form(prefix: str, roles: tuple[str, ...]) -> dict | None:
    """Join with session code, seat and PIN; the token lives in this browser session only."""
    key = f"drill.{prefix}.auth"
    if st.session_state.get(key):
        return st.session_state[key]
    w = W[lang()]
    with st.form(f"drill.{prefix}.join"):
        code = st.text_input(w["code"], key=f"drill.{prefix}.code").strip().upper()
        seat = st.text_input(w["seat"], key=f"drill.{prefix}.seat").strip()
        pin = st.text_input(w["pin"], type="password", key=f"drill.{prefix}.pin").strip()
        ok = st.form_submit_button(w["join"])
    if ok:
        try:
            auth = client().join(code, seat, pin, client=_browser_address())
        except ValueError as e:
            st.error(str(e))
            return None
        if auth["role"] not in roles:
            st.error(f"{auth['role']}: {w['wrong_role']}")
            return None
        st.session_state[key] = auth
        st.rerun()
    return None


def joined_view(prefix: str, roles: tuple[str, ...]) -> tuple[str, dict] | None:
    """Join (or stay joined) and fetch this seat's view from the server; ``None`` until that works."""
    auth = join_form(prefix, roles)
    if auth is None:
        return None
    try:
        view = client().view(auth["token"])
    except ValueError as e:
        st.error(str(e))
        st.session_state.pop(f"drill.{prefix}.auth", None)
        return None
    header(view)
    return auth["token"], view


def act(token: str, action: str, payload: dict) -> None:
    try:
        client().act(token, action, payload)
    except ValueError as e:  # DrillError / AccessDenied: shown as the server says it
        st.session_state["drill.error"] = str(e)
    st.rerun()


def header(view: dict) -> None:
    c = view["clock"]
    w = W[lang()]
    tod = (c["clock_start"] + c["now"]) % 86400
    st.subheader(c["title"][lang()])
    st.markdown(f"**{w['clock']}**: `{c['label']}` ({int(tod // 3600):02d}:{int(tod % 3600 // 60):02d}) · "
                f"{view['seat']} · {c['code']}" + (f" · **{w['ended']}**" if c["ended"] else ""))
    err = st.session_state.pop("drill.error", None)
    if err:
        st.error(err)


def _decision_widgets(p: dict, names: dict, view: dict) -> dict:
    w, k, o = W[lang()], f"drill.decide.{p['key']}", p["options"]

    def label(a: str) -> str:
        return names.get(a, {}).get(lang(), a)

    if p["kind"] == "whistle":
        return {"call": st.toggle(f"{w['whistle']} → {label(o['holder'])}", value=True, key=f"{k}.call")}
    if p["kind"] == "work_order":
        r = st.radio(w["reply"], o["replies"], key=f"{k}.reply", horizontal=True,
                     format_func=lambda x: w["reply_" + x])
        return {"reply": r}
    if p["kind"] in ("response_level", "raise_level"):
        lv = st.selectbox(w["level"], o["levels"], index=o["levels"].index(p["plan"]["level"]), key=f"{k}.level",
                          format_func=lambda x: w["levels"].split()[x - 1])
        return {"level": lv}
    if p["kind"] == "notify_order":
        return {"targets": st.multiselect(w["targets"], o["targets"], default=p["plan"]["targets"], key=f"{k}.targets",
                                          format_func=label)}
    if p["kind"] == "settle_owner":
        return {"owner": st.selectbox(w["owner"], o["candidates"], key=f"{k}.owner", format_func=label)}
    if p["kind"] == "task_order":
        if not o["unit_kind"]:
            return {"units": 0}
        kind = dw.name(view, "unit_kind", o["unit_kind"], lang())
        return {"units": int(st.number_input(f"{w['units_n']} ({kind})", 1, max(o["max"], 1),
                                             value=max(1, p["plan"]["units"]), key=f"{k}.units"))}
    actions = [None, *o["actions"]]
    a = st.selectbox(w["action"], actions, index=actions.index(o["planned"]), key=f"{k}.action",
                     format_func=lambda x: w["no_measure"] if x is None else dw.name(view, "action", x, lang()))
    args = {}
    if a == o["planned"]:
        for name, v in o["args"].items():
            args[name] = (
                st.number_input(f"{w['args']}: {name}", value=float(v), key=f"{k}.arg.{name}")
                if isinstance(v, (int, float))
                else v
            )
    return {"action": a, "args": args}


def render() -> None:
    language_toggle()
    w = W[lang()]
    st.title(w["title"])
    joined = joined_view("player", ("player",))
    if joined is None:
        return
    token, view = joined
    c1, c2 = st.columns(2)
    if c1.button(w["refresh"], key="drill.refresh"):
        st.rerun()
    if c2.button(w["leave"], key="drill.leave"):
        leave("player")
    names = view["agency_names"]

    st.header(w["pending"])
    if not view["pending"]:
        st.caption(w["none"])
    for p in view["pending"]:
        with st.form(f"drill.decide.{p['key']}.form"):
            what = " · ".join(dw.name(view, sec, p[k], lang()) for sec, k in (("decision", "kind"), ("task", "task"))
                              if p.get(k))
            st.markdown(f"**{what}** · {dw.name(view, 'agency', p['agency'], lang())} · "
                        f"{w['deadline']} `{format_time(p['deadline_at'])}` · {w['plan']}: "
                        f"{dw.describe(view, p['plan'], lang()) or '—'}")
            value = _decision_widgets(p, names, view)
            if st.form_submit_button(w["decide"]):
                act(token, "decide", {"key": p["key"], "value": value})

    st.header(w["messages"])
    acked = {m["payload"]["inject"] for m in view["messages"] if m["kind"] == "ack"}
    for m in reversed(view["messages"]):
        if m["kind"] == "inject":
            pl = m["payload"]
            sender = dw.name(view, "agency", pl["from"], lang())
            how = dw.value(view, "method", pl["method"], lang())
            st.info(f"`{format_time(m['sim_time'])}` **{pl['inject']}** ({sender}, {how}): {pl[lang()]}")
            if pl["inject"] not in acked and st.button(f"{w['ack']} {pl['inject']}", key=f"drill.ack.{pl['inject']}"):
                act(token, "ack", {"inject": pl["inject"]})
    rows = [
        {
            "t": format_time(m["sim_time"]),
            "kind": dw.word(f"kind_{m['kind']}", lang()),
            "agency": dw.name(view, "agency", m["agency"], lang()),
            "detail": dw.describe(view, m["payload"], lang()),
        }
        for m in reversed(view["messages"])
        if m["kind"] != "inject"
    ]
    st.dataframe(dw.frame(view, rows, lang(), raw=True), hide_index=True, width="stretch", key="drill.messages")

    st.header(w["tasks"])
    st.dataframe(dw.frame(view, view["tasks"], lang()), hide_index=True, width="stretch", key="drill.tasks")
    st.header(w["units"])
    units = [{"unit": u["unit"], "agency": u["agency"], "free": dw.word(str(bool(u["free"])), lang()),
              "task": dw.busy(view, u["task"], lang())} for u in view["units"]]
    st.dataframe(dw.frame(view, units, lang()), hide_index=True, width="stretch", key="drill.units")

    if view["incidents"] and not view["clock"]["ended"]:
        others = [a for a in names if a not in view["agencies"]]
        with st.form("drill.notify.form"):
            st.markdown(f"**{w['notify']}**")
            inc = st.selectbox(w["incident"], view["incidents"], key="drill.notify.incident",
                               format_func=lambda i: dw.name(view, "incident", i, lang()))
            src = st.selectbox(w["from"], view["agencies"], key="drill.notify.from",
                               format_func=lambda a: names[a][lang()])
            dst = st.selectbox(w["to"], others, key="drill.notify.to", format_func=lambda a: names[a][lang()])
            if st.form_submit_button(w["notify"]):
                act(token, "notify", {"incident": inc, "from": src, "to": dst})
        with st.form("drill.message.form"):
            st.markdown(f"**{w['message']}**")
            inc = st.selectbox(w["incident"], view["incidents"], key="drill.message.incident",
                               format_func=lambda i: dw.name(view, "incident", i, lang()))
            src = st.selectbox(w["from"], view["agencies"], key="drill.message.from",
                               format_func=lambda a: names[a][lang()])
            dst = st.selectbox(w["to"], others, key="drill.message.to", format_func=lambda a: names[a][lang()])
            kind = st.selectbox(w["kind"], ["request_support", "info"], key="drill.message.kind",
                                format_func=lambda k: dw.word(f"kind_{k}", lang()))
            text = st.text_area(w["text"], key="drill.message.text")
            if st.form_submit_button(w["send"]):
                act(token, "message", {"incident": inc, "from": src, "to": dst, "kind": kind, "text": text})


if __name__ == "__main__":  # also runnable as a Streamlit page script
    render()
