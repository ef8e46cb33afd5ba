"""A player can neither read another agency's messages nor act for it — through the server-side API
directly and through crafted HTTP requests (another agency's keys, forged tokens, smuggled fields)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from simulation.drill.policy import DrillError
from simulation.drill.session import DrillSession
from simulation.drill.spec import load_drill
from simulation.faces.drill_client import HttpDrillClient
from simulation.faces.drill_server import make_server
from simulation.faces.drill_service import AccessDenied, DrillService

POLICE = {"police", "centre_110"}


@pytest.fixture()
def drill(tmp_path: Path):
    spec, sc, msel = load_drill("crowd_crush_drill")
    session, pins = DrillSession.create(spec, sc, msel, tmp_path)
    svc = DrillService(tmp_path)
    svc.adopt(session)
    tok = {s: svc.join(session.code, s, pins[s])["token"] for s in pins}
    # Step until the metro owes a decision, answering the police's own as the plan would.
    for _ in range(80):
        svc.act(tok["facilitator"], "clock", {"mode": "step"})
        for p in svc.view(tok["police"])["pending"]:
            svc.act(tok["police"], "decide", {"key": p["key"], "value": p["plan"]})
        if svc.view(tok["metro"])["pending"]:
            break
    assert svc.view(tok["metro"])["pending"], "the drill never asked the metro for a decision"
    return svc, session, tok, pins


def test_player_view_shows_only_own_agencies(drill) -> None:
    svc, session, tok, _ = drill
    v = svc.view(tok["police"])
    assert v["role"] == "player" and set(v["agencies"]) == POLICE
    assert v["messages"] and all(m["agency"] in POLICE for m in v["messages"])
    assert all(u["agency"] in POLICE for u in v["units"]) and v["units"]
    assert all(t["owner"] in POLICE for t in v["tasks"])
    assert not v["pending"] or all(p["agency"] in POLICE for p in v["pending"])
    injects = [m for m in v["messages"] if m["kind"] == "inject"]
    assert {m["payload"]["inject"] for m in injects} <= {"I01", "I02", "I04", "I05", "I06"}
    assert all(
        "expected" not in m["payload"] and "effect" not in m["payload"] for m in injects
    )  # evaluation criteria hidden
    # The metro's inject I03 (delivered by now) is in the facilitator's view, not in the police's.
    full = svc.view(tok["facilitator"])
    assert any(m["kind"] == "inject" and m["payload"]["inject"] == "I03" for m in full["messages"])
    assert len(full["messages"]) > len(v["messages"])


def test_player_cannot_act_for_another_agency(drill) -> None:
    svc, session, tok, _ = drill
    metro_pending = svc.view(tok["metro"])["pending"][0]
    n_log = len(session.store.events())
    with pytest.raises(DrillError, match="another agency"):
        svc.act(tok["police"], "decide", {"key": metro_pending["key"], "value": metro_pending["plan"]})
    # Smuggling the seat's agencies in the request changes nothing: the seat comes from the token.
    with pytest.raises(DrillError, match="another agency"):
        svc.act(tok["police"], "decide", {"key": metro_pending["key"], "value": metro_pending["plan"],
                                          "agencies": ["transport"], "seat": "metro"})
    with pytest.raises(DrillError, match="only send from an agency you play"):
        svc.act(tok["police"], "notify", {"from": "transport", "to": "street_S1", "incident": "crowd1"})
    with pytest.raises(DrillError, match="only send from an agency you play"):
        svc.act(tok["police"], "message", {"from": "transport", "to": "health", "incident": "crowd1", "text": "x"})
    with pytest.raises(DrillError, match="no inject 'I03' was delivered to you"):
        svc.act(tok["police"], "ack", {"inject": "I03"})
    for action in ("clock", "deliver", "set_default", "set_deadline"):
        with pytest.raises(AccessDenied):
            svc.act(tok["police"], action, {"mode": "step", "inject": "I06"})
    for seat in ("observer", "evaluator"):
        with pytest.raises(AccessDenied):
            svc.act(tok[seat], "decide", {"key": metro_pending["key"], "value": metro_pending["plan"]})
        with pytest.raises(AccessDenied):
            svc.act(tok[seat], "clock", {"mode": "step"})
    assert len(session.store.events()) == n_log  # nothing refused reached the log
    assert not session.policy.pending[metro_pending["key"]].resolved
    # The metro itself may.
    svc.act(tok["metro"], "decide", {"key": metro_pending["key"], "value": metro_pending["plan"]})
    assert session.policy.pending[metro_pending["key"]].resolved
    svc.act(tok["evaluator"], "note", {"text": "110 slow to confirm", "agency": "centre_110", "improvement": True})


def test_forged_tokens_and_wrong_pins_are_refused(drill, tmp_path: Path) -> None:
    svc, session, tok, pins = drill
    code = session.code
    secret = tok["police"].split(".", 1)[1]
    for bad in (None, "", "nonsense", f"{code}.forged-secret", f"{code}.{secret}x", f"ZZZZZZ.{secret}",
                f"../{code}.{secret}", tok["police"] + ".extra"):
        with pytest.raises(AccessDenied):
            svc.view(bad)
        with pytest.raises(AccessDenied):
            svc.act(bad, "decide", {"key": "x", "value": {}})
    with pytest.raises(AccessDenied):
        svc.join(code, "metro", pins["police"])  # another seat's PIN
    with pytest.raises(AccessDenied):
        svc.join(code, "transport", pins["metro"])  # an agency is not a seat
    other, other_pins = DrillSession.create(session.spec, session.scenario, session.msel, tmp_path / "other")
    foreign = DrillService(tmp_path / "other").join(other.code, "facilitator", other_pins["facilitator"])["token"]
    with pytest.raises(AccessDenied):  # a token of another session (and another folder) is unknown here
        svc.view(f"{code}.{foreign.split('.', 1)[1]}")
    for _ in range(5):
        with pytest.raises(AccessDenied):
            svc.join(code, "observer", "000000" if pins["observer"] != "000000" else "111111")
    with pytest.raises(AccessDenied, match="too many"):
        svc.join(code, "observer", pins["observer"])  # locked out after five wrong PINs


def test_crafted_http_requests(drill) -> None:
    svc, session, tok, _ = drill
    httpd = make_server(session.store.path.parent, port=0, service=svc)
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        def raw(method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
            req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        assert raw("GET", "/api/view")[0] == 401
        assert raw("GET", "/api/view", headers={"Authorization": f"Bearer {session.code}.forged"})[0] == 403
        metro_key = svc.view(tok["metro"])["pending"][0]["key"]
        body = json.dumps(
            {"action": "decide", "key": metro_key, "value": {"units": 1}, "agencies": ["transport"]}
        ).encode()
        status, answer = raw("POST", "/api/act", body, {"Authorization": f"Bearer {tok['police']}"})
        assert status == 400 and "another agency" in answer["error"]
        status, answer = raw("POST", "/api/act", b"not json", {"Authorization": f"Bearer {tok['police']}"})
        assert status == 400 and "not JSON" in answer["error"]
        status, answer = raw("GET", "/api/report?format=html", headers={"Authorization": f"Bearer {tok['police']}"})
        assert status == 403  # players do not read the evaluation
        c = HttpDrillClient(base)
        pv = c.view(tok["police"])
        assert all(m["agency"] in POLICE for m in pv["messages"])
        assert not session.policy.pending[metro_key].resolved
    finally:
        httpd.shutdown()
        httpd.server_close()
