"""Arrangements page (职责安排): responsibility matrix, edit, save as YAML, diff two side by side.

The matrix and the diff come from :mod:`agencies.diff` (the CLI's ``linkage arrangements`` uses the same
functions); an edited arrangement is validated by the schema and against the current scenario before it
can be saved or used on the compare page.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import ValidationError
from ruamel.yaml import YAML

from agencies.arrangement import Arrangement
from agencies.base import ID_PATTERN
from agencies.catalogue import role_catalogue
from agencies.diff import ALL, ASSIST, INFORMED, LEAD, diff_rows, responsibility_matrix
from dashboards import charts, state, table
from dashboards.i18n import current, has, label, role_name, t, text
from scenarios.errors import InputError
from scenarios.loader import load_arrangement

CELLS = ("", LEAD, ASSIST, INFORMED)
CELL_KEYS = {LEAD: "lead", ASSIST: "assist", INFORMED: "informed"}
SETTINGS = ("relay", "fan_out", "grid_model", "platform", "dispatch", "command_post", "work_order_dispatcher",
            "whistle", "escalation_decision")
# Settings whose value is a role, and what their default (None) means. (A comment, not a docstring: Streamlit's
# "magic" would print a bare string of a page module on the page.)
ROLE_SETTINGS = {"relay": "arr.relay_lead", "command_post": "arr.post_lead",
                 "work_order_dispatcher": "arr.orders_relay"}


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_arrangement(ref: str) -> Arrangement:
    """A bundled or saved arrangement, loaded once per session cache."""
    return load_arrangement(ref)


def arrangement_title(arr: Arrangement) -> str:
    return text(arr.title, default=arr.name) if arr.title else arr.name


def cell_label(code: str) -> str:
    return t(f"resp.{CELL_KEYS[code]}") if code in CELL_KEYS else t("resp.none")


def word(field: str, value: str) -> str:
    """A setting's value in words; the same value can mean different things per field (parallel grids)."""
    return label("word", f"{field}_{value}") if has(f"word.{field}_{value}") else label("word", value)


def row_label(task: str) -> str:
    return t("arr.whole_incident") if task == ALL else label("task", task)


def matrix_frame(arr: Arrangement, itype: str, extra_roles: list[str]) -> pd.DataFrame:
    """Tasks × roles with cells ``L``/``A``/``I``/'' (rows keep the task ids as index)."""
    roles, rows = responsibility_matrix(arr, itype)
    cols = roles + [r for r in extra_roles if r not in roles]
    return pd.DataFrame([{r: cells.get(r, "") for r in cols} for _, cells in rows], index=[task for task, _ in rows])


def apply_matrix(arr: Arrangement, itype: str, matrix: pd.DataFrame) -> dict[str, Any]:
    """The arrangement as a plain mapping with ``itype``'s lead/assist/informed taken from ``matrix``."""
    doc = arr.model_dump(mode="json", exclude_none=True)
    it = doc["incident_types"][itype]
    for task, row in matrix.iterrows():
        part = {c: [r for r in matrix.columns if row[r] == c] for c in (LEAD, ASSIST, INFORMED)}
        if task == ALL:
            it["lead"] = part[LEAD][0] if len(part[LEAD]) == 1 else part[LEAD]
            it["informed"] = part[INFORMED]
            continue
        ta = it["tasks"].setdefault(str(task), {})
        ta["lead"], ta["assist"], ta["informed"] = part[LEAD], part[ASSIST], part[INFORMED]
    return doc


def to_yaml(doc: dict[str, Any]) -> str:
    y = YAML()
    y.default_flow_style = None
    y.width = 120
    y.allow_unicode = True
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def ident_and_title(shown: str) -> tuple[str | None, str | None]:
    """The name a planner typed → (id, title). An id-like name (``my_plan``) is the id; any other name
    (``我的方案``, ``Plan B``) becomes the title, with an id derived from it; ``None`` id when it is blank
    or an id-like name breaks the id rules (a leading digit)."""
    s = (shown or "").strip()
    if re.match(ID_PATTERN, s):
        return s, None
    if not s or (s.isascii() and not s[0].isalpha()):
        return None, None
    return f"custom_{hashlib.sha256(s.encode()).hexdigest()[:8]}", s


def edited_doctrine(base: Arrangement, settings: dict[str, Any]) -> dict[str, str]:
    """What the edited arrangement changed from its base, in both languages (its doctrine text)."""
    out = {}
    for lang, key in (("zh-CN", "zh"), ("en", "en")):
        changes = [f"{t(f'arr.field.{f}', lang)}: {_setting_word(f, v, lang)}" for f, v in settings.items()
                   if getattr(base, f) != v]
        out[key] = t("arr.edited_from", lang, base=text(base.title, lang, base.name) if base.title else base.name,
                     changes=("；" if key == "zh" else "; ").join(changes) or t("arr.matrix_only", lang))
    return out


def _setting_word(field: str, v: Any, lang: str) -> str:
    if isinstance(v, bool):
        return t("common.yes" if v else "common.no", lang)
    key = f"word.{field}_{v}" if has(f"word.{field}_{v}", lang) else f"word.{v}"
    return t(key, lang) if has(key, lang) else str(v)


def _validate_doc(doc: dict[str, Any]) -> tuple[Arrangement | None, list[str]]:
    try:
        return Arrangement.model_validate(doc), []
    except ValidationError as e:
        return None, [
            f"{'.'.join(map(str, err['loc']))}: {err['msg'].removeprefix('Value error, ')}"
            for err in e.errors(include_url=False)
        ]


def _settings_table(arrs: dict[str, Arrangement]) -> pd.DataFrame:
    rows = []
    for f in SETTINGS:
        row = {t("arr.setting"): t(f"arr.field.{f}")}
        for name, a in arrs.items():
            v = getattr(a, f)
            row[name] = (t(ROLE_SETTINGS[f]) if v is None and f in ROLE_SETTINGS else role_name(v) if f in ROLE_SETTINGS
                         else t(f"common.{'yes' if v else 'no'}") if isinstance(v, bool)
                         else word(f, str(v)) if isinstance(v, str) else f"{v:g}")
        rows.append(row)
    return pd.DataFrame(rows)


def _editor(arr: Arrangement, itype: str, scenario_roles: list[str]) -> None:
    st.subheader(t("arr.edit"))
    st.caption(t("arr.edit_help"))
    m = matrix_frame(arr, itype, scenario_roles)
    shown = m.copy()
    shown.index = [row_label(i) for i in m.index]
    cfg = {
        r: st.column_config.SelectboxColumn(
            role_name(r), options=list(CELLS), format_func={c: cell_label(c) for c in CELLS}.__getitem__, width="small"
        )
        for r in m.columns
    }
    edited = st.data_editor(shown, key="arrangements.editor", column_config=cfg, num_rows="fixed", width="stretch")
    edited.index = m.index
    words = {w: label("word", w) for w in ("serial", "parallel", "own_agency", "nearest")}
    grids = {w: word("grid_model", w) for w in ("parallel", "integrated")}
    c1, c2, c3, c4 = st.columns(4)
    ss = st.session_state
    if ss.get("cfg.edit_base") != arr.name:  # another arrangement picked: its own settings are the start
        for k in ("arrangements.fan_out", "arrangements.grid_model", "arrangements.dispatch", "arrangements.platform",
                  "arrangements.name"):
            ss.pop(k, None)
        ss["cfg.edit_base"] = arr.name
    state.option_widget("arrangements.fan_out", ["serial", "parallel"], arr.fan_out)
    state.option_widget("arrangements.grid_model", ["parallel", "integrated"], arr.grid_model)
    state.option_widget("arrangements.dispatch", ["own_agency", "nearest"], arr.dispatch)
    ss.setdefault("arrangements.platform", arr.platform)
    ss.setdefault("arrangements.name", f"{arr.name}_edited")
    fan = c1.selectbox(
        t("arr.field.fan_out"), ["serial", "parallel"], key="arrangements.fan_out", format_func=words.__getitem__
    )
    grid = c2.selectbox(t("arr.field.grid_model"), ["parallel", "integrated"], key="arrangements.grid_model",
                        format_func=grids.__getitem__)
    disp = c3.selectbox(t("arr.field.dispatch"), ["own_agency", "nearest"], key="arrangements.dispatch",
                        format_func=words.__getitem__)
    plat = c4.checkbox(t("arr.field.platform"), key="arrangements.platform")
    shown = st.text_input(t("arr.new_name"), key="arrangements.name", max_chars=64, help=t("arr.name_help"))
    name, title = ident_and_title(shown)
    doc = apply_matrix(arr, itype, edited)
    doc.update(name=name or "x", fan_out=fan, grid_model=grid, dispatch=disp, platform=plat)
    doc.pop("title", None)
    if title:
        doc["title"] = {"zh": title, "en": title}
    # The base's doctrine text describes the base: an edited arrangement says what it changed instead.
    doc["doctrine"] = edited_doctrine(arr, {"fan_out": fan, "grid_model": grid, "dispatch": disp, "platform": plat})
    new, problems = _validate_doc(doc)
    if name is None:
        problems = [t("arr.bad_name")]
    if new is not None and not problems:
        choice = state.current_choice()
        path = state.write_arrangement(name, to_yaml(doc))
        _, sc_problems = state.validate(choice.path, choice.sets, arrangement=str(path), district=choice.district)
        problems = [p.replace(f"{path.parent}/", "") for p in sc_problems]
    if problems:
        st.error(t("arr.invalid", n=len(problems)), icon=":material/block:")
        st.code("\n".join(problems), language=None)
        return
    yaml_text = to_yaml(doc)
    c1, c2 = st.columns(2)
    c1.download_button(
        t("arr.download"),
        yaml_text.encode("utf-8"),
        file_name=f"{name}.yaml",
        mime="application/x-yaml",
        key="arrangements.download",
    )
    if c2.button(t("arr.use"), key="arrangements.use"):
        path = state.write_arrangement(name, yaml_text)
        st.session_state.setdefault(state.CFG_CUSTOM, {})[name] = str(path)
        st.success(t("arr.added", name=title or name))
    with st.expander(t("arr.yaml")):
        st.code(yaml_text, language="yaml")


def _diff(refs: dict[str, str], itype: str, scenario_roles: list[str]) -> None:
    st.subheader(t("arr.diff"))
    names = list(refs)
    c1, c2 = st.columns(2)
    titles = {n: arrangement_title(cached_arrangement(r)) for n, r in refs.items()}
    left = state.remembered_select("arrangements.diff.left", t("arr.left"), names, names[0], titles.__getitem__,
                                   widget=c1.selectbox)
    right = state.remembered_select("arrangements.diff.right", t("arr.right"), names, names[1 % len(names)],
                                    titles.__getitem__, widget=c2.selectbox)
    a, b = cached_arrangement(refs[left]), cached_arrangement(refs[right])
    for side, col, arr in (("left", c1, a), ("right", c2, b)):
        with col:
            st.markdown(f"**{arrangement_title(arr)}**")
            st.caption(text(arr.doctrine) if arr.doctrine else "")
            if itype in arr.incident_types:
                m = matrix_frame(arr, itype, [])
                st.plotly_chart(
                    charts.matrix_heatmap(
                        m,
                        [row_label(i) for i in m.index],
                        [role_name(r) for r in m.columns],
                        t("arr.matrix_title", type=label("incident_type", itype)),
                    ),
                    key=f"arrangements.diff.matrix.{side}",
                    width="stretch",
                )
    changed = diff_rows(a, b, changed_only=True)
    st.markdown(f"**{t('arr.changes', n=len(changed))}**")
    if changed:
        df = pd.DataFrame(
            [
                {
                    t("arr.col_type"): t("arr.all")
                    if r.incident_type == ALL
                    else label("incident_type", r.incident_type),
                    t("arr.col_task"): "—" if r.task == ALL else label("task", r.task),
                    t("arr.col_field"): t(f"arr.field.{r.field}"),
                    f"{t('arr.left')} · {titles[left]}": _show_value(r.a, r.field),
                    f"{t('arr.right')} · {titles[right]}": _show_value(r.b, r.field),
                }
                for r in changed
            ]
        )
        wide = {c: st.column_config.TextColumn(c, width="large") for c in df.columns[-2:]}  # the changed values
        table.show(df, "arrangements.diff.table", hide_index=True, width="stretch", column_config=wide)


def _show_value(v: str, field: str = "") -> str:
    """A diff cell (role ids, setting values, ``—``) in the chosen language."""
    if v == "—":
        return v
    words = {
        "(incident lead)": t("arr.relay_lead"),
        "(none)": t("arr.none"),
        "yes": t("common.yes"),
        "no": t("common.no"),
    }
    out = []
    for p in (x.strip() for x in v.split(",")):
        out.append(words[p] if p in words else role_name(p) if p in role_catalogue() else word(field, p))
    return "、".join(out) if current().startswith("zh") else ", ".join(out)


def render() -> None:
    choice = state.scenario_page("arr")
    if choice is None:
        return
    sc = choice.scenario
    assert sc is not None
    refs = state.arrangements()
    try:
        loaded = {n: cached_arrangement(r) for n, r in refs.items()}
    except InputError as e:
        st.error("\n".join(state.problem_lines(e)))
        return
    names = list(refs)
    pick = state.remembered_select(
        "arrangements.pick",
        t("arr.pick"),
        names,
        sc.arrangement.name if sc.arrangement.name in names else names[0],
        {n: arrangement_title(a) for n, a in loaded.items()}.__getitem__,
    )
    arr = loaded[pick]
    types = [it for it in sc.incident_types if it in arr.incident_types] or list(arr.incident_types)
    itype = state.remembered_select(
        "arrangements.type", t("arr.type"), types, types[0], {v: label("incident_type", v) for v in types}.__getitem__
    )
    if arr.doctrine:
        st.info(text(arr.doctrine))
    table.show(_settings_table({arrangement_title(arr): arr}), "arrangements.settings", hide_index=True)
    scenario_roles = list(dict.fromkeys(a.role for a in sc.agencies))
    m = matrix_frame(arr, itype, [])
    st.plotly_chart(charts.matrix_heatmap(m, [row_label(i) for i in m.index], [role_name(r) for r in m.columns],
                                          t("arr.matrix_title", type=label("incident_type", itype))),
                    key="arrangements.matrix", width="stretch")
    _editor(arr, itype, scenario_roles)
    if len(names) > 1:
        _diff(refs, itype, scenario_roles)


if __name__ == "__main__":
    render()
