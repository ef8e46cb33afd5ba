"""Parameters of the defect-discovery loop (隐患排查闭环): 排查发现 → 抄告联勤 → 联动整治 → 固化成效.

Hazards (隐患) arise in grids by category; grid workers (网格员) find them on patrol; the report reaches
the responsible department — through each department's own line under parallel grids (多网并行), or
through one platform that copy-notifies (抄告) the department under an integrated grid (多网合一 /
一网统管); the department acknowledges (签收), an inspector handles the case (处置) and orders
rectification (整改) within a deadline; the owner rectifies, reports back (反馈), the department
re-checks (核查) and closes the case (结案); some rectified hazards relapse (回潮).

Durations are :data:`~scenarios.distributions.Distribution` values in **seconds** (like every duration
of the schema); scalar fields say their unit in their name (``_days``, ``_per_grid_day``).

Defaults are scaled from Shanghai Putuo, Jan–Oct 2020 (domain.md; seed document 004): 58,851 hazards
found in 305 days — production 11,856, fire 36,140, special equipment 867, occupational health 171,
other 9,817 — of which 56,332 rectified (95.72 %). Putuo's grid count is not published in the seeds:
we assume ≈1.24 million residents in grids of ~1,000 people (domain.md), i.e. **1,240 grids** — an
assumption, stated. The durations are assumptions chosen so that the default scenario over 305 days
lands near Putuo's 95.72 % (see docs/defect_loop.md for the calibration run).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from agencies.base import Bilingual, Frozen, Ident, RefError
from scenarios.distributions import Distribution, LogNormal

DAY = 86400.0
HOUR = 3600.0

Category = Literal["production", "fire", "special_equipment", "occupational_health", "other"]
CATEGORIES: tuple[str, ...] = ("production", "fire", "special_equipment", "occupational_health", "other")
CATEGORY_NAMES: dict[str, Bilingual] = {
    "production": Bilingual(zh="生产安全隐患", en="production safety"),
    "fire": Bilingual(zh="消防安全隐患", en="fire safety"),
    "special_equipment": Bilingual(zh="特种设备安全隐患", en="special equipment"),
    "occupational_health": Bilingual(zh="职业健康安全隐患", en="occupational health"),
    "other": Bilingual(zh="其他隐患", en="other"),
}
GridModel = Literal["parallel", "integrated"]

# Putuo, Jan–Oct 2020 (seed 004, domain.md): found per category, rectified, days, assumed grids.
PUTUO_FOUND = {
    "production": 11_856,
    "fire": 36_140,
    "special_equipment": 867,
    "occupational_health": 171,
    "other": 9_817,
}
PUTUO_FOUND_TOTAL = 58_851
PUTUO_RECTIFIED = 56_332
PUTUO_RECTIFICATION_RATE = 0.9572
PUTUO_DAYS = 305
PUTUO_GRIDS = 1_240
"""Assumption: ≈1.24 million residents / ~1,000 people per grid (not a published figure)."""
CHONGQING_GRIDS, CHONGQING_GRID_WORKERS = 68_000, 128_000
DEFAULT_RELAPSE = 0.03


def _ln(median_h: float, p90_h: float) -> LogNormal:
    return LogNormal(dist="lognormal", median=median_h * HOUR, p90=p90_h * HOUR)


FOUND_CALIBRATION = 0.987
"""New hazards per hazard found: relapses are found again (+2.3 %) and some are not yet found at the
period's end (−0.8 %); set from the default run so 305 days × 1,240 grids find ≈ Putuo's 58,851."""


def _putuo_rate(cat: str) -> float:
    return PUTUO_FOUND[cat] / (PUTUO_DAYS * PUTUO_GRIDS) * FOUND_CALIBRATION


class HazardCategory(Frozen):
    """One category of hazard: how often it arises, who owns it, how hard it is to see."""

    rate_per_grid_day: Annotated[float, Field(ge=0, le=1000)]
    """New hazards arising per grid per day."""
    department: Ident
    """Responsible department (谁主管谁负责 — the sectoral owner of this category)."""
    detection_probability: Annotated[float, Field(gt=0, le=1)] = 0.3
    """Chance a grid worker's patrol visit finds a hazard that is there (巡查发现率)."""
    relapse_probability: Annotated[float, Field(ge=0, le=1)] = DEFAULT_RELAPSE
    """Chance a closed hazard recurs (回潮) within ``relapse_within_days``."""


class HazardDepartment(Frozen):
    """A department that owns hazards of some categories, per district (区级职能部门)."""

    id: Ident
    name: Bilingual | None = None
    inspectors: Annotated[int, Field(ge=1, le=100_000)]
    """Inspectors handling cases at once in one full district (the department's capacity)."""
    acknowledge: Distribution = _ln(2, 12)
    """签收: from the case reaching the department to its acknowledgement."""
    handle: Distribution = _ln(3, 10)
    """处置: inspector time per case (visit, check, order rectification); an inspector is busy meanwhile."""
    rectify: Distribution = _ln(5.5 * 24, 21 * 24)
    """整改: the owner's rectification time after the order (no department capacity used)."""
    deadline_days: Annotated[float, Field(gt=0, le=365)] = 15.0
    """整改期限: rectification taking longer than this is overdue."""
    report_back: Distribution = _ln(8, 36)
    """反馈: from rectification to the owner's report back."""
    verify: Distribution = _ln(24, 72)
    """核查: from the report back to the re-check that closes the case (结案)."""
    line_latency: Distribution = _ln(24, 96)
    """Parallel grids only: report latency through this department's own grid line."""


class ParallelGrids(Frozen):
    """多网并行: each department's own grid line; cases bounce between lines (推诿) or get lost."""

    misroute_probability: Annotated[float, Field(ge=0, le=1)] = 0.10
    reroute: Distribution = _ln(48, 168)
    """Extra time a misrouted case takes to reach the right department."""
    drop_probability: Annotated[float, Field(ge=0, le=1)] = 0.02
    """Chance a report never reaches any department (the closed loop leaks)."""


class IntegratedGrid(Frozen):
    """多网合一 / 一网统管: one platform takes every report and copy-notifies (抄告) the owner."""

    intake: Distribution = _ln(1, 4)
    """Platform intake and dispatch (城运中心受理派单)."""
    copy_notify: Distribution = _ln(0.25, 1)
    """抄告 to the responsible department (in parallel with the other informed parties)."""
    misroute_probability: Annotated[float, Field(ge=0, le=1)] = 0.02
    reroute: Distribution = _ln(4, 24)
    drop_probability: Annotated[float, Field(ge=0, le=1)] = 0.002


class PatrolSpec(Frozen):
    """Grid workers' patrol (网格巡查): more workers per grid → the grid is walked more often."""

    workers_per_grid: Annotated[float, Field(ge=0, le=100)] = CHONGQING_GRID_WORKERS / CHONGQING_GRIDS
    """Mean grid workers per grid (fractional: grids get ⌊w⌋ or ⌈w⌉); 0-worker grids are never patrolled."""
    visit_interval_days: Annotated[float, Field(gt=0, le=365)] = 2.0
    """Days between two visits of one worker to their grid (n workers visit n times as often)."""


def _default_categories() -> dict[str, HazardCategory]:
    dept = {"production": "emergency_bureau", "fire": "fire", "special_equipment": "market_regulation",
            "occupational_health": "health", "other": "street_office"}
    detect = {"production": 0.3, "fire": 0.4, "special_equipment": 0.2, "occupational_health": 0.15, "other": 0.3}
    return {c: HazardCategory(rate_per_grid_day=_putuo_rate(c), department=dept[c], detection_probability=detect[c])
            for c in CATEGORIES}


def _default_departments() -> list[HazardDepartment]:
    def d(i: str, zh: str, en: str, n: int) -> HazardDepartment:
        return HazardDepartment(id=i, name=Bilingual(zh=zh, en=en), inspectors=n)

    # Inspectors per full district, sized for ~85 % utilisation at the default rates (an assumption).
    return [d("emergency_bureau", "应急管理局", "Emergency-management bureau", 9),
            d("fire", "消防救援", "Fire and rescue", 27),
            d("market_regulation", "市场监管局", "Market regulation bureau", 1),
            d("health", "卫健委", "Health commission", 1),
            d("street_office", "街道办事处", "Street offices", 7)]


class DefectLoopSpec(Frozen):
    """The defect-discovery loop of a city (隐患排查整治闭环), simulated by :mod:`simulation.model.defect_loop`."""

    grids: Annotated[int, Field(ge=1, le=2_000_000)] | None = None
    """Number of grids; ``None`` takes the scenario city's grid count."""
    grids_per_district: Annotated[int, Field(ge=1, le=2_000_000)] = PUTUO_GRIDS
    """Grids per district: each district has its own departments' inspectors and queues."""
    days: Annotated[float, Field(ge=1, le=730)] = 365.0
    grid_model: GridModel = "integrated"
    patrol: PatrolSpec = PatrolSpec()
    categories: dict[Category, HazardCategory] = Field(default_factory=_default_categories)
    departments: Annotated[list[HazardDepartment], Field(min_length=1)] = Field(default_factory=_default_departments)
    parallel: ParallelGrids = ParallelGrids()
    integrated: IntegratedGrid = IntegratedGrid()
    relapse_within_days: Annotated[float, Field(ge=1, le=730)] = 90.0
    """A relapse appears between 1 day and this many days after the case is closed."""

    @model_validator(mode="after")
    def verify_departments(self) -> DefectLoopSpec:
        ids = [d.id for d in self.departments]
        for i, d in enumerate(self.departments):
            if ids.index(d.id) != i:
                raise RefError(f"department '{d.id}' is defined twice", "departments", i, "id")
        for cat, c in self.categories.items():
            if c.department not in ids:
                raise RefError(
                    f"category '{cat}' is owned by unknown department '{c.department}' (known: {', '.join(ids)})",
                    "categories",
                    cat,
                    "department",
                )
        if not self.categories:
            raise RefError("at least one hazard category is needed", "categories")
        return self

    def department_index(self) -> dict[str, int]:
        return {d.id: i for i, d in enumerate(self.departments)}
