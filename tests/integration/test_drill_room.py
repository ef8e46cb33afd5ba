"""``linkage drill room``: the drill pages over HTTPS with the generated self-signed certificate, and not
the planner pages. The certificate is verified (Python's TLS with it as the only trust anchor; Chromium
trusting exactly its public key), never ignored."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from simulation.drill.session import DrillSession
from simulation.drill.spec import load_drill
from tests.helpers import ROOT, free_port, linkage_exe

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.slow


def _https_get(port: int, path: str, cert: Path, timeout: float = 5) -> bytes:
    ctx = ssl.create_default_context(cafile=str(cert))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
            out = b""
            while chunk := s.recv(65536):
                out += chunk
            return out


def _spki_pin(cert: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (Debian package 'chromium')")
def test_room_serves_drill_pages_over_tls_and_no_planner_page(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    d = tmp_path / "drills"
    spec, sc, msel = load_drill("crowd_crush_drill")
    session, pins = DrillSession.create(spec, sc, msel, d)
    code = session.code
    session.store.close()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LINKAGE_DRILL_SERVER", None)
    proc = subprocess.Popen([str(linkage_exe()), "drill", "room", "--dir", str(d), "--address", "127.0.0.1",
                             "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cert = d / ".tls" / "cert.pem"
    try:
        health = b""
        for _ in range(120):
            try:
                health = _https_get(port, "/_stcore/health", cert)
                break
            except (OSError, ssl.SSLError):
                time.sleep(0.5)
        assert health.startswith(b"HTTP/1.1 200") and health.endswith(b"ok"), health[:200]
        with pytest.raises(ssl.SSLCertVerificationError), socket.create_connection(("127.0.0.1", port)) as raw:
            ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")  # self-signed, not a CA's
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:  # and no clear-text page
            raw.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert b"<html" not in raw.recv(65536)

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=[*FLAGS, f"--ignore-certificate-errors-spki-list={_spki_pin(cert)}"])
            page = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
            page.goto(f"https://127.0.0.1:{port}/scenario", timeout=30_000)
            page.get_by_role("textbox", name="场次代码").wait_for(timeout=60_000)  # the drill page instead
            assert "选择内置情景或上传自己的情景文件" not in page.inner_text("body")  # the scenario page's intro
            assert page.get_by_role("link", name="推演 · 参演席位").count() == 1
            for planner in ("情景", "职责安排", "对比", "参数扫描"):  # no planner page in the navigation
                assert page.get_by_role("link", name=planner, exact=True).count() == 0, planner
            page.screenshot(path=str(tmp_path / "room-scenario-url.png"), full_page=True)
            page.goto(f"https://127.0.0.1:{port}/drill-player", timeout=30_000)
            page.get_by_role("textbox", name="场次代码").fill(code, timeout=60_000)
            page.get_by_role("textbox", name="席位", exact=True).fill("police")
            page.get_by_role("textbox", name="PIN").fill(pins["police"])
            page.get_by_role("button", name="加入").click()
            page.get_by_text("情景时间").first.wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "room-player.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # stopping the command stops the server: nothing is left listening on the port (an orphan once)
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
