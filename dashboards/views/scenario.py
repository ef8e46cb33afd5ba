"""Scenario page (情景): pick or upload a scenario, edit what a planner reasons about, check it quickly.

Edits become ``--set`` overrides (shown, so the same run can be repeated with ``linkage run``); the
scenario is validated by the CLI's own loader and problems are shown inline, one line each.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import charts, grid_pick, numbers, state
from dashboards.i18n import agency_names, label, t, text
from dashboards.params import CHANNEL_RELIABILITY, Knob, knobs, latency_override, latency_parts
from dashboards.views import scenario_preview
from scenarios.loader import replaced_lists

SOURCES = ("bundled", "upload", "paste")
MAP_KEY = "scenario.map"
MAP_TARGET = "scenario.map_target"  # which grid field a click on the map fills (an incident's or a micro station's)


def _source() -> bool:
    """Choose the scenario; ``False`` when nothing valid is chosen yet (the page stops there)."""
    ss = st.session_state
    src = state.remembered_select("scenario.source", t("scenario.source"), SOURCES, ss.get(state.CFG_SOURCE, "bundled"),
                                  {s: t(f"scenario.source_{s}") for s in SOURCES}.__getitem__, widget=st.radio,
                                  horizontal=True)
    if src == "bundled":
        lib = list(state.bundled())
        pick = state.remembered_select(
            "scenario.pick",
            t("scenario.pick"),
            lib,
            ss.get(state.CFG_BUNDLED, state.default_bundled()),
            {s: label("scenario_name", s) for s in lib}.__getitem__,
        )
        _switch("bundled", pick, None)
        return True
    if src == "upload":
        f = st.file_uploader(t("scenario.upload"), type=["yaml", "yml"], key="scenario.upload",
                             max_upload_size=1, help=t("scenario.upload_help", kb=state.MAX_UPLOAD_BYTES // 1024))
        if f is not None:
            return _take(f.name, f.getvalue())
    else:
        raw = st.text_area(t("scenario.paste"), key="scenario.yaml_text", height=200,
                           help=t("scenario.upload_help", kb=state.MAX_UPLOAD_BYTES // 1024))
        if raw.strip():
            return _take("pasted.yaml", raw.encode("utf-8"))
    if ss.get(state.CFG_SOURCE) == "upload" and ss.get(state.CFG_UPLOAD):
        st.caption(t("scenario.using_upload", name=ss[state.CFG_UPLOAD]["name"]))
        return True
    st.info(t("scenario.upload_first"))
    return False


def _take(name: str, data: bytes) -> bool:
    """Validate an uploaded/pasted file; on success it becomes the current scenario."""
    path, reason = state.write_upload(name, data)
    if path is None:
        st.error(t(f"scenario.upload_{reason}", kb=state.MAX_UPLOAD_BYTES // 1024), icon=":material/block:")
        return False
    sc, problems = state.validate(path)
    if problems:
        st.error(t("scenario.invalid", n=len(problems)), icon=":material/block:")
        st.code("\n".join(problems), language=None)
        return False
    tmpdir = path.parent
    for w in replaced_lists(path):  # extends merges mappings but replaces lists: say so, the file still loads
        st.warning(t("scenario.list_replaces", what=w.replace(f"{tmpdir}/", "")), icon=":material/warning:")
    _switch("upload", None, {"name": path.name, "text": data.decode("utf-8")})
    return True


def _switch(source: str, bundled: str | None, upload: dict | None) -> None:
    """Make a scenario current; a different scenario forgets the old one's edits."""
    ss = st.session_state
    ident = (source, bundled or (upload or {}).get("text"), ss.get(state.CFG_DISTRICT))
    if ss.get("cfg.identity") != ident:
        if "cfg.identity" in ss:
            ss[state.CFG_SETS] = []
            ss[state.CFG_VALUES] = {k: v for k, v in ss.get(state.CFG_VALUES, {}).items() if not _is_knob(k)}
            for k in [k for k in ss if isinstance(k, str) and _is_knob(k)]:
                del ss[k]
        ss["cfg.identity"] = ident
    ss[state.CFG_SOURCE] = source
    if bundled is not None:
        ss[state.CFG_BUNDLED] = bundled
    if upload is not None:
        ss[state.CFG_UPLOAD] = upload


def _is_knob(key: str) -> bool:
    return key.startswith("scenario.") and key.split(".")[1] not in (
        "source",
        "pick",
        "upload",
        "yaml_text",
        "preview_n",
        "preview_seed",
        "preview_run",
        "map",
        "map_target",
    )


def _knob_label(k: Knob, names: dict[str, str], stations: dict[str, str], incidents: dict[str, str]) -> str:
    lb = k.label
    if k.group == "desk":
        return names.get(lb["agency"], lb["agency"])
    if k.group == "units":
        return f"{stations.get(lb['station'], lb['station'])} · {label('unit_kind', lb['kind'])}"
    if k.group == "sensors":
        return t(
            "scenario.detector_label",
            kind=label("detector", lb["kind"]),
            to=names.get(lb["report_to"], label("role", lb["report_to"])),
        )
    if k.group == "grid_workers":
        return t("scenario.grid_workers_label") + (f" · {lb['grid']}" if "grid" in lb else "")
    if k.group == "micro_stations":
        return stations.get(lb["station"], lb["station"])
    return t(f"scenario.incident_{lb['what']}", incident=incidents.get(lb["incident"], lb["incident"]))


def _widget(k: Knob, lab: str) -> Any:
    if k.options:
        state.option_widget(k.key, list(k.options), k.value)
    else:
        state.restore(k.key, k.value)
    b = k.bounds
    if k.options and k.group == "incidents" and b is not None:
        v = st.select_slider(
            lab, options=list(k.options), key=k.key, format_func={s: t(f"severity.{s}") for s in k.options}.__getitem__
        )
    elif k.options:
        v = st.selectbox(lab, list(k.options), key=k.key)
    elif b is not None and b.integer:
        v = st.number_input(lab, min_value=int(b.low) if b.low is not None else None,
                            max_value=int(b.high) if b.high is not None else None, step=1, key=k.key)
    elif k.group == "sensors":
        v = st.slider(lab, min_value=float(b.low), max_value=float(b.high), step=k.step, key=k.key)  # type: ignore[union-attr]
    else:
        v = st.number_input(lab, min_value=b.low if b else None, max_value=b.high if b else None,
                            step=k.step or 1.0, key=k.key)
    state.remember(k.key, v)
    return v


def _channel_table(sc: Any, names: dict[str, str]) -> list[str]:
    """Channels as an editable table (typical latency, p90, reliability) → ``--set`` overrides."""
    rows, base = [], []
    kept = st.session_state.get(state.CFG_VALUES, {}).get("scenario.channels", {})
    for i, c in enumerate(sc.channels):
        dist, typical, p90 = latency_parts(c.latency)
        base.append((dist, typical, p90, c.reliability))
        ty, p9, rel = kept.get(i, (typical, p90, c.reliability))
        rows.append(
            {
                "from": names.get(c.from_, c.from_),
                "to": names.get(c.to, c.to),
                "kind": label("channel_kind", c.kind),
                "medium": label("medium", c.medium),
                "dist": label("dist", dist),
                "typical": ty,
                "p90": numbers.DASH if p9 is None else f"{p9:g}",  # only a lognormal time has a 90% time
                "reliability": rel,
            }
        )
    df = pd.DataFrame(rows)
    cols = {
        "from": st.column_config.TextColumn(t("scenario.ch_from"), disabled=True),
        "to": st.column_config.TextColumn(t("scenario.ch_to"), disabled=True),
        "kind": st.column_config.TextColumn(t("scenario.ch_kind"), disabled=True),
        "medium": st.column_config.TextColumn(t("scenario.ch_medium"), disabled=True),
        "dist": st.column_config.TextColumn(t("scenario.ch_dist"), disabled=True),
        "typical": st.column_config.NumberColumn(t("scenario.ch_typical"), min_value=0.0, step=1.0),
        "p90": st.column_config.TextColumn(t("scenario.ch_p90"), validate=r"^\s*(—|\d+(\.\d*)?)\s*$"),
        "reliability": st.column_config.NumberColumn(
            t("scenario.ch_reliability"),
            min_value=CHANNEL_RELIABILITY.low,
            max_value=CHANNEL_RELIABILITY.high,
            step=0.01,
        ),
    }
    edited = st.data_editor(df, key="scenario.channels", column_config=cols, hide_index=True, num_rows="fixed",
                            width="stretch")
    sets, keep = [], {}
    for i, (dist, typical, p90, rel) in enumerate(base):
        row = edited.iloc[i]
        ty = float(row["typical"]) if pd.notna(row["typical"]) else typical
        p9 = _p90(row["p90"], p90) if dist == "lognormal" else p90
        r = float(row["reliability"]) if pd.notna(row["reliability"]) else rel
        if dist == "lognormal" and p9 is not None and not p9 > ty:
            # A lognormal's p90 lies above its median; say so in the planner's words, keep the rest working.
            st.warning(t("scenario.ch_bad_p90", src=rows[i]["from"], dst=rows[i]["to"], p90=f"{p9:g}",
                         typical=f"{ty:g}"), icon=":material/warning:")
        elif dist in ("fixed", "lognormal") and (ty != typical or p9 != p90):
            sets.append(latency_override(i, dist, ty, p9))
        if r != rel:
            sets.append(f"channels.{i}.reliability={r}")
        if (ty, p9, r) != (typical, p90, rel):
            keep[i] = (ty, p9, r)
    state.remember("scenario.channels", keep)
    if any(b[2] is None for b in base):
        st.caption(t("scenario.ch_p90_none"))
    return sets


def _p90(cell: Any, default: float | None) -> float | None:
    """The 90% time typed in the text column (a number of seconds); the file's own when blank or "—"."""
    try:
        return float(str(cell).strip())
    except ValueError:
        return default


GROUPS = ("desk", "units", "channels", "sensors", "grid_workers", "micro_stations", "incidents")


def station_names(sc: Any, names: dict[str, str]) -> dict[str, str]:
    """Station id → its name; an unnamed station is its agency's, numbered when the agency has several."""
    unnamed: dict[str, list[str]] = {}
    for s in sc.stations:
        if s.name is None:
            unnamed.setdefault(s.agency, []).append(s.id)
    out = {}
    for s in sc.stations:
        if s.name is not None:
            out[s.id] = text(s.name)
            continue
        own, agency = unnamed[s.agency], names.get(s.agency, s.agency)
        out[s.id] = agency if len(own) == 1 else f"{agency} · {t('scenario.station_n', n=own.index(s.id) + 1)}"
    return out


def incident_names(sc: Any) -> dict[str, str]:
    """Incident id → its kind, numbered when the scenario has several of one kind."""
    kinds = [i.type for i in sc.incidents]
    seen: dict[str, int] = {}
    out = {}
    for i in sc.incidents:
        seen[i.type] = seen.get(i.type, 0) + 1
        out[i.id] = label("incident_type", i.type) + (f" {seen[i.type]}" if kinds.count(i.type) > 1 else "")
    return out


def _edits(sc: Any) -> list[str]:
    names = agency_names(sc)
    stations = station_names(sc, names)
    incidents = incident_names(sc)
    all_knobs = knobs(sc)
    _apply_map_pick(all_knobs)
    sets: list[str] = []
    st.subheader(t("scenario.edit"))
    st.caption(t("scenario.edit_help"))
    tabs = st.tabs([t(f"scenario.group.{g}") for g in GROUPS])
    for g, tab in zip(GROUPS, tabs):
        with tab:
            if g == "channels":
                sets += _channel_table(sc, names)
                continue
            group = [k for k in all_knobs if k.group == g]
            if not group:
                st.caption(t("scenario.nothing_here"))
            cols = st.columns(3)
            for i, k in enumerate(group):
                with cols[i % 3]:
                    v = _widget(k, _knob_label(k, names, stations, incidents))
                over = k.override(v)
                if over is not None:
                    sets.append(over)
    return sets


def grid_fields(all_knobs: list[Knob]) -> list[Knob]:
    """The knobs that ask for a grid code: each incident's grid, then each micro station's."""
    incidents = [k for k in all_knobs if k.group == "incidents" and k.label.get("what") == "grid"]
    return incidents + [k for k in all_knobs if k.group == "micro_stations" and k.options]


def _apply_map_pick(all_knobs: list[Knob]) -> None:
    """A grid clicked on the map goes into the chosen grid field (before the field is drawn)."""
    fields = {k.key: k for k in grid_fields(all_knobs)}
    target = st.session_state.get(MAP_TARGET)
    if target not in fields:
        target = next(iter(fields), None)
    if target is None:
        return
    code = grid_pick.fill(target, MAP_KEY, fields[target].options)
    if code is not None:
        state.remember(target, code)
        st.toast(t("scenario.map_picked", grid=code), icon=":material/place:")


def _map_target(sc: Any) -> None:
    """Which field a click on the map fills; shown only when there is a field to fill."""
    names = agency_names(sc)
    fields = grid_fields(knobs(sc))
    if not fields:
        return
    labels = {k.key: _knob_label(k, names, station_names(sc, names), incident_names(sc)) for k in fields}
    state.remembered_select(MAP_TARGET, t("scenario.map_target"), list(labels), fields[0].key, labels.__getitem__,
                            help=t("scenario.map_target_help"))


def render() -> None:
    st.title(t("scenario.title"))
    st.caption(t("scenario.intro"))
    if not _source():
        return
    ss = st.session_state
    base = state.current_choice()
    base = state.ScenarioChoice(base.path, base.display, (), *state.validate(base.path, district=base.district),
                                base.district)
    state.district_caption(base)
    if state.explain_if_invalid(base):
        return
    sc = base.scenario
    assert sc is not None
    st.markdown(f"**{label('scenario_name', base.display)}** — {text(sc.description)}")
    st.caption(t("scenario.counts", grids=len(sc.city.grid_ids()), agencies=len(sc.agencies), stations=len(sc.stations),
                 units=sum(u.count for u in sc.units), incidents=len(sc.incidents)))
    sets = _edits(sc)
    ss[state.CFG_SETS] = sets
    choice = state.current_choice()
    if choice.problems:  # the edits do not load: say why, and keep the map and the check on the unedited scenario
        st.error(t("scenario.invalid", n=len(choice.problems)), icon=":material/block:")
        st.code("\n".join(choice.problems), language=None)
        st.info(t("scenario.showing_base"), icon=":material/info:")
        choice, sets = base, []
    if sets:
        st.caption(t("scenario.sets_help"))
        st.code("\n".join(f"--set '{s}'" for s in sets), language="bash")
    else:
        st.caption(t("scenario.no_edits"))
    from simulation.experiments import prepare

    st.subheader(t("map.title"))
    _map_target(sc)
    grid_pick.selectable(charts.city_map(prepare(choice.scenario)[1], agency_names(choice.scenario)), MAP_KEY)
    scenario_preview.render(choice)


if __name__ == "__main__":
    render()
