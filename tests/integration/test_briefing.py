"""The comparison briefing (对比简报) a director reads: two A4 pages in zh and en, as PDF and Word, for 2, 3
and 4 arrangements compared.

The page count and size are read back from the PDF with poppler's ``pdfinfo`` (what a printer sees), the
text with ``pdftotext``; the Word file is opened with python-docx and laid out by LibreOffice
(``soffice --headless --convert-to pdf``: Word's own layout is not available here; LibreOffice's is the
nearest real one), whose PDF is counted the same way. PDFs and page images are kept under
``test-artifacts/`` for review.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboards.report import render, render_pdf
from dashboards.report_docx import render_docx
from scenarios.loader import load_scenario
from simulation.experiments import attribution_difference
from simulation.experiments.compare import compare
from tests.helpers import ROOT

FIRE = "scenarios/library/high_rise_fire.yaml"
ARTIFACTS = ROOT / "test-artifacts"
LABELS = {"en": {"sectoral_lead": "Sectoral lead (three musts)", "unified_command": "Unified command",
                 "territorial_lead": "Territorial lead (street office leads, departments assist)",
                 "integrated_grid": "One integrated grid on one operations platform"},
          "zh-CN": {"sectoral_lead": "行业牵头（三管三必须）", "unified_command": "应急局统一指挥",
                    "territorial_lead": "属地牵头（街道为主、部门协助）", "integrated_grid": "多网合一·一网统管"}}
ARMS = tuple(LABELS["en"])
A4_PT = (595.28, 841.89)
ID = re.compile(r"\b(?:sectoral_lead|unified_command|territorial_lead|integrated_grid|t_control|handoff_gap_total"
                r"|fire_attack|street_S\d|fire1)\b")
_RESULTS: dict[int, object] = {}


@pytest.fixture(scope="module")
def result():
    return compare(FIRE, ["sectoral_lead", "unified_command"], 10, 7), load_scenario(FIRE)


def compared(k: int):
    """The first ``k`` arrangements of :data:`ARMS` compared (N = 10, seed 7), computed once per module."""
    if k not in _RESULTS:
        _RESULTS[k] = compare(FIRE, list(ARMS[:k]), 10, 7)
    return _RESULTS[k]


def pages(pdf: Path) -> int:
    return int(pdfinfo(pdf)["Pages"])


def word_pages(docx: Path, tmp: Path) -> int:
    """The .docx laid out by LibreOffice Writer and counted from its PDF."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("soffice is missing: `make sysdeps` installs libreoffice-writer-nogui")
    outdir = tmp / "word-layout"
    # a profile of its own: a user's running LibreOffice (or another test) would otherwise swallow the call
    profile = f"-env:UserInstallation=file://{tmp / 'lo-profile'}"
    subprocess.run([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(outdir), str(docx)],
                   capture_output=True, check=True, timeout=300)
    return pages(outdir / docx.with_suffix(".pdf").name)


def pdfinfo(pdf: Path) -> dict[str, str]:
    if shutil.which("pdfinfo") is None:
        pytest.fail("pdfinfo is missing: `make sysdeps` installs poppler-utils")
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_briefing_prints_on_at_most_two_a4_pages(result, lang: str) -> None:
    """WeasyPrint's PDF: ≤ 2 pages of A4 (595 × 842 pt), the finding naming the pair whose gap moved most,
    the cards, the timeline's replication and the caveats; no internal id anywhere."""
    res, sc = result
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"briefing-{lang}.pdf"
    pdf.write_bytes(render_pdf(res, LABELS[lang], sc, "high_rise_fire", (), lang=lang))
    info = pdfinfo(pdf)
    assert 1 <= int(info["Pages"]) <= 2
    w, h = (float(x) for x in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (w, h) == pytest.approx(A4_PT, abs=1)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)
    top = attribution_difference(res.attribution, "sectoral_lead", "unified_command")[0]
    want = ("住建委", "注意事项", "得到控制的比例（%）", "仅计两种安排均得到控制") if lang == "zh-CN" else (
        "Housing and construction commission", "Caveats", "(%)", "brought under control in both")
    assert all(re.sub(r"\s+", "", w) in flat for w in want), want
    assert f"{top['diff'] / 60:+.1f}" in text
    assert not ID.findall(text)
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(ARTIFACTS / f"briefing-{lang}")], check=True)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_word_briefing_has_the_same_sections_on_a4(result, lang: str) -> None:
    """The .docx: A4, a page break between page one and two, the two charts, the finding; no ids."""
    from docx import Document

    res, sc = result
    blob = render_docx(res, LABELS[lang], sc, "high_rise_fire", (), lang=lang)
    (ARTIFACTS / f"briefing-{lang}.docx").write_bytes(blob)
    doc = Document(io.BytesIO(blob))
    sec = doc.sections[0]
    assert (sec.page_width.mm, sec.page_height.mm) == pytest.approx((210, 297), abs=0.1)  # Word keeps twips
    assert len(doc.inline_shapes) == 3  # the heat-map, the timeline and the map
    body = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert LABELS[lang]["unified_command"] in body and not ID.findall(body)
    assert doc.element.body.xml.count('w:type="page"') == 1


def test_the_html_briefing_is_self_contained(result) -> None:
    res, sc = result
    html = render(res, LABELS["en"], sc, "high_rise_fire", ("agencies.police.desk.staff=4",), lang="en")
    assert "<script" not in html and "http" not in html.split("</style>", 1)[1].replace(
        'xmlns="http://www.w3.org/2000/svg"', "").replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    assert "agencies.police.desk.staff=4" in html and html.count("<svg") == 3
    # WeasyPrint paints no SVG gradient: a colour key drawn as one would be blank in the PDF — keys are swatches
    assert "Gradient" not in html


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_two_a4_pages_for_two_to_four_arrangements_as_pdf_and_word(k: int, lang: str, tmp_path: Path) -> None:
    """The page compares up to four arrangements; the briefing must still print on two A4 pages, from
    WeasyPrint's PDF and from the Word file as LibreOffice lays it out (with 3–4 arrangements it took 3
    pages before the cards became one table and the heat-maps one chart). Every arrangement is named on
    both, and page two starts with the timeline."""
    from docx import Document

    res, sc = compared(k), load_scenario(FIRE)
    ARTIFACTS.mkdir(exist_ok=True)
    labels = {a: LABELS[lang][a] for a in ARMS[:k]}
    pdf = ARTIFACTS / f"briefing-{k}arms-{lang}.pdf"
    pdf.write_bytes(render_pdf(res, labels, sc, "high_rise_fire", (), lang=lang))
    docx = ARTIFACTS / f"briefing-{k}arms-{lang}.docx"
    docx.write_bytes(render_docx(res, labels, sc, "high_rise_fire", (), lang=lang))
    assert pages(pdf) == 2
    assert word_pages(docx, tmp_path) == 2
    flat = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                              check=True).stdout)
    assert all(re.sub(r"\s+", "", name) in flat for name in labels.values())
    page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert page2.lstrip().startswith("同一次重复" if lang == "zh-CN" else "One replication"), page2[:80]
    doc = Document(str(docx))
    assert len(doc.inline_shapes) == 3 and doc.element.body.xml.count('w:type="page"') == 1
    assert not ID.findall(flat)
