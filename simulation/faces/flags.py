"""Parameter names of the library API → the command line's flags.

The library (``simulation.experiments``) reports a bad parameter as a problem whose ``file`` is the
function (``run``, ``compare``, ``sweep`` …) and whose field path is the parameter (``replications``,
``seed``, ``workers``, ``out`` …). A command shows the flag the user typed instead: ``-n: replications:
must be at least 1 (got 0)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from scenarios.errors import InputError, Problem

AllowLargeOpt = Annotated[
    bool,
    typer.Option("--allow-large", help="Lift the size limits (grids, routine volume, replications) on a big machine."),
]
"""``--allow-large``, the same option in every command that runs replications (run, compare, sweep)."""

FLAGS = {
    "replications": "-n",
    "seed": "--seed",
    "workers": "--workers",
    "batch": "--batch",
    "out": "--out",
    "scheduler": "--scheduler",
    "arrangements": "-a",
    "arrangement": "--arrangement",
    "first_replication": "--first-replication",
    "by": "--by",
}
"""Flag of each parameter, the same in every command that has it."""

ORIGINS = ("prepare", "run", "compare", "sweep", "analyze", "out", "year")
"""The library functions that name parameters (``simulation.experiments.api.ORIGINS``; repeated here so that
``linkage --help`` does not import the experiments)."""


def to_flag(p: Problem, flags: dict[str, str] = FLAGS) -> Problem:
    """The problem as the command line shows it: the flag where the library named its parameter."""
    if p.line is None and p.file in ORIGINS and p.path in flags:
        return Problem(flags[p.path], None, p.path, p.message)
    return p


@contextmanager
def cli_flags(flags: dict[str, str] = FLAGS) -> Iterator[None]:
    """Re-raise the library's :class:`InputError` with command-line flags in place of parameter names."""
    try:
        yield
    except InputError as e:
        raise InputError([to_flag(p, flags) for p in e.problems]) from None


def os_error_line(e: OSError) -> str:
    """One line for an error of the file system (disk full, read-only, permissions): the path and what the
    system said — no traceback."""
    what = e.strerror or str(e)
    return f"{e.filename}: {what}" if e.filename is not None else f"linkage: {what}"
