"""The comparison briefing as a Word document (python-docx): the same content and order as the PDF.

A4, narrow margins, page one (finding, cards, heat-maps) and page two (timeline, the map beside the
caveats) split by a page break; the charts are the same Vega-Lite specs rendered to PNG.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from dashboards import briefing
from dashboards.i18n import current, t

VERDICT_COLOUR = {"better": RGBColor(0x1A, 0x7F, 0x37), "worse": RGBColor(0xC6, 0x28, 0x28)}


def render_docx(result: Any, labels: dict[str, str], sc: Any, scenario: str, sets: tuple[str, ...] = (),
                lang: str | None = None) -> bytes:
    lang = lang or current()
    d = briefing.content(result, labels, sc, scenario, sets, lang)
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(12)
    sec.top_margin = sec.bottom_margin = Mm(11)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = ("SimSun" if lang.startswith("zh") else "Calibri"), Pt(9)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # Chinese text needs an East Asian font
    style.paragraph_format.space_after = Pt(2)
    # Word's default headings (26 pt title, 14 pt headings with wide spacing) would push page one's heat-map
    # onto a page of its own; the PDF's sizes instead.
    for name, size in (("Title", 15), ("Heading 1", 11), ("Heading 2", 9.5)):
        hs = doc.styles[name]
        hs.font.size = Pt(size)
        hs.paragraph_format.space_before, hs.paragraph_format.space_after = Pt(4), Pt(2)
    doc.add_heading(t("report.title", lang), 0)
    doc.add_paragraph(t("report.meta", lang, scenario=d["scenario"], n=d["n"], seed=d["seed"], version=d["version"])
                      + " · " + t("report.baseline", lang, name=d["baseline"]))
    if d["sets"]:
        doc.add_paragraph(f"{t('report.sets', lang)}: {'; '.join(d['sets'])}")
    doc.add_heading(t("report.finding", lang), 1)
    for f in d["findings"]:
        p = doc.add_paragraph()
        for i, part in enumerate(f.split("**")):
            p.add_run(part).bold = bool(i % 2)
    doc.add_heading(t("report.cards", lang), 1)
    if d["table"]:
        _card_table(doc, d, lang)
    else:
        for c in d["cards"]:
            doc.add_heading(c["arm"], 2)
            _cards(doc, c["cards"], lang)
    doc.add_heading(t("report.heat", lang), 1)
    doc.add_paragraph(t("report.heat_all", lang, base=d["baseline"]))
    if d["heat"]:
        doc.add_picture(io.BytesIO(briefing.png(d["heat"])), width=Mm(min(186, 110 + 25 * len(d["cards"]))))
    else:
        doc.add_paragraph(t("compare.no_handoffs", lang))
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading(t("report.timeline", lang, r=d["replication"]), 1)
    doc.add_picture(io.BytesIO(briefing.png(d["timeline"])), width=Mm(180))
    _map_and_caveats(doc, d, lang)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _card_table(doc: Any, d: dict, lang: str) -> None:
    """3–4 arrangements: one row per metric, one column per arrangement (as the PDF)."""
    table = doc.add_table(rows=1 + len(d["table"]), cols=2 + len(d["cards"]))
    table.style = "Table Grid"
    head = [t("common.metric", lang), d["baseline"], *(c["arm"] for c in d["cards"])]
    for j, h in enumerate(head):
        table.cell(0, j).paragraphs[0].add_run(h).bold = True
    for i, r in enumerate(d["table"], start=1):
        table.cell(i, 0).text, table.cell(i, 1).text = r["metric"], r["base"]
        for j, k in enumerate(r["cells"], start=2):
            p = table.cell(i, j).paragraphs[0]
            p.add_run(k["mean"] + " ").bold = True
            run = p.add_run(f"({k['diff']})")
            if k["cls"] in VERDICT_COLOUR:
                run.font.color.rgb = VERDICT_COLOUR[k["cls"]]
            small = p.add_run(f"\n{k['ci']} · {k['verdict']}" + (f" · {k['cond']}" if k["cond"] else ""))
            small.font.size = Pt(7)
    for row in table.rows:
        for c in row.cells:
            for p in c.paragraphs:
                for r in p.runs:
                    r.font.size = r.font.size or Pt(8)
    doc.add_paragraph(t("report.table_help", lang)).runs[0].font.size = Pt(7.5)


def _cards(doc: Any, cards: list[dict], lang: str) -> None:
    """Three cards a row, as a borderless table."""
    per_row = 3
    table = doc.add_table(rows=(len(cards) + per_row - 1) // per_row, cols=per_row)
    table.style = "Table Grid"
    for i, k in enumerate(cards):
        cell = table.cell(i // per_row, i % per_row)
        cell.paragraphs[0].add_run(k["metric"]).font.size = Pt(8)
        p = cell.add_paragraph()
        p.add_run(k["mean"] + " ").bold = True
        run = p.add_run(f"({k['diff']})")
        run.bold = True
        if k["cls"] in VERDICT_COLOUR:
            run.font.color.rgb = VERDICT_COLOUR[k["cls"]]
        small = cell.add_paragraph(f"{t('report.base_was', lang, v=k['base'])} · 95% CI {k['ci']} · {k['verdict']}"
                                   + (f" · {k['cond']}" if k["cond"] else ""))
        for r in small.runs:
            r.font.size = Pt(7.5)


def _map_and_caveats(doc: Any, d: dict, lang: str) -> None:
    """Page two's foot, as the PDF's: the map (its heading, picture and key) beside the caveats."""
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = table.rows[0].cells
    left.width, right.width = Mm(98), Mm(88)
    _cell_heading(left.paragraphs[0], t("report.map", lang))
    left.add_paragraph().add_run().add_picture(io.BytesIO(briefing.png(d["map"])), width=Mm(94))
    left.add_paragraph(t("report.map_help", lang)).runs[0].font.size = Pt(7)
    _cell_heading(right.paragraphs[0], t("report.caveats", lang))
    for c in d["caveats"]:
        right.add_paragraph(c, style="List Bullet").runs[0].font.size = Pt(8)


def _cell_heading(p: Any, text: str) -> None:
    run = p.add_run(text)
    run.bold, run.font.size = True, Pt(11)
