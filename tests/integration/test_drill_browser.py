"""Headless Chromium: two player pages and a facilitator page on one Streamlit server, at the same time.

The facilitator steps the clock from the console; each player sees only their own agency's injects and
decisions, and answers from their own page; the decisions reach the session's log. Screenshots go to
the test's tmp folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulation.drill.session import DrillSession
from simulation.drill.spec import load_drill
from simulation.drill.store import DrillStore
from tests.helpers import streamlit_command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ENTRY = """
import streamlit as st
from dashboards.views import drill_facilitator, drill_player
st.set_page_config(layout="wide")
(drill_facilitator if st.query_params.get("page") == "facilitator" else drill_player).render()
"""
pytestmark = pytest.mark.slow


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _inputs(path: Path, kind: str, actor: str | None = None) -> int:
    st = DrillStore(path)
    try:
        return sum(
            1 for r in st.events(inputs_only=True) if r["kind"] == kind and (actor is None or r["actor"] == actor)
        )
    finally:
        st.close()


def _wait(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.25)
    raise AssertionError("timed out waiting for the page")


@pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (Debian package 'chromium'; `make sysdeps` installs it)"
)
def test_two_players_and_a_facilitator_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    drills = tmp_path / "drills"
    spec, sc, msel = load_drill("crowd_crush_drill")
    session, pins = DrillSession.create(spec, sc, msel, drills)
    code, db = session.code, session.store.path
    session.store.close()
    (tmp_path / "entry.py").write_text(ENTRY, encoding="utf-8")
    port = _port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LINKAGE_DRILL_DIR": str(drills)}
    env.pop("LINKAGE_DRILL_SERVER", None)
    proc = subprocess.Popen(
        streamlit_command(tmp_path / "entry.py", port),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            pages = {}
            for seat, page_kind in (("facilitator", "facilitator"), ("police", "player"), ("metro", "player")):
                page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
                for _ in range(60):
                    try:
                        page.goto(f"{base}/?page={page_kind}", timeout=10_000)
                        break
                    except Exception:  # the server is still starting
                        time.sleep(0.5)
                page.get_by_role("textbox", name="场次代码").fill(code, timeout=60_000)
                page.get_by_role("textbox", name="席位", exact=True).fill(seat)
                page.get_by_role("textbox", name="PIN").fill(pins[seat])
                page.get_by_role("button", name="加入").click()
                page.get_by_text("情景时间").first.wait_for(timeout=60_000)
                pages[seat] = page
            fac, police, metro = pages["facilitator"], pages["police"], pages["metro"]

            def step() -> None:
                n = _inputs(db, "clock")
                fac.get_by_role("button", name="推进到下一决策/注入").click()
                _wait(lambda: _inputs(db, "clock") > n)

            def answer(page: Any, seat: str) -> bool:  # a playwright Page
                page.get_by_role("button", name="刷新").click()
                page.wait_for_timeout(1500)
                buttons = page.get_by_role("button", name="提交决策")
                if buttons.count() == 0:
                    return False
                n = _inputs(db, "decision", seat)
                buttons.first.click()
                _wait(lambda: _inputs(db, "decision", seat) > n)
                return True

            police_done = metro_done = False
            for _ in range(40):
                step()
                police_done = answer(police, "police") or police_done
                if police_done:
                    metro_done = answer(metro, "metro") or metro_done
                if police_done and metro_done:
                    break
            assert police_done and metro_done, "both players decided from their own pages"
            for p in (police, metro, fac):
                p.get_by_role("button", name="刷新").click()
            police.wait_for_timeout(2000)
            police_text, metro_text, fac_text = (
                police.inner_text("body"),
                metro.inner_text("body"),
                fac.inner_text("body"),
            )
            # Each player sees their own injects only; the facilitator sees all.
            assert "多名群众拨打110" in police_text and "多名群众拨打110" not in metro_text
            assert "1500名乘客" in metro_text and "1500名乘客" not in police_text
            assert "多名群众拨打110" in fac_text and "1500名乘客" in fac_text and "注入时间线" in fac_text
            for seat, p in pages.items():
                p.screenshot(path=str(tmp_path / f"{seat}.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert _inputs(db, "decision", "police") >= 1 and _inputs(db, "decision", "metro") >= 1
