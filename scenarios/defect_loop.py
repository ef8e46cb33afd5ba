"""Parameters of the hidden-hazard loop (隐患排查闭环): 排查发现 → 抄告联勤 → 联动整治 → 固化成效.

Hazards (隐患) arise in grids by category. Five **discovery channels** look for them, each with its own
rate, coverage and category mix: enterprise self-inspection (企业自查, the main-responsibility duty),
department special inspections (专项检查), grid-worker patrols (网格巡查), citizen reports through 12345,
and sensors (smart fire sensing on high-rises). A sighting becomes an order in the system that received
it; the **responsibility arrangement** (``agencies.arrangement``; routing in
``simulation.model.doctrine.HazardRouting``) decides whether that order reaches the owner, bounces (退单),
is dropped, or duplicates an order another system already holds. The owner's inspector visits, orders
rectification (整改) up an enforcement ladder (notice → penalty → suspension, 三停; legal documents
counted), the owner rectifies and reports back (反馈), and — when follow-up verification (核查, 固化成效)
is on — an inspector re-checks; a superficial rectification that nobody re-checks comes back (回潮).

Durations are :data:`~scenarios.distributions.Distribution` values in **seconds**; scalar fields say their
unit in their name (``_days``, ``_per_day``, ``_per_grid_day``).

Calibration (Putuo, Jan–Oct 2020, seed document 004; see docs/defect_loop.md): the category arrival rates,
the rectification-time scale and the on-the-spot share are *fitted* by
:func:`simulation.experiments.loop_calibration.fit_putuo` to the five category counts, the rectified share
(95.72 %) and the 14,977 legal documents; everything else is an assumption, stated where it is set.
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
Channel = Literal["self_inspection", "special_inspection", "grid_patrol", "citizen_12345", "sensor"]
CHANNELS: tuple[str, ...] = ("self_inspection", "special_inspection", "grid_patrol", "citizen_12345", "sensor")
CHANNEL_NAMES: dict[str, Bilingual] = {
    "self_inspection": Bilingual(zh="企业自查", en="enterprise self-inspection"),
    "special_inspection": Bilingual(zh="部门专项检查", en="department special inspection"),
    "grid_patrol": Bilingual(zh="网格巡查", en="grid patrol"),
    "citizen_12345": Bilingual(zh="12345市民举报", en="12345 citizen report"),
    "sensor": Bilingual(zh="智能感知", en="sensor"),
}

# Putuo, Jan–Oct 2020 (seed 004, domain.md): found per category, rectified, documents, days, assumed grids.
PUTUO_FOUND = {"production": 11_856, "fire": 36_140, "special_equipment": 867, "occupational_health": 171,
               "other": 9_817}
PUTUO_FOUND_TOTAL = 58_851
PUTUO_RECTIFIED = 56_332
PUTUO_RECTIFICATION_RATE = 0.9572
PUTUO_DOCUMENTS = 14_977
PUTUO_DAYS = 305
PUTUO_GRIDS = 1_240
"""Assumption: ≈1.24 million residents / ~1,000 people per grid (not a published figure)."""
CHONGQING_GRIDS, CHONGQING_GRID_WORKERS = 68_000, 128_000

# Fitted to Putuo by simulation.experiments.loop_calibration.fit_putuo (integrated_grid, seeds 0–1, 6 rounds);
# docs/defect_loop.md reports the fit per figure. Regenerate with benchmarks/calibrate_defect_loop.py.
FITTED_RATES = {"production": 0.039541, "fire": 0.119281, "special_equipment": 0.002866,
                "occupational_health": 0.000623, "other": 0.036464}
FITTED_RECTIFY_SCALE = 4.3318
FITTED_ON_THE_SPOT = 0.8684


def _ln(median_h: float, p90_h: float) -> LogNormal:
    return LogNormal(dist="lognormal", median=median_h * HOUR, p90=p90_h * HOUR)


class HazardCategory(Frozen):
    """One category of hazard: how often it arises, who owns it, how it is remedied."""

    rate_per_grid_day: Annotated[float, Field(ge=0, le=1000)]
    """New hazards arising per grid per day (fitted to Putuo's category counts)."""
    department: Ident
    """Sectoral owner (谁主管谁负责): the default lead when the arrangement lists nobody else, and the
    department an arbitration (审定) settles a disputed hazard on."""
    powers: Ident | None = None
    """Department whose enforcement powers (执法权) the penalty and suspension steps need; ``None``: the owner.
    An owner without them must whistle (吹哨报到) or go up through the district."""
    superficial: Annotated[float, Field(ge=0, le=1)] = 0.15
    """Chance a rectification is only superficial (整改不到位): it passes the owner's own report but not a re-check,
    and the hazard comes back (回潮) unless follow-up verification catches it. *Assumption.*"""


class HazardDepartment(Frozen):
    """A department that owns hazards and has inspectors, per district (区级职能部门)."""

    id: Ident
    name: Bilingual | None = None
    inspectors: Annotated[int, Field(ge=1, le=100_000)]
    """Inspectors at work at once in one full district (the department's capacity)."""
    grid_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Parallel grids (多网并行): this department's share of the grid workers, who patrol for it and report
    into its own system. Ignored under one integrated grid."""
    line_latency: Distribution = _ln(24, 96)
    """A report's way into this department's own system (grid worker → line → desk)."""
    acknowledge: Distribution = _ln(2, 12)
    """签收: from the order reaching the department to its acknowledgement."""
    handle: Distribution = _ln(1.5, 5)
    """处置: inspector time per hazard visited (its share of an inspection: Putuo found ≈2 hazards per enterprise
    inspected); the inspector is busy meanwhile."""
    return_check: Distribution = _ln(1.5, 4)
    """退单: inspector time to check an order outside the department's remit before returning it."""
    rectify: Distribution = _ln(5.5 * 24, 21 * 24)
    """整改: the owner's rectification time after the notice (no department capacity used); fitted scale."""
    report_back: Distribution = _ln(8, 36)
    """反馈: from rectification to the owner's report back."""
    verify: Distribution = _ln(1, 3)
    """核查: inspector time of the follow-up re-check (固化成效)."""


class ChannelSpec(Frozen):
    """A discovery channel: looks at a covered hazard site at ``rate_per_day`` (Poisson), each look finding a
    present hazard of a category with that category's ``sensitivity`` (the channel's category mix)."""

    rate_per_day: Annotated[float, Field(ge=0, le=100)]
    coverage: Annotated[float, Field(ge=0, le=1)]
    """Share of hazard sites this channel reaches at all (enterprises that self-inspect, sites visible from the
    street, high-rises with sensors …); drawn once per hazard, the same under every arrangement."""
    sensitivity: dict[Category, Annotated[float, Field(ge=0, le=1)]]
    receiver: Ident | None = None
    """Without a shared platform, the department whose system receives this channel's reports (sensors → fire);
    ``None``: the category's owner (self-inspection, special inspections) or the 12345 hotline (citizens)."""


class PatrolSpec(Frozen):
    """Grid workers' patrol (网格巡查): more workers per grid → the grid is walked more often."""

    workers_per_grid: Annotated[float, Field(ge=0, le=100)] = CHONGQING_GRID_WORKERS / CHONGQING_GRIDS
    """Mean grid workers per grid (fractional: grids get ⌊w⌋ or ⌈w⌉); 0-worker grids are never patrolled."""
    visit_interval_days: Annotated[float, Field(gt=0, le=365)] = 2.0
    """Days between two visits of one worker to their grid (n workers visit n times as often)."""
    coverage: Annotated[float, Field(ge=0, le=1)] = 0.3
    """Share of hazards visible from a patrol (public space, shop fronts; not inside plants). *Assumption.*"""
    sensitivity: dict[Category, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=lambda: {
        "production": 0.10, "fire": 0.15, "special_equipment": 0.05, "occupational_health": 0.02, "other": 0.15})
    """Chance one visit finds a visible hazard of the category. *Assumption.*"""
    cross_sensitivity: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Parallel grids: a department's grid worker notices another department's category at this fraction of
    the sensitivity (they are trained for their own). One integrated grid looks for everything."""
    report_hours: Annotated[float, Field(ge=0, le=24)] = 0.5
    """Grid-worker time per report filed (and per duplicate or returned report followed up)."""


def _channels() -> dict[str, ChannelSpec]:
    cats = CATEGORIES

    def mix(*v: float) -> dict:
        return dict(zip(cats, v, strict=True))

    # Assumptions: Putuo's 27,223 enterprises inspected in 305 days are the special inspections' scale; the
    # others are set so that inspections and self-inspection find most hazards (the Putuo report's own source).
    return {
        "self_inspection": ChannelSpec(rate_per_day=1 / 30, coverage=0.4, sensitivity=mix(0.5, 0.3, 0.5, 0.3, 0.1)),
        "special_inspection": ChannelSpec(rate_per_day=1 / 45, coverage=0.7, sensitivity=mix(0.8, 0.8, 0.8, 0.7, 0.5)),
        "citizen_12345": ChannelSpec(rate_per_day=1 / 30, coverage=0.15, sensitivity=mix(0.1, 0.4, 0.05, 0.05, 0.4)),
        "sensor": ChannelSpec(rate_per_day=1.0, coverage=0.05, sensitivity=mix(0, 0.9, 0, 0, 0), receiver="fire"),
    }


class EnforcementSpec(Frozen):
    """The enforcement ladder (执法): notice → penalty → suspension (责令停产停业, 三停), each a legal document."""

    on_the_spot: Annotated[float, Field(ge=0, le=1)] = FITTED_ON_THE_SPOT
    """Share of visited hazards put right on the spot (当场整改): no notice, no document; fitted to Putuo."""
    deadline_days: Annotated[float, Field(gt=0, le=365)] = 15.0
    """整改期限 of the rectification notice (责令限期整改指令书)."""
    penalty_deadline_days: Annotated[float, Field(gt=0, le=365)] = 15.0
    """A second deadline after the penalty decision (行政处罚决定书); missed → suspension."""
    suspension_fix_days: Annotated[float, Field(gt=0, le=365)] = 7.0
    """Under suspension the owner puts it right within this many days (no business until then)."""
    powers_escalation: Distribution = _ln(3 * 24, 10 * 24)
    """An owner without 执法权 and without 吹哨报到: the district takes this long to bring in the department."""


class DefectLoopSpec(Frozen):
    """The hidden-hazard loop of a city (隐患排查整治闭环), simulated by :mod:`simulation.model.defect_loop`."""

    grids: Annotated[int, Field(ge=1, le=2_000_000)] | None = None
    """Number of grids; ``None`` takes the scenario city's grid count."""
    grids_per_district: Annotated[int, Field(ge=1, le=2_000_000)] = PUTUO_GRIDS
    """Grids per district: each district has its own departments' inspectors and queues."""
    days: Annotated[float, Field(ge=1, le=730)] = 365.0
    patrol: PatrolSpec = PatrolSpec()
    channels: dict[Channel, ChannelSpec] = Field(default_factory=_channels)
    """The channels other than the grid patrol (which is :attr:`patrol`); a channel left out does not look."""
    categories: dict[Category, HazardCategory] = Field(default_factory=lambda: _default_categories())
    departments: Annotated[list[HazardDepartment], Field(min_length=1)] = Field(
        default_factory=lambda: _default_departments())
    enforcement: EnforcementSpec = EnforcementSpec()
    follow_up: bool = True
    """固化成效: an inspector re-checks every reported rectification before the case is closed; off, the case is
    closed on the owner's report back."""
    verify_catches: Annotated[float, Field(ge=0, le=1)] = 0.9
    """Chance a re-check finds a superficial rectification (it is redone, and re-checked). *Assumption.*"""
    platform_intake: Distribution = _ln(1, 4)
    """A shared platform or the 12345 hotline: intake and dispatch (城运中心受理派单)."""
    forward: Distribution = _ln(8, 48)
    """A returned order passed on to the owner by the relay or platform (抄告, 改派)."""
    arbitration: Distribution = _ln(3 * 24, 10 * 24)
    """审定: a disputed or ownerless hazard settled on its sectoral owner by the superior."""
    relapse_within_days: Annotated[float, Field(ge=1, le=730)] = 90.0
    """A superficial rectification that nobody re-checked comes back between 1 day and this many days later."""
    rectify_scale: Annotated[float, Field(gt=0, le=100)] = FITTED_RECTIFY_SCALE
    """Multiplies every department's rectification time (fitted to Putuo's rectified share)."""

    @model_validator(mode="after")
    def verify_departments(self) -> DefectLoopSpec:
        ids = [d.id for d in self.departments]
        for i, d in enumerate(self.departments):
            if ids.index(d.id) != i:
                raise RefError(f"department '{d.id}' is defined twice", "departments", i, "id")
        if not self.categories:
            raise RefError("at least one hazard category is needed", "categories")
        for cat, c in self.categories.items():
            for field in ("department", "powers"):
                ref = getattr(c, field)
                if ref is not None and ref not in ids:
                    raise RefError(f"category '{cat}' names unknown department '{ref}' (known: {', '.join(ids)})",
                                   "categories", cat, field)
        if "grid_patrol" in self.channels:
            raise RefError("the grid patrol is set under 'patrol', not as a channel", "channels", "grid_patrol")
        for name, ch in self.channels.items():
            if ch.receiver is not None and ch.receiver not in ids:
                raise RefError(f"channel '{name}' reports to unknown department '{ch.receiver}'",
                               "channels", name, "receiver")
        return self

    def department_index(self) -> dict[str, int]:
        return {d.id: i for i, d in enumerate(self.departments)}


def _default_categories() -> dict[str, HazardCategory]:
    owner = {"production": "emergency_bureau", "fire": "fire", "special_equipment": "market_regulation",
             "occupational_health": "health", "other": "street_office"}
    # 三合一 places and blocked fire exits are the fire hazards that come back (seed 000: 易"回潮"); an assumption.
    superficial = {"production": 0.10, "fire": 0.20, "special_equipment": 0.05, "occupational_health": 0.10,
                   "other": 0.15}
    return {c: HazardCategory(rate_per_grid_day=FITTED_RATES[c], department=owner[c], superficial=superficial[c])
            for c in CATEGORIES}


def _default_departments() -> list[HazardDepartment]:
    def d(i: str, zh: str, en: str, n: int, share: float) -> HazardDepartment:
        return HazardDepartment(id=i, name=Bilingual(zh=zh, en=en), inspectors=n, grid_share=share)

    # Inspectors per full district (assumption, sized near 85 % busy under one integrated grid); grid shares of
    # the parallel grids (城管/街道, 消防, 安监 … each its own) are an assumption too.
    return [d("emergency_bureau", "应急管理局", "Emergency-management bureau", 8, 0.2),
            d("fire", "消防救援", "Fire and rescue", 24, 0.3),
            d("market_regulation", "市场监管局", "Market regulation bureau", 1, 0.1),
            d("health", "卫健委", "Health commission", 1, 0.0),
            d("street_office", "街道办事处", "Street offices", 8, 0.4)]
