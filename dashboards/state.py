"""Session state of the dashboard: the chosen scenario, its overrides, custom arrangements, cached runs.

Streamlit forgets a widget's value when its page is not shown, so everything another page needs lives
under plain (non-widget) keys: ``cfg.*``. Runs are cached with ``st.cache_data`` (bounded) keyed by the
validated scenario's hash, the arrangement(s), seed, N and the ``--set`` overrides; the uploaded file's
temporary path is not part of the key (underscore argument), its content hash is.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from scenarios.errors import InputError
from scenarios.loader import AGENCY_LIBRARY, bundled_arrangements, bundled_scenarios, load_scenario, scenario_hash
from scenarios.schema import Scenario

MAX_UPLOAD_BYTES = 512 * 1024
"""Uploaded or pasted scenario files above this are refused before parsing (the loader's own limit is 2 MB)."""
CACHE_ENTRIES = 16
UPLOAD_DIR = Path(tempfile.gettempdir()) / "linkage-dashboard"

CFG_SOURCE = "cfg.source"  # "bundled" | "upload"
CFG_BUNDLED = "cfg.bundled"  # stem of the bundled scenario
CFG_UPLOAD = "cfg.upload"  # {"name": str, "text": str} of the last good upload
CFG_SETS = "cfg.sets"  # list of --set expressions
CFG_VALUES = "cfg.values"  # widget key -> value (kept across pages)
CFG_CUSTOM = "cfg.custom_arrangements"  # name -> YAML path of arrangements edited on the arrangements page
CFG_RESULT = "cfg.compare"  # the last comparison's cache key arguments
CFG_DISTRICT = "cfg.district"  # path of the district file the scenario runs on ("" : the scenario's own city)
DISTRICTS_ENV = "LINKAGE_DASHBOARD_DISTRICTS"
"""District files given to ``linkage dashboard --district`` (``os.pathsep``-separated; the first is preselected)."""
EXAMPLE_DISTRICT = AGENCY_LIBRARY / "putuo_district.yaml"
"""The bundled example district (Shanghai Putuo), always offered by the district picker."""


@dataclass
class ScenarioChoice:
    """What the planner picked: a file path (bundled or the upload written to a temp folder) and overrides."""

    path: str
    display: str
    sets: tuple[str, ...] = ()
    scenario: Scenario | None = None
    problems: list[str] = field(default_factory=list)
    district: str | None = None
    """The district file the scenario runs on (``--district``), or None: the scenario's own city."""

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.problems

    @property
    def hash(self) -> str:
        return scenario_hash(self.scenario) if self.scenario is not None else ""


def bundled() -> dict[str, Path]:
    return {p.stem: p for p in bundled_scenarios()}


FLAGSHIP = "high_rise_fire"


def default_bundled() -> str:
    lib = bundled()
    return FLAGSHIP if FLAGSHIP in lib else next(iter(lib))


def arrangements() -> dict[str, str]:
    """Arrangement name → reference for ``load_scenario``: bundled names, then the planner's own files."""
    out = {p.stem: p.stem for p in bundled_arrangements()}
    out.update(st.session_state.get(CFG_CUSTOM, {}))
    return out


def problem_lines(err: InputError, tmpdir: Path | None = None) -> list[str]:
    """The loader's ``FILE:LINE: path: message`` lines, with the upload's temp folder taken out."""
    lines = [str(p) for p in err.problems]
    if tmpdir is not None:
        lines = [ln.replace(f"{tmpdir}/", "").replace(str(tmpdir), "") for ln in lines]
    return lines


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name or "upload").name)[:80].lstrip(".") or "upload"
    return stem if stem.endswith((".yaml", ".yml")) else f"{stem}.yaml"


def write_upload(name: str, data: bytes) -> tuple[Path | None, str | None]:
    """Store an uploaded scenario in its own temp folder (``extends`` then finds the bundled library).

    Returns ``(path, None)`` or ``(None, reason)`` when the file is too big or not UTF-8 text.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        return None, "too_big"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not_utf8"
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = UPLOAD_DIR / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe_name(name)
    if not path.exists():
        path.write_bytes(data)
    return path, None


def write_arrangement(name: str, text: str) -> Path:
    """Store an arrangement edited in the app as YAML (content-addressed, so caches stay valid)."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = UPLOAD_DIR / "arrangements" / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe_name(name)
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    return path


def validate(
    path: str | Path, sets: tuple[str, ...] = (), arrangement: str | None = None, district: str | None = None
) -> tuple[Scenario | None, list[str]]:
    """Load through the CLI's own loader (on ``district`` when given, as ``--district`` does); problems as
    the CLI prints them (no traceback)."""
    tmpdir = Path(path).parent if Path(path).is_relative_to(UPLOAD_DIR) else None
    try:
        if district:
            return _load_on(str(path), sets, arrangement, district, _mtime(path), _mtime(district)), []
        return _load(str(path), sets, arrangement, _mtime(path)), []
    except InputError as e:
        return None, problem_lines(e, tmpdir)


def _mtime(path: str | Path) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _load(path: str, sets: tuple[str, ...], arrangement: str | None, mtime: float) -> Scenario:
    return load_scenario(path, arrangement, sets)


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _load_on(path: str, sets: tuple[str, ...], arrangement: str | None, district: str, mtime: float,
             district_mtime: float) -> Scenario:
    from simulation.experiments import api

    return api.load(api.on_district(path, district).scenario, arrangement, sets)


def district_files() -> list[str]:
    """The districts the picker offers: the bundled example, then the files given to ``linkage dashboard``."""
    given = [p for p in os.environ.get(DISTRICTS_ENV, "").split(os.pathsep) if p]
    return list(dict.fromkeys([str(EXAMPLE_DISTRICT), *given]))


def default_district() -> str:
    """The first file given to ``linkage dashboard --district``, else none ("": the scenario's own city)."""
    given = [p for p in os.environ.get(DISTRICTS_ENV, "").split(os.pathsep) if p]
    return given[0] if given else ""


def current_district() -> str | None:
    """The district file every page runs the scenario on, or None."""
    ss = st.session_state
    if CFG_DISTRICT not in ss:
        ss[CFG_DISTRICT] = default_district()
    return ss[CFG_DISTRICT] or None


def current_choice() -> ScenarioChoice:
    """The scenario every page works on (default: the first bundled scenario, no overrides)."""
    ss = st.session_state
    src = ss.get(CFG_SOURCE, "bundled")
    sets = tuple(ss.get(CFG_SETS, ()))
    if src == "upload" and ss.get(CFG_UPLOAD):
        up = ss[CFG_UPLOAD]
        path, _ = write_upload(up["name"], up["text"].encode("utf-8"))
        display = up["name"]
    else:
        lib = bundled()
        stem = ss.get(CFG_BUNDLED) if ss.get(CFG_BUNDLED) in lib else default_bundled()
        path, display = lib[stem], stem
    assert path is not None
    district = current_district()
    sc, problems = validate(path, sets, district=district)
    return ScenarioChoice(str(path), display, sets, sc, problems, district)


# -- cached runs ---------------------------------------------------------------------------------------


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_run(scenario_key: str, arrangement: str | None, replications: int, seed: int, sets: tuple[str, ...],
               _path: str, district: str | None = None) -> Any:
    """One arrangement's run (``simulation.experiments.run``), cached by scenario hash, arrangement, N, seed, sets
    and district."""
    from simulation.experiments import run

    return run(_path, replications, seed, arrangement=arrangement, sets=sets, district=district)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_compare(scenario_key: str, arms: tuple[tuple[str, str], ...], replications: int, seed: int,
                   sets: tuple[str, ...], _path: str, district: str | None = None,
                   _progress: Callable[[int], None] | None = None) -> Any:
    """A comparison (``simulation.experiments.compare``) of ``arms`` = ((label, arrangement ref), …), the first
    the baseline, on ``district`` when given; cached by scenario hash, arms, N, seed, overrides and district
    (bounded: :data:`CACHE_ENTRIES`)."""
    from simulation.experiments import Variant, api

    return api.compare(
        _path, [Variant(label, ref) for label, ref in arms], replications, seed, sets=sets, progress=_progress,
        district=district,
    )


def compare_with_progress(args: tuple, total: int, show: Callable[[int, int], None], poll: float = 0.15,
                          stats: dict | None = None) -> Any:
    """Run :func:`cached_compare` in a worker thread and report progress from the script thread.

    The bar must not be touched inside the cached function (Streamlit would record and later replay it
    into a block that no longer exists), so the engine's progress callback only counts replications and
    this loop shows the count. A cache hit returns at once.
    """
    done = [0]
    out: dict[str, Any] = {}

    def tick(k: int = 1) -> None:
        done[0] += k

    def work() -> None:
        try:
            out["result"] = cached_compare(*args, _progress=tick)
        except BaseException as e:  # re-raised in the script thread
            out["error"] = e

    worker = threading.Thread(target=work, name="linkage-compare", daemon=True)
    add_script_run_ctx(worker, get_script_run_ctx())
    worker.start()
    while worker.is_alive():
        worker.join(poll)
        show(done[0], total)
    if "error" in out:
        raise out["error"]
    if stats is not None:
        stats["cached"] = done[0] == 0  # no replication ran: the answer came from the cache
    return out["result"]


OPTION_KEYS = "cfg.option_keys"


def option_widget(key: str, options: list, default: Any) -> None:
    """Prepare a select/radio widget: keep its value across pages, reset it when no longer offered, and
    register it for :func:`relabel` (its option labels depend on the language)."""
    st.session_state.setdefault(OPTION_KEYS, set()).add(key)
    restore(key, default)
    value = st.session_state[key]
    if isinstance(value, list):
        st.session_state[key] = [v for v in value if v in options]
    elif value not in options:
        st.session_state[key] = default


def relabel() -> None:
    """``on_change`` of the language toggle. A browser remembers a select widget's choice by its label;
    once the labels change language it would show no choice (or the old label). Assigning each value
    again makes Streamlit send it to the browser with the new labels."""
    ss = st.session_state
    for key in ss.get(OPTION_KEYS, ()):
        if key in ss:
            ss[key] = ss[key]


def remember(key: str, value: Any) -> None:
    """Keep a widget's value for when its page comes back (see module docstring)."""
    st.session_state.setdefault(CFG_VALUES, {})[key] = value


def remembered_select(key: str, label: str, options: Sequence, default: Any,
                      format_func: Callable[[Any], str] | None = None, *,
                      widget: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """A select widget whose choice survives page changes and language switches: :func:`option_widget`,
    then the widget (``st.selectbox`` unless ``widget`` is given, e.g. ``c1.selectbox``, ``st.radio``,
    ``st.multiselect``) under ``key``, then :func:`remember`. Returns the widget's value."""
    option_widget(key, list(options), default)
    if format_func is not None:
        kwargs["format_func"] = format_func
    value = (widget or st.selectbox)(label, options, key=key, **kwargs)
    remember(key, value)
    return value


def replications_and_seed(c_n: Any, c_seed: Any, n_key: str, seed_key: str, n_label: str, default_n: int,
                          max_n: int = 1000, n_help: str | None = None) -> tuple[int, int]:
    """The two number inputs a page's run asks for — replications (``n_key``) and the seed (``seed_key``) — in
    the columns given, kept across page changes (:func:`restore`, :func:`remember`)."""
    from dashboards.i18n import t

    restore(n_key, default_n)
    restore(seed_key, 7)
    n = c_n.number_input(n_label, min_value=2, max_value=max_n, step=10, key=n_key, help=n_help)
    seed = c_seed.number_input(t("common.seed"), min_value=0, max_value=2**31 - 1, step=1, key=seed_key)
    remember(n_key, n)
    remember(seed_key, seed)
    return int(n), int(seed)


def restore(key: str, default: Any) -> None:
    """Seed a widget's state from the kept value before the widget is created."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(CFG_VALUES, {}).get(key, default)


def scenario_page(page: str) -> ScenarioChoice | None:
    """Head a page that works on the chosen scenario: its title and intro (``{page}.title``, ``{page}.intro``),
    then the choice, or ``None`` when it is invalid (its problems are shown instead)."""
    from dashboards.i18n import t

    st.title(t(f"{page}.title"))
    st.caption(t(f"{page}.intro"))
    choice = current_choice()
    district_caption(choice)
    return None if explain_if_invalid(choice) else choice


def district_caption(choice: ScenarioChoice) -> None:
    """Say which district the scenario runs on (nothing on its own city)."""
    if choice.district:
        from dashboards.i18n import t

        st.caption(t("district.running_on", name=Path(choice.district).name))


def explain_if_invalid(choice: ScenarioChoice) -> bool:
    """Show a scenario's problems inline (the loader's FILE:LINE lines); True when there were any."""
    if choice.ok:
        return False
    from dashboards.i18n import t

    st.error(t("scenario.invalid", n=len(choice.problems)), icon=":material/block:")
    st.code("\n".join(choice.problems), language=None)
    return True
