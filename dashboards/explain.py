"""Why a verdict is what it is (结论说明): one generated paragraph per arrangement on the compare page.

Built from the comparison (which metrics differ clearly, by how much, how sure, over which replications)
and the hand-off attribution difference (``simulation.experiments.attribution_difference``: which agency
pair, which stage — the mechanism — took more or less time). Time a hand-off waited at a duty desk is charged
to that desk (caller → desk, under the desk's reason: ``simulation.experiments.ATTRIBUTION_STAGES``), and the
paragraph names the desk, why it held the call, and how (``desk_holds``: its own desk, or an earlier call on
a serial relay's list). The same paragraph heads the briefing.
"""

from __future__ import annotations

from typing import Any

from dashboards import numbers
from dashboards.i18n import label, t
from simulation.experiments import BLOCK_VALUES, HAZARD_METRICS

CLEAR = ("better", "worse")
TOP_PAIRS = 2
MIN_SHIFT_S = 30.0
"""A pair × stage that moved by less than half a minute per replication is not named as a cause."""


def paragraph(rows: list[dict], diffs: list[dict], names: dict[str, str], base: str, arm: str, total: int,
              starts: list[dict] = (), acting: set[str] = frozenset(), lang: str | None = None,
              holds: list[dict] = ()) -> str:
    """``rows``: the comparison rows of ``arm`` against the baseline; ``diffs``: its attribution difference;
    ``starts``: when each task started, arm − baseline (``start_difference``); ``acting``: the tasks whose
    start acts on the hazard (an ``intervention``) — what moves casualties; ``holds``: which desks held
    hand-offs up, arm − baseline (``desk_holds``)."""
    clear = [r for r in rows if r["verdict"] in CLEAR and r["metric"] != "handoff_count"]
    if clear:
        parts = [t("compare.explain_metric", lang, metric=label("metric", r["metric"], lang),
                   diff=_with_unit(r["metric"], numbers.diff(r["metric"], r["diff_mean"], lang), lang),
                   verdict=label("verdict", r["verdict"], lang),
                   lo=numbers.diff(r["metric"], r["ci_low"], lang), hi=numbers.diff(r["metric"], r["ci_high"], lang),
                   cond=_cond(r, total, lang)) for r in clear]
        head = ("；" if _zh(lang) else "; ").join(parts) + ("。" if _zh(lang) else ".")
    else:
        head = t("compare.explain_none", lang) + ("。" if _zh(lang) else ".")
    text = t("compare.explain_head", lang, arm=arm, base=base) + head
    moved = [d for d in diffs if abs(d["diff"]) >= MIN_SHIFT_S][:TOP_PAIRS]
    if moved:
        pairs = ("、" if _zh(lang) else "; ").join(_pair(d, names, holds, lang) for d in moved)
        text += " " + t("compare.explain_gap", lang, pairs=pairs)
    else:
        text += " " + t("compare.explain_same", lang)
    harms = [r for r in clear if r["metric"] in HAZARD_METRICS]
    if harms:
        moved_tasks = [s for s in starts if s["task"] in acting and abs(s["diff"]) >= MIN_SHIFT_S][:TOP_PAIRS]
        tasks = ("、" if _zh(lang) else ", ").join(
            t("compare.explain_later" if s["diff"] > 0 else "compare.explain_earlier", lang,
              task=label("task", s["task"], lang), minutes=f"{abs(s['diff']) / 60:.1f}") for s in moved_tasks)
        text += " " + t("compare.explain_harm", lang,
                        harm=("、" if _zh(lang) else ", ").join(label("metric", r["metric"], lang) for r in harms),
                        tasks=tasks or t("compare.explain_no_shift", lang))
    return text


def _pair(d: dict, names: dict[str, str], holds: list[dict], lang: str | None) -> str:
    """One pair × stage that moved; a duty desk's hold names the desk, why, and how it held the call."""
    src, dst = names.get(d["from_agency"], d["from_agency"]), names.get(d["to_agency"], d["to_agency"])
    diff = f"{d['diff'] / 60:+.1f}"
    if d["stage"] not in BLOCK_VALUES["block_reason"]:
        return t("compare.explain_pair", lang, src=src, dst=dst, stage=label("stage", d["stage"], lang), diff=diff)
    how = [h for h in holds if (h["blocked_caller"], h["blocked_by"], h["block_reason"])
           == (d["from_agency"], d["to_agency"], d["stage"])]
    path = max(how, key=lambda h: abs(h["diff"]))["block_path"] if how else "own_desk"
    return t("compare.explain_desk", lang, src=src, dst=dst, reason=label("hold_reason", d["stage"], lang),
             path=t(f"compare.explain_path_{path}", lang), diff=diff)


def _zh(lang: str | None) -> bool:
    from dashboards.i18n import current

    return (lang or current()).startswith("zh")


def _with_unit(metric: str, s: str, lang: str | None) -> str:
    from simulation.experiments import is_duration

    return f"{s} {t('common.min', lang)}" if is_duration(metric) else s


def _cond(r: dict[str, Any], total: int, lang: str | None) -> str:
    c = numbers.condition(r["metric"], int(r["n"]), total, both=True, lang=lang)
    return ("；" if _zh(lang) else "; ") + c if c else ""
