"""MSEL import (主情景事件清单导入) as a trainer writes one: each time form means one thing, Excel time
cells, Chinese headers, and the drill check's refusals — each a single line naming file, row and field.

The time forms are those documented in ``simulation/drill/msel_time.py`` and docs/drill.md: ``T+H:MM``
and ``T+H:MM:SS`` are scenario time, hours first; ``HH:MM`` without ``T+`` is a clock time of day read
against the scenario's ``clock_start`` (crowd_crush starts at 22:00).
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from scenarios.errors import InputError
from simulation.drill.msel_io import read_msel
from simulation.drill.spec import DRILL_LIBRARY, load_drill
from tests.helpers import ROOT

HEAD = "id,time,to,inject_zh,inject_en\n"
TEN_PM = 22 * 3600.0


def times(tmp_path: Path, cells: list[str], clock_start: float | None = TEN_PM) -> list[float]:
    f = tmp_path / "m.csv"
    f.write_text(HEAD + "".join(f"A{i},{c},police,中,en\n" for i, c in enumerate(cells)), encoding="utf-8")
    return [i.time for i in read_msel(f, clock_start).injects]


def test_t_plus_is_hours_and_minutes(tmp_path: Path) -> None:
    """T+1:20 is 1 h 20 min = 4800 s (it was read as 80 s); T+0:40:00 is 2400 s; T+25min 1500 s."""
    assert times(tmp_path, ["T+1:20", "T+0:40:00", "T+25min", "4800", "T+1:05:30"]) == [
        4800.0, 2400.0, 1500.0, 4800.0, 3930.0]


def test_a_clock_time_is_read_against_the_scenarios_start(tmp_path: Path) -> None:
    """22:40 on a drill starting at 22:00 is T+0:40 (it was read as 22 min 40 s); 00:30 is T+2:30."""
    assert times(tmp_path, ["22:40", "00:30", "22:00:30"]) == [2400.0, 9000.0, 30.0]
    with pytest.raises(InputError) as e:
        times(tmp_path, ["22:40"], clock_start=None)
    [line] = [str(p) for p in e.value.problems]
    assert line.startswith(f"{tmp_path / 'm.csv'}:2: injects[A0].time: 22:40 is a clock time of day")


def test_excel_time_and_duration_cells(tmp_path: Path) -> None:
    """An Excel time cell (hh:mm) is a clock time of day; a duration cell ([h]:mm) is scenario time."""
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "time", "to", "inject_zh", "inject_en"])
    ws.append(["A1", time(22, 40), "police", "中", "en"])
    ws.append(["A2", timedelta(hours=1, minutes=20), "police", "中", "en"])
    ws.append(["A3", 600, "police", "中", "en"])  # seconds
    ws["B2"].number_format, ws["B3"].number_format = "hh:mm", "[h]:mm"
    wb.save(tmp_path / "m.xlsx")
    msel = read_msel(tmp_path / "m.xlsx", TEN_PM)
    assert [(i.id, i.time) for i in msel.injects] == [("A1", 2400.0), ("A2", 4800.0), ("A3", 600.0)]


def test_chinese_headers(tmp_path: Path) -> None:
    """A MSEL with Chinese column names reads like the English one; an unknown column is one line for the
    header, not one per row (80 lines before)."""
    f = tmp_path / "m.csv"
    f.write_text("编号,时间,接收单位,发出方,注入内容,注入内容（英文）,预期行动,备注\n"
                 "I01,T+0:40,police,主办方,人流超预期,Crowd far above forecast,police:ack<=5,开场\n", encoding="utf-8")
    [inj] = read_msel(f).injects
    assert (inj.id, inj.time, inj.to, inj.from_, inj.text.en, inj.notes) == (
        "I01", 2400.0, "police", "主办方", "Crowd far above forecast", "开场")
    assert inj.expected[0].agency == "police" and inj.expected[0].action == "ack"
    f.write_text("编号,时间,接收单位,颜色\n" + "".join(f"I{i},T+0:{i:02d},police,红\n" for i in range(40)),
                 encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_msel(f)
    [line] = [str(p) for p in e.value.problems]
    assert line.startswith(f"{f}:1: header: unknown column '颜色'")


def drill_with(tmp_path: Path, rows: str) -> Path:
    spec = (DRILL_LIBRARY / "crowd_crush_drill.yaml").read_text(encoding="utf-8")
    (tmp_path / "m.csv").write_text("id,time,to,inject_zh,inject_en,expected_actions\n" + rows, encoding="utf-8")
    d = tmp_path / "d.yaml"
    d.write_text(spec.replace("scenario: ../crowd_crush.yaml", f"scenario: {ROOT}/scenarios/library/crowd_crush.yaml")
                 .replace("crowd_crush_msel.csv", "m.csv"), encoding="utf-8")
    return d


def test_an_inject_after_the_drills_end_is_refused(tmp_path: Path) -> None:
    """crowd_crush's horizon is 4 h: an inject at T+5:00 (or T+15:00, the old 'fifteen minutes') is refused."""
    d = drill_with(tmp_path, "X1,T+5:00,police,中,en,\nX2,T+0:30,police,中,en,\n")
    with pytest.raises(InputError) as e:
        load_drill(d)
    assert [str(p) for p in e.value.problems] == [
        f"{tmp_path / 'm.csv'}:2: injects[X1].time: T+5:00:00 is after the drill's end (T+4:00:00, the scenario's "
        "horizon)"]


def test_expected_actions_of_agencies_nobody_plays_are_refused(tmp_path: Path) -> None:
    """health has no seat in the drill: an action expected of it cannot be scored against a person."""
    d = drill_with(tmp_path, "X1,T+0:30,police,中,en,police:ack<=5; health:started.triage_transport<=20\n")
    with pytest.raises(InputError) as e:
        load_drill(d)
    [line] = [str(p) for p in e.value.problems]
    assert line.startswith(f"{tmp_path / 'm.csv'}:2: injects[X1].expected_actions: 'health' is played by nobody")


def test_the_cli_says_it_in_one_line(cli, tmp_path: Path) -> None:
    d = drill_with(tmp_path, "X1,T+5:00,police,中,en,\n")
    r = cli("drill", "new", str(d), "--dir", str(tmp_path / "drills"))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert [x for x in r.stderr.splitlines() if x.strip()] == [
        f"{tmp_path / 'm.csv'}:2: injects[X1].time: T+5:00:00 is after the drill's end (T+4:00:00, the scenario's "
        "horizon)"]
    assert not (tmp_path / "drills").exists() or not any((tmp_path / "drills").iterdir())


# -- intervention effects: checked against the incident's hazard model like a scenario's task (issue 16) ----


def drill_on(tmp_path: Path, scenario: str, agency: str, effect: str) -> Path:
    """A drill on a bundled scenario with one inject at T+0:10 whose effect is ``effect``."""
    (tmp_path / "m.csv").write_text(f'id,time,to,inject_zh,inject_en,effect\nX1,T+0:10,{agency},中,en,"{effect}"\n',
                                    encoding="utf-8")
    d = tmp_path / "d.yaml"
    d.write_text(f"name: d\ntitle: {{zh: 演练, en: drill}}\nscenario: {scenario}\nmsel: m.csv\nseats:\n"
                 f"  - {{id: facilitator, role: facilitator}}\n  - {{id: p, role: player, agencies: [{agency}]}}\n",
                 encoding="utf-8")
    return d


@pytest.mark.parametrize(("scenario", "effect", "message"), [
    ("crowd_crush", "intervention:extinguish", "the crowd model has no intervention 'extinguish'"),
    ("crowd_crush", "intervention:marshals count=4", "marshals (crowd) has no argument 'count' (known: n)"),
    ("crowd_crush", "intervention:restrict_inflow factor=lots", "factor must be a number within [0, 1] (got 'lots')"),
    ("crowd_crush", "intervention:marshals n=-3", "n must be a finite number >= 0 (got -3.0)"),
    ("bund_2014", "intervention:close_link link=stair_fot", "link names unknown link 'stair_fot'"),
    ("bund_2014", "intervention:restrict_inflow stream=nobody", "stream names unknown stream 'nobody'"),
    ("bund_2014", "intervention:one_way link=stair_foot", "one_way (crowd_network) needs the argument 'direction'"),
    ("chemical_leak", "intervention:evacuate grids=[S9-C9-G9]", "grids names unknown grid 'S9-C9-G9'"),
    ("chemical_leak", "intervention:warn message=run", "message must be one of shelter, evacuate (got 'run')"),
])
def test_an_intervention_the_model_cannot_take_is_refused_at_import(tmp_path: Path, scenario: str, effect: str,
                                                                     message: str) -> None:
    """Each used to load, and the drill then failed mid-session when the inject went out (the hazard model's
    ``intervene`` raised). Now one line names the MSEL file, its row and the effect."""
    with pytest.raises(InputError) as e:
        load_drill(drill_on(tmp_path, scenario, "police", effect))
    [line] = [str(p) for p in e.value.problems]
    assert line.startswith(f"{tmp_path / 'm.csv'}:2: injects[X1].effect: intervention:"), line
    assert message in line, line


def test_the_scenario_and_the_msel_refuse_an_argument_in_the_same_words(tmp_path: Path) -> None:
    """One check (``scenarios.checks.intervention_problem``) for a scenario's task and a drill's inject: the
    same bad argument reads the same in both refusals."""
    from scenarios.loader import load_scenario

    with pytest.raises(InputError) as e:
        load_scenario(ROOT / "scenarios/library/bund_2014.yaml", sets=[
            "incident_types.crowd_crush.tasks.traffic_control.intervention=close_link",
            "incident_types.crowd_crush.tasks.traffic_control.intervention_args={link: stair_fot}"])
    scenario_msg = str(e.value.problems[0]).split(": link ", 1)[1]
    with pytest.raises(InputError) as e:
        load_drill(drill_on(tmp_path, "bund_2014", "police", "intervention:close_link link=stair_fot"))
    assert str(e.value.problems[0]).split(": link ", 1)[1] == scenario_msg


def test_a_valid_intervention_effect_with_a_list_applies_in_the_session(tmp_path: Path) -> None:
    """``grids=[G]`` is a list of grid ids (the plume's evacuate needs one); the inject goes out at T+0:10 and
    the hazard model records the evacuation of exactly that grid."""
    from simulation.drill.session import DrillSession

    spec, sc, msel = load_drill(drill_on(tmp_path, "chemical_leak", "police", "intervention:evacuate grids=[S4-C3-G1]"))
    assert msel.injects[0].effect[0].args == {"grids": ["S4-C3-G1"]}
    assert msel.injects[0].effect[0].text() == "intervention:evacuate grids=[S4-C3-G1]"
    s = DrillSession.create(spec, sc, msel, tmp_path / "sessions")[0]
    s.clock("facilitator", "until", 1200)
    [item] = [i for i in s.rep.incident_state("leak1").hazard.log if i.action == "evacuate" and i.t <= 600]
    assert item.kw == {"grids": ["S4-C3-G1"]} and item.t == 600.0
