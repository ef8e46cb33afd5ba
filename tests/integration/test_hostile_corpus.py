"""The hostile and careless input corpus (恶意与粗心输入语料, issue 16): at least 250 cases, each of which either
gives one line and a non-zero exit, or runs correctly — never a traceback, never a hang, never a partial or
temporary folder left behind.

The table is the bad-input corpus of ``test_bad_input.py`` (broken files and command lines, each with the
file, line and field its line must name), a matrix of ``--set`` overrides (fields of every part of a small
fire scenario × six hostile values: negative, NaN, −infinity, text, a list, a mapping) whose line must name
``--set`` and the field, and overrides at the edge of the valid range that must run and write the whole
output contract. DESIGN.md's bad-input contract and the issue's list are the oracle, not the code.

Every case runs in this process through ``main()`` (the quick half; an alarm bounds each one), and once more
through the installed ``linkage`` console script (the slow half, each case under a subprocess timeout); both
print how many cases they ran.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import ROOT, cli, linkage
from tests.integration.test_bad_input import BAD, CLI_CASES, FILE_CASES, HRF, Case, make_inputs

SMALL = ROOT / "tests" / "corpus" / "good" / "small_fire.yaml"
TIMEOUT_S = 120
"""Longest a case may take (a hang is a failure, not a stuck test run); the slowest valid case takes ~5 s."""
CONTRACT = ("replications.parquet", "incidents.parquet", "handoffs.parquet", "tasks.parquet", "summary.json")
"""Files every ``linkage run --out`` writes (README, output section)."""
NO_OVERRIDE = {"LINKAGE_ALLOW_LARGE": "", "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Good:
    """A case that must run: exit 0, the whole output contract in ``{out}``, ``replications`` rows in it."""

    args: tuple[str, ...]
    replications: int


# -- the --set matrix: every part of a scenario × hostile values ----------------------------------------

FIELDS = {
    "horizon": "horizon",
    "clock_start": "clock_start",
    "agencies.police.desk.staff": "agencies[police].desk.staff",
    "agencies.police.desk.night_staff": "agencies[police].desk.night_staff",
    "agencies.police.decision": "agencies[police].decision",
    "units.0.count": "units[0].count",
    "units.0.turnout": "units[0].turnout",
    "channels.1.reliability": "channels[1].reliability",
    "channels.1.retry_after": "channels[1].retry_after",
    "channels.1.latency": "channels[1].latency",
    "incidents.fire1.onset": "incidents[fire1].onset",
    "incidents.fire1.severity": "incidents[fire1].severity",
    "incidents.fire1.hazard.growth": "incidents[fire1].hazard.growth",
    "incidents.fire1.hazard.storeys": "incidents[fire1].hazard.storeys",
    "incidents.fire1.hazard.floor_of_origin": "incidents[fire1].hazard.floor_of_origin",
    "incidents.fire1.hazard.occupants_per_floor": "incidents[fire1].hazard.occupants_per_floor",
    "incidents.fire1.hazard.stairs": "incidents[fire1].hazard.stairs",
    "incidents.fire1.hazard.stair_width_m": "incidents[fire1].hazard.stair_width_m",
    "incident_types.fire.tasks.fire_attack.count": "incident_types.fire.tasks[fire_attack].count",
    "incident_types.fire.tasks.cordon.duration": "incident_types.fire.tasks[cordon].duration",
    "incident_types.fire.tasks.fire_attack.intervention_args.flow_lpm":
        "incident_types.fire.tasks[fire_attack].intervention_args.flow_lpm",
    "incident_types.fire.tasks.search_rescue.intervention_args.s_per_floor":
        "incident_types.fire.tasks[search_rescue].intervention_args.s_per_floor",
    "incident_types.fire.detection.0.probability": "incident_types.fire.detection[0].probability",
    "incident_types.fire.response.check_every": "incident_types.fire.response.check_every",
    "incident_types.fire.response.decision_factor": "incident_types.fire.response.decision_factor",
    "streams.routine.rate_per_hour": "streams[routine].rate_per_hour",
    "city.generated.grid_size_m": "city.generated.grid_size_m",
    "city.generated.streets": "city.generated.streets",
    "work_orders.reject_shared": "work_orders.reject_shared",
    "work_orders.verify_fail": "work_orders.verify_fail",
}
"""``--set`` path → the field path its line must name (list items by id, or by index where they have none)."""
HOSTILE = {"neg": "-1", "nan": ".nan", "neginf": "-.inf", "text": "abc", "list": "[1, 2]", "map": "{x: 1}"}
"""Values none of the fields above accepts."""


def _set_cases() -> dict[str, Case]:
    return {
        f"set-{field}-{tag}": Case(("run", str(SMALL), "-n", "1", "--out", "{out}", "--set", f"{field}={value}"),
                                   "--set", None, path, "")
        for field, path in FIELDS.items() for tag, value in HOSTILE.items()
    }


GOOD: dict[str, Good] = {
    "small-as-is": Good(("run", str(SMALL), "-n", "2"), 2),
    "lossy-channel-slow-retry": Good(("run", str(SMALL), "-n", "2", "--set", "channels.1.reliability=0.001",
                                      "--set", "channels.1.retry_after=3600"), 2),
    "one-minute-horizon": Good(("run", str(SMALL), "-n", "2", "--set", "horizon=60"), 2),
    "onset-at-horizon-edge": Good(("run", str(SMALL), "-n", "2", "--set", "incidents.fire1.onset=7199"), 2),
    "check-every-minimum": Good(("run", str(SMALL), "-n", "1", "--set",
                                 "incident_types.fire.response.check_every=1"), 1),
    "no-routine-calls": Good(("run", str(SMALL), "-n", "2", "--set", "streams.routine.rate_per_hour=0"), 2),
    "water-that-never-holds": Good(("run", str(SMALL), "-n", "2", "--set",
                                    "incident_types.fire.tasks.fire_attack.intervention_args.flow_lpm=0"), 2),
    "huge-empirical-weight": Good(("run", str(SMALL), "-n", "2", "--set",
                                   "incident_types.fire.verify={dist: empirical, values: [1, 2], "
                                   "weights: [1.0e+300, 1.0e+300]}"), 2),
    "thousand-engines": Good(("run", str(SMALL), "-n", "1", "--set", "units.0.count=1000"), 1),
    "summary-records-allow-large": Good(("run", str(SMALL), "-n", "3", "--routine-records", "summary",
                                         "--allow-large"), 3),
    "flagship": Good(("run", str(HRF), "-n", "2"), 2),
    "flagship-other-arrangement": Good(("run", str(HRF), "-n", "2", "-a", "unified_command"), 2),
}

BAD_CASES: dict[str, Case] = {**FILE_CASES, **CLI_CASES, **_set_cases()}
ALL: list[tuple[str, Case | Good]] = [*BAD_CASES.items(), *GOOD.items()]


# -- running one case ---------------------------------------------------------------------------------


class CaseTimeout(BaseException):  # noqa: N818 - not an Exception: main() must not turn it into a line
    """A case ran past :data:`TIMEOUT_S` in this process (the engine's clock stopped advancing)."""


@contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def ring(*_: object) -> None:
        raise CaseTimeout(f"case still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def run_case(case: Case | Good, tmp_path: Path, runner: Callable[..., object]) -> str:
    """Run one case with ``runner`` (in-process or console script); return ``"refused"`` or ``"ran"``."""
    work, inp = tmp_path / "work", tmp_path / "in"
    work.mkdir()
    inp.mkdir()
    make_inputs(inp)
    (work / "existing.txt").write_text("not a folder\n")
    env = {"bad": BAD, "hrf": HRF, "out": work / "out", "work": work, "inp": inp}

    def expand(s: str) -> str:  # only the corpus's own placeholders: a value like {x: 1} stays as written
        for k, v in env.items():
            s = s.replace(f"{{{k}}}", str(v))
        return s

    args = [expand(a) for a in case.args]
    if isinstance(case, Good):
        args += ["--out", str(work / "out")]
    before_work, before_inp = _snapshot(work), _snapshot(inp)
    proc = runner(*args, cwd=work, env=NO_OVERRIDE)
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, both
    if isinstance(case, Good):
        assert proc.returncode == 0, both
        written = sorted(p.name for p in (work / "out").iterdir())
        assert set(CONTRACT) <= set(written), written
        assert json.loads((work / "out" / "summary.json").read_text())["replications"] == case.replications
        assert _snapshot(work) - before_work == {"out", *(f"out/{n}" for n in written)}, "stray files beside --out"
        return "ran"
    assert proc.returncode == 1, both
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), proc.stderr
    where = expand(case.where)
    prefix = f"{where}:{case.line}: " if case.line is not None else f"{where}: "
    assert lines[0].startswith(prefix), f"expected {prefix!r}: {lines[0]!r}"
    rest = lines[0][len(prefix):]
    if case.path:
        assert rest.startswith(f"{case.path}") and ": " in rest, f"expected field path {case.path!r}: {lines[0]!r}"
    assert case.message in rest, f"expected {case.message!r} in {lines[0]!r}"
    assert not (work / "out").exists()
    assert _snapshot(work) == before_work, sorted(_snapshot(work) ^ before_work)  # no partial or temp folder
    assert _snapshot(inp) == before_inp
    return "refused"


def in_process(*args: str, cwd: Path, env: dict[str, str]) -> object:
    with alarm(TIMEOUT_S):
        return cli(*args, cwd=cwd, env=env)


def console_script(*args: str, cwd: Path, env: dict[str, str]) -> object:
    return linkage(*args, cwd=cwd, env=env, timeout=TIMEOUT_S)  # subprocess.TimeoutExpired fails the case


# -- the tests --------------------------------------------------------------------------------------------


def test_corpus_has_at_least_250_cases() -> None:
    print(f"\nhostile corpus: {len(ALL)} cases ({len(BAD_CASES)} refused with one line, {len(GOOD)} that must run)")
    assert len(ALL) >= 250
    assert len(GOOD) >= 10 and len(BAD_CASES) >= 240


@pytest.mark.parametrize(("name", "case"), ALL, ids=[name for name, _ in ALL])
def test_case_in_process(name: str, case: Case | Good, tmp_path: Path) -> None:
    """Each case through ``main()`` in this process (what the console script runs), bounded by an alarm."""
    assert run_case(case, tmp_path, in_process) == ("ran" if isinstance(case, Good) else "refused")


@pytest.mark.slow
def test_every_case_through_the_console_script(tmp_path: Path) -> None:
    """The whole table through the installed ``linkage`` (two at a time), each under a timeout; the count is
    printed with the outcome of each kind."""
    def one(item: tuple[int, tuple[str, Case | Good]]) -> tuple[str, str]:
        k, (name, case) = item
        folder = tmp_path / f"case{k:03d}"
        folder.mkdir()
        try:
            return name, run_case(case, folder, console_script)
        except (AssertionError, OSError, ValueError) as e:  # subprocess.TimeoutExpired is a SubprocessError
            return name, f"FAILED: {e}"
        except Exception as e:  # noqa: BLE001 - a timeout or anything else: report it with the case's name
            return name, f"FAILED: {type(e).__name__}: {e}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, enumerate(ALL)))
    failed = [f"{name}: {outcome}" for name, outcome in results if outcome.startswith("FAILED")]
    counts = {o: sum(1 for _, r in results if r == o) for o in ("refused", "ran")}
    print(f"\nhostile corpus through the console script: {len(results)} cases, {counts['refused']} refused with one "
          f"line, {counts['ran']} ran correctly, {len(failed)} failed")
    assert not failed, "\n".join(failed[:20])
    assert len(results) >= 250
