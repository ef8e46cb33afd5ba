"""MSEL import/export (CSV, XLSX) and ``linkage drill new|list|show|export|branch`` as a user runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scenarios.errors import InputError
from simulation.drill.msel import COLUMNS
from simulation.drill.msel_io import read_msel, write_msel
from simulation.drill.spec import DRILL_LIBRARY, load_drill
from tests.helpers import ROOT


def test_msel_round_trips_through_csv_and_xlsx(tmp_path: Path) -> None:
    msel = read_msel(DRILL_LIBRARY / "crowd_crush_msel.csv")
    assert [i.id for i in msel.injects] == ["I01", "I02", "I03", "I04", "I05", "I06"]
    write_msel(msel, tmp_path / "m.xlsx")
    ws = load_workbook(tmp_path / "m.xlsx").active
    assert [c.value for c in ws[1]] == list(COLUMNS)
    again = read_msel(tmp_path / "m.xlsx")
    write_msel(again, tmp_path / "m.csv")
    assert read_msel(tmp_path / "m.csv") == msel == again
    assert msel.get("I04").trigger.negate and msel.get("I04").time == 5400
    assert msel.get("I03").effect[0].persons == 1500


def test_bad_msel_names_file_row_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,time,to,inject_zh,inject_en,colour\n"
                   "A1,T+1:00:00,police,中,en,red\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_msel(bad)
    [line] = [str(x) for x in e.value.problems]  # one line for the header, not one per row
    assert line.startswith(f"{bad}:1: header: unknown column 'colour' (known: {', '.join(COLUMNS)}, or 编号")
    bad.write_text("id,time,to,inject_zh,inject_en,expected_actions,effect\n"
                   "A2,soon,police,中,en,,\n"
                   "A3,60,police,中,en,police:jump<=3,boom:1\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_msel(bad)
    lines = [str(p) for p in e.value.problems]
    assert any(x.startswith(f"{bad}:2: injects[A2].time:") and "not a scenario time" in x for x in lines), lines
    assert any(x.startswith(f"{bad}:3: injects[A3].expected:") and "unknown action 'jump'" in x for x in lines), lines
    assert any(x.startswith(f"{bad}:3: injects[A3].effect:") and "unknown kind 'boom'" in x for x in lines), lines


def test_drill_referring_to_unknown_agencies_is_refused(tmp_path: Path) -> None:
    spec = (DRILL_LIBRARY / "crowd_crush_drill.yaml").read_text(encoding="utf-8")
    (tmp_path / "m.csv").write_text("id,time,to,inject_zh,inject_en,expected_actions\n"
                                    "X1,60,coastguard,中,en,police:started.no_such_task<=5\n", encoding="utf-8")
    d = tmp_path / "d.yaml"
    d.write_text(
        spec.replace("scenario: ../crowd_crush.yaml", f"scenario: {ROOT}/scenarios/library/crowd_crush.yaml")
        .replace("crowd_crush_msel.csv", "m.csv")
        .replace("agencies: [transport]", "agencies: [transport, police]"),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as e:
        load_drill(d)
    text = "\n".join(map(str, e.value.problems))
    assert "seats[metro].agencies: agency 'police' is already played by seat 'police'" in text
    assert "injects[X1].to: unknown agency 'coastguard'" in text
    assert "injects[X1].expected_actions: started needs a task of 'crowd_crush'" in text


@pytest.mark.slow
def test_cli_new_list_show_export_branch(cli, tmp_path: Path) -> None:
    d = tmp_path / "drills"
    r = cli("drill", "new", "crowd_crush_drill", "--dir", str(d))
    assert r.returncode == 0, r.stderr
    code = re.search(r"session ([A-Z2-9]{6})", r.stdout).group(1)
    pins = dict(re.findall(r"│ (\w+)\s+│ \w+\s+│ [^│]+│ (\d{6})", r.stdout))
    assert set(pins) == {"facilitator", "police", "metro", "evaluator", "observer"}

    from simulation.faces.drill_service import DrillService  # play a little through the service, as the server would

    svc = DrillService(d)
    fac = svc.join(code, "facilitator", pins["facilitator"])["token"]
    svc.act(fac, "clock", {"mode": "until", "value": 3000})
    svc.session(code).store.close()

    r = cli("drill", "list", "--dir", str(d))
    assert r.returncode == 0 and code in r.stdout and "3000" in r.stdout and "open" in r.stdout
    r = cli("drill", "show", code, "--dir", str(d))
    assert r.returncode == 0, r.stderr
    assert "inject I01   → police       delivered T+0:40:00" in r.stdout and "T+0:50:00" in r.stdout
    for ext in ("html", "docx", "csv", "xlsx", "jsonl"):
        r = cli(
            "drill", "export", code, "--dir", str(d), "--out", str(tmp_path / f"x.{ext}"), "--lang", "en", "-n", "3"
        )
        assert r.returncode == 0, r.stderr
        assert (tmp_path / f"x.{ext}").stat().st_size > 0
    html = (tmp_path / "x.html").read_text(encoding="utf-8")
    assert "The drill has not ended" in html and "Monte-Carlo counterfactual" in html
    log = [json.loads(x) for x in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(x["kind"] == "inject" and x["payload"]["inject"] == "I01" for x in log)
    assert read_msel(tmp_path / "x.csv") == read_msel(DRILL_LIBRARY / "crowd_crush_msel.csv")

    r = cli("drill", "branch", code, "--at", "T+0:45:00", "--dir", str(d))
    assert r.returncode == 0, r.stderr
    child = re.search(r"→ ([A-Z2-9]{6})", r.stdout).group(1)
    r = cli("drill", "list", "--dir", str(d))
    assert f"{code} @ 2700 s" in r.stdout and child in r.stdout

    # Bad input: one line naming what is wrong, exit 1, no traceback, nothing written.
    for args, msg in (
        (("drill", "show", "NOPE42", "--dir", str(d)), "no drill session 'NOPE42'"),
        (("drill", "export", code, "--dir", str(d), "--out", str(tmp_path / "r.pdf")), "unknown format '.pdf'"),
        (("drill", "branch", code, "--at", "soon", "--dir", str(d)), "not a scenario time"),
        (("drill", "new", "no_such_drill", "--dir", str(d)), "no such drill file"),
    ):
        r = cli(*args)
        assert r.returncode == 1 and msg in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.pdf").exists()
