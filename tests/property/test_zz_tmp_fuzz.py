"""Loader fuzz (加载器模糊测试, issue 16): mutated valid scenario files never give a traceback, and never give
``validate`` ok followed by a failing ``run``.

Hypothesis starts from a valid file (the small fire scenario of the bad-input corpus, with its hazard model,
interventions, empirical distribution and routine stream) and applies one to three mutations anywhere in the document tree: a key or list item deleted,
a value swapped for one of another type, a number replaced by an extreme one (0, ±1e-300, ±1e300, 2⁶³, the
largest float, the smallest subnormal), a text or a key replaced by random unicode. Each mutated file goes
through ``linkage validate`` and, when that says ok, ``linkage run`` (in this process, through ``main()``,
bounded by an alarm). The contract of DESIGN.md is the oracle: exit 1 with lines naming the file, or ok —
and an ok must run.

The example count is bounded so the test runs in well under a minute; ``derandomize`` keeps CI repeatable
(run with ``--hypothesis-seed`` for other examples).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from scenarios.loader import read_document
from scenarios.yamlsrc import to_plain
from tests.helpers import ROOT, cli
from tests.integration.test_hostile_corpus import NO_OVERRIDE, alarm

BASES = {"small_fire": to_plain(read_document(ROOT / "tests" / "corpus" / "good" / "small_fire.yaml"))}
"""The valid starting point: small enough that a hundred parses take seconds, yet with every part a scenario has
(city, agencies, stations, units, channels, arrangement, detectors, tasks with interventions, a fire model, an
empirical distribution, a routine stream, work orders)."""

EXTREME = (0, -0.0, 1e-300, -1e-300, 1e300, -1e300, 2**63, -(2**63), 1.7976931348623157e308, 5e-324, 1, -1, 0.5)
OTHER_TYPES = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.text(max_size=8), st.just([]),
                        st.just({}), st.just([1, "a"]), st.just({"x": 1}), st.sampled_from(EXTREME))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a node of the document (keys and list indices)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for seg in path[:-1]:
        doc = doc[seg]
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict]:
    import copy

    name = draw(st.sampled_from(sorted(BASES)))
    doc = copy.deepcopy(BASES[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        value = parent[key]
        kind = draw(st.sampled_from(["delete", "swap", "extreme", "unicode", "rename"]))
        if kind == "delete":
            del parent[key]
        elif kind == "swap":
            parent[key] = draw(OTHER_TYPES)
        elif kind == "extreme":
            parent[key] = draw(st.sampled_from(EXTREME))
        elif kind == "unicode" or not isinstance(parent, dict):
            parent[key] = draw(st.text(min_size=0, max_size=12)) if not isinstance(value, (int, float)) else value
        else:  # rename the key to random unicode (an unknown field, or a new id for a mapping entry)
            new = draw(st.text(min_size=1, max_size=12))
            if new not in parent:
                parent[new] = parent.pop(key)
    return name, doc


def _dump(doc: dict) -> str:
    yaml = YAML(typ="safe", pure=True)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


@settings(max_examples=200, deadline=None, derandomize=False, report_multiple_bugs=False,
          phases=(Phase.explicit, Phase.generate, Phase.shrink),  # no explain phase: its tracer slows YAML 50×
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutated_scenarios_never_traceback_and_ok_means_run_works(tmp_path: Path, case: tuple[str, dict]) -> None:
    name, doc = case
    work = Path(tempfile.mkdtemp(prefix="fuzz-", dir=tmp_path))  # one folder per example (tmp_path is shared)
    f = work / f"{name}.yaml"
    f.write_text(_dump(doc), encoding="utf-8")
    with alarm(60):
        checked = cli("validate", f, cwd=work, env=NO_OVERRIDE)
    assert checked.returncode in (0, 1), checked
    assert "Traceback" not in checked.stdout + checked.stderr
    if checked.returncode == 1:
        lines = checked.stderr.splitlines()
        assert lines and all(ln.startswith(str(f)) for ln in lines), checked.stderr  # each line names the file
        return
    out = work / "out"
    with alarm(60):
        ran = cli("run", f, "-n", "1", "--out", out, cwd=work, env=NO_OVERRIDE)
    assert ran.returncode == 0, f"validate said ok, run failed:\n{ran.stderr}\n--- file ---\n{_dump(doc)}"
    assert (out / "summary.json").is_file()
