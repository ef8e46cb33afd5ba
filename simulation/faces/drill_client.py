"""A client of the drill server with the same three calls as :class:`~simulation.faces.drill_service.DrillService`."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from simulation.drill.policy import DrillError
from simulation.faces.drill_service import AccessDenied, Busy


class HttpDrillClient:
    def __init__(self, base_url: str, timeout: float = 30.0, cafile: str | None = None) -> None:
        """``cafile``: the server's self-signed certificate (``DIR/.tls/cert.pem``) for an https URL."""
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=cafile) if cafile else None

    def _call(self, method: str, path: str, token: str | None = None, body: dict | None = None,
              client: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        if client:  # the browser's address: the server counts failed joins per address (from this machine only)
            req.add_header("X-Linkage-Client", client)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self.context) as r:
                raw = r.read()
                return json.loads(raw) if r.headers.get_content_type() == "application/json" else raw
        except urllib.error.HTTPError as e:
            try:
                msg = json.loads(e.read() or b"{}").get("error", str(e))
            except (ValueError, AttributeError):
                msg = f"the drill server answered {e.code}"
            raise {401: AccessDenied, 403: AccessDenied, 429: Busy}.get(e.code, DrillError)(msg) from None

    def join(self, code: str, seat: str, pin: str, client: str | None = None) -> dict:
        return self._call("POST", "/api/join", body={"code": code, "seat": seat, "pin": pin}, client=client)

    def leave(self, token: str) -> dict:
        return self._call("POST", "/api/leave", token, {})

    def view(self, token: str) -> dict:
        return self._call("GET", "/api/view", token)

    def act(self, token: str, action: str, payload: dict | None = None) -> dict:
        return self._call("POST", "/api/act", token, {**(payload or {}), "action": action})

    def report(self, token: str, fmt: str = "html", lang: str = "zh", n: int | None = None) -> bytes:
        q = f"/api/report?format={fmt}&lang={lang}" + (f"&n={n}" if n else "")
        return self._call("GET", q, token)

    def health(self) -> bool:
        try:
            return bool(self._call("GET", "/api/health").get("ok"))
        except (OSError, DrillError):
            return False
