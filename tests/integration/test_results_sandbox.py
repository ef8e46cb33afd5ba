"""``linkage results`` runs one SELECT over the sweeps under ``--root`` and nothing else (issue 16): no other
file of the host, no network, no extension, no write — each attempt is one line, exit 1, nothing written.
What the README promises (its section "What `linkage results` may read").
"""

from __future__ import annotations

import concurrent.futures as cf
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulation.experiments.sweep import sweep
from tests.helpers import FLAGSHIP, cli


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with one small sweep, and a secret file beside it (outside the root)."""
    base = tmp_path_factory.mktemp("sandbox")
    with cf.ThreadPoolExecutor(1) as ex:
        sweep(FLAGSHIP, ["units.0.count=1,2"], replications=1, seed=1, out=base / "root" / "s", executor=ex,
              progress=False)
    (base / "secret.csv").write_text("user,password\nadmin,hunter2\n", encoding="utf-8")
    return base / "root"


@pytest.fixture
def web() -> Iterator[tuple[str, list[str]]]:
    """A web server on the loopback address that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            hits.append(self.path)
            body = b"a,b\n1,2\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def snapshot(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused(root: Path, sql: str, *extra: str) -> str:
    before = snapshot(root.parent)
    r = cli("results", sql, "--root", root, *extra)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1, (sql, r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr and "hunter2" not in r.stdout + r.stderr
    assert snapshot(root.parent) == before  # nothing written, anywhere near
    return lines[0]


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_csv('{root}/../secret.csv')",
    "SELECT * FROM glob('/*')",
])
def test_files_outside_the_sweeps_are_refused(root: Path, sql: str) -> None:
    line = refused(root, sql.format(root=root))
    assert line.startswith("QUERY: ") and "disabled by configuration" in line and "--allow-read" in line


@pytest.mark.parametrize("sql", [
    "COPY (SELECT 1) TO '{root}/s/stolen.csv'",
    "COPY replications TO '{root}/../out.parquet'",
    "ATTACH '{root}/../new.duckdb' AS x",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "PRAGMA enable_profiling",
    "CREATE TABLE t AS SELECT 1",
    "SELECT 1; COPY (SELECT 1) TO '{root}/two.csv'",
])
def test_anything_but_one_select_is_refused(root: Path, sql: str) -> None:
    line = refused(root, sql.format(root=root))
    assert "one SELECT statement is run, nothing else" in line


def test_the_network_is_never_reached(root: Path, web: tuple[str, list[str]]) -> None:
    url, hits = web
    for sql in (f"SELECT * FROM read_csv('{url}/data.csv')", f"SELECT * FROM read_parquet('{url}/p.parquet')",
                f"SELECT * FROM read_text('{url}/')"):
        refused(root, sql)
    assert hits == []


def test_the_sweeps_are_read_and_allow_read_opens_one_more_file(root: Path) -> None:
    ok = cli("results", "SELECT count(*) AS n FROM replications JOIN points USING (sweep, point)", "--root", root)
    assert ok.returncode == 0, ok.stderr
    extra = root.parent / "secret.csv"
    refused(root, f"SELECT count(*) AS n FROM read_csv('{extra}')")
    allowed = cli("results", f"SELECT count(*) AS n FROM read_csv('{extra}')", "--root", root, "--allow-read", extra)
    assert allowed.returncode == 0, allowed.stderr
    assert "1 rows" in allowed.stdout
    # allowing one file opens neither its folder nor writes
    refused(root, "SELECT * FROM glob('" + str(root.parent) + "/*')", "--allow-read", str(extra))
    refused(root, f"COPY (SELECT 1) TO '{root.parent}/x.csv'", "--allow-read", str(root.parent))
