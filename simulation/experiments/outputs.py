"""The output contract (输出约定): what every results-writing command writes, and how it writes it.

One place for

- the metric names of ``replications.parquet`` (:data:`METRICS`, in order) and the columns that are not
  metrics (:data:`NOT_METRICS`);
- the column orders and fixed types of the run tables (replications / incidents / handoffs / tasks) and
  of ``compare``'s comparison / attribution tables;
- NaN → null (:func:`nan_to_none`) and :func:`package_version`;
- the one output-folder writer, :func:`output_folder`: everything is written into a temporary sibling
  folder (``.<name>.tmp-XXXX``), then the folder is put in place whole — an existing folder is *replaced*
  (an atomic exchange where Linux offers ``renameat2(RENAME_EXCHANGE)``; else old aside, new in, old
  removed), never merged with the stale files of an earlier run. On any failure the temporary folder
  is removed and the previous folder is left as it was. Every output folder holds :data:`MARKER`;
  :func:`check_out` refuses, before any work, to replace a non-empty folder without it, and tries a
  write where the folder will go (a read-only file system is one line before the work, not a traceback
  after it). The writer holds an advisory lock (``flock``) on its temporary folder while it writes: a
  temporary folder whose lock is free was left by a killed process and is removed by the next writer.
- :func:`check_file_out` / :func:`write_file`: the same for one file (``results --csv``, ``graph --out``).

The file-system steps of putting a folder or file in place whole (locks, the exchange, a killed writer's
left-overs) are :mod:`simulation.experiments.folder_swap`'s.
"""

from __future__ import annotations

import errno
import json
import math
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pyarrow as pa

from scenarios.errors import InputError
from simulation.experiments.folder_swap import fresh_sibling, place_folder, remove_stale, try_lock
from simulation.model.holds import DESK_HOLDS, HOLD_PATHS, HOLD_STAGES
from simulation.model.records import GAP_PARTS, TASK_STAGES, WORK_ORDER_TIMES

# -- metric names -----------------------------------------------------------------------------------------

TIME_METRICS = ("t_detect", "t_report", "t_notify_lead", "t_dispatch", "t_first_arrival", "t_control", "t_close")
HANDOFF_METRICS = ("handoff_gap_total", "handoff_gap_max", "handoff_count", "ownerless_time")
WORKORDER_METRICS = ("workorder_rejections", "workorder_bounce_time", "arbitrations")
"""Work orders of the primary incident (派单/退单/审定): orders returned, seconds from each task's first dispatch to
the signing that stuck (summed), tasks arbitrated — null when its incident type sends no task by work order."""
LEVEL_METRICS = ("t_command_post", "level_max", "reinforcements", "t_city_command")
"""What the response level set in motion: the on-scene command post (seconds from onset; null if none), the
most severe level reached (I = 1 … IV = 4), units sent when the level rose."""
HAZARD_METRICS = ("casualties", "people_exposed", "peak_density")
METRICS = TIME_METRICS + HANDOFF_METRICS + WORKORDER_METRICS + LEVEL_METRICS + HAZARD_METRICS
"""Metric columns every ``replications.parquet`` has, in order (more hazard outcomes may follow)."""
DURATIONS = ("handoff_gap_total", "handoff_gap_max", "ownerless_time", "workorder_bounce_time")
"""Metrics that are durations without a ``t_`` prefix (faces show every duration in minutes)."""


CONDITIONS = {"t_control": "controlled", "t_close": "closed"}
"""Conditional metrics (条件指标): metric → the share metric whose replications it is averaged over.
``t_control`` is null where the incident was never brought under control, so its mean (and a paired
difference) is over the replications held only — every face shows it with that condition and its ``n``
(the words of each condition live in the dashboard's locale, ``condition.<share>``)."""
SHARES = ("controlled", "closed")
"""Metrics that are a share of replications (0–1, derived by ``compare`` and ``why.outcome_rows``): faces
show them as percentages and their differences in percentage points."""


def is_duration(metric: str) -> bool:
    """Whether a metric is a duration in seconds (a ``t_`` time or one of :data:`DURATIONS`)."""
    return metric.startswith("t_") or metric in DURATIONS


NOT_METRICS = ("replication", "seed", "arrangement", "events_processed", "error")
"""Columns of a replications table (or a sweep's rows) that are not metrics."""

LOOP_METRICS = ("arisen", "found", "closed", "rectified_share", "found_to_closed_mean", "found_to_closed_p50",
                "found_to_closed_p90", "duplicate_visits", "bounced_orders", "dropped_orders", "inspector_days",
                "wasted_inspector_days", "report_hours", "legal_documents", "notices", "penalties", "suspensions",
                "relapses", "reworks", "hazards_undiscovered", "hazards_reporting", "hazards_bounced",
                "hazards_dropped", "hazards_queued", "hazards_rectifying", "hazards_verifying",
                "hazards_relapsed_open", "hazards_rectified")
"""The hidden-hazard loop's metrics (``linkage defect-loop``; :meth:`DefectLoopResult.metrics`), one row per
arrangement and replication of ``loop.parquet``: counts over the period, the rectified share (closed ÷ found),
found-to-closed days, orders duplicated / returned (退单) / lost, inspector-days (all and on duplicates and
returns), report hours, legal documents (notice + penalty + suspension), relapses (回潮), reworks after a
failed re-check, and where every hazard that arose is at the horizon (``hazards_*``, summing to ``arisen``)."""
LOOP_TABLES = ("loop", "loop_stages", "loop_found", "loop_times", "loop_comparison")
"""The files of ``linkage defect-loop --out``: per-replication metrics; hazards per stage at the horizon (the leak
chart); found and closed by channel and category; found-to-closed percentiles (days); paired differences against
the first arrangement (mean and 95 % t-interval); beside them ``summary.json``."""

# -- run tables -------------------------------------------------------------------------------------------

RUN_TABLES = ("replications", "incidents", "handoffs", "tasks", "workorders")
"""The tables of ``linkage run`` (and of every arm of ``linkage compare``), as ``<name>.parquet``."""
SWEEP_TABLES = ("incidents", "handoffs", "workorders", "replications")
"""The tables a sweep keeps per task, as Parquet parts (``<table>/sweep=<id>/point=<k>/part-<first>.parquet``);
written in this order, ``replications`` last."""

YEAR_TABLES = ("months", "calls")
"""``linkage year``: ``months`` per replication, type and month (areas, mutual aid, first arrival); ``calls`` per
replication and stream (contacts and the incidents they became)."""

REPLICATION_KEYS = ("replication", "seed", "arrangement")
"""The first columns of ``replications.parquet``; the metrics follow, then ``events_processed``."""

INCIDENT_COLUMNS = ("t_start", "t_detect", "t_report", "t_notify_lead", "t_dispatch", "t_first_arrival",
                    "t_control", "t_close", "queue_wait", "t_command_post", "t_city_command")
"""The time columns of ``incidents.parquet`` (seconds of simulated time; null where never reached)."""

INCIDENTS = ("replication", "arrangement", "incident", "type", "grid", *INCIDENT_COLUMNS, "level", "detected_by",
             "receiver", "lead", "first_unit", "mutual_aid", "level_max", "command_post", "reinforcements",
             "command_tier", "access_blocked")
EXTRA_TIMES = ("first_dispatch", "arbitration_start", "arbitrated", "last_dispatch", "powers_requested",
               "powers_present")
"""A task's work-order and enforcement moments (null where the mechanism did not apply)."""
BLOCK_COLUMNS = ("blocked_by", "blocked_caller", "block_reason", "block_path", "block_stage", "blocked_time")
"""Which duty desk held a hand-off up longest (值班台受阻, ``simulation/model/holds.py``), null where no desk did:
``blocked_by`` the agency whose desk the message waited at; ``blocked_caller`` whose call it was (the relay on its
call list, the work-order dispatcher, the agency passing it on); ``block_reason`` one of :data:`DESK_HOLDS`
(``desk_night_empty`` nobody on duty at night, ``desk_night_short`` fewer on duty at night and all busy,
``desk_busy`` everyone on duty busy); ``block_path`` one of :data:`HOLD_PATHS` (``own_desk`` the addressee's
own desk, ``serial_relay`` an earlier call on a serial relay's list, ``relay_notice`` the relay itself told late,
``on_path`` a desk passing the message on); ``block_stage`` the gap part it lies in (:data:`HOLD_STAGES`:
``notification`` or ``signing``); ``blocked_time`` the seconds of that part spent waiting there (censored at the
horizon, as the attribution counts it). Last in the table: the columns before them are unchanged."""
BLOCK_VALUES = {"block_reason": DESK_HOLDS, "block_path": HOLD_PATHS, "block_stage": HOLD_STAGES}
"""The values a hand-off's block columns take (null where no desk held it)."""
HANDOFFS = ("replication", "arrangement", "incident", "task", "from_agency", "to_agency", *TASK_STAGES, *EXTRA_TIMES,
            *GAP_PARTS, "gap", "escalated", "censored", *BLOCK_COLUMNS)
TASKS = ("replication", "arrangement", "incident", "task", "owner", "status", *TASK_STAGES, *EXTRA_TIMES, "units",
         "enforcer", "whistled")
RECEIVED_COLUMNS = ("t_received",)
"""When a work order was taken up at the agency's duty desk (after channels, queue and handling: it starts to decide);
null while on its way (and for an order supervision withdrew on its way, 督办). Last in the table, records only
(no draw, no event)."""
WORKORDERS = ("replication", "arrangement", "incident", "task", "order_no", "dispatcher", "to_agency",
              *WORK_ORDER_TIMES, "reject_reason", "outcome", *RECEIVED_COLUMNS)
"""``workorders.parquet``: one row per work order (``order_no`` 1 for the first dispatch, +1 per re-dispatch;
``outcome`` signed, rejected, reopened (failed verification, 核查不合格: a new order follows), cancelled
(supervision found it unsigned with an agency not listed for the task: the superior rules, 提级督办) or open
at the horizon; ``reject_reason`` not_our_function 职能不符, overlapping_duties 职能交叉 or ownership_unclear
权属不清; ``t_received`` see :data:`RECEIVED_COLUMNS`)."""
COLUMNS = {"incidents": INCIDENTS, "handoffs": HANDOFFS, "tasks": TASKS, "workorders": WORKORDERS}
"""Column order of the incidents, handoffs, tasks and workorders tables."""

INT_COLUMNS = {"replication", "level", "level_max", "reinforcements", "order_no"}
BOOL_COLUMNS = {"access_blocked", "mutual_aid", "escalated", "censored", "whistled"}
FLOAT_COLUMNS = {*TASK_STAGES, *EXTRA_TIMES, *GAP_PARTS, *INCIDENT_COLUMNS, *WORK_ORDER_TIMES, *RECEIVED_COLUMNS,
                 "gap", "blocked_time"}
CANON = {**{c: pa.int64() for c in sorted(INT_COLUMNS)}, **{c: pa.bool_() for c in sorted(BOOL_COLUMNS)}}
"""Types of the columns that cannot be guessed when a whole batch of a sweep holds only nulls."""


def column_type(name: str) -> pa.DataType:
    """The fixed type of a column of the incidents / handoffs / tasks tables."""
    return (pa.int64() if name in INT_COLUMNS else pa.bool_() if name in BOOL_COLUMNS
            else pa.float64() if name in FLOAT_COLUMNS else pa.string())


def table(cols: dict[str, list]) -> pa.Table:
    """Columns with fixed types (never guessed from the data), so that tables of different runs,
    slices or sweep points — an all-null or empty column included — always concatenate."""
    return pa.table(cols, schema=pa.schema([pa.field(k, column_type(k)) for k in cols]))


def replications_schema(metrics: list[str]) -> pa.Schema:
    """``replication``, ``seed``, ``arrangement``, the metrics (float64) and ``events_processed``."""
    return pa.schema([pa.field("replication", pa.int64()), pa.field("seed", pa.int64()),
                      pa.field("arrangement", pa.string()), *(pa.field(n, pa.float64()) for n in metrics),
                      pa.field("events_processed", pa.int64())])


# -- compare tables ---------------------------------------------------------------------------------------

COMPARISON_SCHEMA = pa.schema([
    ("metric", pa.string()), ("baseline", pa.string()), ("arrangement", pa.string()), ("n", pa.int64()),
    ("mean_baseline", pa.float64()), ("mean_arrangement", pa.float64()), ("diff_mean", pa.float64()),
    ("ci_low", pa.float64()), ("ci_high", pa.float64()), ("p_value", pa.float64()), ("p_adjusted", pa.float64()),
    ("ci_low_unpaired", pa.float64()), ("ci_high_unpaired", pa.float64()), ("verdict", pa.string()),
    ("missing_baseline", pa.int64()), ("missing_arrangement", pa.int64()),
])
"""``n`` counts replications where both arms have the metric; ``missing_*`` count replications where it is
null (does not apply, or never reached by the horizon, e.g. ``t_close`` of an incident still open)."""
ATTRIBUTION_STAGES = (*GAP_PARTS, *DESK_HOLDS)
"""Stages of the attribution table: the gap parts, and the desk holds (:data:`DESK_HOLDS`) — the time a hand-off
waited at a duty desk (``blocked_time``) is taken out of its part (``block_stage``) and charged to the pair
``blocked_caller → blocked_by`` under its ``block_reason``: an empty night desk that holds up a serial relay's
calls shows at that desk, not at the pairs whose notices came late."""
ATTRIBUTION_SCHEMA = pa.schema([
    ("arrangement", pa.string()), ("from_agency", pa.string()), ("to_agency", pa.string()), ("stage", pa.string()),
    ("task", pa.string()), ("seconds_mean", pa.float64()), ("share", pa.float64()),
])


# -- values -----------------------------------------------------------------------------------------------


def nan_to_none(x: object) -> object:
    """NaN (the engine's 'never happened') → None (null in Parquet, JSON); anything else unchanged."""
    return None if isinstance(x, float) and math.isnan(x) else x


def package_version() -> str:
    try:
        return version("linkage")
    except PackageNotFoundError:
        return "0+unknown"


# -- the output folder ------------------------------------------------------------------------------------

MARKER = ".linkage-output"
"""File in every output folder: the command that wrote it and the version. A folder without it is not
Linkage's, and is never replaced."""


def is_output_folder(folder: Path) -> bool:
    return (Path(folder) / MARKER).is_file()


def write_marker(folder: Path, command: str) -> None:
    text = json.dumps({"command": command, "version": package_version()}, ensure_ascii=False)
    (Path(folder) / MARKER).write_text(text + "\n", encoding="utf-8")


def _bad(origin: str, param: str, message: str) -> InputError:
    return InputError.one(origin, None, param, message)


def probe_write(target: Path, origin: str, param: str) -> None:
    """Try a write where ``target`` will be created: the first existing folder above it (a read-only file
    system, a folder without write permission, a full inode table — refused here, before any work)."""
    where = next((p for p in target.parents if p.exists()), None)
    if where is None:
        return
    try:
        os.rmdir(fresh_sibling(where / target.name, "probe"))
    except OSError as e:
        raise _bad(origin, param, f"'{target}' cannot be written: {e.strerror or e} (in '{where}')") from None


def _check_parents(target: Path, origin: str, param: str) -> None:
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise _bad(origin, param, f"'{target}' cannot be created: '{parent}' is a file, not a folder")
            return


def check_out(out: str | Path, origin: str = "out", param: str = "out") -> Path:
    """Refuse an output folder that cannot be written or must not be replaced — before any work is done.

    A problem is an :class:`InputError` whose field path is ``param`` (the CLI prints its flag, ``--out``).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise _bad(origin, param, f"'{out}' exists and is not a folder")
    _check_parents(Path(os.path.abspath(out)), origin, param)
    if out.is_dir() and not is_output_folder(out) and any(out.iterdir()):
        raise _bad(origin, param, f"'{out}' is a folder Linkage did not write (no {MARKER}) and is not empty; "
                   "it is never replaced — choose a new or empty folder")
    probe_write(Path(os.path.abspath(out)), origin, param)
    return out


def check_file_out(path: str | Path, origin: str = "out", param: str = "out") -> Path:
    """Refuse an output *file* that cannot be written — a folder, a path under a file, a read-only place."""
    path = Path(path)
    if path.is_dir():
        raise _bad(origin, param, f"'{path}' is a folder; give a file name")
    full = Path(os.path.abspath(path))
    _check_parents(full, origin, param)
    probe_write(full, origin, param)
    return path


@contextmanager
def output_folder(out: str | Path, command: str, origin: str = "out") -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; when the block ends without error, put it at ``out`` whole
    (with :data:`MARKER`), replacing any earlier Linkage output there. On failure nothing changes at ``out``
    and the temporary folder is removed. ``command`` (e.g. ``"run"``) goes into the marker."""
    out = Path(os.path.abspath(check_out(out, origin)))  # a name and a parent even for "." or "sub/.."
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    tmp = fresh_sibling(out, "tmp")
    fd = os.open(tmp, os.O_RDONLY)
    try:
        try_lock(fd)  # held until the folder is in place: a writer killed meanwhile leaves a free lock
        yield tmp
        write_marker(tmp, command)
        check_out(out, origin)  # still ours (nothing else appeared meanwhile)
        place_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(fd)


def write_file(path: str | Path, data: bytes | str) -> None:
    """One file, written to a locked temporary name beside it and moved in (a reader never sees half of
    it; a temporary file of a killed writer is removed by the next write to the same name)."""
    path = Path(os.path.abspath(path))
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try_lock(fd)
        with os.fdopen(os.dup(fd), "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        os.close(fd)
        tmp.unlink(missing_ok=True)
