"""Structural indicators of an arrangement's coordination graph (协同结构指标), computed with networkx.

Shown beside the simulated figures so a planner sees *why* an arrangement is fast or slow before any
replication runs:

* **notification paths** — hops and expected latency from each intake desk, through the relay, to every
  agency the relay must notify (the route the engine's messages take: receiver → relay → target) — incident
  lead, single task leads, task-level assist and informed, incident-level informed; an intake centre's own
  service (119 → fire brigade) is also alerted directly when the arrangement says ``intake_direct`` — by
  the centre that took the report, and by any centre the case passes through on its way (property → 119 →
  relay: 119 alerts the fire brigade as it passes), and so is the site's operator (119 calls the building's
  fire-control room) — and the quickest route is shown (``route``:
  ``relay``, ``direct``, ``passing`` with ``via`` the centre, or ``receiver``);
* **hand-off pairs** — for each task that follows another agency's work (the task DAG's predecessor →
  task owners), the hops up the parent chain to their lowest common superior (最近共同上级) and the
  channel path between them; plus the escalation route of every task with no lead or two leads;
* **single points of failure** — duty desks that sit on *every* path from a receiver to a required
  agency (nodes whose removal disconnects them), and the relay, which every notification must pass by
  rule — except the intake centre's own service and the site, which also have the direct or passing route;
* **betweenness centrality** of the agencies and centres on the latency-weighted graph.

Every "who" — receiver, relay, targets, task owners, escalation, intake alerts — comes from the one
doctrine module (:mod:`simulation.model.doctrine`) that the engine also asks, so the two cannot disagree.

Expected latency uses the weights the engine routes by: channel latency mean + receiving desk's mean
handling + expected retry cost of unreliable channels (see :mod:`simulation.model.coordination`).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from agencies.catalogue import role_catalogue
from simulation.model.doctrine import Escalation
from simulation.model.world import World


def weighted_graph(world: World) -> nx.DiGraph:
    """Agencies joined by the channels in use, weighted as the engine routes (seconds)."""
    cg = world.graph
    g = nx.DiGraph()
    g.add_nodes_from(cg.agency)
    for (s, d), hop in cg.hops.items():
        spec = hop.spec
        g.add_edge(s, d, weight=spec.latency.mean() + cg.agency[d].desk.handling.mean()
                   + (1 - spec.reliability) * spec.retry_after)
    return g


def cut_desks(g: nx.DiGraph, src: str, dst: str) -> list[str]:
    """Desks on every path from ``src`` to ``dst``: removing any one cuts ``dst`` off (``[]`` if none)."""
    if src == dst or src not in g or dst not in g:
        return []
    try:
        via = nx.shortest_path(g, src, dst)
    except nx.NetworkXNoPath:
        return []
    out = []
    for v in via[1:-1]:  # a node on every path is on the shortest one in particular
        h = nx.restricted_view(g, [v], [])
        if not nx.has_path(h, src, dst):
            out.append(v)
    return out


def _leg(world: World, src: str, dst: str) -> tuple[int | None, float | None]:
    p = world.graph.path(src, dst)
    return (None, None) if p is None else (len(p), world.graph.expected_latency(src, dst))


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _addf(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _passing_centres(world: World, g: nx.DiGraph, rcv: str, relay: str,
                     targets: list[str]) -> list[tuple[str, int | None, float | None, set[str], set[str]]]:
    """Intake centres (119/110/120) strictly inside the routes the case travels — receiver → relay, then
    relay → each target — with the hops and expected latency to reach each, the desks passed by rule (the
    relay) and the graph cuts before it: the engine's centre alerts its own service as the case passes
    (``Replication._passing_intake``). As for the relay route, a serial list's wait for earlier names is
    left out."""
    cg, doctrine = world.graph, world.doctrine
    h1, l1 = _leg(world, rcv, relay)
    out = []
    legs = [(rcv, relay, 0, 0.0, set())] + ([(relay, t, h1, l1, {relay} - {rcv}) for t in targets if t != relay]
                                            if h1 is not None else [])
    for src, dst, h0, l0, rule in legs:
        base = set() if src == rcv else set(cut_desks(g, rcv, relay))
        for i, hop in enumerate((cg.path(src, dst) or [])[:-1]):
            c = hop.dst
            if c != rcv and doctrine.passing_service(c, dst) is not None:  # as the engine: no second notice
                out.append((c, h0 + i + 1, l0 + cg.expected_latency(src, c), rule,
                            base | set(cut_desks(g, src, c))))
    return out


def indicators(world: World, incident_type: str | None = None, grid: str | None = None) -> dict[str, Any]:
    """All structural indicators for one incident type in one grid (default: the primary incident's)."""
    sc = world.scenario
    primary = sc.primary_incident()
    itype_id = incident_type or primary.type
    grid = grid or next((i.grid for i in sc.incidents if i.type == itype_id), primary.grid)
    itype = sc.incident_types[itype_id]
    arr = sc.arrangement
    ia = arr.incident_types[itype_id]
    cg = world.graph
    doctrine = world.doctrine
    plan = doctrine.plan(itype_id, grid)  # the engine's own answers: lead, relay, targets, task leads
    lead, relay, targets = plan.lead, plan.relay, list(plan.targets)
    receivers: list[tuple[str, str]] = []
    for d in itype.detection:
        r = doctrine.receiver(d.report_to, d.kind, grid)
        if r is not None and r not in [x for _, x in receivers]:
            receivers.append((d.kind, r))

    g = weighted_graph(world)
    notification, spof = [], {}
    for kind, rcv in receivers:
        h1, l1 = _leg(world, rcv, relay)
        alerts = doctrine.intake_alerts(rcv, itype_id, grid)  # its service and the site's operator
        passing = _passing_centres(world, g, rcv, relay, targets)
        for t in [*targets, *(a for a in alerts if a not in targets)]:
            if t == rcv:  # the receiver knows already
                notification.append(
                    {
                        "detector": kind,
                        "receiver": rcv,
                        "relay": relay,
                        "target": t,
                        "route": "receiver",
                        "via": None,
                        "hops": 0,
                        "expected_latency": 0.0,
                    }
                )
                continue
            h2, l2 = _leg(world, relay, t) if t != relay else (0, 0.0)
            row = {"detector": kind, "receiver": rcv, "relay": relay, "target": t, "route": "relay", "via": None,
                   "hops": _add(h1, h2), "expected_latency": _addf(l1, l2)}
            # Every route the engine may deliver by, each with the desks it cannot bypass: the relay route
            # (the relay by rule, plus the graph cuts of its two legs) …
            by_rule = {relay} - {rcv, t}
            routes = [(by_rule, (set(cut_desks(g, rcv, relay)) | set(cut_desks(g, relay, t))) - by_rule)]
            if t in alerts and t != relay:
                # … the centre's own alert to its service or the site when it took the report …
                hd, ld = _leg(world, rcv, t)
                if hd is not None:
                    if row["expected_latency"] is None or ld < row["expected_latency"]:
                        row.update(route="direct", hops=hd, expected_latency=ld)
                    routes.append((set(), set(cut_desks(g, rcv, t))))
            for c, hc, lc, rule, cut in passing:
                # … and the alert of a centre the case passes through (property → 119 → relay: 119 alerts fire).
                if doctrine.intake_service(c) != t:
                    continue
                hd, ld = _leg(world, c, t)
                if hd is None or hc is None:
                    continue
                if row["expected_latency"] is None or lc + ld < row["expected_latency"]:
                    row.update(route="passing", via=c, hops=hc + hd, expected_latency=lc + ld)
                routes.append((rule, cut | {c} | set(cut_desks(g, c, t))))
            notification.append(row)
            on_all = set.intersection(*(r | c for r, c in routes)) - {rcv, t}
            rule_all = set.intersection(*(r for r, _ in routes))
            for v in on_all:
                spof.setdefault(v, {"desk": v, "reasons": set(), "cuts": set()})["reasons"].add(
                    "relay" if v in rule_all else "graph")
                spof[v]["cuts"].add(t)

    owner: dict[str, str | None] = {}
    disputed: dict[str, Escalation] = {}
    for t in itype.tasks:
        leads = plan.task_leads[t.id]
        if len(leads) == 1:
            owner[t.id] = leads[0]
        else:
            esc = disputed[t.id] = doctrine.escalation(t, leads, lead, grid)
            owner[t.id] = esc.candidates[0] if esc.candidates else None  # the automatic policy's ruling
    pairs = []
    for t in itype.tasks:
        for p in t.after:
            a, b = owner.get(p), owner.get(t.id)
            if a is None or b is None or a == b:
                continue
            sup = cg.lowest_common_superior([a, b])
            hier = None if sup is None else cg.superiors(a).index(sup) + cg.superiors(b).index(sup)
            h, lat = _leg(world, a, b)
            pairs.append({"task": t.id, "after": p, "from_agency": a, "to_agency": b, "superior": sup,
                          "hierarchy_hops": hier, "channel_hops": h, "expected_latency": lat})
    escalations = []
    for task, esc in disputed.items():
        sup, cands = esc.superior, list(esc.candidates)
        h, lat = _leg(world, lead, sup) if lead and sup else (None, None)
        escalations.append({"task": task, "claimants": len(ia.tasks[task].lead), "candidates": cands,
                            "incident_lead": lead, "superior": sup, "channel_hops": h, "expected_latency": lat,
                            "decision": arr.escalation_decision})

    bc = nx.betweenness_centrality(g, weight="weight")
    roles = role_catalogue()
    centres = {n: bc[n] for n in g if roles[cg.agency[n].role].kind == "centre" or n == relay}
    return {
        "incident_type": itype_id, "grid": grid, "relay": relay, "lead": lead,
        "fan_out": arr.fan_out, "grid_model": arr.grid_model, "platform": arr.platform,
        "notification": notification,
        "handoff_pairs": pairs,
        "escalations": escalations,
        "single_points_of_failure": [{"desk": v["desk"], "reasons": sorted(v["reasons"]), "cuts": sorted(v["cuts"])}
                                     for v in sorted(spof.values(), key=lambda x: (-len(x["cuts"]), x["desk"]))],
        "betweenness": dict(sorted(bc.items(), key=lambda kv: (-kv[1], kv[0]))),
        "betweenness_centres": dict(sorted(centres.items(), key=lambda kv: (-kv[1], kv[0]))),
        "summary": _summary(notification, pairs, escalations),
    }


def _summary(notification: list[dict], pairs: list[dict], escalations: list[dict]) -> dict[str, float | int | None]:
    """A handful of numbers for a side-by-side table (worst case over receivers and targets)."""
    hops = [n["hops"] for n in notification if n["hops"] is not None]
    lat = [n["expected_latency"] for n in notification if n["expected_latency"] is not None]
    hier = [p["hierarchy_hops"] for p in pairs if p["hierarchy_hops"] is not None]
    return {"max_notify_hops": max(hops) if hops else None,
            "mean_notify_hops": sum(hops) / len(hops) if hops else None,
            "max_notify_latency": max(lat) if lat else None,
            "unreachable_targets": sum(1 for n in notification if n["hops"] is None),
            "handoff_pairs": len(pairs),
            "mean_hierarchy_hops": sum(hier) / len(hier) if hier else None,
            "escalations": len(escalations)}
