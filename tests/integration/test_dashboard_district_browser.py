"""The dashboard on the example district in a real browser: the district map page with its choropleth.

Starts the Streamlit server as ``linkage dashboard --district agencies/library/putuo_district.yaml`` does
(the district handed over in LINKAGE_DASHBOARD_DISTRICTS, so it is chosen at start), opens the district
map page in headless Chromium (Debian's /usr/bin/chromium through Playwright), and checks that the
choropleth is really drawn: every one of the district's grid polygons is a filled shape in the page's
SVG, in more than one colour class, with a colour bar, the agencies' stations in the legend and the
Chinese title; the map fetches nothing from outside the app (no tiles, no CDN). Saves the screenshot to
``test-artifacts/dashboard_district_map.png`` (the README's ``docs/img/dashboard_district_map.png`` is one
of these). Skips only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.dashboard_helpers import running_dashboard
from tests.helpers import ROOT, free_port

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"
ICON = "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/emergency/"
WAIT_MS = 180_000
"""Upper bound for the map to appear on a shared 2-core machine; a passing run takes seconds."""


def _rings() -> int:
    """Outline rings of the example's grids, read from its own grid table (a MultiPolygon grid has several)."""
    import geopandas as gpd
    import shapely

    gdf = gpd.read_parquet(PUTUO.with_name("putuo_district.grids.parquet"))
    return int(sum(len(shapely.get_parts(g)) for g in gdf.geometry.values)), len(gdf)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    from simulation.faces.cli_dashboard import DISTRICTS_ENV, district_paths

    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, DISTRICTS_ENV: district_paths([PUTUO])}
    with running_dashboard(port, log, env) as url:
        yield url


FILLED_SHAPES = """() => [...document.querySelectorAll('.js-plotly-plot .scatterlayer .trace path.js-fill')]
    .map(p => (p.getAttribute('d') || '').split('M').length - 1)"""
"""Per filled trace, the closed shapes its SVG path draws (one ``M`` per polygon ring)."""


def test_district_map_page_draws_the_choropleth(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    rings, grids = _rings()
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1250}, device_scale_factor=1)
        page.set_default_timeout(WAIT_MS)
        page.on("request", lambda req: requests.append(req.url))
        page.goto(server + "/district-map")
        expect(page.get_by_role("heading", name="辖区地图")).to_be_visible(timeout=WAIT_MS)
        page.locator(".js-plotly-plot .scatterlayer .trace path.js-fill").first.wait_for()
        page.wait_for_timeout(1500)  # let Plotly finish the legend and colour bar
        shapes = page.evaluate(FILLED_SHAPES)
        colourbars = page.locator(".js-plotly-plot .colorbar").count()
        legend = page.locator(".js-plotly-plot .legendtext").all_text_contents()
        title = page.locator(".js-plotly-plot .gtitle").text_content() or ""
        exceptions = page.locator("[data-testid='stException']").count()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard_district_map.png"))
        browser.close()
    assert exceptions == 0
    assert sum(shapes) == rings and rings >= grids == 1405  # every grid drawn, once
    assert len([n for n in shapes if n]) >= 3  # a choropleth: several colour classes, not one flat fill
    assert colourbars == 1
    assert "消防站行车时间" in title
    assert any("消防" in t for t in legend) and any("街道办事处" in t for t in legend)
    outside = [u for u in requests if not u.startswith((server, "data:", "blob:", server.replace("http", "ws")))]
    # the one request that leaves the machine is the browser tab's icon (app.py's page_icon, a Material symbol
    # Streamlit loads from fonts.gstatic.com), not the map's
    assert all(u.startswith(ICON) for u in outside), outside[:5]
    assert (ARTIFACTS / "dashboard_district_map.png").stat().st_size > 50_000


PICKABLE = """() => {
  // a grid whose marker lies at least 40 px from every station's and the incident's: a click there can only
  // mean the grid; its code and its place on the screen, from Plotly's own axes
  const gd = document.querySelector('.js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const px = (x, y) => [xa._offset + xa.l2p(x), ya._offset + ya.l2p(y)];
  const grid = gd._fullData.find(t => t.customdata && t.customdata.length > 100);
  const others = gd._fullData.filter(t => t !== grid && t.customdata && t.mode === 'markers')
    .flatMap(t => Array.from(t.x, (x, i) => px(x, t.y[i])));
  for (let i = Math.floor(grid.x.length / 3); i < grid.x.length; i++) {
    const [u, v] = px(grid.x[i], grid.y[i]);
    if (others.every(([a, b]) => Math.hypot(a - u, b - v) > 40)) { return {code: grid.customdata[i], u, v}; }
  }
  return null;
}"""


def test_a_click_on_a_grid_of_the_map_fills_the_incident_grid_field(server: str) -> None:
    """The planner clicks a grid of the district map; its code appears in the incident-grid field and the
    incident's star moves there (the same page, redrawn)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1250}, device_scale_factor=1)
        page.set_default_timeout(WAIT_MS)
        page.goto(server + "/district-map")
        page.locator(".js-plotly-plot .scatterlayer .trace path.js-fill").first.wait_for()
        page.wait_for_timeout(1500)
        field = page.get_by_role("combobox", name="事发网格（在地图上点击网格，或输入其编码）")
        before = field.input_value()
        target = page.evaluate(PICKABLE)
        assert before.startswith("putuo-") and target is not None and target["code"] != before
        box = page.locator(".js-plotly-plot").first.bounding_box()
        page.mouse.move(box["x"] + target["u"], box["y"] + target["v"])
        page.wait_for_timeout(300)
        page.mouse.click(box["x"] + target["u"], box["y"] + target["v"])
        expect(field).to_have_value(target["code"], timeout=WAIT_MS)
        page.wait_for_function("""code => { const gd = document.querySelector('.js-plotly-plot');
            const star = gd && gd._fullData.find(t => t.marker && t.marker.symbol === 'star');
            return star && star.customdata[0] === code; }""", arg=target["code"], timeout=WAIT_MS)
        exceptions = page.locator("[data-testid='stException']").count()
        browser.close()
    assert exceptions == 0
