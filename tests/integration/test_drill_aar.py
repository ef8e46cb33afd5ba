"""What the after-action report tells a trainer (演练评估报告): scripted drills on the crowd-crush drill.

The wall clock is injected (a list the script moves forward), never slept on. Each test states what the
report must say and would fail on a report that measured the facilitator's stepping, scored actions
from the inject only, played the plan without the facilitator's injects, or blamed agencies nobody played.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from simulation.drill.msel import Inject, Msel
from simulation.drill.session import DrillSession
from simulation.drill.spec import DrillSpec, load_drill
from simulation.faces.aar import build_report, write_docx, write_html
from simulation.faces.aar_text import T
from tests.drill_helpers import WallClock, play_as_plan

SURGE = {"id": "I07", "from": "metro_control", "to": "transport", "method": "radio",
         "text": {"zh": "地铁调度：两列满载列车同时到站。", "en": "Metro control: two full trains arrive at once."},
         "effect": "surge:12000/600"}
"""A manual inject (no time, no trigger) whose effect changes the casualty figure of seed 7."""


def session(tmp_path: Path, clock: WallClock, extra: list[dict] = (), **kw) -> DrillSession:
    spec, sc, m = load_drill("crowd_crush_drill")
    msel = Msel(injects=[*m.injects, *(Inject.model_validate(x) for x in extra)])
    spec = DrillSpec.model_validate({**spec.model_dump(mode="json", by_alias=True), **kw})
    return DrillSession.create(spec, sc, msel, tmp_path, clock=clock)[0]


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[DrillSession, dict, dict]:
    """One scripted drill: players take 90 s of wall time per decision, answer as the plan, and the
    facilitator delivers the manual surge I07 by hand at T+0:40:00 (before the police restrict the inflow at about
    T+1:18; delivered at T+1:00 the surge now peaks at 4.0 P/m² and kills nobody — the crowd is restricted
    first); the report in zh and en."""
    clock = WallClock()
    s = session(tmp_path_factory.mktemp("drill"), clock, [SURGE])
    play_as_plan(s, clock, 90.0, {"I07": 2400.0})
    return s, build_report(s, "zh", replications=4), build_report(s, "en", replications=4)


def test_ninety_seconds_of_thought_read_as_one_and_a_half_minutes(played, tmp_path: Path) -> None:
    """The scenario clock stands still while a player thinks: the scenario latency of every decision is 0,
    and the wall-clock latency is what the player took — 90 s = 1.5 min."""
    s, zh, en = played
    taken = [d for d in en["decisions"] if not d["fallback"]]
    assert taken and all(d["latency_s"] == 0.0 for d in taken)
    assert all(d["wall_s"] == pytest.approx(90.0) and d["wall_min"] == "1.5" for d in taken)
    write_html(en, tmp_path / "aar.html")
    cells = re.findall(r'<td class="num wall">([^<]*)</td>', (tmp_path / "aar.html").read_text(encoding="utf-8"))
    assert cells and set(cells) == {"1.5"}
    assert T["en"]["wall"] in (tmp_path / "aar.html").read_text(encoding="utf-8")


def test_criterion_counts_from_when_the_agency_could_act(played) -> None:
    """I03 (T+1:20) expects the metro's station closure within 30 min, but the engine puts that decision
    to the metro only when its task becomes available (after crowd monitoring): the criterion runs from
    then, and the player answering at once has met it."""
    _, _, en = played
    row = next(e for e in en["expected"] if e["inject"] == "I03" and "station closure" in e["action"].lower())
    assert row["delivered"] == "T+1:20:00" and row["could_act"] > "T+1:50:00"
    assert row["status"] == "met" and row["after_s"] == pytest.approx(0.0)


def test_an_action_before_its_inject_is_scored_as_such(tmp_path: Path) -> None:
    """An inject at T+3:00 expects crowd control ordered within 10 min; the police ordered it at about
    T+1:17 — before the inject. That is 'done before the inject', not met, and never praised as done a
    negative number of minutes after the inject."""
    late = {"id": "I08", "time": "T+3:00:00", "to": "police", "text": {"zh": "复盘提示", "en": "Review prompt"},
            "expected": "police:task_order.crowd_control<=10"}
    clock = WallClock()
    s = session(tmp_path, clock, [late])
    play_as_plan(s, clock, 10.0)
    d = build_report(s, "en", replications=2)
    row = next(e for e in d["expected"] if e["inject"] == "I08")
    assert row["status"] == "before_inject" and row["when"] < row["delivered"]
    assert not any("I08" in x for x in d["strengths"]) and not any("I08" in i["issue"] for i in d["improvements"])
    assert T["en"]["st"]["before_inject"] == "done before the inject"


def test_plan_play_with_the_facilitators_inject_reproduces_the_drill(played) -> None:
    """Every decision equals the plan's, so the drill and the plan's play of the same replication (same
    seed, same draws, the same hand-delivered surge at the same time) are the same run: equal casualties.
    Without I07 the plan's play has none (0 vs 414.4, seed 7) — the difference the surge makes."""
    from simulation.drill.policy import DrillPolicy
    from simulation.experiments.metrics import replication_metrics
    from simulation.model.engine import Replication

    s, zh, en = played
    cas = next(c for c in en["comparison"] if c["metric_id"] == "casualties")
    assert cas["drill"] > 100 and cas["drill"] == cas["plan"]
    without = replication_metrics(Replication(s.world, s.spec.seed, 0, DrillPolicy(s.world, s.msel)).run())
    assert without["casualties"] < cas["drill"] - 100
    assert "I07" in en["plan_injects"]
    for x in en["counterfactual"]["explained"]:  # drill − mean = decisions + luck, and decisions are 0 here
        assert x["drill"] - x["mean"] == pytest.approx(x["decisions"] + x["luck"])
        assert x["decisions"] == 0.0 and "from the players' decisions" in x["sentence"]


def test_improvement_items_only_for_played_agencies(tmp_path: Path) -> None:
    """Hand-off gaps over 15 min to agencies nobody played, and an evaluator's note about one, raise no
    item against them; a note about the whole exercise goes to the planning team; an evaluator's corrective
    action is the item's action, the capability its own column; praise and a P rating are strengths."""
    clock = WallClock()
    s = session(tmp_path, clock)
    # evaluators write while the drill runs (after the end the report may have been handed out)
    s.note("evaluator", {"text": "卫健委分检迟缓", "agency": "health", "improvement": True})
    s.note("evaluator", {"text": "演练脚本时间过紧", "improvement": True})
    s.note("evaluator", {"text": "公安现场管控有序", "agency": "police", "strength": True})
    s.note("evaluator", {"text": "地铁封站决策犹豫", "agency": "transport", "rating": "M",
                         "capability": "关键交通保障", "corrective": "明确值班站长封站授权"})
    play_as_plan(s, clock, 5.0)
    d = build_report(DrillSession(s.store, clock), "zh", replications=2)
    played_names = {"公安分局", "110指挥中心", "交通委（轨道交通运营）"}
    long_unplayed = [h for h in d["handoffs"] if h["gap_s"] > 900 and h["to_id"] not in {"police", "centre_110",
                                                                                          "transport"}]
    assert long_unplayed, "the scenario must have a long hand-off to an agency nobody played"
    owners = {i["owner"] for i in d["improvements"]}
    assert owners <= played_names | {T["zh"]["owner_team"]} and T["zh"]["owner_team"] in owners
    metro = next(i for i in d["improvements"] if "封站" in i["issue"])
    assert metro["action"] == "明确值班站长封站授权" and metro["capability"] == "关键交通保障"
    assert any("公安现场管控有序" in x for x in d["strengths"])


ID = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|\{'|centre_110|crowd1")


def test_the_chinese_report_shows_no_ids_or_dicts(played, tmp_path: Path) -> None:
    """No agency, task, decision or incident id and no Python dict in the zh HTML's text, nor in the .docx."""
    from docx import Document

    _, zh, _ = played
    write_html(zh, tmp_path / "aar.html")
    page = (tmp_path / "aar.html").read_text("utf-8")
    text = html.unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.S))
    assert "公安分局" in text and "人群管控" in text
    assert ID.findall(text) == []
    write_docx(zh, tmp_path / "aar.docx")
    doc = Document(str(tmp_path / "aar.docx"))
    body = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert ID.findall(body) == []
