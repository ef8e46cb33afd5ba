"""A tiny scenario for the work-order tests: police lead, one task by work order, instantaneous channels."""

from __future__ import annotations


def scenario_text(
    p: float,
    leads: str,
    *,
    decide: float,
    redispatch: float,
    arbitration_after: int | None = None,
    sign_deadline: float | None = None,
    reject_unlisted: float = 0.8,
) -> str:
    """Police lead a disorder; its ``repair`` task (guidance) goes by work order to ``leads`` (a YAML list
    of ``so``, ``rc``, or empty); channels and desks are instantaneous unless the caller changes them."""
    return f"""
name: workorder_law
description: {{zh: 工单几何律, en: work-order geometric law}}
horizon: 400000
city: {{generated: {{streets: 1, communities_per_street: 1, grids_per_community: 1}}}}
agencies:
  - {{id: gov, role: district_government, desk: {{staff: 5, handling: 0}}}}
  - {{id: so, role: street_office, parent: gov, desk: {{staff: 5, handling: 0}}}}
  - {{id: rc, role: residents_committee, parent: so, desk: {{staff: 5, handling: 0}}}}
  - {{id: police, role: police, parent: gov, desk: {{staff: 5, handling: 0}}}}
channels:
  - {{from: police, to: so, latency: 0, both_ways: true}}
  - {{from: police, to: rc, latency: 0, both_ways: true}}
  - {{from: police, to: gov, latency: 0, both_ways: true}}
work_orders:
  decide: {decide}
  redispatch: {redispatch}
  reject_shared: {p}
  reject_unlisted: {reject_unlisted}
  arbitration_after: {'null' if arbitration_after is None else arbitration_after}
  sign_deadline: {'null' if sign_deadline is None else sign_deadline}
  arbitration: 900
arrangement:
  name: law
  incident_types:
    disorder:
      lead: police
      tasks:
        report: {{lead: [police]}}
        repair: {{lead: {leads}}}
incident_types:
  disorder:
    detection: [{{kind: citizen_call, delay: 10, report_to: police}}]
    tasks:
      - {{id: report, capability: cordon, duration: 10}}
      - {{id: repair, capability: guidance, after: [report], duration: 10, by: work_order}}
incidents:
  - {{id: d1, type: disorder, grid: S1-C1-G1}}
"""
