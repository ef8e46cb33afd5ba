"""The drill server (推演服务): a small JSON-over-HTTP(S) process serving a folder of drill sessions.

    python -m simulation.faces.drill_server --dir DRILLS [--host 127.0.0.1] [--port 8765] [--tls]
    (or ``linkage drill serve``)

Endpoints (every answer is JSON; errors are ``{"error": "..."}`` with 400, 401/403, 404, 411/413, 429 or
503 — never an exception's text; an unexpected failure is a 500 naming a reference the server log has):

- ``POST /api/join``  ``{"code", "seat", "pin"}`` → ``{"token", "seat", "role", "agencies"}``
- ``POST /api/leave`` with ``Authorization: Bearer TOKEN`` → the token is revoked
- ``GET  /api/view``  with the token → the seat's role-filtered view
- ``POST /api/act``   with the token and ``{"action", ...}`` → ``{"ok", "key", "now"}``
- ``GET  /api/report?format=html|docx&lang=zh|en[&n=N]`` (facilitator, evaluator) → the after-action report
- ``GET  /api/health``

Limits (a training-room LAN has strangers on it): one process per folder (the second refuses to start);
bodies of at most 64 KB, refused from their ``Content-Length`` before reading; each connection must send
its whole request within ``request_timeout`` seconds (slow-loris) and at most ``MAX_CONNECTIONS`` are
served at once, ``MAX_PER_ADDRESS`` from one address — the rest get a 503 at once and use no thread.

State lives in the sessions' SQLite files: the process may be killed at any moment; started again, it
replays each session's log on first use and carries on from the same state.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from simulation.drill.policy import DrillError
from simulation.faces.drill_service import AccessDenied, Busy, DrillService

MAX_BODY = 64 * 1024
MAX_CONNECTIONS = 32
MAX_PER_ADDRESS = 8
REQUEST_TIMEOUT_S = 10.0
CLIENT_HEADER = "X-Linkage-Client"
"""The browser's address, sent by the drill pages when they call this server from the same machine."""
_BUSY_BODY = b'{"error": "too many connections; try again shortly"}'
_BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
         b"Retry-After: 5\r\nContent-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY)
_LENGTH_RE = re.compile(r"[0-9]+")


class RequestError(DrillError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    service: DrillService  # set on the subclass made by make_server
    server: DrillHTTPServer
    server_version = "linkage-drill/1"
    error_content_type = "application/json"
    error_message_format = '{"error": "%(code)d %(message)s"}'

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet: the drill log is the record
        pass

    def version_string(self) -> str:  # no Python version in the answers
        return self.server_version

    def setup(self) -> None:
        self.timeout = self.server.request_timeout  # each recv and send; the reaper bounds the whole request
        super().setup()

    def handle(self) -> None:
        try:
            self.server.watch(self.connection)
            if isinstance(self.connection, ssl.SSLSocket):
                self.connection.do_handshake()
            super().handle()
        except (OSError, ssl.SSLError):  # cut by the reaper, a timeout, a client gone, a bad handshake
            self.close_connection = True
        finally:
            self.server.unwatch(self.connection)

    def _client(self) -> str:
        """The address failed joins are counted against: the peer's, or — from this machine only, where the
        drill pages run — the browser's address that the pages forward."""
        peer = self.client_address[0]
        fwd = self.headers.get(CLIENT_HEADER, "").strip()
        return fwd[:64] if fwd and peer in ("127.0.0.1", "::1") else peer

    def _send(self, code: int, body: Any, ctype: str = "application/json", filename: str | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.server.watch(self.connection)  # the answer too must be taken within the time limit
        self.send_response(code)
        self.send_header(
            "Content-Type", ctype + ("; charset=utf-8" if ctype.startswith(("application/json", "text/")) else "")
        )
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if code == 429:
            self.send_header("Retry-After", "60")
        if filename:
            self.send_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.end_headers()
        self.wfile.write(data)

    def _token(self) -> str | None:
        h = self.headers.get("Authorization", "")
        return h[7:].strip() if h.startswith("Bearer ") else None

    def _body(self) -> dict:
        """The JSON object of the body, its size checked from the headers before a byte of it is read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise RequestError(411, "send the body with a Content-Length, not chunked")
        raw_len = self.headers.get("Content-Length")
        if raw_len is None:
            raise RequestError(411, "a Content-Length is required")
        if not _LENGTH_RE.fullmatch(raw_len.strip()):
            raise RequestError(400, "Content-Length must be a non-negative whole number")
        n = int(raw_len) if len(raw_len.strip()) < 19 else MAX_BODY + 1
        if n > MAX_BODY:
            raise RequestError(413, f"request too large (at most {MAX_BODY // 1024} KB)")
        raw = self.rfile.read(n) if n else b"{}"
        if len(raw) != n:
            raise RequestError(400, "the body is shorter than its Content-Length")
        self.server.unwatch(self.connection)  # read whole: the work that follows is the service's
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise DrillError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise DrillError("the request body must be a JSON object")
        return data

    def _guard(self, fn: Any) -> None:
        try:
            fn()
        except RequestError as e:
            self.close_connection = True
            self._send(e.status, {"error": str(e)})
        except AccessDenied as e:
            self._send(403 if self._token() else 401, {"error": str(e)})
        except Busy as e:
            self._send(429, {"error": str(e)})
        except DrillError as e:
            self._send(400, {"error": str(e)})
        except (OSError, ssl.SSLError):
            raise
        except Exception:  # never internals to the client: a reference, and the details in the server's log
            ref = uuid.uuid4().hex[:8]
            print(f"drill server: internal error {ref} on {self.command} {urlparse(self.path).path}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            self._send(500, {"error": f"internal error (reference {ref} in the server log)"})

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        self.server.unwatch(self.connection)  # a GET has no body: the request is in
        if url.path == "/api/health":
            self._send(200, {"ok": True})
        elif url.path == "/api/view":
            self._guard(lambda: self._send(200, self.service.view(self._token())))
        elif url.path == "/api/report":
            self._guard(lambda: self._report(parse_qs(url.query)))
        else:
            self._send(404, {"error": "no such endpoint"})

    def do_POST(self) -> None:  # noqa: N802
        path = urlparse(self.path).path
        if path == "/api/join":
            def call() -> Any:
                b = self._body()
                return self.service.join(b.get("code"), b.get("seat"), b.get("pin"), client=self._client())
        elif path == "/api/leave":
            def call() -> Any:
                self._body()
                return self.service.leave(self._token())
        elif path == "/api/act":
            def call() -> Any:
                b = self._body()
                return self.service.act(self._token(), str(b.pop("action", "")), b)
        else:
            self.close_connection = True
            self._send(404, {"error": "no such endpoint"})
            return
        self._guard(lambda: self._send(200, call()))

    def _report(self, q: dict) -> None:
        fmt, lang = q.get("format", ["html"])[0], q.get("lang", ["zh"])[0]
        try:
            n = int(q.get("n", ["0"])[0]) or None
        except ValueError:
            raise DrillError("n is a number of replications") from None
        blob = self.service.report(self._token(), fmt, lang, n)
        code = self._token().split(".", 1)[0]
        ctype = (
            "text/html" if fmt == "html" else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        self._send(200, blob, ctype, filename=f"aar-{code}-{lang}.{fmt}")


class DrillHTTPServer(ThreadingHTTPServer):
    """A threading server with a bounded number of connections (per address too), a deadline for each
    request (a reaper thread cuts connections that have not sent their request in time) and optional TLS
    (the handshake runs in the connection's thread, under the same deadline)."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type, request_timeout: float = REQUEST_TIMEOUT_S,
                 tls: ssl.SSLContext | None = None) -> None:
        self.request_timeout = request_timeout
        self.tls = tls
        self._slots: dict[str, int] = {}
        self._deadlines: dict[socket.socket, float] = {}
        self._guard_lock = threading.Lock()
        self._stop = threading.Event()
        super().__init__(address, handler)
        threading.Thread(target=self._reap, name="drill-reaper", daemon=True).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        addr = client_address[0]
        with self._guard_lock:
            total = sum(self._slots.values())
            if total >= MAX_CONNECTIONS or self._slots.get(addr, 0) >= MAX_PER_ADDRESS:
                busy = True
            else:
                busy = False
                self._slots[addr] = self._slots.get(addr, 0) + 1
        if busy:
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release(addr)
            raise

    def _refuse(self, request: socket.socket) -> None:
        try:
            if self.tls is None:
                request.settimeout(0)
                request.send(_BUSY)
        except OSError:
            pass
        self.shutdown_request(request)

    def _release(self, addr: str) -> None:
        with self._guard_lock:
            left = self._slots.get(addr, 1) - 1
            if left > 0:
                self._slots[addr] = left
            else:
                self._slots.pop(addr, None)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            if self.tls is not None:
                request = self.tls.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
            super().process_request_thread(request, client_address)
        except (OSError, ssl.SSLError):
            self.shutdown_request(request)
        finally:
            self._release(client_address[0])

    def active_connections(self) -> int:
        with self._guard_lock:
            return sum(self._slots.values())

    def watch(self, sock: socket.socket) -> None:
        with self._guard_lock:
            self._deadlines[sock] = time.monotonic() + self.request_timeout

    def unwatch(self, sock: socket.socket) -> None:
        with self._guard_lock:
            self._deadlines.pop(sock, None)

    def _reap(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            with self._guard_lock:
                late = [s for s, t in self._deadlines.items() if t < now]
                for s in late:
                    del self._deadlines[s]
            for s in late:
                try:  # the plain socket's shutdown (not SSLSocket's, which would touch the TLS state)
                    socket.socket.shutdown(s, socket.SHUT_RDWR)
                except OSError:
                    pass

    def server_close(self) -> None:
        self._stop.set()
        super().server_close()


def make_server(directory: str | Path, host: str = "127.0.0.1", port: int = 8765,
                service: DrillService | None = None, request_timeout: float = REQUEST_TIMEOUT_S,
                tls: ssl.SSLContext | None = None) -> DrillHTTPServer:
    svc = service or DrillService(directory)
    handler = type("BoundHandler", (Handler,), {"service": svc})
    return DrillHTTPServer((host, port), handler, request_timeout=request_timeout, tls=tls)


def _fail(msg: str) -> None:
    print(msg, file=sys.stderr)
    sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    from simulation.faces.drill_tls import ensure_certificate, fingerprint, names_for, server_context

    ap = argparse.ArgumentParser(prog="linkage-drill-server", description="Serve drill sessions over HTTP (JSON).")
    ap.add_argument("--dir", required=True, help="folder of drill session files")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--tls", action="store_true", help="HTTPS with a self-signed certificate kept in DIR/.tls")
    ap.add_argument("--tls-name", action="append", default=[], help="another name or address for the certificate")
    ap.add_argument("--request-timeout", type=float, default=REQUEST_TIMEOUT_S,
                    help="seconds a connection has to send its request")
    a = ap.parse_args(argv)
    if not Path(a.dir).is_dir():
        _fail(f"{a.dir}: --dir: no such folder")
    if not 0 <= a.port <= 65535:
        _fail(f"--port: must be between 0 and 65535 (got {a.port})")
    if not 0.5 <= a.request_timeout <= 300:
        _fail(f"--request-timeout: must be between 0.5 and 300 seconds (got {a.request_timeout})")
    try:
        svc = DrillService(a.dir)
    except DrillError as e:
        _fail(str(e))
    ctx = None
    if a.tls:
        cert, key = ensure_certificate(a.dir, names_for(a.host, tuple(a.tls_name)))
        ctx = server_context(cert, key)
    try:
        httpd = make_server(a.dir, a.host, a.port, service=svc, request_timeout=a.request_timeout, tls=ctx)
    except OSError as e:
        _fail(f"--host {a.host} --port {a.port}: cannot listen there ({e.strerror or e})")
    scheme = "https" if ctx else "http"
    print(f"linkage drill server on {scheme}://{a.host}:{httpd.server_address[1]} serving {a.dir}", flush=True)
    if ctx:
        print(f"certificate {cert} · SHA-256 {fingerprint(cert)}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
