"""The drill server as a stranger on the training-room LAN meets it: real processes, real sockets.

Two servers on one folder; lockout per client address; ``Content-Length: -1`` and huge bodies; slow-loris
connections against bounded threads and memory; errors as 4xx without internals; TLS with the generated
self-signed certificate (verified, not ignored)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from simulation.drill.session import DrillSession
from simulation.drill.spec import load_drill
from simulation.faces.drill_server import MAX_CONNECTIONS, MAX_PER_ADDRESS
from tests.helpers import ROOT, free_port, linkage_exe

ATTACKER = "127.0.0.2"  # another loopback address: a second machine on the "LAN", inside this one


def _session(d: Path) -> tuple[str, dict[str, str]]:
    spec, sc, msel = load_drill("crowd_crush_drill")
    s, pins = DrillSession.create(spec, sc, msel, d)
    s.store.close()
    return s.code, pins


class Server:
    """``linkage drill serve`` in a subprocess (the console script, with this worktree on the path)."""

    def __init__(self, d: Path, *extra: str) -> None:
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([str(linkage_exe()), "drill", "serve", "--dir", str(d), "--port", str(self.port),
                                      *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.banner = self.proc.stdout.readline()  # printed once the socket listens
        if not self.banner:
            raise AssertionError(f"the server did not start: {self.proc.stderr.read()}")

    def status(self, field: str) -> int:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(rf"^{field}:\s+(\d+)", text, re.M).group(1))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _post(port: int, path: str, body: dict, source: str = "127.0.0.1", token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    conn.request("POST", path, json.dumps(body), headers)
    r = conn.getresponse()
    out = r.status, r.read()
    conn.close()
    return out


def _raw(port: int, data: bytes, source: str = "127.0.0.1", read_timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout, source_address=(source, 0)) as s:
        s.sendall(data)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
        return b"".join(chunks)


@pytest.mark.slow
def test_a_second_server_on_the_folder_refuses_to_start(tmp_path: Path) -> None:
    d = tmp_path / "drills"
    code, pins = _session(d)
    first = Server(d)
    try:
        r = subprocess.run([str(linkage_exe()), "drill", "serve", "--dir", str(d), "--port", str(free_port())],
                           capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert r.returncode == 1 and r.stdout == ""
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and f"another drill process (pid {first.proc.pid}) serves this folder" in lines[0], lines
        status, body = _post(first.port, "/api/join", {"code": code, "seat": "facilitator", "pin": pins["facilitator"]})
        assert status == 200 and json.loads(body)["role"] == "facilitator"  # the first one serves on
    finally:
        first.proc.kill()  # SIGKILL: the OS drops the lock, so a restart is not blocked by a stale file
        first.proc.wait()
    again = Server(d)
    try:
        assert "serving" in again.banner
    finally:
        again.stop()


@pytest.mark.slow
def test_facilitator_joins_while_an_attacker_address_is_locked_out(tmp_path: Path) -> None:
    d = tmp_path / "drills"
    code, pins = _session(d)
    srv = Server(d)
    try:
        wrong = "000000" if pins["facilitator"] != "000000" else "111111"
        answers = [_post(srv.port, "/api/join", {"code": code, "seat": "facilitator", "pin": wrong}, ATTACKER)
                   for _ in range(3)]
        answers += [_post(srv.port, "/api/join", {"code": c, "seat": "facilitator", "pin": wrong}, ATTACKER)
                    for c in ("ZZZZZZ", "not-a-code")]
        assert len(set(answers)) == 1 and answers[0][0] == 401  # unknown codes: byte for byte the same answer
        status, body = _post(srv.port, "/api/join", {"code": code, "seat": "facilitator",
                                                     "pin": pins["facilitator"]}, ATTACKER)
        assert status == 401 and "too many failed attempts" in json.loads(body)["error"]
        status, body = _post(srv.port, "/api/join", {"code": code, "seat": "facilitator", "pin": pins["facilitator"]})
        assert status == 200 and json.loads(body)["role"] == "facilitator"
        token = json.loads(body)["token"]
        assert _post(srv.port, "/api/leave", {}, token=token)[0] == 200  # "Leave" revokes the token
        assert _post(srv.port, "/api/act", {"action": "clock", "mode": "step"}, token=token)[0] == 403
    finally:
        srv.stop()


@pytest.mark.slow
def test_bodies_are_refused_from_their_length_and_errors_say_no_internals(tmp_path: Path) -> None:
    d = tmp_path / "drills"
    code, pins = _session(d)
    srv = Server(d)
    try:
        rss0 = srv.status("VmRSS")
        head = b"POST /api/join HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        for length, status in ((b"-1", b"400"), (b"999999999999999", b"413"), (b"1e9", b"400"), (b"70000", b"413")):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
                s.sendall(head + b"Content-Length: " + length + b"\r\n\r\n")
                sent = 0
                try:  # keep pushing a body (200 MB at most); the server must answer without reading it
                    s.settimeout(0.5)
                    while sent < 200 * 2**20:
                        sent += s.send(b"x" * 2**16)
                except (TimeoutError, BrokenPipeError, ConnectionResetError):
                    pass
                s.settimeout(10)
                try:
                    answer = s.recv(4096)
                except ConnectionResetError:
                    answer = b""
            assert answer.startswith(b"HTTP/1.0 " + status) or answer == b"", (length, answer[:80])
            assert sent < 64 * 2**20, f"the server took {sent} bytes of a body it should have refused"
        assert srv.status("VmRSS") - rss0 < 16 * 1024, "memory grew by more than 16 MiB"
        chunked = _raw(srv.port, head + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        assert chunked.startswith(b"HTTP/1.0 411")
        status, body = _post(srv.port, "/api/join", {"code": code, "seat": "facilitator", "pin": pins["facilitator"]})
        fac = json.loads(body)["token"]
        bad_payloads = [{"action": "clock", "mode": "until", "value": "soon"}, {"action": "clock", "mode": None},
                        {"action": "deliver", "inject": {"a": 1}}, {"action": "set_default", "target": [1]},
                        {"action": "set_deadline", "kind": "task_order", "seconds": "NaN"},
                        {"action": "note", "text": {"x": 1}, "agency": ["police"]},
                        {"action": "reissue_pin", "seat": None}, {"action": "decide", "key": 1, "value": [1]},
                        {"action": "clock", "mode": "forward", "value": -5}, {"action": "teleport"}]
        status, body = _post(srv.port, "/api/join", {"code": code, "seat": "police", "pin": pins["police"]})
        police = json.loads(body)["token"]
        _post(srv.port, "/api/act", {"action": "clock", "mode": "forward", "value": 3600}, token=fac)
        player_payloads = [{"action": "notify", "from": ["police"], "to": {"a": 1}, "incident": 3},
                           {"action": "message", "from": "police", "to": "health", "incident": ["crowd1"], "text": 5},
                           {"action": "ack", "inject": [1]}, {"action": "decide", "key": None, "value": None}]
        for p, who in [*((p, fac) for p in bad_payloads), *((p, police) for p in player_payloads)]:
            status, body = _post(srv.port, "/api/act", p, token=who)
            text = json.loads(body).get("error", "")
            assert 400 <= status < 500, (p, status, body)
            assert not re.search(r"Traceback|File \"|\.py\b|[A-Z][a-z]+Error\b|/tmp/|/work/", text), (p, text)
        for raw in (b"GET /api/view HTTP/1.0\r\nAuthorization: Bearer \x00\xff\r\n\r\n", b"BREW / HTCPCP/1.0\r\n\r\n",
                    b"POST /api/act HTTP/1.0\r\nContent-Length: 4\r\n\r\n[[[[",
                    b"GET /" + b"a" * 70000 + b" HTTP/1.0\r\n\r\n"):
            answer = _raw(srv.port, raw)
            # (to a request that is not HTTP/1.x the standard answer is HTTP/0.9: the body alone)
            assert re.match(rb'HTTP/1\.[01] 4\d\d|\{"error": "4\d\d', answer), answer[:100]
            assert b"Traceback" not in answer and b".py" not in answer
    finally:
        srv.stop()


def _loris(srv: Server, sources: list[str], n: int, seconds: float) -> tuple[int, int, bytes | None]:
    """``n`` connections from ``sources`` in turn, each sending a request line then a header byte at a time
    for ``seconds``: (peak thread count of the server, connections still open afterwards, the answer to a
    health check from 127.0.0.1 made during the attack)."""
    socks: list[socket.socket] = []
    try:
        for i in range(n):
            source = (sources[i % len(sources)], 0)
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5, source_address=source)
            s.setblocking(False)
            try:
                s.send(b"POST /api/join HTTP/1.1\r\n")
            except OSError:
                pass
            socks.append(s)
        peak, start, health = 0, time.monotonic(), None
        while time.monotonic() - start < seconds:
            for s in socks:
                try:
                    s.send(b"X")
                except OSError:
                    pass
            peak = max(peak, srv.status("Threads"))
            if health is None:
                health = _raw(srv.port, b"GET /api/health HTTP/1.0\r\n\r\n", read_timeout=3)
            time.sleep(0.4)
        still_open = 0
        for s in socks:  # every one was answered 503 at once or cut at its deadline
            s.setblocking(True)
            s.settimeout(2)
            try:
                while s.recv(4096):
                    pass
            except TimeoutError:
                still_open += 1
            except OSError:
                pass
        return peak, still_open, health
    finally:
        for s in socks:
            s.close()


@pytest.mark.slow
def test_slow_loris_connections_hold_bounded_threads_and_are_cut(tmp_path: Path) -> None:
    """300 connections that send their headers a byte at a time. From one address: at most MAX_PER_ADDRESS
    threads, and a player from another address is served meanwhile. From 50 addresses: at most
    MAX_CONNECTIONS threads in all. Either way every slow connection is cut at its deadline (2 s here)."""
    d = tmp_path / "drills"
    _session(d)
    srv = Server(d, "--request-timeout", "2")
    try:
        threads0 = srv.status("Threads")
        peak, still_open, health = _loris(srv, [ATTACKER], 300, 5)
        assert peak - threads0 <= MAX_PER_ADDRESS + 1, (threads0, peak)
        assert health is not None and health.endswith(b'{"ok": true}')
        assert still_open == 0, f"{still_open} slow connections still open after their deadline"
        many = [f"127.0.0.{i}" for i in range(2, 52)]
        peak, still_open, _ = _loris(srv, many, 300, 5)
        assert MAX_PER_ADDRESS < peak - threads0 <= MAX_CONNECTIONS + 1, (threads0, peak)
        assert still_open == 0, f"{still_open} slow connections still open after their deadline"
        time.sleep(1)
        assert srv.status("Threads") <= threads0 + 1
        assert _raw(srv.port, b"GET /api/health HTTP/1.0\r\n\r\n").endswith(b'{"ok": true}')
    finally:
        srv.stop()


@pytest.mark.slow
def test_tls_serves_the_api_with_the_generated_certificate(tmp_path: Path) -> None:
    d = tmp_path / "drills"
    code, pins = _session(d)
    srv = Server(d, "--tls")
    try:
        cert, key = d / ".tls" / "cert.pem", d / ".tls" / "key.pem"
        assert srv.banner.startswith("linkage drill server on https://")
        assert oct(key.stat().st_mode & 0o777) == "0o600"
        ctx = ssl.create_default_context(cafile=str(cert))  # verify against the generated cert, hostname too
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                der = s.getpeercert(binary_form=True)
                s.sendall(b"GET /api/health HTTP/1.0\r\n\r\n")
                answer = b""
                while chunk := s.recv(4096):
                    answer += chunk
                assert answer.endswith(b'{"ok": true}')
        printed = re.search(r"SHA-256 ([0-9A-F:]+)", srv.proc.stdout.readline()).group(1)
        assert printed == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
        from simulation.faces.drill_client import HttpDrillClient

        c = HttpDrillClient(f"https://127.0.0.1:{srv.port}", cafile=str(cert))
        tok = c.join(code, "police", pins["police"])["token"]
        assert c.view(tok)["role"] == "player"
        with pytest.raises(ssl.SSLCertVerificationError), socket.create_connection(("127.0.0.1", srv.port)) as raw:
            ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")  # not a public CA's
        plain = _raw(srv.port, b"GET /api/health HTTP/1.0\r\n\r\n")
        assert b'"ok"' not in plain  # no clear-text answer on the TLS port
    finally:
        srv.stop()
