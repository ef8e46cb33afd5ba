"""One-page comparison report (对比报告): printable, self-contained HTML in the chosen language.

Rendered with Jinja2 (autoescaped) from a :class:`~simulation.experiments.compare.ComparisonResult`: the verdict
table with paired differences and 95 % intervals (drawn as an inline SVG forest plot — no scripts, no
external resources), the largest hand-off gap contributors and the structural indicators.
"""

from __future__ import annotations

import math
from typing import Any

from jinja2 import Environment

from dashboards.i18n import agency_name, current, label, t, text
from simulation.experiments import package_version

TEMPLATE = """<!doctype html>
<html lang="{{ 'zh-CN' if zh else 'en' }}"><head><meta charset="utf-8">
<title>{{ T('report.title') }} · {{ scenario }}</title>
<style>
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  font-size: 10.5pt; color: #222; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 12pt; margin: 5mm 0 2mm; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; } th, td { padding: 1mm 1.5mm; border-bottom: 1px solid #eee;
  text-align: right; }
th:first-child, td:first-child, td.l, th.l { text-align: left; } .meta { color: #555; font-size: 9pt; }
.better { color: #1a7f37; font-weight: bold; } .worse { color: #c62828; font-weight: bold; } .none { color: #777; }
svg text { font-size: 8px; } @media print { .noprint { display: none; } }
</style></head><body>
<h1>{{ T('report.title') }}</h1>
<div class="meta">
{{- T('report.meta', scenario=scenario, n=result.replications, seed=result.seed, version=version) -}}
</div>
<p>{{ description }}</p>
{% if sets %}<div class="meta">{{ T('report.sets') }}: <code>{{ sets | join('; ') }}</code></div>{% endif %}
<div class="meta">{{ T('report.baseline', name=labels.get(result.baseline, result.baseline)) }}</div>
<h2>{{ T('report.verdicts') }}</h2>
<table><tr><th class="l">{{ T('common.metric') }}</th><th class="l">{{ T('compare.col_arm') }}</th>
<th>{{ T('compare.col_base') }}</th>
<th>{{ T('compare.col_mean') }}</th><th>{{ T('compare.col_diff') }}</th><th>{{ T('compare.col_ci') }}</th>
<th>{{ T('compare.col_p') }}</th>
<th class="l">{{ T('compare.col_verdict') }}</th><th>{{ T('report.interval') }}</th></tr>
{% for r in rows %}<tr><td>{{ r.metric }}</td><td class="l">{{ r.arm }}</td><td>{{ r.base }}</td>
<td>{{ r.mean }}</td><td>{{ r.diff }}</td>
<td>{{ r.ci }}</td><td>{{ r.p }}</td><td class="l {{ r.cls }}">{{ r.verdict }}</td>
<td><svg width="120" height="14" viewBox="0 0 120 14" role="img"><line x1="60" y1="0" x2="60" y2="14" stroke="#999"/>
{% if r.bar %}<line x1="{{ r.bar[0] }}" y1="7" x2="{{ r.bar[1] }}" y2="7" stroke="#333" stroke-width="2"/>
<circle cx="{{ r.bar[2] }}" cy="7" r="3" fill="#333"/>{% endif %}
</svg></td></tr>{% endfor %}
</table>
<div class="meta">{{ T('report.method') }}</div>
<h2>{{ T('report.gaps') }}</h2>
<table><tr><th class="l">{{ T('compare.col_arm') }}</th><th class="l">{{ T('report.pair') }}</th>
<th class="l">{{ T('report.task') }}</th>
<th class="l">{{ T('report.stage') }}</th><th>{{ T('report.minutes') }}</th><th>{{ T('report.share') }}</th></tr>
{% for g in gaps %}<tr><td>{{ g.arm }}</td><td class="l">{{ g.pair }}</td><td class="l">{{ g.task }}</td>
<td class="l">{{ g.stage }}</td>
<td>{{ g.minutes }}</td><td>{{ g.share }}</td></tr>{% endfor %}
</table>
<h2>{{ T('report.structure') }}</h2>
<table><tr><th class="l">{{ T('compare.col_arm') }}</th>
{%- for k in structure_keys %}<th>{{ T('structure.' ~ k) }}</th>{% endfor %}</tr>
{% for arm, s in structure %}<tr><td>{{ arm }}</td>
{%- for k in structure_keys %}<td>{{ s[k] }}</td>{% endfor %}</tr>{% endfor %}
</table>
</body></html>
"""

STRUCTURE_KEYS = ("max_notify_hops", "max_notify_latency", "unreachable_targets", "handoff_pairs", "escalations")


def _is_time(metric: str) -> bool:
    return metric.startswith("t_") or metric in (
        "handoff_gap_total",
        "handoff_gap_max",
        "ownerless_time",
        "max_notify_latency",
    )


def _fmt(metric: str, v: Any, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    x = v / 60 if _is_time(metric) else v
    return f"{x:+.1f}" if signed else f"{x:.1f}"


def render(result: Any, labels: dict[str, str], sc: Any, scenario: str, sets: tuple[str, ...] = (),
           lang: str | None = None, top_gaps: int = 8) -> str:
    """The report's HTML. ``labels``: arrangement label → display title; ``sc``: the scenario (names)."""
    lang = lang or current()
    description = text(sc.description, lang)

    def T(key: str, **fmt: Any) -> str:  # the templates' name for the translator
        return t(key, lang, **fmt)

    comp = result.comparison.to_pylist()
    spans: dict[str, float] = {}
    for r in comp:
        for k in ("ci_low", "ci_high", "diff_mean"):
            if r[k] is not None:
                spans[r["metric"]] = max(spans.get(r["metric"], 0.0), abs(r[k]))
    rows = []
    for r in comp:
        m = r["metric"]
        span = spans.get(m) or 0.0
        bar = None
        if span > 0 and None not in (r["ci_low"], r["ci_high"], r["diff_mean"]):
            def x(v: float, span: float = span) -> float:  # centre 0 at x=60
                return round(60 + 55 * v / span, 1)

            bar = (x(r["ci_low"]), x(r["ci_high"]), x(r["diff_mean"]))
        unit = f" ({T('common.min')})" if _is_time(m) else ""
        rows.append({"metric": label("metric", m, lang) + unit, "arm": labels.get(r["arrangement"], r["arrangement"]),
                     "base": _fmt(m, r["mean_baseline"]), "mean": _fmt(m, r["mean_arrangement"]),
                     "diff": _fmt(m, r["diff_mean"], True),
                     "ci": f"[{_fmt(m, r['ci_low'], True)}, {_fmt(m, r['ci_high'], True)}]",
                     "p": "—" if r["p_adjusted"] is None else f"{r['p_adjusted']:.3g}",
                     "verdict": label("verdict", r["verdict"], lang),
                     "cls": {"better": "better", "worse": "worse"}.get(r["verdict"], "none"), "bar": bar})
    agencies = {a.id: agency_name(a, lang) for a in sc.agencies}
    gaps = []
    for g in sorted(result.attribution.to_pylist(), key=lambda g: -g["seconds_mean"])[:top_gaps]:
        gaps.append(
            {
                "arm": labels.get(g["arrangement"], g["arrangement"]),
                "pair": f"{agencies.get(g['from_agency'], g['from_agency'])} → "
                        f"{agencies.get(g['to_agency'], g['to_agency'])}",
                "task": label("task", g["task"], lang),
                "stage": label("stage", g["stage"], lang),
                "minutes": f"{g['seconds_mean'] / 60:.1f}",
                "share": f"{100 * g['share']:.0f} %",
            }
        )
    structure = [(labels.get(k, k), {s: _fmt(s, v["summary"].get(s)) if isinstance(v["summary"].get(s), float)
                                     else v["summary"].get(s, "—") for s in STRUCTURE_KEYS})
                 for k, v in result.structure.items()]
    env = Environment(autoescape=True)
    return env.from_string(TEMPLATE).render(
        T=T, zh=lang.startswith("zh"), result=result, labels=labels, scenario=scenario, description=description,
        sets=list(sets), version=package_version(), rows=rows, gaps=gaps, structure=structure,
        structure_keys=STRUCTURE_KEYS)
