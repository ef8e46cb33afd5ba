"""Distinct colours per agency on the dashboard's maps (一单位一色).

The example district (Putuo) has 25 agencies with stations; the scenario page's map (``charts.city_map``)
drew them from an 8-colour palette, so three agencies shared each colour with the same diamond. Shows: on
both maps of the example district — the scenario page's and the district map page's — no two legend
entries (agencies' stations, the incident) share a colour and a symbol.
"""

from __future__ import annotations

from dashboards import charts, district_chart
from dashboards.i18n import agency_names
from simulation.experiments import prepare
from simulation.experiments.district_map import grid_measure
from tests.helpers import FLAGSHIP, ROOT

PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"


def _styles(fig) -> list[tuple[str, str]]:
    """(colour, symbol) of every marker trace in the legend."""
    out = []
    for tr in fig.data:
        if tr.mode and "markers" in tr.mode and tr.showlegend is not False and tr.marker.symbol is not None:
            out.append((str(tr.marker.color).upper(), str(tr.marker.symbol)))
    return out


def test_no_two_agencies_of_the_example_district_share_a_colour_and_symbol() -> None:
    sc, world = prepare(FLAGSHIP, None, (), district=PUTUO)
    names = agency_names(world.scenario)
    agencies = {s.agency for s in world.scenario.stations}
    assert len(agencies) == 25  # more than any fixed 8- or 10-colour palette
    for fig in (charts.city_map(world, names),
                district_chart.district_map(world, grid_measure(world, "households"), "households", names)):
        styles = _styles(fig)
        assert len(styles) == len(agencies) + 1  # every agency, and the incident
        assert len(set(styles)) == len(styles), styles
        assert len({c for c, _ in styles}) == len(styles)  # the colours alone tell them apart too
