"""The drill server (推演服务): a small JSON-over-HTTP process serving a folder of drill sessions.

    python -m simulation.faces.drill_server --dir DRILLS [--host 127.0.0.1] [--port 8765]
    (or ``linkage drill serve``)

Endpoints (every answer is JSON; errors are ``{"error": "..."}`` with 400, 401/403 or 404):

- ``POST /api/join``  ``{"code", "seat", "pin"}`` → ``{"token", "seat", "role", "agencies"}``
- ``GET  /api/view``  with ``Authorization: Bearer TOKEN`` → the seat's role-filtered view
- ``POST /api/act``   with the token and ``{"action", ...}`` → ``{"ok", "key", "now"}``
- ``GET  /api/report?format=html|docx&lang=zh|en`` (facilitator, evaluator) → the after-action report
- ``GET  /api/health``

State lives in the sessions' SQLite files: the process may be killed at any moment; started again, it
replays each session's log on first use and carries on from the same state.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from simulation.drill.policy import DrillError
from simulation.faces.drill_service import AccessDenied, DrillService

MAX_BODY = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    service: DrillService  # set on the subclass made by make_server
    server_version = "linkage-drill/1"

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet: the drill log is the record
        pass

    def _send(self, code: int, body: Any, ctype: str = "application/json", filename: str | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(code)
        self.send_header(
            "Content-Type", ctype + ("; charset=utf-8" if ctype.startswith(("application/json", "text/")) else "")
        )
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if filename:
            self.send_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.end_headers()
        self.wfile.write(data)

    def _token(self) -> str | None:
        h = self.headers.get("Authorization", "")
        return h[7:].strip() if h.startswith("Bearer ") else None

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise DrillError("request too large")
        raw = self.rfile.read(n) if n else b"{}"
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise DrillError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise DrillError("the request body must be a JSON object")
        return data

    def _guard(self, fn: Any) -> None:
        try:
            fn()
        except AccessDenied as e:
            self._send(403 if self._token() else 401, {"error": str(e)})
        except DrillError as e:
            self._send(400, {"error": str(e)})
        except Exception as e:  # never a traceback to the client; the message names the problem
            self._send(500, {"error": f"{type(e).__name__}: {e}"})

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/api/health":
            self._send(200, {"ok": True})
        elif url.path == "/api/view":
            self._guard(lambda: self._send(200, self.service.view(self._token())))
        elif url.path == "/api/report":
            self._guard(lambda: self._report(parse_qs(url.query)))
        else:
            self._send(404, {"error": "no such endpoint"})

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/api/join":
            def join() -> None:
                b = self._body()
                self._send(200, self.service.join(b.get("code"), b.get("seat"), b.get("pin")))
            self._guard(join)
        elif url.path == "/api/act":
            def act() -> None:
                b = self._body()
                self._send(200, self.service.act(self._token(), str(b.pop("action", "")), b))
            self._guard(act)
        else:
            self._send(404, {"error": "no such endpoint"})

    def _report(self, q: dict) -> None:
        fmt, lang = q.get("format", ["html"])[0], q.get("lang", ["zh"])[0]
        try:
            n = int(q.get("n", ["0"])[0]) or None
        except ValueError:
            raise DrillError("n is a number of replications") from None
        if n is not None and not 2 <= n <= 1000:
            raise DrillError("n is between 2 and 1000 replications")
        blob = self.service.report(self._token(), fmt, lang, n)
        code = self._token().split(".", 1)[0]
        ctype = (
            "text/html" if fmt == "html" else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        self._send(200, blob, ctype, filename=f"aar-{code}-{lang}.{fmt}")


def make_server(directory: str | Path, host: str = "127.0.0.1", port: int = 8765,
                service: DrillService | None = None) -> ThreadingHTTPServer:
    svc = service or DrillService(directory)
    handler = type("BoundHandler", (Handler,), {"service": svc})
    httpd = ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    return httpd


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="linkage-drill-server", description="Serve drill sessions over HTTP (JSON).")
    ap.add_argument("--dir", required=True, help="folder of drill session files")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    a = ap.parse_args(argv)
    if not Path(a.dir).is_dir():
        print(f"{a.dir}: --dir: no such folder", file=sys.stderr)
        sys.exit(1)
    httpd = make_server(a.dir, a.host, a.port)
    print(f"linkage drill server on http://{a.host}:{httpd.server_address[1]} serving {a.dir}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
