"""``linkage district map`` in a real browser: the Putuo example drawn offline with a choropleth.

Headless Chromium (Debian's, through Playwright) opens the HTML file; the test checks that the page asked
for nothing outside the file (no tile server, no CDN), that the grids are drawn as filled classes with a
colour bar, that the Chinese labels are there, and saves a screenshot to ``test-artifacts/district_map.png``
(the README's picture, ``docs/img/district_map.png``, is one of these). Skips only when /usr/bin/chromium
is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
PUTUO = ROOT / "agencies" / "library" / "putuo_district.yaml"


@pytest.mark.slow
def test_district_map_offline_with_a_choropleth(cli, tmp_path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    from simulation.district.mapview import BINS

    html = tmp_path / "putuo.html"
    r = cli("district", "map", PUTUO, "--out", html)
    assert r.returncode == 0, r.stderr
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.on("request", lambda req: requests.append(req.url))
        page.goto(html.as_uri())
        page.wait_for_selector(".scatterlayer .trace", timeout=120_000)
        filled = page.locator(".scatterlayer .trace path.js-fill").count()
        colourbar = page.locator(".colorbar").count()
        title = page.locator(".gtitle").text_content() or ""
        legend = page.locator(".legendtext").all_text_contents()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "district_map.png"))
        browser.close()
    assert all(u.startswith(("file:", "data:", "blob:")) for u in requests), requests
    assert BINS - 3 <= filled <= BINS + 1  # one filled trace per colour class present (+ grey for none)
    assert colourbar == 1
    assert "辖区地图" in title and "消防到达" in title
    assert any("消防救援支队" in t for t in legend) and any("街道办事处" in t for t in legend)
    assert (ARTIFACTS / "district_map.png").stat().st_size > 20_000


def test_map_needs_a_district_with_grid_polygons(cli, tmp_path) -> None:
    from tests.helpers import FLAGSHIP

    r = cli("district", "map", FLAGSHIP, "--out", tmp_path / "m.html")
    assert r.returncode == 1
    assert "not a district file" in r.stderr
    r = cli("district", "map", PUTUO, "--out", tmp_path / "m.png")
    assert r.returncode == 1 and "expected an .html file name" in r.stderr
