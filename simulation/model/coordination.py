"""The coordination graph (协同关系图): agencies, centres, stations and grids joined by channels.

A networkx ``MultiDiGraph``. Node kinds: ``agency``, ``centre``, ``station``, ``grid``. Edge kinds:
``report``, ``notify``, ``command``, ``request_support``, ``handoff`` — each with its latency
distribution, reliability and medium. Messages between agencies follow the quickest path by expected
latency (channel latency plus the receiver's expected desk handling).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from agencies.catalogue import role_catalogue
from scenarios.schema import AgencySpec, ChannelSpec, Scenario


@dataclass(frozen=True)
class Hop:
    """One directed use of a channel: ``src`` → ``dst``."""

    key: str  # stable name for the channel's random stream and records, e.g. "centre_119->fire"
    src: str
    dst: str
    spec: ChannelSpec


@dataclass
class CoordinationGraph:
    scenario: Scenario
    graph: nx.MultiDiGraph = field(init=False)
    hops: dict[tuple[str, str], Hop] = field(init=False)

    def __post_init__(self) -> None:
        sc = self.scenario
        roles = role_catalogue()
        g = nx.MultiDiGraph()
        for a in sc.agencies:
            g.add_node(a.id, kind=roles[a.role].kind, role=a.role,
                       name_zh=a.name.zh if a.name else roles[a.role].zh,
                       name_en=a.name.en if a.name else roles[a.role].en, staff=a.desk.staff)
        hops: dict[tuple[str, str], Hop] = {}
        for c in sc.channels:
            if c.medium == "platform" and not sc.arrangement.platform:
                continue
            pairs = [(c.from_, c.to)] + ([(c.to, c.from_)] if c.both_ways else [])
            for s, d in pairs:
                # The quickest channel between two agencies is the one a duty officer would use.
                old = hops.get((s, d))
                if old is None or c.latency.mean() < old.spec.latency.mean():
                    hops[(s, d)] = Hop(f"{s}->{d}", s, d, c)
                g.add_edge(s, d, kind=c.kind, medium=c.medium, reliability=c.reliability,
                           latency_mean=c.latency.mean(), latency=c.latency.model_dump_json())
        for st in sc.stations:
            g.add_node(st.id, kind="station", agency=st.agency, grid=st.grid)
            g.add_edge(st.agency, st.id, kind="command", medium="radio", reliability=1.0, latency_mean=0.0, latency="")
        self.graph = g
        self.hops = hops

    @cached_property
    def agency(self) -> dict[str, AgencySpec]:
        return {a.id: a for a in self.scenario.agencies}

    @cached_property
    def _weighted(self) -> nx.DiGraph:
        w = nx.DiGraph()
        w.add_nodes_from(self.agency)
        for (s, d), hop in self.hops.items():
            w.add_edge(s, d, weight=hop.spec.latency.mean() + self.agency[d].desk.handling.mean()
                       + (1 - hop.spec.reliability) * hop.spec.retry_after)
        return w

    @cached_property
    def platform_links(self) -> dict[str, Hop]:
        """Agency → its link to the shared operations platform (一网统管): the quickest ``platform`` channel
        that touches it. Empty when the arrangement does not use the platform."""
        out: dict[str, Hop] = {}
        for (s, d), hop in sorted(self.hops.items()):
            if hop.spec.medium != "platform":
                continue
            for a in (s, d):
                old = out.get(a)
                if old is None or hop.spec.latency.mean() < old.spec.latency.mean():
                    out[a] = hop
        return out

    def path(self, src: str, dst: str) -> list[Hop] | None:
        """Quickest chain of hops from ``src`` to ``dst`` (``[]`` when they are the same; ``None`` if cut off)."""
        return self._paths.get((src, dst)) if src != dst else []

    @cached_property
    def _paths(self) -> dict[tuple[str, str], list[Hop]]:
        out: dict[tuple[str, str], list[Hop]] = {}
        for src, targets in nx.all_pairs_dijkstra_path(self._weighted, weight="weight"):
            for dst, nodes in targets.items():
                out[(src, dst)] = [self.hops[(a, b)] for a, b in zip(nodes, nodes[1:])]
        return out

    def expected_latency(self, src: str, dst: str) -> float | None:
        p = self.path(src, dst)
        if p is None:
            return None
        return sum(self._weighted[h.src][h.dst]["weight"] for h in p)

    # -- hierarchy (上下级): lowest common superior for escalation -------------------------------------

    def superiors(self, agency: str) -> list[str]:
        chain, cur = [agency], self.agency[agency].parent
        while cur is not None:
            chain.append(cur)
            cur = self.agency[cur].parent
        return chain

    def lowest_common_superior(self, agencies: list[str]) -> str | None:
        """The nearest agency that is a superior (or self) of every agency given; ``None`` if none."""
        if not agencies:
            return None
        chains = [self.superiors(a) for a in agencies]
        common = set(chains[0]).intersection(*map(set, chains[1:]))
        return next((a for a in chains[0] if a in common), None)

    def to_graphml(self, path: str, citymap=None) -> None:  # noqa: ANN001 - CityMap, avoided import cycle
        g = self.graph.copy()
        if citymap is not None:
            for gid in citymap.grid_ids:
                g.add_node(gid, kind="grid", street=citymap.street_of(gid))
            by_street = {}
            for a in self.scenario.agencies:
                if a.role == "residents_committee":
                    for s in a.jurisdiction or citymap.street_ids:
                        by_street.setdefault(s, a.id)
            for gid in citymap.grid_ids:
                rc = by_street.get(citymap.street_of(gid))
                if rc is not None:
                    g.add_edge(
                        gid, rc, kind="report", medium="in_person", reliability=1.0, latency_mean=0.0, latency=""
                    )
        nx.write_graphml(g, path)
