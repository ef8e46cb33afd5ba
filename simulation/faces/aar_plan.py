"""The drill against the plan (与预案对比): the plan's automatic play and its Monte-Carlo counterfactual.

Both receive every inject the drill received, at the same scenario times — the MSEL's timed and
triggered injects by themselves, and the facilitator's hand-delivered ones from the drill's log — so the
only difference left between the drill and the plan's play of the same replication (same seed, same
random draws) is what the players decided.

A difference between the drill (one replication) and the counterfactual's mean (``n`` replications) has
two parts, and the report names both (差异分解):

    drill − mean = (drill − plan on the same draws)  +  (plan on the same draws − mean)
                    └ the players' decisions ┘          └ this replication's luck of the draw ┘
"""

from __future__ import annotations

import statistics
from typing import Any

from simulation.drill.policy import DrillPolicy
from simulation.experiments.metrics import replication_metrics
from simulation.experiments.outputs import is_duration
from simulation.experiments.runner import run
from simulation.faces.aar_text import mins
from simulation.model.engine import Replication

COMPARE = ("t_report", "t_notify_lead", "t_dispatch", "t_first_arrival", "t_control", "t_close",
           "handoff_gap_total", "handoff_gap_max", "ownerless_time", "casualties", "peak_density")
EXPLAINED = ("t_control", "casualties")


def delivered_by_hand(events: list[dict]) -> dict[str, float]:
    """Inject id → scenario time, for every inject the facilitator delivered by hand in the drill."""
    return {r["payload"]["inject"]: r["sim_time"] for r in events if r["kind"] == "deliver" and r["input"]}


def plan_policy(fin: Any, by_hand: dict[str, float]) -> Any:
    """A factory of the plan's policy for ``fin``'s exercise world (nobody played, the same injects)."""
    return lambda w: DrillPolicy(w, fin.msel, poll_s=fin.spec.poll_s, delivered_by_hand=by_hand)


def plan_play(fin: Any, by_hand: dict[str, float]) -> dict[str, Any]:
    """The plan's metrics on the drill's own replication (same seed, same draws, same injects)."""
    return replication_metrics(Replication(fin.world, fin.spec.seed, 0, plan_policy(fin, by_hand)(fin.world)).run())


def value_text(metric: str, v: float | None, lang: str) -> str:
    if v is None:
        return "—"
    if is_duration(metric):
        return f"{v / 60:.1f} 分钟" if lang == "zh" else f"{v / 60:.1f} min"
    return f"{v:.1f}"


def comparison(drill: dict, plan: dict, nm: Any) -> list[dict]:
    out = []
    for m in COMPARE:
        if m not in drill and m not in plan:
            continue
        d, p = drill.get(m), plan.get(m)
        out.append({"metric_id": m, "metric": nm.metric(m), "drill": d, "plan": p, "minutes": is_duration(m),
                    "drill_text": value_text(m, d, nm.lang), "plan_text": value_text(m, p, nm.lang)})
    return out


def counterfactual(fin: Any, n: int, by_hand: dict[str, float], drill: dict, plan: dict, nm: Any,
                   L: dict) -> dict[str, Any]:
    """``n`` replications with the plan's decisions; each explained metric's difference split in two."""
    mc = run(fin.scenario, n, fin.spec.seed, world=fin.world, policy_factory=plan_policy(fin, by_hand))
    out: dict[str, Any] = {"n": n, "explained": []}
    h = mc.handoffs
    # the duty-desk holds of the plan's replications (the handoffs table's block columns), for the hand-off section
    out["holds"] = [r for r in h.select(["replication", "blocked_by", "block_reason", "blocked_time"]).to_pylist()
                    if r["blocked_time"]] if h.num_rows else []
    for m in EXPLAINED:
        if m not in mc.replications.column_names:
            continue
        xs = [x for x in mc.replications.column(m).to_pylist() if x is not None]
        d, p = drill.get(m), plan.get(m)
        out[m] = xs
        if not xs or d is None or p is None:
            continue
        mean = statistics.fmean(xs)
        share = sum(x <= d for x in xs) / len(xs)
        out["explained"].append({
            "metric_id": m, "metric": nm.metric(m), "k": len(xs), "drill": d, "plan": p, "mean": mean,
            "share": share, "decisions": d - p, "luck": p - mean,
            "sentence": L["cf_explain"].format(
                metric=nm.metric(m), drill=value_text(m, d, nm.lang), plan=value_text(m, p, nm.lang),
                mean=value_text(m, mean, nm.lang), n=n, k=len(xs), share=f"{100 * share:.0f}%",
                decisions=_signed(m, d - p, nm.lang), luck=_signed(m, p - mean, nm.lang)),
        })
    tc = [x for x in out.get("t_control", [])]
    out.update(_control_summary(tc, drill.get("t_control"), n, L))
    cas = out.get("casualties", [])
    out["casualties_mc"] = statistics.fmean(cas) if cas else None
    return out


def _signed(metric: str, v: float, lang: str) -> str:
    return ("+" if v >= 0 else "−") + value_text(metric, abs(v), lang)


def _control_summary(xs: list[float], drill_value: float | None, n: int, L: dict) -> dict[str, Any]:
    out: dict[str, Any] = {"controlled": len(xs), "drill": mins(drill_value)}
    if len(xs) >= 2:
        s = sorted(xs)
        out.update(mean=mins(statistics.fmean(xs)), sd=mins(statistics.stdev(xs)),
                   p10=mins(s[int(0.1 * (len(s) - 1))]), p90=mins(s[int(0.9 * (len(s) - 1))]))
        share = None if drill_value is None else sum(x <= drill_value for x in xs) / len(xs)
        out["share_faster"] = None if share is None else f"{100 * share:.0f}%"
        out["sentence"] = L["cf_sentence"].format(mean=out["mean"], sd=out["sd"], n=n, k=len(xs), drill=out["drill"])
    else:
        out["sentence"] = L["cf_none"].format(n=n, k=len(xs), drill=out["drill"])
    return out
