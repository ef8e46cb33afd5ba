"""The library API of Linkage (notebooks, the dashboards, the CLI): :func:`prepare`, :func:`run`,
:func:`compare`, :func:`sweep`, :func:`year`.

Each takes a scenario file path *or* a loaded :class:`~scenarios.schema.Scenario` alike (same seed, same
results). Bad input raises :class:`~scenarios.errors.InputError`; a bad *parameter* is a
:class:`~scenarios.errors.Problem` whose ``file`` is the function (one of :data:`ORIGINS`) and whose
field path names the parameter (``replications``, ``seed``, ``workers``, ``out`` …) — never a command-line
flag; the CLI (``simulation.faces.flags``) shows its own flag for it.

Heavy modules (the engine, scipy, pyarrow) are imported when a function runs, not when this module is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.errors import InputError
from scenarios.limits import MAX_SEED
from scenarios.schema import Scenario

if TYPE_CHECKING:
    import concurrent.futures as cf

    from simulation.experiments.compare import ComparisonResult, Variant
    from simulation.experiments.designs import Factor
    from simulation.experiments.district import OnDistrict
    from simulation.experiments.megacity import YearResult
    from simulation.experiments.runner import RunResult
    from simulation.experiments.sweep_archive import SweepResult, SweepStatus
    from simulation.model.policy import Policy
    from simulation.model.world import World

ScenarioLike = str | Path | Scenario
"""A scenario file path or a loaded scenario."""

ORIGINS = ("prepare", "run", "compare", "sweep", "analyze", "out", "year")
"""``Problem.file`` of a problem with a parameter (its ``path`` is the parameter's name)."""


# -- parameters -------------------------------------------------------------------------------------------


def bad_parameter(origin: str, param: str, message: str) -> InputError:
    return InputError.one(origin, None, param, message)


def at_least(origin: str, param: str, value: int | None, minimum: int, why: str = "must be", unit: str = "") -> None:
    """Refuse an integer parameter below ``minimum`` (None = not given, allowed)."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
        raise bad_parameter(origin, param, f"{why} at least {minimum}{' ' + unit if unit else ''} (got {value!r})")


def non_negative_seed(origin: str, seed: int) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise bad_parameter(origin, "seed", f"must be non-negative (got {seed!r})")
    if seed > MAX_SEED:
        raise bad_parameter(origin, "seed", f"must be at most 2**63 - 1 = {MAX_SEED} (got {seed})")


# -- scenarios --------------------------------------------------------------------------------------------


def source_name(scenario: ScenarioLike) -> str:
    """How problems and worlds name the scenario: the path as given, or ``<name>`` of a loaded one."""
    return f"<{scenario.name}>" if isinstance(scenario, Scenario) else str(scenario)


def document(scenario: ScenarioLike, arrangement: str | None = None) -> dict:
    """The scenario's plain, merged document with ``arrangement`` (a bundled name or file) put in."""
    from scenarios.loader import read_arrangement, read_document
    from scenarios.yamlsrc import to_plain

    if not isinstance(scenario, Scenario):
        return to_plain(read_document(scenario, arrangement))
    doc = scenario.model_dump(mode="json", by_alias=True)
    if arrangement is not None:
        doc["arrangement"] = to_plain(read_arrangement(arrangement, None, "--arrangement", None))
    return doc


def validate_document(doc: dict, source: str, sets: Iterable[str] = (), allow_large: bool = False) -> Scenario:
    """A plain document plus ``--set`` expressions, validated; problems name ``source`` (no lines)."""
    from pydantic import ValidationError

    from scenarios.loader import apply_set, validation_problems
    from scenarios.yamlsrc import to_plain

    plain = to_plain(doc)  # a fresh copy: --set mutates
    for expr in sets:
        apply_set(plain, expr)
    try:
        return Scenario.model_validate(plain, context={"allow_large": allow_large})
    except ValidationError as e:
        raise InputError(validation_problems(e, plain, source)) from None


def load(scenario: ScenarioLike, arrangement: str | None = None, sets: Iterable[str] = (),
         allow_large: bool = False) -> Scenario:
    """The validated scenario: a file loaded (problems with file and line), or a loaded one overridden.
    ``allow_large`` lifts the size limits (:mod:`scenarios.limits`)."""
    sets = tuple(sets)
    if not isinstance(scenario, Scenario):
        from scenarios.loader import load_scenario

        return load_scenario(scenario, arrangement, sets, allow_large=allow_large)
    if arrangement is None and not sets:
        return scenario
    return validate_document(document(scenario, arrangement), source_name(scenario), sets, allow_large)


def on_district(scenario: ScenarioLike, district: str | Path) -> OnDistrict:
    """The scenario on an imported district (``--district``): its incident types, incidents and arrangement
    on the district's grids, roads, stations and agencies; ``.moves`` says which incidents were placed by
    the relative-position rule of :mod:`simulation.experiments.district`."""
    from simulation.experiments.district import on_district as place

    return place(document(scenario), district, source_name(scenario))


def with_district(scenario: ScenarioLike, district: str | Path | None) -> ScenarioLike:
    """``scenario`` itself without a district, else the scenario on it (see :func:`on_district`)."""
    return scenario if district is None else on_district(scenario, district).scenario


def prepare(scenario: ScenarioLike, arrangement: str | None = None, sets: Iterable[str] = (), *,
            source: str | None = None, district: str | Path | None = None,
            allow_large: bool = False) -> tuple[Scenario, World]:
    """Load (or take) the scenario, apply the arrangement and ``--set`` overrides, build its world.

    The one load → build_world assembly of the CLI, the dashboards, compare and sweeps. ``source`` names
    the scenario in the world's problems (default: the path as given, or ``<name>``). ``district`` runs it
    on an imported district (:func:`on_district`).
    """
    from simulation.model.world import build_world

    source = source or source_name(scenario)
    scenario = with_district(scenario, district)
    sc = load(scenario, arrangement, sets, allow_large)
    return sc, build_world(sc, source)


def check_run_size(sc: Scenario, replications: int, keep_routine: bool = True, allow_large: bool = False) -> None:
    """Refuse, before any replication runs, a run whose records or work would not fit (``-n 10000000``)."""
    from scenarios import limits

    why = None if limits.allow_large(allow_large) else limits.run_size(sc, replications, keep_routine)
    if why is not None:
        raise bad_parameter("run", "replications", why)


def check_compare_size(arms: Sequence[Scenario], replications: int, allow_large: bool = False) -> None:
    """Refuse, before any replication runs, a comparison whose arms' records together would not fit
    (arrangements × replications × incidents)."""
    from scenarios import limits

    why = None if limits.allow_large(allow_large) else limits.runs_size(
        arms, replications, True, "fewer replications or arrangements")
    if why is not None:
        raise bad_parameter("compare", "replications", why)


# -- experiments ------------------------------------------------------------------------------------------


def run(scenario: ScenarioLike, replications: int = 30, seed: int = 0, *, arrangement: str | None = None,
        sets: Iterable[str] = (), world: World | None = None, policy_factory: Callable[[World], Policy] | None = None,
        progress: Callable[[int], None] | None = None, keep_last: bool = False, first_replication: int = 0,
        keep_routine: bool = True, district: str | Path | None = None, allow_large: bool = False) -> RunResult:
    """Run ``replications`` replications of a scenario (path or loaded) with ``seed``; see
    :func:`simulation.experiments.runner.run`. ``world`` skips building it (it must be the scenario's).
    ``district`` runs it on an imported district (:func:`on_district`)."""
    from simulation.experiments.runner import run as run_world

    scenario = with_district(scenario, district)
    at_least("run", "replications", replications, 1)
    non_negative_seed("run", seed)
    at_least("run", "first_replication", first_replication, 0)
    if world is None:
        sc, world = prepare(scenario, arrangement, sets, allow_large=allow_large)
    else:
        sc = load(scenario, arrangement, sets, allow_large)
    check_run_size(sc, replications, keep_routine, allow_large)
    return run_world(sc, replications, seed, world=world, policy_factory=policy_factory, progress=progress,
                     keep_last=keep_last, first_replication=first_replication, keep_routine=keep_routine)


def compare(scenario: ScenarioLike, arrangements: Sequence[str | Variant], replications: int = 30, seed: int = 0,
            sets: Iterable[str] = (), progress: Callable[[int], None] | None = None, *,
            district: str | Path | None = None, allow_large: bool = False) -> ComparisonResult:
    """Paired comparison of arrangements (or variants) with common random numbers; the first is the baseline.
    See :func:`simulation.experiments.compare.compare`. ``district``: on an imported district; ``allow_large``
    lifts the size limits (:mod:`scenarios.limits`)."""
    from simulation.experiments.compare import compare as compare_arms

    return compare_arms(with_district(scenario, district), arrangements, replications, seed, sets, progress,
                        allow_large)


def sweep(scenario: ScenarioLike, factors: Sequence[str | Factor], design: str = "grid", samples: int | None = None,
          replications: int = 10, seed: int = 0, out: str | Path = "sweep", workers: int | None = None,
          scheduler: str | None = None, resume: bool = False, batch: int | None = None,
          progress: bool | Callable[[SweepStatus], None] | None = None, executor: cf.Executor | None = None,
          common_seeds: bool = False, district: str | Path | None = None, allow_large: bool = False) -> SweepResult:
    """A design's points × replications, written under ``out`` (resumable); see
    :func:`simulation.experiments.sweep.sweep`. ``district``: on an imported district; ``allow_large`` lifts
    the size limits (:mod:`scenarios.limits`)."""
    from simulation.experiments.sweep import sweep as sweep_points

    return sweep_points(with_district(scenario, district), factors, design, samples, replications, seed, out,
                        workers, scheduler, resume,
                        batch, progress, executor, common_seeds, allow_large)


def year(scenario: ScenarioLike, replications: int = 1, seed: int = 0, *, by: str = "replication",
         workers: int | None = None, scheduler: str | None = None, executor: cf.Executor | None = None,
         progress: Callable[[int, int], None] | None = None, district: str | Path | None = None,
         allow_large: bool = False) -> YearResult:
    """Routine years of a scenario with ``streams:`` (全年日常警情), split ``by`` replication or district and run
    in this process (one worker, no scheduler), on ``workers`` local processes, a Dask ``scheduler`` or a given
    ``executor``; the same tables for the same seed whatever runs them. Only routine incidents are tallied
    (months and calls, :data:`~simulation.experiments.outputs.YEAR_TABLES`); see
    :mod:`simulation.experiments.megacity`."""
    from simulation.experiments.megacity import BY, run_year
    from simulation.experiments.sweep_pool import Pool

    at_least("year", "replications", replications, 1)
    at_least("year", "workers", workers, 1)
    non_negative_seed("year", seed)
    if by not in BY:
        raise bad_parameter("year", "by", f"must be one of {', '.join(BY)} (got {by!r})")
    sc = load(with_district(scenario, district), allow_large=allow_large)
    if not sc.streams:
        raise InputError.one(source_name(scenario), None, "streams", "no routine streams, so a year of this scenario "
                             "has nothing to tally; give one with streams (e.g. megacity_year.yaml)")
    from scenarios import limits

    why = None if limits.allow_large(allow_large) else limits.year_size(sc, replications)
    if why is not None:
        raise bad_parameter("year", "replications", why)
    if executor is None and not scheduler and (workers or 1) == 1:
        return run_year(sc, seed, by=by, replications=replications, progress=progress)
    with Pool(workers or 1, scheduler, executor) as pool:
        return run_year(sc, seed, by=by, replications=replications, executor=pool.executor, progress=progress)


__all__ = ["ORIGINS", "ScenarioLike", "compare", "document", "load", "on_district", "prepare", "run", "source_name",
           "sweep", "with_district", "year"]
