"""Index arrays of a crowd network (人群网络的索引): zones, links and the *slots* of streams.

A slot is one stream at one position of its path: the people of that stream in that zone. Every flow the
model moves goes from one slot to the next slot of the same stream, to the first slot of the stream it
joins after dwelling, or to the outside — which is what makes the balance exact.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from scenarios.hazards.network_params import CRUSH_KINDS, CrowdNetworkParams

DIRECTION_CODE = {"both": 0, "a_to_b": 1, "b_to_a": 2, "closed": 3}


class Layout:
    """Static structure of a :class:`CrowdNetworkParams`, as numpy index arrays."""

    def __init__(self, p: CrowdNetworkParams) -> None:
        self.zone_ids = [z.id for z in p.zones]
        zi = {z: i for i, z in enumerate(self.zone_ids)}
        self.area = np.array([z.area_m2 for z in p.zones], dtype=float)
        self.exit_width = np.array([z.exit_width_m for z in p.zones], dtype=float)
        self.initial = np.array([z.initial_persons for z in p.zones], dtype=float)
        self.crush_zones = np.array([i for i, z in enumerate(p.zones) if z.kind in CRUSH_KINDS], dtype=int)
        plazas = [i for i, z in enumerate(p.zones) if z.kind == "plaza"]
        self.watch = np.array([zi[z] for z in p.watch] if p.watch else (plazas or list(range(len(zi)))), dtype=int)

        self.link_index = {li.id: k for k, li in enumerate(p.links)}
        self.link_a = np.array([zi[li.a] for li in p.links], dtype=int)
        self.link_b = np.array([zi[li.b] for li in p.links], dtype=int)
        self.width = np.array([li.width_m for li in p.links], dtype=float)
        self.direction0 = np.array([DIRECTION_CODE[li.direction] for li in p.links], dtype=int)
        self.police0 = np.array([li.cordon_police for li in p.links], dtype=float)
        by_pair = {frozenset((li.a, li.b)): k for k, li in enumerate(p.links)}

        self.stream_index = {s.id: k for k, s in enumerate(p.streams)}
        zone_of, link_of, forward, stream_of, first = [], [], [], [], []
        for k, s in enumerate(p.streams):
            first.append(len(zone_of))
            for i, z in enumerate(s.path):
                zone_of.append(zi[z])
                stream_of.append(k)
                if i + 1 < len(s.path):
                    link = by_pair[frozenset((z, s.path[i + 1]))]
                    link_of.append(link)
                    forward.append(p.links[link].a == z)
                else:
                    link_of.append(-1)
                    forward.append(True)
        self.zone_of = np.array(zone_of, dtype=int)
        self.link_of = np.array(link_of, dtype=int)
        self.forward = np.array(forward, dtype=bool)
        self.stream_of = np.array(stream_of, dtype=int)
        self.first_slot = np.array(first, dtype=int)
        n = len(zone_of)
        self.moves = self.link_of >= 0
        self.next_slot = np.where(self.moves, np.arange(n) + 1, -1)
        self.next_zone = np.where(self.moves, self.zone_of[np.minimum(np.arange(n) + 1, n - 1)], -1)
        is_end = ~self.moves
        then = np.full(n, -1, dtype=int)
        dwell = np.ones(n)
        for k, s in enumerate(p.streams):
            end = first[k] + len(s.path) - 1
            if s.then is not None:
                then[end] = first[self.stream_index[s.then]]
                dwell[end] = s.dwell_s
        self.then_slot = then
        self.dwell = dwell
        self.transfers = is_end & (then >= 0)
        self.leaves = is_end & (then < 0)
        # the zone a link direction leads into: forward → b, backward → a
        self.into_zone = np.where(self.forward, self.link_b[np.maximum(self.link_of, 0)],
                                  self.link_a[np.maximum(self.link_of, 0)])

    def plain(self) -> SimpleNamespace:
        """The same structure as plain Python lists and ints, for the per-step loop."""
        g = SimpleNamespace(n_slots=self.n_slots, n_zones=self.n_zones, n_links=self.n_links)
        for name in ("zone_of", "link_of", "forward", "next_zone", "then_slot", "dwell", "first_slot", "area",
                     "exit_width", "width", "link_a", "link_b", "crush_zones"):
            setattr(g, name, getattr(self, name).tolist())
        g.moving = np.nonzero(self.moves)[0].tolist()
        g.transferring = np.nonzero(self.transfers)[0].tolist()
        g.links_in_b = [np.nonzero(self.link_b == z)[0].tolist() for z in range(self.n_zones)]
        g.links_in_a = [np.nonzero(self.link_a == z)[0].tolist() for z in range(self.n_zones)]
        g.width_at = (np.bincount(self.link_b, self.width, minlength=self.n_zones)
                      + np.bincount(self.link_a, self.width, minlength=self.n_zones)).tolist()
        return g

    @property
    def n_slots(self) -> int:
        return int(self.zone_of.size)

    @property
    def n_zones(self) -> int:
        return int(self.area.size)

    @property
    def n_links(self) -> int:
        return int(self.width.size)
