"""The after-action report as a Word document (python-docx), same sections as the HTML."""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from simulation.faces.aar_text import mins


def _table(doc: Any, header: list[str], rows: list[list[Any]]) -> None:
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, h in zip(t.rows[0].cells, header):
        cell.text = str(h)
        for r in cell.paragraphs[0].runs:
            r.bold = True
    for row in rows:
        cells = t.add_row().cells
        for cell, v in zip(cells, row):
            cell.text = "" if v is None else str(v)
    doc.add_paragraph()


def render_docx(d: dict) -> bytes:
    L = d["L"]
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun" if d["lang"] == "zh" else "Calibri"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # Chinese text needs an East Asian font
    style.font.size = Pt(10.5)
    h = doc.add_heading(f"{L['report']}：{d['title']}" if d["lang"] == "zh" else f"{L['report']}: {d['title']}", 0)
    h.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(L["standard"]).runs[0].italic = True
    if d["projected"]:
        doc.add_paragraph(L["projected"]).runs[0].font.color.rgb = RGBColor(0xA0, 0x30, 0x30)

    doc.add_heading(L["overview"], 1)
    _table(
        doc,
        ["", ""],
        [
            [L["scenario"], f"{d['scenario']} — {d['description']}"],
            [L["arrangement"], d["arrangement"]],
            [L["seed"], d["seed"]],
            [L["code"], d["code"] + (f" (← {d['parent']})" if d["parent"] else "")],
            [L["created"], d["created"]],
            [L["played"], d["played_until"]],
            [L["generated"], d["generated"]],
        ],
    )
    _table(doc, [L["seat"], L["role"], L["agencies"]], [[s["seat"], s["role"], s["agencies"]] for s in d["seats"]])

    doc.add_heading(L["timeline"], 1)
    for agency, rows in d["timeline"].items():
        doc.add_heading(agency, 2)
        _table(doc, [L["time"], L["event"]], [[r["t"], r["text"]] for r in rows])

    doc.add_heading(L["decisions"], 1)
    doc.add_paragraph(L["wall_note"]).runs[0].italic = True
    _table(
        doc,
        [L["decision"], L["agency"], L["asked"], L["decided"], L["wall"], L["latency"], L["fallback"], L["as_plan"]],
        [[f"{x['label']} = {x['value']}", x["agency"], x["asked"], x["decided"], x["wall_min"], mins(x["latency_s"]),
          L["yes"] if x["fallback"] else L["no"], L["yes"] if x["as_plan"] else L["no"]] for x in d["decisions"]],
    )

    doc.add_heading(L["handoffs"], 1)
    holds = d["holds"]
    doc.add_paragraph(holds["top_sentence"]).runs[0].bold = True
    if holds["plan_sentence"]:
        doc.add_paragraph(holds["plan_sentence"]).runs[0].italic = True
    parts = d["gap_part_names"]
    _table(doc, [L["task"], L["from"], L["to"], L["gap"], *parts.values(), holds["L"]["held"]],
           [[x["task"], x["from"], x["to"], mins(x["gap_s"]) + (f" ({L['censored']})" if x["censored"] else ""),
             *(x["parts"][k] for k in parts), x["held"]] for x in d["handoffs"]])
    if holds["rows"]:
        doc.add_heading(holds["L"]["holds"], 2)
        for r in holds["rows"]:
            doc.add_paragraph(r["sentence"], style="List Bullet")
        doc.add_paragraph(holds["note"]).runs[0].italic = True

    doc.add_heading(L["expected"], 1)
    doc.add_paragraph(L["criterion_from"]).runs[0].italic = True
    _table(doc, [L["inject"], L["agency"], L["action"], L["criterion"], L["delivered"], L["could_act"], L["when"],
                 L["status"]],
           [[e["inject"], e["agency"], e["action"], e["criterion"], e["delivered"], e["could_act"], e["when"],
             L["st"][e["status"]]] for e in d["expected"]])

    doc.add_heading(L["comparison"], 1)
    if d["plan_injects"]:
        doc.add_paragraph(d["plan_injects"]).runs[0].italic = True
    _table(doc, [L["metric"], L["drill"], L["plan"]],
           [[c["metric"], c["drill_text"], c["plan_text"]] for c in d["comparison"]])

    doc.add_heading(L["counterfactual"], 1)
    cf = d["counterfactual"]
    doc.add_paragraph(cf["sentence"]).runs[0].bold = True
    for x in cf["explained"]:
        doc.add_paragraph(x["sentence"])
    extra = []
    if cf.get("share_faster"):
        extra.append([L["cf_share"], cf["share_faster"]])
    if cf.get("p10"):
        extra.append(["p10 – p90 (min)", f"{cf['p10']} – {cf['p90']}"])
    if d["casualties_mc"] is not None:
        extra.append([L["casualties_mc"], f"{d['casualties_mc']:.1f}"])
    if extra:
        _table(doc, ["", ""], extra)

    doc.add_heading(L["strengths"], 1)
    for s in d["strengths"] or [L["none"]]:
        doc.add_paragraph(s, style="List Bullet")

    doc.add_heading(L["improvements"], 1)
    _table(doc, [L["num"], L["issue"], L["capability"], L["corrective"], L["owner"], L["due"]],
           [[i["no"], i["issue"], i["capability"] or "—", i["action"], i["owner"], i["due"]]
            for i in d["improvements"]])
    if d["notes"]:
        doc.add_heading(L["notes"], 2)
        _table(doc, [L["time"], L["actor"], L["agency"], L["rating"], L["capability"], L["event"]],
               [[n["t"], n["actor"], n["agency"], L["ratings"][n["rating"]] if n["rating"] else "—",
                 n["capability"] or "—", n["text"]] for n in d["notes"]])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
