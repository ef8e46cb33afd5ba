"""Scripted drill through the HTTP server: two players and a facilitator play the crowd-crush drill, the
server process is killed with SIGKILL mid-drill and started again, and the session resumes with no
decision lost; the after-action report comes out as HTML and .docx with the timeline and the
counterfactual.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docx import Document

from simulation.drill.session import DrillSession
from simulation.drill.spec import load_drill
from simulation.faces.drill_client import HttpDrillClient

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(d: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.faces.drill_server", "--dir", str(d), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    client = HttpDrillClient(f"http://127.0.0.1:{port}")
    for _ in range(200):
        if client.health():
            return proc
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode())
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("drill server did not start")


def seat_of(pending: dict) -> str:
    return "police" if pending["agency"] in ("police", "centre_110") else "metro"


def player_turn(c: HttpDrillClient, tokens: dict, decided: list) -> None:
    """Each player answers its own pending decisions and acknowledges its injects (from its own view)."""
    for seat in ("police", "metro"):
        v = c.view(tokens[seat])
        for p in v["pending"]:
            value = dict(p["plan"])
            if p["kind"] == "intervention" and p["task"] == "crowd_control":
                value = {"action": "restrict_inflow", "args": {"factor": 0.2}}  # stricter than the plan's 0.3
            if p["kind"] == "task_order" and p["task"] == "crowd_control":
                value = {"units": 3}  # one patrol fewer than the plan
            r = c.act(tokens[seat], "decide", {"key": p["key"], "value": value})
            decided.append((r["key"], value))
        acked = {m["payload"]["inject"] for m in v["messages"] if m["kind"] == "ack"}
        for m in v["messages"]:
            if m["kind"] == "inject" and m["payload"]["inject"] not in acked:
                c.act(tokens[seat], "ack", {"inject": m["payload"]["inject"]})


def test_drill_survives_sigkill_and_reports(tmp_path: Path) -> None:
    spec, sc, msel = load_drill("crowd_crush_drill")
    session, pins = DrillSession.create(spec, sc, msel, tmp_path)
    code = session.code
    session.store.close()

    port = free_port()
    proc = start_server(tmp_path, port)
    c = HttpDrillClient(f"http://127.0.0.1:{port}")
    try:
        tokens = {s: c.join(code, s, pins[s])["token"] for s in ("facilitator", "police", "metro")}
        decided: list = []
        # Play until the metro's station closure has been ordered (well into the incident).
        for _ in range(60):
            c.act(tokens["facilitator"], "clock", {"mode": "step"})
            player_turn(c, tokens, decided)
            if any("station_closure" in k for k, _ in decided):
                break
        assert any("crowd_control" in k for k, _ in decided)
        c.act(tokens["facilitator"], "deliver", {"inject": "I06"})
        c.act(tokens["police"], "notify", {"from": "police", "to": "street_S1", "incident": "crowd1"})
        c.act(
            tokens["police"],
            "message",
            {
                "from": "police",
                "to": "health",
                "incident": "crowd1",
                "kind": "request_support",
                "text": "请增派救护车 / more ambulances please",
            },
        )
        before = c.view(tokens["facilitator"])
        police_before = c.view(tokens["police"])
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # a crash: no shutdown, no flush beyond what each request committed
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    proc = start_server(tmp_path, port)
    try:
        after = c.view(tokens["facilitator"])  # the same tokens still work: they are in the session file
        assert after["clock"]["now"] == before["clock"]["now"]
        assert [(m["seq"], m["kind"], m["payload"]) for m in after["messages"]] == \
               [(m["seq"], m["kind"], m["payload"]) for m in before["messages"]]
        assert after["pending"] == before["pending"]
        assert after["tasks"] == before["tasks"] and after["units"] == before["units"]
        assert after["hazards"] == before["hazards"]
        assert c.view(tokens["police"]) == police_before
        logged = {m["payload"]["decision"]: m["payload"]["value"] for m in after["messages"]
                  if m["kind"] == "decision" and not m["fallback"]}
        for key, value in decided:  # no decision lost, each with the value the player sent
            assert logged[key.removeprefix("decision:")] == value
        crowd = next(t for t in after["tasks"] if t["task"] == "crowd_control")
        assert len(crowd["units"]) == 3  # the player's order, not the plan's 4

        # Play on after the restart, then end the drill.
        for _ in range(60):
            r = c.act(tokens["facilitator"], "clock", {"mode": "step"})
            player_turn(c, tokens, decided)
            if r["now"] >= spec_horizon(after):
                break
        c.act(tokens["facilitator"], "clock", {"mode": "end"})
        final = c.view(tokens["facilitator"])
        assert final["clock"]["ended"]

        html = c.report(tokens["facilitator"], "html", "en", n=4).decode("utf-8")
        assert "Timeline per agency" in html and "Monte-Carlo counterfactual" in html
        assert "With the plan&#39;s decisions, time to control would have been" in html
        assert "Public security bureau" in html and "restrict inflow" in html  # names, not ids (issue 18)
        html_zh = c.report(tokens["facilitator"], "html", "zh", n=4).decode("utf-8")
        assert "各单位时间线" in html_zh and "若按预案决策，控制时间约为" in html_zh
        docx = Document(io.BytesIO(c.report(tokens["facilitator"], "docx", "en", n=4)))
        text = "\n".join(p.text for p in docx.paragraphs)
        cells = "\n".join(cell.text for t in docx.tables for row in t.rows for cell in row.cells)
        assert "2. Timeline per agency" in text and "7. Monte-Carlo counterfactual" in text
        assert "time to control would have been" in text
        assert "Crowd control: started" in cells  # a timeline row
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def spec_horizon(view: dict) -> float:
    return view["clock"]["horizon"]
