"""The after-action report names the duty desk that held each hand-off up (值班台受阻), in zh and en.

The night-desk set-up of ``test_night_desk_why`` as a drill (``tests.drill_helpers.night_fire_drill``): the
flagship fire at 23:00, the fire's street office (``street_S3``) with 0 people on its night desk, the fire
brigade relaying serially under the sectoral lead. The report must name the street office's desk, why (the
dashboard's words for ``desk_night_empty``), whose call it was, and minutes equal to the ``handoffs`` table's
``blocked_time`` of the same replication — read from that table, not written down here. The same fire at
10:00 with the scenario's own staff must claim no night hold.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from dashboards.i18n import agency_names, label
from simulation.experiments.runner import Collector
from simulation.faces.aar import build_report, write_docx, write_html
from simulation.faces.aar_holds import HOLD_TEXT
from simulation.faces.aar_text import GAP_PART
from tests.drill_helpers import NIGHT_SEED, WallClock, night_fire_drill, play_as_plan
from tests.helpers import FIRE_STREET

NIGHT_REASONS = ("desk_night_empty", "desk_night_short")
LANGS = {"zh": "zh-CN", "en": "en"}
REPS = 2
"""The plan's replications in the report's counterfactual (few: the figure is read back, not judged)."""


def handoffs_table(s) -> list[dict]:
    """The ``handoffs`` table rows of the drill's own replication, as a run writes them."""
    c = Collector(s.scenario.arrangement.name)
    c.add(0, s.spec.seed, s.rep)
    return c.tables()[2].to_pylist()


def report_text(d: dict, tmp_path: Path) -> tuple[str, str]:
    """The HTML's text (tags removed) and the .docx's paragraphs and table cells."""
    from docx import Document

    write_html(d, tmp_path / f"aar.{d['lang']}.html")
    page = (tmp_path / f"aar.{d['lang']}.html").read_text("utf-8")
    text = html.unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.S))
    write_docx(d, tmp_path / f"aar.{d['lang']}.docx")
    doc = Document(str(tmp_path / f"aar.{d['lang']}.docx"))
    body = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    return text, body


def played(directory: Path, night_staff: int | None, sets: tuple[str, ...] = ()) -> tuple:
    clock = WallClock()
    s = night_fire_drill(directory, clock, night_staff, sets)
    play_as_plan(s, clock, 30.0)
    return s, {lang: build_report(s, lang, replications=REPS) for lang in LANGS}


@pytest.fixture(scope="module")
def empty_desk(tmp_path_factory: pytest.TempPathFactory):
    return played(tmp_path_factory.mktemp("night"), 0)


def test_the_report_names_the_empty_street_desk_with_the_tables_minutes(empty_desk) -> None:
    """The desk that held the most minutes is the street office's, its total the table's ``blocked_time`` sum at
    that desk (in minutes, one decimal); each held hand-off's minutes are its own row's."""
    s, reports = empty_desk
    table = handoffs_table(s)
    street = [r for r in table if r["blocked_by"] == FIRE_STREET and r["blocked_time"]]
    assert street and all(r["block_reason"] == "desk_night_empty" for r in street)
    total = sum(r["blocked_time"] for r in street)
    held_rows = [r for r in table if r["blocked_time"]]
    for d in reports.values():
        holds = d["holds"]
        assert holds["top"]["desk_id"] == FIRE_STREET
        assert holds["top"]["held_s"] == pytest.approx(total) and holds["top"]["minutes"] == f"{total / 60:.1f}"
        assert holds["top"]["n"] == len(street)
        assert [(r["task_id"], r["desk_id"]) for r in holds["rows"]] == [(r["task"], r["blocked_by"])
                                                                         for r in held_rows]
        for mine, theirs in zip(holds["rows"], held_rows):
            assert mine["held_s"] == pytest.approx(theirs["blocked_time"])
            assert f"{theirs['blocked_time'] / 60:.1f}" in mine["sentence"]


def test_the_same_desk_over_the_plans_replications(empty_desk) -> None:
    """Beside the drill's own figure, the street office's desk over the plan's replications (the Monte-Carlo
    counterfactual): its ``blocked_time`` per replication on average, from that run's ``handoffs`` table, with
    the number of replications in the sentence."""
    from simulation.experiments.runner import run
    from simulation.faces.aar_plan import plan_policy

    s, reports = empty_desk
    mc = run(s.scenario, REPS, s.spec.seed, world=s.world, policy_factory=plan_policy(s, {}))
    street = [r for r in mc.handoffs.to_pylist() if r["blocked_by"] == FIRE_STREET and r["blocked_time"]]
    mean = sum(r["blocked_time"] for r in street) / REPS
    assert mean > 0
    for lang, d in reports.items():
        plan = d["holds"]["plan"]
        assert plan["held_s_mean"] == pytest.approx(mean) and plan["k"] == len({r["replication"] for r in street})
        sentence = d["holds"]["plan_sentence"]
        assert f"{mean / 60:.1f}" in sentence and str(REPS) in sentence
        assert agency_names(s.scenario, LANGS[lang])[FIRE_STREET] in sentence


@pytest.mark.parametrize("lang", LANGS)
def test_the_words_name_desk_reason_caller_and_condition(empty_desk, lang: str, tmp_path: Path) -> None:
    """In zh and en, in the HTML and the .docx: first in the hand-off section the street office's desk, its
    reason in the dashboard's words and its minutes "in this drill"; then the fire brigade's call to health,
    held at that desk in the notification stage of the serial relay, still waiting at the drill's end."""
    s, reports = empty_desk
    d = reports[lang]
    names = agency_names(s.scenario, LANGS[lang])
    reason = label("hold_reason", "desk_night_empty", LANGS[lang])
    H = HOLD_TEXT[lang]
    top = d["holds"]["top_sentence"]
    assert names[FIRE_STREET] in top and reason in top and d["holds"]["top"]["minutes"] in top
    assert ("本次推演" if lang == "zh" else "in this drill") in top.lower()
    triage = next(r for r in d["holds"]["rows"] if r["task_id"] == "triage_transport")
    assert (triage["caller_id"], triage["path_id"], triage["stage_id"]) == ("fire_brigade", "serial_relay",
                                                                           "notification")
    for word in (names[FIRE_STREET], names["fire_brigade"], names["health"], reason,
                 GAP_PART[lang]["notification"], H["end"].strip("；; ")):
        assert word in triage["sentence"], word
    assert all(("本次推演" if lang == "zh" else "in this drill") in r["sentence"] for r in d["holds"]["rows"])
    assert str(NIGHT_SEED) in d["holds"]["note"]
    text, body = report_text(d, tmp_path)
    for out in (text, body):
        assert top in out and triage["sentence"] in out and d["holds"]["note"] in out
    section = text[text.index(d["L"]["handoffs"]):]
    assert section.index(top) < section.index(d["L"]["task"])  # at the top of the section, above its table
    cell = next(h["held"] for h in d["handoffs"] if h["task"] == triage["task"])
    assert cell == f"{names[FIRE_STREET]} {triage['minutes']}" and cell in text and cell in body


def test_a_day_fire_with_full_staff_claims_no_night_hold(tmp_path: Path) -> None:
    """The same fire at 10:00 (no night desk within the 4 h), the street office as the scenario staffs it: the
    table records no night hold, and neither the report's data nor its HTML or .docx in zh or en says one."""
    s, reports = played(tmp_path, None, ("clock_start=36000",))
    assert not any(r["block_reason"] in NIGHT_REASONS for r in handoffs_table(s))
    for lang, d in reports.items():
        assert not any(r["reason_id"] in NIGHT_REASONS for r in d["holds"]["rows"])
        words = [label("hold_reason", x, LANGS[lang]) for x in NIGHT_REASONS]
        text, body = report_text(d, tmp_path)
        for out in (text, body, d["holds"]["top_sentence"]):
            assert not any(w in out for w in words)
        if not d["holds"]["rows"]:
            assert d["holds"]["top_sentence"] == HOLD_TEXT[lang]["none"] and HOLD_TEXT[lang]["none"] in text
            assert d["holds"]["plan_sentence"] == ""
