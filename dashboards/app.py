"""Linkage planner dashboard (联动 · 规划看板) — entry file: page navigation and the language toggle.

Start it with ``linkage dashboard`` (or ``streamlit run dashboards/app.py``). Each page is its own
module under ``dashboards/views/`` with a ``render()`` function; all logic lives in ``simulation/``.
The folder is not called ``pages/``: Streamlit treats a ``pages/`` folder beside the entry file as an
automatic multipage app, which bypasses this file (no sidebar, no language) on a cold deep link.
"""

from __future__ import annotations

import os

import streamlit as st

from dashboards.i18n import DEFAULT_LANG, LANG_KEY, LANGS, t
from dashboards.state import relabel
from dashboards.views import district_map, drill_facilitator, drill_player

# An emoji, not a :material: icon: Streamlit draws an emoji favicon in the page (an SVG data URL) but fetches a
# material one from fonts.gstatic.com — the dashboard must work on a district bureau's offline network.
st.set_page_config(page_title="Linkage · 联动", page_icon="🚨", layout="wide")
if st.session_state.get(LANG_KEY) not in LANGS:
    st.session_state[LANG_KEY] = DEFAULT_LANG

with st.sidebar:
    st.markdown(f"### {t('app.title')}")
    st.caption(t("app.tagline"))
    st.radio(t("app.language"), LANGS, key=LANG_KEY, horizontal=True, on_change=relabel,
             format_func={c: t(f"lang_name.{c}") for c in LANGS}.__getitem__)
    district_map.picker()

pages = [
    st.Page(
        "views/scenario.py", title=t("nav.scenario"), icon=":material/location_city:", url_path="scenario", default=True
    ),
    st.Page(
        "views/arrangements.py", title=t("nav.arrangements"), icon=":material/account_tree:", url_path="arrangements"
    ),
    st.Page("views/compare.py", title=t("nav.compare"), icon=":material/compare_arrows:", url_path="compare"),
    st.Page("views/district_map.py", title=t("nav.district_map"), icon=":material/map:", url_path="district-map"),
    st.Page("views/sweep.py", title=t("nav.sweep"), icon=":material/tune:", url_path="sweep"),
    st.Page("views/defect_loop.py", title=t("nav.defect_loop"), icon=":material/checklist:", url_path="hazard-loop"),
    st.Page(
        drill_facilitator.render,
        title=t("nav.drill_facilitator"),
        icon=":material/sports_esports:",
        url_path="drill-facilitator",
    ),
    st.Page(drill_player.render, title=t("nav.drill_player"), icon=":material/person:", url_path="drill-player"),
]
if os.environ.get("LINKAGE_DASHBOARD_PAGES") == "drill":  # `linkage drill room`: the LAN sees the drill pages only
    pages = [p for p in pages if p.url_path.startswith("drill-")]
st.navigation(pages).run()
