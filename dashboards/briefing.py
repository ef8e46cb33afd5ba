"""The comparison briefing's content (对比简报): finding, cards, heat-map, timeline, map, caveats — as data.

What the compare page shows, in the order a director reads it on two A4 pages: the generated finding
(one paragraph per arrangement, :mod:`dashboards.explain`), the cards (mean, difference, 95 % CI, verdict,
condition and n), where the hand-off time moved (a difference heat-map per arrangement against the
baseline), one replication — the same for every arrangement — as a timeline, the map (grids, stations, the
incident: :mod:`dashboards.briefing_map`) and the caveats. Charts are
Vega-Lite specs rendered by ``vl-convert`` (SVG for HTML/PDF, PNG for Word) with the CJK font of the system.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from dashboards import explain, numbers
from dashboards.briefing_map import map_spec
from dashboards.i18n import agency_name, label, t, text
from simulation.experiments import (
    CONDITIONS,
    attribution_difference,
    desk_holds,
    outcome_rows,
    package_version,
    start_difference,
)

CARDS = ("t_first_arrival", "controlled", "t_control", "closed", "t_close", "tasks_abandoned", "handoff_gap_total",
         "casualties")
"""The cards of the compare page and the briefing, in order (``closed`` and ``tasks_abandoned``: ``outcome_rows``)."""
HEAT_ROWS = 6
FONT = "Noto Sans CJK SC"


def representative(result: Any, arm: str | None = None) -> int:
    """The replication whose close time is nearest the median of ``arm`` (default: the baseline; ties: lowest
    index). Every arrangement's timeline shows this one: the same incidents and the same random draws."""
    reps = result.runs[arm or result.baseline].replications.to_pandas()
    col = "t_close" if reps["t_close"].notna().any() else "handoff_gap_total"
    med = reps[col].median()
    return int(reps.loc[(reps[col] - med).abs().sort_values(kind="stable").index[0], "replication"])


def content(result: Any, labels: dict[str, str], sc: Any, scenario: str, sets: tuple[str, ...],
            lang: str) -> dict[str, Any]:
    names = {a.id: agency_name(a, lang) for a in sc.agencies}
    names.update({"(start)": t("report.start", lang), "(no owner)": t("report.no_owner", lang)})
    inc = sc.primary_incident()
    acting = {tk.id for tk in sc.incident_types[inc.type].tasks if tk.intervention} if inc else set()
    base = result.baseline
    comp = result.comparison.to_pylist() + outcome_rows(result.runs, base, inc.id if inc else None)
    arms = [a for a in result.runs if a != base]
    findings, cards, moved = [], [], {}
    for arm in arms:
        rows = [r for r in comp if r["arrangement"] == arm]
        diffs = attribution_difference(result.attribution, base, arm)
        starts = start_difference(result.runs, base, arm, inc.id if inc else None)
        holds = desk_holds(result.runs, base, arm, inc.id if inc else None)
        findings.append(explain.paragraph(rows, diffs, names, labels.get(base, base), labels.get(arm, arm),
                                          result.replications, starts, acting, lang, holds))
        cards.append({"arm": labels.get(arm, arm), "cards": [_card(r, result.replications, lang)
                                                             for m in CARDS for r in rows if r["metric"] == m]})
        moved[labels.get(arm, arm)] = diffs
    rep = representative(result)
    caveats = [t("report.caveat_method", lang), t("report.caveat_one_rep", lang, r=rep),
               t("report.caveat_screening", lang)]
    for m in CONDITIONS:
        for r in comp:
            if r["metric"] == m and (r["missing_baseline"] or r["missing_arrangement"]):
                caveats.append(t("report.caveat_condition", lang, metric=label("metric", m, lang),
                                 cond=numbers.condition(m, r["n"], result.replications, True, lang),
                                 arm=labels.get(r["arrangement"], r["arrangement"])))
    return {"scenario": label("scenario_name", scenario, lang), "description": text(sc.description, lang),
            "n": result.replications, "seed": result.seed, "version": package_version(), "sets": list(sets),
            "baseline": labels.get(base, base), "findings": findings, "cards": cards,
            "heat": _heat_spec(moved, names, lang), "table": _card_table(cards) if len(cards) > 1 else None,
            "timeline": _timeline_spec(result, labels, names, rep, lang), "replication": rep, "caveats": caveats,
            "map": map_spec(sc, lang)}


def _card(r: dict, total: int, lang: str) -> dict[str, str]:
    m = r["metric"]
    return {"metric": numbers.name(m, lang), "mean": numbers.value(m, r["mean_arrangement"]),
            "base": numbers.value(m, r["mean_baseline"]), "diff": numbers.diff(m, r["diff_mean"], lang),
            "ci": f"[{numbers.diff(m, r['ci_low'], lang)}, {numbers.diff(m, r['ci_high'], lang)}]",
            "verdict": label("verdict", r["verdict"], lang), "cls": r["verdict"].replace(" ", "-"),
            "cond": numbers.condition(m, int(r["n"]), total, True, lang)}


def _card_table(cards: list[dict]) -> list[dict]:
    """With 3–4 arrangements the cards become one table (a row per metric, a column per arrangement), so the
    finding, the cards and the heat-map still fit on page one."""
    rows = []
    for i, k in enumerate(cards[0]["cards"]):
        rows.append({"metric": k["metric"], "base": k["base"], "cells": [c["cards"][i] for c in cards]})
    return rows


def _heat_spec(moved: dict[str, list[dict]], names: dict[str, str], lang: str) -> dict | None:
    """One heat-map, a panel per arrangement (arrangement − baseline, minutes per replication), over the
    agency pairs whose gaps moved most across all arrangements: one chart whatever the number compared."""
    frames = [pd.DataFrame(d).assign(arm=arm) for arm, d in moved.items() if d]
    if not frames:
        return None
    df = pd.concat(frames, ignore_index=True)
    df["pair"] = [f"{names.get(a, a)} → {names.get(b, b)}" for a, b in zip(df["from_agency"], df["to_agency"])]
    rows = max(3, HEAT_ROWS - len(moved) + 1)  # fewer rows per panel as panels are added
    top = df.groupby("pair")["diff"].apply(lambda s: s.abs().sum()).sort_values(ascending=False).index[:rows]
    df = df[df["pair"].isin(top)]
    values = [{"arm": arm, "pair": p, "stage": label("stage", s, lang), "min": round(d / 60, 1)}
              for arm, p, s, d in zip(df["arm"], df["pair"], df["stage"], df["diff"])]
    y = {"field": "pair", "type": "nominal", "sort": list(top), "title": None, "axis": {"labelLimit": 360}}
    x = {"field": "stage", "type": "nominal", "title": None, "axis": {"labelAngle": -30}}
    # classes in a symmetric domain, shown as a key of swatches: WeasyPrint paints no SVG gradient, so a
    # continuous key would be blank in the PDF (the cells print their own values)
    top_abs = max((abs(v["min"]) for v in values), default=0.0) or 1.0
    colour = {"field": "min", "type": "quantitative", "title": t("common.min", lang),
              "scale": {"type": "quantize", "domain": [-top_abs, top_abs],
                        "scheme": {"name": "redblue", "count": 7}, "reverse": True},  # odd: 0 in the pale middle
              "legend": {"format": "+.1f"}}
    text_enc = {"y": y, "x": x, "text": {"field": "min", "type": "quantitative", "format": "+.1f"}}
    panel = max(90, 300 // len(moved))
    return {"data": {"values": values},
            "facet": {"column": {"field": "arm", "type": "nominal", "title": None, "sort": list(moved),
                                 "header": {"labelFontSize": 9, "labelLimit": panel}}},  # names never overlap
            # a short key (Vega-Lite takes a facet's legend sizes from the config, not from the encoding)
            "config": {"legend": {"gradientLength": 60, "gradientThickness": 10, "labelFontSize": 7}},
            "spec": {"width": panel, "height": 20 * len(top),
                     "layer": [{"mark": {"type": "rect"}, "encoding": {"y": y, "x": x, "color": colour}},
                               {"mark": {"type": "text", "fontSize": 8}, "encoding": text_enc}]}}


def _timeline_spec(result: Any, labels: dict[str, str], names: dict[str, str], rep: int, lang: str) -> dict:
    values = []
    for arm, run in result.runs.items():
        tasks = run.tasks.to_pandas()
        tasks = tasks[tasks["replication"] == rep]
        end_all = tasks[["started", "done"]].max().max()
        for _, x in tasks.iterrows():
            lane = names.get(x["owner"], x["owner"]) if isinstance(x["owner"], str) else t("report.no_owner", lang)
            if pd.notna(x["available"]):
                stop = x["started"] if pd.notna(x["started"]) else end_all
                values.append({"arm": labels.get(arm, arm), "lane": lane, "from": x["available"] / 60,
                               "to": stop / 60, "part": t("compare.gantt_wait", lang)})
            if pd.notna(x["started"]):
                stop = x["done"] if pd.notna(x["done"]) else end_all
                values.append({"arm": labels.get(arm, arm), "lane": lane, "from": x["started"] / 60,
                               "to": stop / 60, "part": t("compare.gantt_work", lang)})
    return {"data": {"values": values}, "mark": {"type": "bar", "height": 9},
            "encoding": {"y": {"field": "lane", "type": "nominal", "title": None, "axis": {"labelLimit": 300}},
                         "x": {"field": "from", "type": "quantitative", "title": t("compare.gantt_x", lang)},
                         "x2": {"field": "to"},
                         "color": {"field": "part", "type": "nominal", "title": None,
                                   "scale": {"domain": [t("compare.gantt_wait", lang), t("compare.gantt_work", lang)],
                                             "range": ["#F2B447", "#4C78A8"]}, "legend": {"orient": "top"}},
                         "row": {"field": "arm", "type": "nominal", "title": None,
                                 "header": {"labelAngle": 0, "labelAlign": "left", "labelOrient": "top"}}},
            "width": 560, "height": {"step": 12 if len(result.runs) <= 2 else 8}}


def _full(spec: dict) -> dict:
    own = spec.get("config", {})
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", **spec,
            "config": {"font": FONT, "view": {"stroke": None}, "axis": {"labelFontSize": 9}, **own,
                       "legend": {"labelFontSize": 9, **own.get("legend", {})}}}


@cache
def _fonts() -> None:
    import vl_convert as vlc

    vlc.register_font_directory("/usr/share/fonts")


def svg(spec: dict) -> str:
    import vl_convert as vlc

    _fonts()
    return vlc.vegalite_to_svg(_full(spec))


def png(spec: dict) -> bytes:
    import vl_convert as vlc

    _fonts()
    return vlc.vegalite_to_png(_full(spec), scale=2)
