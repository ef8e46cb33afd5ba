"""The comparison briefing (对比简报): two A4 pages a director reads, as HTML, PDF (WeasyPrint) and Word.

Page one: the finding (one generated paragraph per arrangement, built from the attribution), the cards
(mean, difference, 95 % CI, verdict, and the condition and ``n`` of a conditional metric), where the
hand-off time moved (difference heat-map against the baseline). Page two: one replication — the same for
every arrangement — as a timeline, the map (grids, stations, the incident; :mod:`dashboards.briefing_map`)
beside the caveats. The content is :func:`dashboards.briefing.content`;
this module lays it out. Self-contained: no scripts, nothing fetched (charts are inline SVG).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from dashboards import briefing
from dashboards.i18n import current, t

TEMPLATE = """<!doctype html>
<html lang="{{ 'zh-CN' if zh else 'en' }}"><head><meta charset="utf-8">
<title>{{ T('report.title') }} · {{ d.scenario }}</title>
<style>
@page { size: A4; margin: 11mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  font-size: 9pt; line-height: 1.35; color: #222; margin: 0 auto; max-width: 186mm; }
h1 { font-size: 15pt; margin: 0 0 1mm; } h2 { font-size: 11pt; margin: 3mm 0 1.5mm; border-bottom: 1px solid #ccc; }
h3 { font-size: 9.5pt; margin: 2mm 0 1mm; }
.meta { color: #555; font-size: 8pt; } .finding { background: #f5f9fc; border-left: 3px solid #2f6f9f;
  padding: 1.5mm 3mm; margin: 1.5mm 0; }
.cards { display: flex; flex-wrap: wrap; gap: 1.5mm; } .card { border: 1px solid #d6dee6; border-radius: 1.5mm;
  padding: 1mm 1.6mm; width: 45mm; box-sizing: border-box; } .card .m { font-size: 8pt; color: #444; }
.card .v { font-size: 12pt; font-weight: bold; } .card .s { font-size: 7.5pt; color: #555; }
.better { color: #1a7f37; } .worse { color: #c62828; } .no-clear-difference, .not-comparable { color: #777; }
.chart svg { max-width: 100%; height: auto; } .page2 { break-before: page; }
.where { display: flex; gap: 4mm; align-items: flex-start; } .where .map { width: 104mm; flex: none; }
.where .map svg { width: 100%; height: auto; } .where .side { flex: 1; font-size: 8pt; }
.tbl { border-collapse: collapse; width: 100%; font-size: 8pt; } .tbl th, .tbl td { border: 1px solid #d6dee6;
  padding: 0.6mm 1.2mm; vertical-align: top; text-align: left; } .tbl .s { font-size: 7pt; color: #555; }
ul { margin: 1mm 0; padding-left: 5mm; } li { margin: 0.6mm 0; }
</style></head><body>
<h1>{{ T('report.title') }}</h1>
<div class="meta">{{ T('report.meta', scenario=d.scenario, n=d.n, seed=d.seed, version=d.version) }}
 · {{ T('report.baseline', name=d.baseline) }}</div>
{% if d.sets %}<div class="meta">{{ T('report.sets') }}: <code>{{ d.sets | join('; ') }}</code></div>{% endif %}
<h2>{{ T('report.finding') }}</h2>
{% for f in d.findings %}<p class="finding">{{ md(f) }}</p>{% endfor %}
<h2>{{ T('report.cards') }}</h2>
{% if d.table %}<table class="tbl"><tr><th>{{ T('common.metric') }}</th><th>{{ d.baseline }}</th>
{% for c in d.cards %}<th>{{ c.arm }}</th>{% endfor %}</tr>
{% for r in d.table %}<tr><td>{{ r.metric }}</td><td>{{ r.base }}</td>
{% for k in r.cells %}<td><b>{{ k.mean }}</b> <span class="{{ k.cls }}">({{ k.diff }})</span>
<div class="s">{{ k.ci }} · <span class="{{ k.cls }}">{{ k.verdict }}</span>{% if k.cond %}<br>{{ k.cond }}{% endif %}
</div></td>{% endfor %}</tr>{% endfor %}</table>
<p class="meta">{{ T('report.table_help') }}</p>
{% else %}{% for c in d.cards %}<h3>{{ c.arm }}</h3><div class="cards">
{% for k in c.cards %}<div class="card"><div class="m">{{ k.metric }}</div>
<div class="v">{{ k.mean }} <span class="{{ k.cls }}">({{ k.diff }})</span></div>
<div class="s">{{ T('report.base_was', v=k.base) }} · 95% CI {{ k.ci }} ·
<span class="{{ k.cls }}">{{ k.verdict }}</span>
{% if k.cond %}<br>{{ k.cond }}{% endif %}</div></div>{% endfor %}</div>{% endfor %}{% endif %}
<h2>{{ T('report.heat') }}</h2>
<p class="meta">{{ T('report.heat_all', base=d.baseline) }}</p>
{% if d.heat_svg %}<div class="chart">{{ d.heat_svg }}</div>
{% else %}<p class="meta">{{ T('compare.no_handoffs') }}</p>{% endif %}
<div class="page2">
<h2>{{ T('report.timeline', r=d.replication) }}</h2>
<div class="chart">{{ d.timeline_svg }}</div>
<div class="where"><div class="map"><h2>{{ T('report.map') }}</h2>{{ d.map_svg }}
<p class="meta">{{ T('report.map_help') }}</p></div>
<div class="side"><h2>{{ T('report.caveats') }}</h2>
<ul>{% for c in d.caveats %}<li>{{ c }}</li>{% endfor %}</ul></div></div>
<p class="meta">{{ d.description }}</p>
</div>
</body></html>
"""


def render(result: Any, labels: dict[str, str], sc: Any, scenario: str, sets: tuple[str, ...] = (),
           lang: str | None = None) -> str:
    """The briefing's HTML. ``labels``: arrangement label → display title; ``sc``: the scenario (names)."""
    lang = lang or current()
    d = briefing.content(result, labels, sc, scenario, sets, lang)
    d["heat_svg"] = Markup(briefing.svg(d["heat"])) if d["heat"] else None
    d["timeline_svg"] = Markup(briefing.svg(d["timeline"]))
    d["map_svg"] = Markup(briefing.svg(d["map"]))

    def T(key: str, **fmt: Any) -> str:  # the template's name for the translator
        return t(key, lang, **fmt)

    return Environment(autoescape=True).from_string(TEMPLATE).render(T=T, d=d, zh=lang.startswith("zh"), md=_md)


def render_pdf(result: Any, labels: dict[str, str], sc: Any, scenario: str, sets: tuple[str, ...] = (),
               lang: str | None = None) -> bytes:
    """The briefing as PDF (WeasyPrint, A4)."""
    from weasyprint import HTML

    return HTML(string=render(result, labels, sc, scenario, sets, lang)).write_pdf()


def _md(s: str) -> Markup:
    """The paragraph's **bold** (arrangement names) as <b>, everything else escaped."""
    parts = str(Markup.escape(s)).split("**")
    return Markup("".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts)))
